"""Publish a home's devices over MQTT, take commands from MQTT, and optionally announce them to Home Assistant.

Topic layout (all values JSON; `<root>` defaults to `hearth`):

- `<root>/<home>/status` — `online` / `offline` (retained; birth and last will)
- `<root>/<home>/<device>/<service>/<property>` — current value (retained)
- `<root>/<home>/<device>/<service>/<property>/set` — write a value: `42`, `true`, `"Cool"` (or bare `Cool`),
  or `{"value": …, "confirmed": true}` for a risky change
- `<root>/<home>/<device>/<service>/<action>/call` — call an action: `{}` or `{"arg": value, …}`
- `<root>/<home>/result` — one JSON object per command taken from MQTT: `id`, `device`, `ok`, `message`
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Mapping
from typing import Any

from hearth.adapters.mqtt._adapter import ORIGIN
from hearth.adapters.mqtt._connection import MqttConnection, Remove
from hearth.core import Actor, Bus, Command, CommandPath, StateChanged, StateStore
from hearth.errors import HearthError
from hearth.model import Device, Format, Home, PropertySpec, Value

log = logging.getLogger(__name__)

MQTT_ACTOR = Actor("agent", "mqtt", "adult")


def _dump(value: Any) -> bytes:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode()


class MqttPublisher:
    """Mirrors state to MQTT and turns `/set` and `/call` messages into commands on the command path.

    Commands wait in a bounded queue of `queue_size`; when it is full a new command is refused with a result
    message rather than waiting, so a flood cannot build an unbounded backlog.
    """

    def __init__(
        self,
        connection: MqttConnection,
        home: Home,
        state: StateStore,
        bus: Bus,
        commands: CommandPath,
        *,
        root: str = "hearth",
        actor: Actor = MQTT_ACTOR,
        ha_discovery: bool = False,
        discovery_prefix: str = "homeassistant",
        queue_size: int = 1000,
    ) -> None:
        self._conn = connection
        self.home = home
        self._state = state
        self._bus = bus
        self._commands = commands
        self.base = f"{root}/{home.id}"
        self.actor = actor
        self.ha_discovery = ha_discovery
        self.discovery_prefix = discovery_prefix
        self._queue: asyncio.Queue[Command] = asyncio.Queue(queue_size)
        self._devices = {d.id: d for d in home.devices.values() if d.adapter != "mqtt"}

    @property
    def status_topic(self) -> str:
        """Where birth and last-will messages go."""
        return f"{self.base}/status"

    def state_topic(self, device: str, service: str, prop: str) -> str:
        """The retained value topic of one property."""
        return f"{self.base}/{device}/{service}/{prop}"

    def start(self) -> Remove:
        """Publish every current value (and discovery configs), then follow changes and listen for commands."""
        removes = [
            self._bus.subscribe(StateChanged, self._on_change),
            self._conn.subscribe(f"{self.base}/+/+/+/set", self._on_set),
            self._conn.subscribe(f"{self.base}/+/+/+/call", self._on_call),
        ]
        for (device, service, prop), value in list(self._state.values.items()):
            if device in self._devices:
                self._conn.publish(self.state_topic(device, service, prop), _dump(value), qos=1, retain=True)
        if self.ha_discovery:
            for dev in self._devices.values():
                for topic, config in discovery_configs(self, dev):
                    self._conn.publish(topic, _dump(config), qos=1, retain=True)

        def stop() -> None:
            for remove in removes:
                remove()

        return stop

    async def run(self) -> None:
        """Execute queued commands one by one until cancelled."""
        while True:
            command = await self._queue.get()
            result = await self._commands.execute(command, self.actor)
            if not result.ok:
                log.info("mqtt command %s refused: %s", command.describe(), result.message)
            self._conn.publish(f"{self.base}/result", _dump({"id": command.id, "device": command.device,
                                                               "ok": result.ok, "message": result.message}), qos=1)

    def _on_change(self, event: StateChanged) -> None:
        if event.device in self._devices:
            self._conn.publish(self.state_topic(event.device, event.service, event.property), _dump(event.new),
                               qos=0, retain=True)

    def _on_set(self, topic: str, payload: bytes, retained: bool) -> None:
        if retained:
            return  # a retained command is stale: never replay it
        device, service, prop = topic[len(self.base) + 1:].split("/")[:3]
        try:
            body = _parse(payload)
        except ValueError as exc:
            self._refuse(topic, str(exc))
            return
        confirmed = False
        if isinstance(body, Mapping) and "value" in body:
            confirmed, body = bool(body.get("confirmed", False)), body["value"]
        self._enqueue(topic, device, service, property=prop, value=body, confirmed=confirmed)

    def _on_call(self, topic: str, payload: bytes, retained: bool) -> None:
        if retained:
            return
        device, service, action = topic[len(self.base) + 1:].split("/")[:3]
        try:
            body = _parse(payload) if payload.strip() else {}
        except ValueError as exc:
            self._refuse(topic, str(exc))
            return
        if not isinstance(body, Mapping):
            self._refuse(topic, "action arguments must be a JSON object")
            return
        confirmed = bool(body.get("confirmed", False))
        args = {k: v for k, v in body.items() if k != "confirmed"}
        self._enqueue(topic, device, service, action=action, args=args, confirmed=confirmed)

    def _enqueue(self, topic: str, device: str, service: str, **kw: Any) -> None:
        try:
            command = Command(device, service, **kw)
        except HearthError as exc:
            self._refuse(topic, str(exc))
            return
        try:
            self._queue.put_nowait(command)
        except asyncio.QueueFull:
            self._refuse(topic, "too many commands waiting; try again shortly")

    def _refuse(self, topic: str, reason: str) -> None:
        log.warning("mqtt %s: command ignored: %s", topic, reason)
        self._conn.publish(f"{self.base}/result", _dump({"topic": topic, "ok": False, "message": reason}), qos=1)


def _parse(payload: bytes) -> Any:
    try:
        text = payload.decode("utf-8").strip()
    except UnicodeDecodeError:
        raise ValueError("payload is not UTF-8 text") from None
    if not text:
        raise ValueError("empty payload")
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return text  # a bare word, e.g. Cool


def _component(prop: PropertySpec) -> str | None:
    if prop.choices:
        return "select" if prop.writable else "sensor"
    if prop.format is Format.BOOL:
        return "switch" if prop.writable else "binary_sensor"
    if prop.format in (Format.INT, Format.FLOAT):
        return "number" if prop.writable and prop.range is not None else "sensor"
    return None if prop.writable else "sensor"


def discovery_configs(pub: MqttPublisher, device: Device) -> list[tuple[str, dict[str, Any]]]:
    """Home Assistant discovery configs (topic, payload) announcing one Hearth device."""
    node = f"hearth_{pub.home.id}"
    area = pub.home.areas.get(device.area or "")
    dev = {"ids": [f"{node}_{device.id}"], "name": device.name, "mf": "Hearth", "mdl": device.type,
           **({"sa": area.name} if area else {})}
    common = {"dev": dev, "o": {"name": ORIGIN}, "avty_t": pub.status_topic}
    out: list[tuple[str, dict[str, Any]]] = []
    for svc, prop in device.spec.iter_properties():
        component = _component(prop)
        if component is None:
            continue
        state = pub.state_topic(device.id, svc, prop.name)
        object_id = f"{device.id}_{svc}_{prop.name}".replace("-", "_").replace(".", "_")
        config: dict[str, Any] = {**common, "name": f"{svc} {prop.name}", "uniq_id": f"{node}_{object_id}",
                                  "stat_t": state}
        if prop.format is not Format.BOOL:
            config["val_tpl"] = "{{ value_json }}"
        if prop.writable:
            config["cmd_t"] = f"{state}/set"
        config.update(_extra(component, prop))
        out.append((f"{pub.discovery_prefix}/{component}/{node}/{object_id}/config", config))
    for svc_name, service in device.spec.services.items():
        for action in service.actions.values():
            if action.inputs:
                continue
            object_id = f"{device.id}_{svc_name}_{action.name}".replace("-", "_")
            out.append((f"{pub.discovery_prefix}/button/{node}/{object_id}/config", {
                **common, "name": f"{svc_name} {action.name}", "uniq_id": f"{node}_{object_id}",
                "cmd_t": f"{pub.base}/{device.id}/{svc_name}/{action.name}/call", "pl_prs": "{}"}))
    return out


def _extra(component: str, prop: PropertySpec) -> dict[str, Value | list[str]]:
    if component in ("switch", "binary_sensor"):
        return {"pl_on": "true", "pl_off": "false", "stat_on": "true", "stat_off": "false"}
    if component == "select":
        return {"ops": [c.description for c in prop.choices]}
    extra: dict[str, Value | list[str]] = {}
    if prop.unit:
        extra["unit_of_meas"] = prop.unit
    if component == "number" and prop.range is not None:
        extra.update({"min": prop.range.min, "max": prop.range.max, "step": prop.range.step or 1})
    return extra
