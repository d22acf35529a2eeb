"""Starts the digital twin when the hub is configured to simulate."""

from __future__ import annotations

from contextlib import AsyncExitStack

from hearth.adapters.simulator._twin import Twin
from hearth.hub import Hub, HubConfig, register_subsystem


@register_subsystem(20)
def start_twin(hub: Hub, config: HubConfig, stack: AsyncExitStack) -> None:
    """Create the twin, make it the `simulator` adapter and tick it until the hub stops."""
    if not config.simulate:
        return
    twin = Twin(hub.home, hub.state, hub.bus, hub.clock, seed=config.seed)
    hub.commands.add_adapter(twin)
    stack.callback(twin.start())
    hub.services["twin"] = twin
