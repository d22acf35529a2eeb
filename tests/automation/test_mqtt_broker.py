"""MQTT triggers against a real Mosquitto: the MQTT side subscribes the topics the engine asks for and rules
fire on live messages (not on retained ones), once per message even when filters overlap."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from pathlib import Path

import aiomqtt
import pytest

from hearth.adapters.mqtt import LocalMosquitto, MqttConnection, MqttSettings, TopicBridge
from hearth.automation import parse_rules
from hearth.core import FakeClock, RuleFired
from hearth.hub import HubConfig, load_home_or_demo, open_hub

from .conftest import HOME, NOON, Rig, rig

RULES = """
- id: bell
  mode: parallel
  triggers: [{trigger: mqtt, topic: doorbell/front, payload: ring}]
  actions: [{command: {device: porch_light, property: light.on, value: true}}]
- id: any_bell
  mode: parallel
  triggers: [{trigger: mqtt, topic: 'doorbell/#'}]
  actions: [{command: {device: hallway_light, property: light.on, value: true}}]
"""
LATER = """
- id: garage
  mode: parallel
  triggers: [{trigger: mqtt, topic: 'garage/+/contact', value: value_json.contact, payload: false}]
  actions: [{command: {device: garage_light, property: light.on, value: true}}]
"""


@pytest.fixture
def broker(tmp_path: Path) -> Iterator[LocalMosquitto]:
    mosquitto = LocalMosquitto(tmp_path)
    mosquitto.start()
    yield mosquitto
    mosquitto.stop()


class Runs:
    """Ended runs per rule, with a way to wait for the next few."""

    def __init__(self, r: Rig) -> None:
        self.ended: list[str] = []
        self._changed = asyncio.Event()
        r.bus.subscribe(RuleFired, self._fired)

    def _fired(self, ev: RuleFired) -> None:
        if ev.outcome != "started":
            self.ended.append(ev.rule)
            self._changed.set()

    async def wait_for(self, count: int) -> list[str]:
        async with asyncio.timeout(5):
            while len(self.ended) < count:
                self._changed.clear()
                await self._changed.wait()
        return sorted(self.ended)


@asynccontextmanager
async def hub(broker: LocalMosquitto) -> AsyncIterator[tuple[Rig, MqttConnection, Runs]]:
    """The rules in an engine, with the MQTT side following its topics (entered inside the test's own task:
    the engine's task group must be left by the task that entered it)."""
    async with aiomqtt.Client("127.0.0.1", broker.port) as outside:
        await outside.publish("doorbell/front", b"ring", qos=1, retain=True)  # old news when the hub starts
    async with rig(RULES) as r:
        runs = Runs(r)
        conn = MqttConnection(MqttSettings(host="127.0.0.1", port=broker.port, backoff_min=0.05, backoff_max=0.2))
        stop = TopicBridge(conn, r.bus, r.clock).follow(r.engine)
        task = asyncio.create_task(conn.run())
        async with asyncio.timeout(5):
            await conn.wait_connected()
        yield r, conn, runs
        stop()
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task


async def test_live_messages_fire_rules_once_and_retained_ones_do_not(broker: LocalMosquitto) -> None:
    async with hub(broker) as (r, _, runs), aiomqtt.Client("127.0.0.1", broker.port) as outside:
        await outside.publish("doorbell/back", b"ring", qos=1)
        await outside.publish("doorbell/front", b"ring", qos=1)
        await outside.publish("doorbell/side", b"ring", qos=1)  # arrives after any duplicate of the ones before
        assert await runs.wait_for(4) == ["any_bell", "any_bell", "any_bell", "bell"]
        assert r.engine.traces("bell")[0].trigger["topic"] == "doorbell/front"
        assert sorted(r.issued()) == [("hallway_light", "on", True)] * 3 + [("porch_light", "on", True)]


async def test_a_rule_added_at_run_time_is_subscribed(broker: LocalMosquitto) -> None:
    async with hub(broker) as (r, conn, runs):
        r.engine.add(parse_rules(LATER, HOME).rules[0])
        # The connection sends subscriptions before queued messages: the hub hears its own publish.
        conn.publish("garage/side/contact", '{"contact": true}', qos=1)
        conn.publish("garage/side/contact", '{"contact": false}', qos=1)
        assert await runs.wait_for(1) == ["garage"]
        assert r.engine.traces("garage")[0].trigger["value"] is False
        r.engine.remove("garage")
        assert r.engine.mqtt_topics() == {"doorbell/front", "doorbell/#"}


async def test_in_a_hub_the_mqtt_side_follows_the_engines_topics(broker: LocalMosquitto, tmp_path: Path,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HEARTH_MQTT_URL", f"mqtt://127.0.0.1:{broker.port}")
    monkeypatch.setenv("HEARTH_DATA_DIR", str(tmp_path))
    (tmp_path / "rules.yaml").write_text(RULES, encoding="utf-8")
    config = HubConfig(load_home_or_demo(None), clock=FakeClock(NOON), simulate=False, rules=tmp_path / "rules.yaml")
    async with open_hub(config) as hub:
        ended: asyncio.Queue[str] = asyncio.Queue()
        hub.bus.subscribe(RuleFired, lambda ev: ended.put_nowait(ev.rule) if ev.outcome != "started" else None)
        async with asyncio.timeout(5):
            await hub.services["mqtt_connection"].wait_connected()
        async with aiomqtt.Client("127.0.0.1", broker.port) as outside:
            await outside.publish("doorbell/front", b"ring", qos=1)
            async with asyncio.timeout(5):
                assert sorted([await ended.get(), await ended.get()]) == ["any_bell", "bell"]
