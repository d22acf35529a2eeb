"""MQTT against a real Mosquitto: discovery, commands with QoS 1, reconnects, and a broker restart."""

from __future__ import annotations

import asyncio
import json
import socket
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import aiomqtt
import pytest

from hearth.adapters.mqtt import LocalMosquitto as Mosquitto
from hearth.adapters.mqtt import MqttAdapter, MqttConnection, MqttSettings
from hearth.core import Bus, Command, FakeClock, StateChanged
from hearth.hub import build_core
from hearth.model import parse_home

BUSES: dict[MqttAdapter, Bus] = {}


@pytest.fixture
def broker(tmp_path: Path) -> Iterator[Mosquitto]:
    mosquitto = Mosquitto(tmp_path, persistence=True)
    mosquitto.start()
    yield mosquitto
    mosquitto.stop()


def settings(broker: Mosquitto, **kw: object) -> MqttSettings:
    return MqttSettings(host="127.0.0.1", port=broker.port, backoff_min=0.05, backoff_max=0.2,
                        publish_timeout=2.0, **kw)  # type: ignore[arg-type]


@pytest.fixture
async def running(broker: Mosquitto) -> AsyncIterator[tuple[MqttConnection, MqttAdapter]]:
    clock = FakeClock()
    bus, state, _ = build_core(parse_home("{}"), clock)
    conn = MqttConnection(settings(broker, status_topic="hearth/test/status", client_id="hearth-test"))
    adapter = MqttAdapter(conn, state, clock, bus)
    BUSES[adapter] = bus
    adapter.start()
    task = asyncio.create_task(conn.run())
    async with asyncio.timeout(5):
        await conn.wait_connected()
    yield conn, adapter
    BUSES.pop(adapter)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task


async def next_message(client: aiomqtt.Client) -> aiomqtt.Message:
    async with asyncio.timeout(5):
        return await anext(aiter(client.messages))


async def test_birth_message_is_retained(broker: Mosquitto, running: tuple[MqttConnection, MqttAdapter]) -> None:
    async with aiomqtt.Client("127.0.0.1", broker.port) as outside:
        await outside.subscribe("hearth/test/status", qos=1)
        msg = await next_message(outside)
    assert msg.payload == b"online" and msg.retain


async def test_last_will_says_offline_when_hearth_vanishes(
    broker: Mosquitto, running: tuple[MqttConnection, MqttAdapter]
) -> None:
    conn, _ = running
    assert conn.will() == aiomqtt.Will("hearth/test/status", b"offline", qos=1, retain=True)
    async with aiomqtt.Client("127.0.0.1", broker.port) as outside:
        await outside.subscribe("hearth/test/status", qos=1)
        assert (await next_message(outside)).payload == b"online"
        # Cut the TCP connection without a DISCONNECT packet, as a crash or a pulled cable would.
        conn._client._client.socket().shutdown(socket.SHUT_RDWR)  # type: ignore[union-attr]
        assert (await next_message(outside)).payload == b"offline"
        # ...and it comes back by itself.
        assert (await next_message(outside)).payload == b"online"


async def test_discovered_device_round_trip(broker: Mosquitto, running: tuple[MqttConnection, MqttAdapter]) -> None:
    _, adapter = running
    seen = asyncio.Event()
    adapter.listen(lambda devices: seen.set() if "plug" in devices else None)
    changed: asyncio.Queue[StateChanged] = asyncio.Queue()
    BUSES[adapter].subscribe(StateChanged, changed.put_nowait)
    async with aiomqtt.Client("127.0.0.1", broker.port) as outside:
        await outside.subscribe("plug/set", qos=1)
        config = {"uniq_id": "plug", "name": "Plug", "stat_t": "plug/state", "cmd_t": "plug/set"}
        await outside.publish("homeassistant/switch/plug/config", json.dumps(config), qos=1, retain=True)
        async with asyncio.timeout(5):
            await seen.wait()
        await outside.publish("plug/state", "ON", qos=1, retain=True)  # the state topic may be subscribed later
        async with asyncio.timeout(5):
            change = await changed.get()
        assert (change.device, change.service, change.property, change.new) == ("plug", "switch", "on", True)
        await adapter.execute(Command("plug", "switch", property="on", value=False), adapter.devices["plug"])
        msg = await next_message(outside)
    assert (str(msg.topic), msg.payload, msg.qos) == ("plug/set", b"OFF", 1)


async def test_no_qos1_command_is_lost_across_a_broker_restart(
    broker: Mosquitto, running: tuple[MqttConnection, MqttAdapter]
) -> None:
    conn, _ = running
    # A persistent receiver: its subscription and queued QoS 1 messages survive in the broker.
    async with aiomqtt.Client("127.0.0.1", broker.port, identifier="receiver", clean_session=False) as receiver:
        await receiver.subscribe("cmd/#", qos=1)
    broker.stop()
    async with asyncio.timeout(5):
        await conn.disconnected.wait()
    for i in range(20):
        conn.publish(f"cmd/{i}", str(i), qos=1)
    assert conn.pending == 20
    broker.start()
    async with asyncio.timeout(10):
        await conn.wait_connected()
    got: set[str] = set()
    async with aiomqtt.Client("127.0.0.1", broker.port, identifier="receiver", clean_session=False) as receiver:
        async with asyncio.timeout(10):
            async for msg in receiver.messages:
                got.add(str(msg.topic))
                if len(got) == 20:
                    break
    assert got == {f"cmd/{i}" for i in range(20)}
    assert conn.connections == 2


async def test_subscriptions_come_back_after_a_restart(
    broker: Mosquitto, running: tuple[MqttConnection, MqttAdapter]
) -> None:
    conn, adapter = running
    broker.stop()
    async with asyncio.timeout(5):
        await conn.disconnected.wait()
    broker.start()
    async with asyncio.timeout(10):
        await conn.wait_connected()
    seen = asyncio.Event()
    adapter.listen(lambda devices: seen.set())
    async with aiomqtt.Client("127.0.0.1", broker.port) as outside:
        await outside.publish("homeassistant/sensor/t/config", json.dumps({"uniq_id": "t", "stat_t": "t/s"}), qos=1)
        async with asyncio.timeout(5):
            await seen.wait()
    assert "t" in adapter.devices


async def test_discovered_device_is_driven_through_the_hub_command_path(
    broker: Mosquitto, monkeypatch: pytest.MonkeyPatch
) -> None:
    from hearth.core import Actor
    from hearth.hub import HubConfig, open_hub

    monkeypatch.setenv("HEARTH_MQTT_URL", f"mqtt://127.0.0.1:{broker.port}")
    monkeypatch.setenv("HEARTH_MQTT_PUBLISH", "0")
    async with open_hub(HubConfig(parse_home("home: {id: flat}"), simulate=False)) as hub:
        adapter: MqttAdapter = hub.services["mqtt"]
        seen = asyncio.Event()
        adapter.listen(lambda devices: seen.set() if "plug" in devices else None)
        async with aiomqtt.Client("127.0.0.1", broker.port) as outside:
            await outside.subscribe("plug/set", qos=1)
            config = {"uniq_id": "plug", "name": "Plug", "stat_t": "plug/state", "cmd_t": "plug/set"}
            await outside.publish("homeassistant/switch/plug/config", json.dumps(config), qos=1, retain=True)
            async with asyncio.timeout(5):
                await seen.wait()
            refused = await hub.execute(Command("plug", "switch", property="on", value="maybe"),
                                        Actor("person", "ann", "adult"))
            assert not refused.ok and "true or false" in refused.message
            result = await hub.execute(Command("plug", "switch", property="on", value=True),
                                       Actor("person", "ann", "adult"))
            assert result.ok, result.message
            msg = await next_message(outside)
        assert (str(msg.topic), msg.payload) == ("plug/set", b"ON")
        assert hub.commands.audit[-1].actor.id == "ann"
