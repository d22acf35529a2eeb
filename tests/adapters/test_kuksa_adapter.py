"""The kuksa adapter against the fake databroker over gRPC on 127.0.0.1: signals in, actuators out, outages."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from typing import Any

import pytest

from hearth.adapters.kuksa import FakeDatabroker, KuksaAdapter, KuksaBinding
from hearth.adapters.kuksa._proto import types
from hearth.core import SYSTEM, Clock, Command, FakeClock, StateChanged, SystemClock
from hearth.errors import AdapterError
from hearth.hub import build_core
from hearth.model import Home, parse_home

SOC = "Vehicle.Powertrain.TractionBattery.StateOfCharge.Current"
CHARGE_LIMIT = "Vehicle.Powertrain.TractionBattery.Charging.ChargeLimit"  # uint8 actuator
START_STOP = "Vehicle.Powertrain.TractionBattery.Charging.StartStopCharging"  # string enum actuator
CABIN_TEMP = "Vehicle.Cabin.HVAC.Station.Row1.Driver.Temperature"  # float actuator
SPEED = "Vehicle.Speed"


def car_home(url: str, extra: str = "") -> Home:
    return parse_home(f"""
devices:
  - id: car
    type: car
    adapter: kuksa
    binding: {{url: "{url}"{extra}}}
""", "test.yaml")


class Rig:
    """A home with one car bound to a fake databroker, the core, and the adapter running on a fake clock."""

    def __init__(self, broker: FakeDatabroker, home: Home, clock: Clock | None = None, **options: Any) -> None:
        self.broker = broker
        self.clock = clock or FakeClock()
        self.bus, self.state, self.commands = build_core(home, self.clock)
        self.adapter = KuksaAdapter([home.devices["car"]], self.state, self.clock, timeout=2.0, **options)
        self.commands.add_adapter(self.adapter)

    def get(self, path: str) -> Any:
        return self.state.get("car", "vehicle", path)

    async def command(self, path: str, value: Any) -> tuple[bool, str]:
        result = await self.commands.execute(Command("car", "vehicle", path, value), SYSTEM)
        return result.ok, result.message

    async def change(self, path: str, value: Any) -> StateChanged:
        """Wait (at most 2 s) until the car's `path` becomes `value`; the change if it already has."""
        got: asyncio.Future[StateChanged] = asyncio.get_running_loop().create_future()
        for when, seen_value in reversed(self.state.history("car", "vehicle", path)):
            if seen_value == value:
                return StateChanged(when, "car", "vehicle", path, None, value, "kuksa")

        def seen(event: StateChanged) -> None:
            if event.new == value and not got.done():
                got.set_result(event)

        remove = self.bus.subscribe_state(seen, "car", "vehicle", path)
        try:
            async with asyncio.timeout(2):
                return await got
        finally:
            remove()

    async def available(self, want: bool = True) -> None:
        async with asyncio.timeout(2):
            await self.adapter.wait_available("car", want)


@pytest.fixture
async def broker() -> AsyncIterator[FakeDatabroker]:
    async with FakeDatabroker.for_car(values={SOC: 81.5, CHARGE_LIMIT: 80, START_STOP: "STOP"}) as b:
        yield b


@pytest.fixture
async def rig(broker: FakeDatabroker) -> AsyncIterator[Rig]:
    r = Rig(broker, car_home(broker.url))
    async with asyncio.TaskGroup() as tasks:
        runner = tasks.create_task(r.adapter.run())
        await r.available()
        await broker.wait_subscribed()
        yield r
        runner.cancel()


async def test_connect_reads_current_values(rig: Rig) -> None:
    assert rig.get(SOC) == 81.5
    assert rig.get(CHARGE_LIMIT) == 80
    assert rig.get(START_STOP) == "STOP"


async def test_signal_updates_reach_the_state(rig: Rig) -> None:
    rig.broker.publish(SPEED, 42.3)  # a VSS float: 32 bits on the wire, shown as sent
    event = await rig.change(SPEED, 42.3)
    assert event.cause == "kuksa"


async def test_bad_values_are_logged_and_dropped(rig: Rig, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING, "hearth.adapters.kuksa")
    rig.broker.publish_raw(SOC, types.Value(float=140.0))  # outside 0–100
    rig.broker.publish_raw(START_STOP, types.Value(string="MAYBE"))  # not an allowed value
    rig.broker.publish(SPEED, 10.0)  # a good value after them shows they were seen and passed over
    await rig.change(SPEED, 10.0)
    assert rig.get(SOC) == 81.5
    assert rig.get(START_STOP) == "STOP"
    assert "140" in caplog.text and "MAYBE" in caplog.text


async def test_commands_are_sent_as_target_values_in_the_signal_type(rig: Rig) -> None:
    assert await rig.command(CHARGE_LIMIT, 90) == (True, "ok")
    assert await rig.command(START_STOP, "START") == (True, "ok")
    assert await rig.command(CABIN_TEMP, 21.5) == (True, "ok")
    assert rig.broker.actuations == [(CHARGE_LIMIT, 90), (START_STOP, "START"), (CABIN_TEMP, 21.5)]
    # The databroker's reported value, not the command, moves the state.
    await rig.change(CABIN_TEMP, 21.5)
    assert rig.get(CHARGE_LIMIT) == 90 and rig.get(START_STOP) == "START"


async def test_a_refused_actuation_is_a_clear_failure(rig: Rig) -> None:
    rig.broker.obey = False  # no provider for the actuator
    ok, message = await rig.command(CHARGE_LIMIT, 70)
    assert not ok and "unavailable" in message and CHARGE_LIMIT in message
    assert rig.get(CHARGE_LIMIT) == 80


async def test_read_only_signals_are_refused_before_the_databroker(rig: Rig) -> None:
    ok, message = await rig.command(SOC, 50.0)
    assert not ok and "read-only" in message
    assert rig.broker.actuations == []


async def test_outage_marks_the_car_unavailable_and_it_recovers(broker: FakeDatabroker) -> None:
    # Real time with a short backoff: reconnecting is real gRPC on 127.0.0.1, and the test only awaits handshakes.
    rig = Rig(broker, car_home(broker.url), SystemClock(), backoff_min=0.01, backoff_max=0.05)
    async with asyncio.TaskGroup() as tasks:
        runner = tasks.create_task(rig.adapter.run())
        await rig.available()
        port = broker.port
        await broker.stop()
        await rig.available(False)
        ok, message = await rig.command(CHARGE_LIMIT, 60)
        assert not ok and "unreachable" in message
        broker.publish(SOC, 55.0)  # changed while Hearth could not see it
        await broker.start()
        assert broker.port == port
        await rig.available(True)
        assert rig.get(SOC) == 55.0
        assert await rig.command(CHARGE_LIMIT, 60) == (True, "ok")
        runner.cancel()


async def test_token_is_sent_and_a_wrong_one_keeps_the_car_unavailable() -> None:
    async with FakeDatabroker.for_car(token="s3cret", values={SOC: 30.0}) as broker:
        good = Rig(broker, car_home(broker.url, ", token: s3cret"))
        bad = Rig(broker, car_home(broker.url, ", token: nope"))
        async with asyncio.TaskGroup() as tasks:
            runners = [tasks.create_task(good.adapter.run()), tasks.create_task(bad.adapter.run())]
            await good.available()
            assert good.get(SOC) == 30.0
            async with asyncio.timeout(2):
                assert "refused the token" in await bad.adapter.wait_error("car")
            assert not bad.adapter.available("car")
            ok, message = await bad.command(CHARGE_LIMIT, 50)
            assert not ok and "unreachable" in message
            for runner in runners:
                runner.cancel()


async def test_signals_the_databroker_lacks_are_left_alone() -> None:
    async with FakeDatabroker.for_car(only={SOC, CHARGE_LIMIT}, values={SOC: 12.0}) as broker:
        rig = Rig(broker, car_home(broker.url))
        async with asyncio.TaskGroup() as tasks:
            runner = tasks.create_task(rig.adapter.run())
            await rig.available()
            await broker.wait_subscribed()
            assert rig.get(SOC) == 12.0
            assert rig.get(SPEED) == 0.0  # the catalog default
            runner.cancel()


async def test_a_different_vin_is_refused() -> None:
    vss = {"Vehicle": {"type": "branch", "children": {
        "VehicleIdentification": {"type": "branch", "children": {
            "VIN": {"type": "attribute", "datatype": "string"}}},
        "Speed": {"type": "sensor", "datatype": "float"}}}}
    async with FakeDatabroker.from_vss(vss, values={"Vehicle.VehicleIdentification.VIN": "WVW1"}) as broker:
        right = Rig(broker, car_home(broker.url, ", vin: WVW1"))
        wrong = Rig(broker, car_home(broker.url, ", vin: XYZ9"))
        async with asyncio.TaskGroup() as tasks:
            runners = [tasks.create_task(right.adapter.run()), tasks.create_task(wrong.adapter.run())]
            await right.available()
            async with asyncio.timeout(2):
                assert "'WVW1', not 'XYZ9'" in await wrong.adapter.wait_error("car")
            assert not wrong.adapter.available("car")
            for runner in runners:
                runner.cancel()


@pytest.mark.parametrize(("binding", "error"), [
    ("{url: 'http://x:1'}", "grpc://"),
    ("{url: 'grpc://x:99999'}", "bad port"),
    ("{url: 'grpc://x', colour: red}", "unknown keys"),
    ("{token_env: HEARTH_TEST_UNSET_TOKEN}", "HEARTH_TEST_UNSET_TOKEN"),
])
def test_bad_bindings_are_named(binding: str, error: str) -> None:
    home = parse_home(f"devices:\n  - {{id: car, type: car, adapter: kuksa, binding: {binding}}}\n", "t.yaml")
    with pytest.raises(AdapterError, match=error):
        KuksaBinding.parse(home.devices["car"])


def test_binding_defaults_and_token_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HEARTH_TEST_KUKSA_TOKEN", "abc")
    home = parse_home("devices:\n  - {id: car, type: car, adapter: kuksa, binding: "
                      "{token_env: HEARTH_TEST_KUKSA_TOKEN}}\n", "t.yaml")
    binding = KuksaBinding.parse(home.devices["car"])
    assert (binding.target, binding.tls, binding.metadata) == ("127.0.0.1:55555", False,
                                                               (("authorization", "Bearer abc"),))
    assert "abc" not in repr(binding)


def test_only_cars_bind_to_kuksa() -> None:
    home = parse_home("devices:\n  - {id: lamp, type: light, adapter: kuksa}\n", "t.yaml")
    with pytest.raises(AdapterError, match="cars"):
        KuksaBinding.parse(home.devices["lamp"])
