"""Start the miIO adapter inside a hub when the home binds devices to `adapter: miio`."""

from __future__ import annotations

from contextlib import AsyncExitStack

from hearth.adapters.miio._adapter import MiioAdapter
from hearth.hub import Hub, HubConfig, register_subsystem


@register_subsystem(30)
async def start_miio(hub: Hub, config: HubConfig, stack: AsyncExitStack) -> None:
    """Open a client per bound device, register the adapter on the command path and start polling."""
    devices = [d for d in hub.home.devices.values() if d.adapter == MiioAdapter.name]
    if not devices:
        return
    adapter = await stack.enter_async_context(MiioAdapter(devices, hub.state, hub.clock, hub.bus))
    hub.commands.add_adapter(adapter)
    hub.services["miio"] = adapter
    hub.spawn(adapter.run(), name="miio")
