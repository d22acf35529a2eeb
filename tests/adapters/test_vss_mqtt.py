"""VSS over MQTT: the topic layout, a car read from its signal topics and driven through `set/`, the twin's
car published in the same layout — in memory and through a real Mosquitto on 127.0.0.1."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import aiomqtt
import pytest

from hearth.adapters.mqtt import LocalMosquitto, MqttConnection, MqttSettings
from hearth.adapters.vss_mqtt import (
    VssMqttAdapter,
    VssMqttPublisher,
    VssPayloadError,
    VssTopics,
    decode_value,
    topics_for,
)
from hearth.core import SYSTEM, Command, FakeClock, StateChanged
from hearth.errors import AdapterError
from hearth.hub import build_core
from hearth.model import parse_home

SOC = "Vehicle.Powertrain.TractionBattery.StateOfCharge.Current"
LIMIT = "Vehicle.Powertrain.TractionBattery.Charging.ChargeLimit"
HOME = "devices:\n  - {id: car, type: car, adapter: vss-mqtt, binding: {topic: garage/ev}}\n"


def test_topics() -> None:
    topics = VssTopics("vss/car")
    assert topics.signal(SOC) == "vss/car/Vehicle/Powertrain/TractionBattery/StateOfCharge/Current"
    assert topics.target(LIMIT) == "vss/car/set/Vehicle/Powertrain/TractionBattery/Charging/ChargeLimit"
    assert topics.path_of(topics.signal(SOC)) == SOC
    assert topics.path_of(topics.target(SOC)) is None
    assert topics.signals == "vss/car/Vehicle/#"
    with pytest.raises(AdapterError):
        VssTopics("vss/+/car")


@pytest.mark.parametrize(("payload", "value"), [(b"42.5", 42.5), (b"true", True), (b'"START"', "START"),
                                                (b'{"value": 7, "ts": 1}', 7)])
def test_payloads(payload: bytes, value: Any) -> None:
    assert decode_value(payload) == value


@pytest.mark.parametrize("payload", [b"{oops", b'{"ts": 1}', b"[1, 2]", b"null"])
def test_bad_payloads(payload: bytes) -> None:
    with pytest.raises(VssPayloadError):
        decode_value(payload)


def test_bindings() -> None:
    home = parse_home("devices:\n  - {id: car, type: car, adapter: vss-mqtt}\n"
                      "  - {id: lamp, type: light, adapter: vss-mqtt}\n"
                      "  - {id: van, type: car, adapter: vss-mqtt, binding: {url: x}}\n", "t.yaml")
    assert topics_for(home.devices["car"]).base == "vss/car"
    with pytest.raises(AdapterError, match="cars"):
        topics_for(home.devices["lamp"])
    with pytest.raises(AdapterError, match="unknown keys"):
        topics_for(home.devices["van"])


class Rig:
    """A car bound to vss-mqtt on an in-memory connection."""

    def __init__(self) -> None:
        self.conn = MqttConnection(MqttSettings())
        self.conn.connected.set()  # publishes wait in the outbox instead of being dropped
        self.clock = FakeClock()
        self.home = parse_home(HOME, "t.yaml")
        self.bus, self.state, self.commands = build_core(self.home, self.clock)
        self.adapter = VssMqttAdapter(self.conn, [self.home.devices["car"]], self.state)
        self.commands.add_adapter(self.adapter)
        self.stop = self.adapter.start()

    def send(self, path: str, payload: bytes) -> None:
        self.conn.deliver(f"garage/ev/{path.replace('.', '/')}", payload)


def test_signals_in_commands_out(caplog: pytest.LogCaptureFixture) -> None:
    rig = Rig()
    rig.send(SOC, b"63.5")
    assert rig.state.get("car", "vehicle", SOC) == 63.5
    rig.send(SOC, b"140")  # outside 0–100
    rig.send(SOC, b"{bad")
    rig.send("Vehicle.No.Such.Signal", b"1")
    assert rig.state.get("car", "vehicle", SOC) == 63.5
    assert "garage/ev/Vehicle/Powertrain/TractionBattery/StateOfCharge/Current: dropped" in caplog.text


async def test_commands_publish_target_values_and_offline_cars_refuse() -> None:
    rig = Rig()
    result = await rig.commands.execute(Command("car", "vehicle", LIMIT, 85), SYSTEM)
    assert result.ok
    sent = rig.conn.take_outbox()
    assert [(m.topic, m.payload, m.qos) for m in sent] == [
        ("garage/ev/set/Vehicle/Powertrain/TractionBattery/Charging/ChargeLimit", b"85", 1)]
    rig.conn.deliver("garage/ev/status", b"offline")
    result = await rig.commands.execute(Command("car", "vehicle", LIMIT, 70), SYSTEM)
    assert not result.ok and "offline" in result.message
    assert rig.conn.take_outbox() == []
    rig.stop()


@pytest.fixture
def mosquitto(tmp_path: Path) -> Iterator[LocalMosquitto]:
    broker = LocalMosquitto(tmp_path)
    broker.start()
    yield broker
    broker.stop()


async def test_the_twins_car_read_by_another_hub_through_mosquitto(mosquitto: LocalMosquitto) -> None:
    settings = MqttSettings(host="127.0.0.1", port=mosquitto.port, backoff_min=0.05, backoff_max=0.2)
    # Hub A: its car (the twin's, here the direct adapter) is published in the VSS layout.
    clock = FakeClock()
    twin_home = parse_home("devices:\n  - {id: car, type: car, state: "
                           "{Vehicle.Cabin.HVAC.AmbientAirTemperature: 25.5}}\n", "twin.yaml")
    bus_a, state_a, _ = build_core(twin_home, clock)
    conn_a = MqttConnection(settings)
    # Hub B: the same car bound with `adapter: vss-mqtt`.
    reader = parse_home("devices:\n  - {id: ev, type: car, adapter: vss-mqtt, binding: {topic: vss/car}}\n", "b")
    bus_b, state_b, commands_b = build_core(reader, clock)
    conn_b = MqttConnection(settings)
    adapter = VssMqttAdapter(conn_b, [reader.devices["ev"]], state_b)
    commands_b.add_adapter(adapter)
    adapter.start()
    seen: asyncio.Future[StateChanged] = asyncio.get_running_loop().create_future()
    bus_b.subscribe_state(lambda e: e.new == 42.0 and not seen.done() and seen.set_result(e), "ev", "vehicle", SOC)
    async with asyncio.TaskGroup() as tasks:
        runners = [tasks.create_task(conn_a.run()), tasks.create_task(conn_b.run())]
        async with asyncio.timeout(5):
            await conn_a.wait_connected()
            await conn_b.wait_connected()
        stop = VssMqttPublisher(conn_a, state_a, bus_a, "car", VssTopics("vss/car")).start()
        state_a.apply("car", "vehicle", SOC, 42.0)
        async with asyncio.timeout(5):
            change = await seen
        assert change.cause == "vss-mqtt"
        # Published before the change, so already here: the current values go out when publishing starts.
        assert state_b.get("ev", "vehicle", "Vehicle.Cabin.HVAC.AmbientAirTemperature") == 25.5
        async with aiomqtt.Client("127.0.0.1", mosquitto.port) as outside:
            await outside.subscribe("vss/car/set/#", qos=1)
            result = await commands_b.execute(Command("ev", "vehicle", LIMIT, 80), SYSTEM)
            assert result.ok
            async with asyncio.timeout(5):
                message = await anext(aiter(outside.messages))
        assert str(message.topic).endswith("Charging/ChargeLimit") and json.loads(message.payload) == 80  # type: ignore[arg-type]
        stop()
        for runner in runners:
            runner.cancel()


def test_logging_names_the_topic(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING)
    rig = Rig()
    rig.send(LIMIT, b'"lots"')
    assert "ChargeLimit: dropped" in caplog.text
