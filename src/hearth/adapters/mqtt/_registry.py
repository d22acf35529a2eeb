"""The devices Hearth discovered over MQTT: entities grouped into devices, their topics and their state."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Mapping
from types import MappingProxyType
from typing import Any

from hearth.adapters.mqtt._connection import MqttConnection, Remove
from hearth.adapters.mqtt._entity import Availability, EntityPlan, Reader, Trigger, as_text, kebab
from hearth.core import Bus, Clock, DeviceEvent, StateStore
from hearth.errors import AdapterError, SpecError
from hearth.model import Device, ServiceSpec, Spec

log = logging.getLogger(__name__)

CAUSE = "mqtt"
Listener = Callable[[Mapping[str, Device]], None]


class DiscoveredDevices:
    """Entities by discovery key, assembled into Hearth devices; subscribes their topics and applies their state."""

    def __init__(self, connection: MqttConnection, state: StateStore, clock: Clock, bus: Bus | None = None) -> None:
        self._conn = connection
        self._state = state
        self._clock = clock
        self._bus = bus
        self._plans: dict[str, EntityPlan] = {}
        self._service_of: dict[str, str] = {}
        self._subs: dict[str, list[Remove]] = {}
        self._devices: dict[str, Device] = {}
        self._available: dict[str, bool] = {}
        self._listeners: list[Listener] = []
        self.devices: Mapping[str, Device] = MappingProxyType(self._devices)
        self.dropped = 0

    def listen(self, listener: Listener) -> Remove:
        """Call `listener(devices)` whenever a device appears, changes or goes; returns the undo."""
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener) if listener in self._listeners else None

    def entity_keys(self, prefix: str = "") -> list[str]:
        """Discovery keys currently known, optionally only those starting with `prefix`."""
        return [k for k in self._plans if k.startswith(prefix)]

    def plan(self, device_id: str, service: str) -> EntityPlan:
        """The entity behind one service of a discovered device."""
        for key, plan in self._plans.items():
            if plan.device.id == device_id and self._service_of[key] == service:
                return plan
        raise AdapterError(f"{device_id} has no discovered service {service!r}")

    def available(self, device_id: str) -> bool | None:
        """What the device's availability topic last said (None if it has none or said nothing yet)."""
        return self._available.get(device_id)

    def add(self, plan: EntityPlan) -> None:
        """Add or replace an entity, subscribe its topics and rebuild its device."""
        old = self._plans.get(plan.key)
        if old is not None:
            self._unsubscribe(plan.key)
        self._plans[plan.key] = plan
        self._service_of[plan.key] = self._service_name(plan)
        service = self._service_of[plan.key]
        subs = self._subs[plan.key] = []
        for topic, reader in plan.readers:
            subs.append(self._conn.subscribe(topic, self._reading(plan.device.id, service, reader), plan.qos))
        for topic, trigger in plan.triggers:
            subs.append(self._conn.subscribe(topic, self._triggering(plan.device.id, service, trigger), plan.qos))
        for avail in plan.availability:
            subs.append(self._conn.subscribe(avail.topic, self._availability(plan.device.id, avail), plan.qos))
        self._rebuild(plan.device.id)
        if old is not None and old.device.id != plan.device.id:
            self._rebuild(old.device.id)

    def remove(self, key: str) -> None:
        """Forget an entity (empty discovery payload); its device goes when its last entity goes."""
        plan = self._plans.pop(key, None)
        if plan is None:
            return
        self._unsubscribe(key)
        self._service_of.pop(key, None)
        self._rebuild(plan.device.id)

    def _unsubscribe(self, key: str) -> None:
        for remove in self._subs.pop(key, ()):
            remove()

    def _service_name(self, plan: EntityPlan) -> str:
        taken = {self._service_of[k] for k, p in self._plans.items()
                 if p.device.id == plan.device.id and k != plan.key and k in self._service_of}
        name = plan.service.name
        if name in taken:
            name = f"{plan.service.name}-{kebab(plan.key.rsplit('/', 1)[-1])}"
        n = 2
        while name in taken:
            name, n = f"{plan.service.name}-{n}", n + 1
        return name

    def _rebuild(self, device_id: str) -> None:
        plans = [(k, p) for k, p in self._plans.items() if p.device.id == device_id]
        if not plans:
            self._devices.pop(device_id, None)
            self._available.pop(device_id, None)
        else:
            info = plans[0][1].device
            services = {}
            for key, plan in plans:
                svc = plan.service
                name = self._service_of[key]
                services[name] = ServiceSpec(name, svc.description, svc.properties, svc.actions, svc.events)
            kind = "zigbee2mqtt" if plans[0][0].startswith("z2m/") else "homeassistant"
            spec = Spec(type=f"mqtt:{info.model or plans[0][1].component}", services=services,
                        description=" ".join(x for x in (info.manufacturer, info.model) if x))
            self._devices[device_id] = Device(device_id, info.name, spec.type, spec, area=None, adapter="mqtt",
                                              binding={"source": kind, "entities": [k for k, _ in plans]})
        snapshot = MappingProxyType(dict(self._devices))
        for listener in tuple(self._listeners):
            listener(snapshot)

    def _reading(self, device_id: str, service: str, reader: Reader) -> Callable[[str, bytes, bool], None]:
        def handle(topic: str, payload: bytes, retained: bool) -> None:
            device = self._devices.get(device_id)
            if device is None:
                return
            try:
                raw = reader(payload)
                svc = device.spec.service(service)
                values = {name: svc.properties[name].validate(value) for name, value in raw.items()
                          if name in svc.properties}
            except (AdapterError, SpecError) as exc:
                self.dropped += 1
                log.warning("mqtt %s: dropped payload %r for %s.%s: %s", topic, payload[:80], device_id, service, exc)
                return
            for name, value in values.items():
                self._state.apply(device_id, service, name, value, cause=CAUSE)

        return handle

    def _triggering(self, device_id: str, service: str, trigger: Trigger) -> Callable[[str, bytes, bool], None]:
        def handle(topic: str, payload: bytes, retained: bool) -> None:
            device = self._devices.get(device_id)
            if retained or device is None or self._bus is None:
                return  # a retained trigger is an old event, not a new one
            name = trigger(payload)
            if name is None:
                return
            if name not in device.spec.service(service).events:
                log.warning("mqtt %s: %s sent unknown event %r", topic, device_id, name)
                return
            self._bus.publish(DeviceEvent(self._clock.now(), device_id, service, name, {}))

        return handle

    def _availability(self, device_id: str, avail: Availability) -> Callable[[str, bytes, bool], None]:
        def handle(topic: str, payload: bytes, retained: bool) -> None:
            try:
                text = as_text(payload)
                if avail.json_key and text.startswith("{"):
                    data: Any = json.loads(text)
                    text = str(data.get(avail.json_key, "")) if isinstance(data, dict) else ""
            except (AdapterError, ValueError) as exc:
                log.warning("mqtt %s: bad availability payload: %s", topic, exc)
                return
            if text not in (avail.online, avail.offline):
                log.warning("mqtt %s: availability %r is neither %r nor %r", topic, text, avail.online,
                            avail.offline)
                return
            online = text == avail.online
            if self._available.get(device_id) != online:
                log.info("mqtt %s is %s", device_id, "online" if online else "offline")
            self._available[device_id] = online

        return handle
