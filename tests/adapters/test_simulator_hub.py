"""The twin as a hub subsystem: started with the hub, registered as the `simulator` adapter, stopped with it."""

from __future__ import annotations

from hearth.adapters.simulator import Twin
from hearth.core import Actor, Command, FakeClock
from hearth.hub import HubConfig, open_hub
from hearth.model import Home


async def test_hub_runs_the_twin_and_stops_it(demo_home: Home) -> None:
    clock = FakeClock()
    async with open_hub(HubConfig(demo_home, clock=clock, simulate=True, seed=3)) as hub:
        twin = hub.services["twin"]
        assert isinstance(twin, Twin)
        result = await hub.execute(Command("living_curtain", "curtain", "target-position", 50),
                                   Actor("person", "alice", "admin"))
        assert result.ok
        await clock.run_for(60)
        assert hub.state.get("living_curtain", "curtain", "current-position") == 50
    before = hub.state.get("vacuum", "battery", "battery-level")
    clock.advance(3 * 3600)
    assert hub.state.get("vacuum", "battery", "battery-level") == before
    assert hub.state.get("living_curtain", "curtain", "status") == "Stopped"


async def test_no_twin_when_not_simulating(demo_home: Home) -> None:
    clock = FakeClock()
    async with open_hub(HubConfig(demo_home, clock=clock, simulate=False)) as hub:
        assert "twin" not in hub.services
