"""An MQTT adapter on an in-memory connection, for tests that need no broker."""

from __future__ import annotations

import json
from typing import Any

from hearth.adapters.mqtt import MqttAdapter, MqttConnection, MqttSettings
from hearth.core import Command, DeviceEvent, FakeClock
from hearth.hub import build_core
from hearth.model import parse_home


class Rig:
    """An adapter on an in-memory connection: messages are delivered by hand, commands land in the outbox."""

    def __init__(self) -> None:
        self.conn = MqttConnection(MqttSettings())
        self.conn.connected.set()  # pretend: publishes queue in the outbox instead of being dropped
        self.clock = FakeClock()
        self.bus, self.state, _ = build_core(parse_home("{}"), self.clock)
        self.adapter = MqttAdapter(self.conn, self.state, self.clock, self.bus)
        self.stop = self.adapter.start()
        self.events: list[DeviceEvent] = []
        self.bus.subscribe(DeviceEvent, self.events.append)

    def send(self, topic: str, payload: Any, retained: bool = False) -> None:
        data = payload if isinstance(payload, bytes) else (
            payload.encode() if isinstance(payload, str) else json.dumps(payload).encode())
        self.conn.deliver(topic, data, retained)

    def discover(self, component: str, object_id: str, config: dict[str, Any]) -> None:
        self.send(f"homeassistant/{component}/{object_id}/config", config, retained=True)

    def value(self, device: str, service: str, prop: str) -> Any:
        return self.state.values.get((device, service, prop))

    async def command(self, device: str, service: str, **kw: Any) -> list[tuple[str, str]]:
        await self.adapter.execute(Command(device, service, **kw), self.adapter.devices[device])
        return [(m.topic, m.payload.decode()) for m in self.conn.take_outbox()]
