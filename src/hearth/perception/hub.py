"""Starts the cameras of a home inside a hub and owns their tasks."""

from __future__ import annotations

from contextlib import AsyncExitStack

from hearth.hub import Hub, HubConfig, register_subsystem
from hearth.perception._service import PerceptionService, camera_rules_for
from hearth.perception._vlm import VLMConfig


@register_subsystem(40)
def start_perception(hub: Hub, config: HubConfig, stack: AsyncExitStack) -> None:
    """Start a camera task for every camera with a source (the twin's cameras when simulating)."""
    rules = camera_rules_for(hub.home, config.data_dir)
    service = PerceptionService(hub.home, hub.bus, hub.clock, hub.state, rules, config.data_dir,
                                VLMConfig.from_env(), simulate=config.simulate)
    hub.services["perception"] = service
    stack.push_async_callback(service.aclose)
    service.start(hub.spawn)
