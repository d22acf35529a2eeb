"""Starts the cameras of a home inside a hub and owns their tasks."""

from __future__ import annotations

import os
from contextlib import AsyncExitStack
from importlib import resources
from pathlib import Path

from hearth.hub import Hub, HubConfig, register_subsystem
from hearth.model import Home
from hearth.perception._rules import CameraRule, load_camera_rules, parse_camera_rules
from hearth.perception._service import PerceptionService
from hearth.perception._vlm import VLMConfig


def camera_rules_for(home: Home, data_dir: Path | None, environ: dict[str, str] | None = None) -> list[CameraRule]:
    """The camera rules a hub runs: `HEARTH_CAMERA_RULES`, else `<data dir>/camera_rules.yaml`, else the demo's."""
    env = dict(os.environ) if environ is None else environ
    chosen = env.get("HEARTH_CAMERA_RULES", "").strip()
    if chosen:
        return load_camera_rules(chosen, home)
    if data_dir is not None and (data_dir / "camera_rules.yaml").is_file():
        return load_camera_rules(data_dir / "camera_rules.yaml", home)
    if home.id == "demo":
        text = resources.files("hearth.perception").joinpath("data/demo_camera_rules.yaml").read_text("utf-8")
        return parse_camera_rules(text, "demo_camera_rules.yaml", home)
    return []


@register_subsystem(40)
def start_perception(hub: Hub, config: HubConfig, stack: AsyncExitStack) -> None:
    """Start a camera task for every camera with a source (the twin's cameras when simulating)."""
    rules = camera_rules_for(hub.home, config.data_dir)
    service = PerceptionService(hub.home, hub.bus, hub.clock, hub.state, rules, config.data_dir,
                                VLMConfig.from_env(), simulate=config.simulate)
    hub.services["perception"] = service
    stack.push_async_callback(service.aclose)
    service.start(hub.spawn)
