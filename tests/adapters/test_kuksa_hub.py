"""A hub with a car bound to `adapter: kuksa`: the subsystem follows the fake databroker and drives the car."""

from __future__ import annotations

import asyncio

from hearth.adapters.kuksa import FakeDatabroker, KuksaAdapter
from hearth.core import SYSTEM, Command
from hearth.hub import HubConfig, open_hub
from hearth.model import parse_home

SOC = "Vehicle.Powertrain.TractionBattery.StateOfCharge.Current"
LIMIT = "Vehicle.Powertrain.TractionBattery.Charging.ChargeLimit"


async def test_the_hub_follows_and_drives_a_kuksa_car() -> None:
    async with FakeDatabroker.for_car(values={SOC: 64.0, LIMIT: 80}) as broker:
        home = parse_home(f"devices:\n  - {{id: car, type: car, adapter: kuksa, binding: {{url: '{broker.url}'}}}}\n"
                          "  - {id: lamp, type: light}\n", "t.yaml")
        async with open_hub(HubConfig(home, simulate=False)) as hub:
            adapter = hub.services["kuksa"]
            assert isinstance(adapter, KuksaAdapter)
            async with asyncio.timeout(5):
                await adapter.wait_available("car")
            assert hub.state.get("car", "vehicle", SOC) == 64.0
            result = await hub.execute(Command("car", "vehicle", LIMIT, 90), SYSTEM)
            assert result.ok, result.message
            assert broker.actuations == [(LIMIT, 90)]
            lamp = await hub.execute(Command("lamp", "light", "on", True), SYSTEM)
            assert lamp.ok and hub.state.get("lamp", "light", "on") is True  # other devices are untouched
