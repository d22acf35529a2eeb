"""Publishing Hearth's devices over MQTT: state topics, `/set` and `/call` commands, Home Assistant discovery."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiomqtt
import pytest

from hearth.adapters.mqtt import LocalMosquitto as Mosquitto
from hearth.adapters.mqtt import MqttConnection, MqttPublisher, MqttSettings, discovery_configs, expand_config
from hearth.core import AuditRecorded, FakeClock
from hearth.hub import build_core
from hearth.model import parse_home

HOME = """
home: {id: flat, name: Flat}
areas: [{id: living, name: Living room}]
devices:
  - {id: lamp, name: Lamp, type: light, area: living, state: {on: false, brightness: 40}}
  - {id: ac, name: AC, type: air-conditioner, area: living}
  - {id: door, name: Door, type: lock}
  - {id: robot, name: Robot, type: vacuum}
"""


class Rig:
    def __init__(self, **kw: Any) -> None:
        self.conn = MqttConnection(MqttSettings())
        self.conn.connected.set()
        self.home = parse_home(HOME)
        self.clock = FakeClock()
        self.bus, self.state, self.commands = build_core(self.home, self.clock)
        self.pub = MqttPublisher(self.conn, self.home, self.state, self.bus, self.commands, **kw)
        self.audits: asyncio.Queue[AuditRecorded] = asyncio.Queue()
        self.bus.subscribe(AuditRecorded, self.audits.put_nowait)

    def sent(self) -> dict[str, Any]:
        return {m.topic: json.loads(m.payload) for m in self.conn.take_outbox()}

    async def command(self, topic: str, payload: bytes, retained: bool = False) -> AuditRecorded:
        self.conn.deliver(topic, payload, retained)
        async with asyncio.timeout(2):
            return await self.audits.get()


@pytest.fixture
async def rig() -> AsyncIterator[Rig]:
    r = Rig()
    r.pub.start()
    task = asyncio.create_task(r.pub.run())
    yield r
    task.cancel()


async def test_current_values_are_published_retained(rig: Rig) -> None:
    sent = rig.sent()
    assert sent["hearth/flat/lamp/light/brightness"] == 40
    assert sent["hearth/flat/ac/air-conditioner/mode"] == "Auto"
    rig.state.apply("lamp", "light", "on", True)
    assert rig.sent() == {"hearth/flat/lamp/light/on": True}


async def test_set_runs_through_the_command_path(rig: Rig) -> None:
    rig.sent()
    audit = await rig.command("hearth/flat/lamp/light/brightness/set", b"75")
    assert audit.ok and rig.state.get("lamp", "light", "brightness") == 75
    assert audit.actor.id == "mqtt"
    sent = rig.sent()
    assert sent["hearth/flat/lamp/light/brightness"] == 75
    assert sent["hearth/flat/result"]["ok"] is True
    audit = await rig.command("hearth/flat/ac/air-conditioner/mode/set", b"Cool")  # a bare word is text
    assert audit.ok and rig.state.get("ac", "air-conditioner", "mode") == "Cool"


async def test_refusals_are_reported_and_change_nothing(rig: Rig) -> None:
    rig.sent()
    audit = await rig.command("hearth/flat/lamp/light/brightness/set", b"250")
    assert not audit.ok and "outside" in audit.message
    assert rig.state.get("lamp", "light", "brightness") == 40
    result = rig.sent()["hearth/flat/result"]
    assert result["ok"] is False and "outside" in result["message"]
    audit = await rig.command("hearth/flat/door/lock/locked/set", b"false")
    assert not audit.ok and rig.state.get("door", "lock", "locked") is True  # unlocking needs confirmation
    audit = await rig.command("hearth/flat/door/lock/locked/set", b'{"value": false, "confirmed": true}')
    assert audit.ok and rig.state.get("door", "lock", "locked") is False


async def test_bad_payloads_and_retained_commands_are_ignored(rig: Rig, caplog: pytest.LogCaptureFixture) -> None:
    rig.sent()
    rig.conn.deliver("hearth/flat/lamp/light/on/set", b"true", retained=True)
    rig.conn.deliver("hearth/flat/lamp/light/on/set", b"\xff")
    rig.conn.deliver("hearth/flat/robot/vacuum/start-sweep/call", b"[1]")
    assert rig.audits.empty()
    assert "not UTF-8" in caplog.text and "must be a JSON object" in caplog.text
    assert [r["ok"] for t, r in rig.sent().items() if t == "hearth/flat/result"] == [False]


async def test_actions_are_called(rig: Rig) -> None:
    audit = await rig.command("hearth/flat/robot/vacuum/start-room-sweep/call", b'{"clean-area": "kitchen"}')
    assert audit.ok and audit.target == "start-room-sweep" and audit.value == {"clean-area": "kitchen"}


def test_home_assistant_discovery_configs() -> None:
    rig = Rig(ha_discovery=True)
    configs = dict(discovery_configs(rig.pub, rig.home.devices["lamp"]))
    on = expand_config(configs["homeassistant/switch/hearth_flat/lamp_light_on/config"])
    assert on["state_topic"] == "hearth/flat/lamp/light/on" and on["command_topic"] == "hearth/flat/lamp/light/on/set"
    assert (on["payload_on"], on["state_on"]) == ("true", "true")
    assert on["device"]["suggested_area"] == "Living room" and on["origin"]["name"] == "Hearth"
    bri = expand_config(configs["homeassistant/number/hearth_flat/lamp_light_brightness/config"])
    assert (bri["min"], bri["max"], bri["unit_of_measurement"]) == (1, 100, "percentage")
    mode = expand_config(dict(discovery_configs(rig.pub, rig.home.devices["ac"]))[
        "homeassistant/select/hearth_flat/ac_air_conditioner_mode/config"])
    assert mode["options"][:2] == ["Auto", "Cool"]
    buttons = [t for t, _ in discovery_configs(rig.pub, rig.home.devices["robot"]) if "/button/" in t]
    assert "homeassistant/button/hearth_flat/robot_vacuum_start_sweep/config" in buttons
    assert not any("start_room_sweep" in t for t in buttons)  # it needs an argument
    rig.pub.start()
    assert any(t.startswith("homeassistant/") for t in rig.sent())


async def test_end_to_end_over_a_real_broker(tmp_path: Path) -> None:
    broker = Mosquitto(tmp_path)
    broker.start()
    try:
        home = parse_home(HOME)
        clock = FakeClock()
        bus, state, commands = build_core(home, clock)
        conn = MqttConnection(MqttSettings(host="127.0.0.1", port=broker.port, status_topic="hearth/flat/status"))
        pub = MqttPublisher(conn, home, state, bus, commands)
        pub.start()
        async with asyncio.TaskGroup() as tasks:
            runners = [tasks.create_task(conn.run()), tasks.create_task(pub.run())]
            async with aiomqtt.Client("127.0.0.1", broker.port) as outside:
                await outside.subscribe("hearth/flat/lamp/light/on", qos=1)
                async with asyncio.timeout(5):
                    first = await anext(aiter(outside.messages))
                    assert first.payload == b"false"  # retained, or live if it raced the subscription
                    await outside.publish("hearth/flat/lamp/light/on/set", b"true", qos=1)
                    second = await anext(aiter(outside.messages))
                assert second.payload == b"true"
            assert state.get("lamp", "light", "on") is True
            for runner in runners:
                runner.cancel()
    finally:
        broker.stop()
