"""Starts the cameras of a home inside a hub and owns their tasks."""

from __future__ import annotations

import asyncio
import os
from contextlib import AsyncExitStack

from hearth.core import FakeClock
from hearth.hub import Hub, HubConfig, register_subsystem
from hearth.perception._service import PerceptionService, camera_rules_for
from hearth.perception._sources import Offload, run_inline
from hearth.perception._vlm import VLMConfig


@register_subsystem(40)
def start_perception(hub: Hub, config: HubConfig, stack: AsyncExitStack) -> None:
    """Start a camera task for every camera with a source (the twin's cameras when simulating).

    `HEARTH_CAMERAS=off` leaves every camera off (the service is still there, with no cameras).
    """
    cameras_on = os.environ.get("HEARTH_CAMERAS", "on").strip().lower() not in ("off", "0", "false", "no")
    rules = camera_rules_for(hub.home, config.data_dir)
    # On a fake clock (tests, simulated days) a frame's work must finish before virtual time moves on.
    offload: Offload = run_inline if isinstance(hub.clock, FakeClock) else asyncio.to_thread
    service = PerceptionService(hub.home, hub.bus, hub.clock, hub.state, rules, config.data_dir,
                                VLMConfig.from_env(), simulate=config.simulate, offload=offload,
                                settings=None if cameras_on else {})
    hub.services["perception"] = service
    stack.push_async_callback(service.aclose)
    service.start(hub.spawn)
