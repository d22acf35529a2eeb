"""Starts the automation engine inside a hub: loads the rules, resumes pending timers, stops on exit."""

from __future__ import annotations

from contextlib import AsyncExitStack

from hearth.automation._engine import Engine
from hearth.automation._prefs import enabled_overrides, rules_for
from hearth.automation._timers import TimerStore
from hearth.hub import Hub, HubConfig, register_subsystem


@register_subsystem(30)
async def start_automation(hub: Hub, config: HubConfig, stack: AsyncExitStack) -> None:
    """Load the configured rules (the demo rules for the demo home) and run them until the hub stops."""
    ruleset = rules_for(hub.home, config.rules, config.data_dir)
    database = getattr(config, "database", None)
    timers = TimerStore(database) if database is not None else None
    if timers is not None:
        stack.callback(timers.close)
    engine = Engine(hub.home, hub.bus, hub.clock, hub.state, hub.commands, timers=timers)
    engine.load(ruleset, enabled_overrides(config.data_dir))
    await stack.enter_async_context(engine)
    hub.services["automation"] = engine
