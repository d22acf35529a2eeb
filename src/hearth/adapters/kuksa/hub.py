"""Start the Kuksa adapter inside a hub when the home binds a car to `adapter: kuksa`."""

from __future__ import annotations

from contextlib import AsyncExitStack

from hearth.hub import Hub, HubConfig, register_subsystem

ADAPTER = "kuksa"


@register_subsystem(31)
def start_kuksa(hub: Hub, config: HubConfig, stack: AsyncExitStack) -> None:
    """Follow every bound car's databroker and register the adapter on the command path."""
    devices = [d for d in hub.home.devices.values() if d.adapter == ADAPTER]
    if not devices:
        return
    from hearth.adapters.kuksa._adapter import KuksaAdapter  # gRPC loads only for homes with a Kuksa car

    adapter = KuksaAdapter(devices, hub.state, hub.clock)
    hub.commands.add_adapter(adapter)
    hub.services["kuksa"] = adapter
    hub.spawn(adapter.run(), name="kuksa")
