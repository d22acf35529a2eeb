"""The `vss-mqtt` adapter: a car's VSS signals read from MQTT topics, its actuators set by publishing."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping
from typing import Any, Protocol

from hearth.adapters.vss_mqtt._layout import VssPayloadError, VssTopics, decode_value, encode_value
from hearth.core import Command, StateStore
from hearth.errors import AdapterError, SpecError
from hearth.model import VEHICLE_SERVICE, Device

log = logging.getLogger(__name__)

ADAPTER = "vss-mqtt"
CAUSE = "vss-mqtt"
Handler = Callable[[str, bytes, bool], None]
Remove = Callable[[], None]


class Broker(Protocol):
    """The part of an MQTT connection this needs (`hearth.adapters.mqtt.MqttConnection` has it)."""

    def subscribe(self, topic_filter: str, handler: Handler, qos: int = 1) -> Remove:
        """Call `handler(topic, payload, retained)` for matching messages; returns the undo."""
        ...

    def publish(self, topic: str, payload: bytes | str, qos: int = 0, retain: bool = False) -> None:
        """Queue a message."""
        ...


def topics_for(device: Device) -> VssTopics:
    """A car's topics from its binding `{topic?: base}` (default `vss/<device id>`)."""
    raw: Mapping[str, Any] = device.binding
    unknown = set(raw) - {"topic"}
    if unknown:
        raise AdapterError(f"{device.id}: vss-mqtt binding has unknown keys {sorted(unknown)} (known: topic)")
    if VEHICLE_SERVICE not in device.spec.services:
        raise AdapterError(f"{device.id}: the vss-mqtt adapter drives cars (a `{VEHICLE_SERVICE}` service)")
    try:
        return VssTopics(str(raw.get("topic", f"vss/{device.id}")))
    except AdapterError as exc:
        raise AdapterError(f"{device.id}: {exc}") from None


class VssMqttAdapter:
    """Adapter `vss-mqtt`: follows each bound car's signal topics; commands go out as target values (QoS 1).

    A car whose status topic says `offline` is unavailable: its commands fail at once instead of queueing.
    """

    name = ADAPTER

    def __init__(self, broker: Broker, devices: Iterable[Device], state: StateStore) -> None:
        self._broker = broker
        self._state = state
        self.cars = {d.id: (d, topics_for(d)) for d in devices}
        self.online: dict[str, bool] = {}

    def start(self) -> Remove:
        """Subscribe to every car's signals and status; returns the undo."""
        removes: list[Remove] = []
        for device_id, (_, topics) in self.cars.items():
            removes.append(self._broker.subscribe(topics.signals, self._signal_handler(device_id)))
            removes.append(self._broker.subscribe(topics.status, self._status_handler(device_id)))

        def stop() -> None:
            for remove in removes:
                remove()

        return stop

    async def execute(self, command: Command, device: Device) -> None:
        """Publish the actuator's target value; the car's own signal topic confirms it."""
        if device.id not in self.cars:
            raise AdapterError(f"{device.name} is not bound to the vss-mqtt adapter")
        if command.property is None or command.service != VEHICLE_SERVICE:
            raise AdapterError(f"{device.name}: a VSS car takes actuator values, not {command.target!r}")
        if self.online.get(device.id) is False:
            raise AdapterError(f"{device.name} is offline (its status topic says so)")
        topics = self.cars[device.id][1]
        self._broker.publish(topics.target(command.property), encode_value(command.value), qos=1)

    def _signal_handler(self, device_id: str) -> Handler:
        def handle(topic: str, payload: bytes, retained: bool) -> None:
            self.deliver(device_id, topic, payload)

        return handle

    def _status_handler(self, device_id: str) -> Handler:
        def handle(topic: str, payload: bytes, retained: bool) -> None:
            state = payload.decode(errors="replace").strip().lower()
            if state in ("online", "offline"):
                self.online[device_id] = state == "online"

        return handle

    def deliver(self, device_id: str, topic: str, payload: bytes) -> bool:
        """Apply one signal message; a malformed one is logged with its topic and dropped. True if applied."""
        device, topics = self.cars[device_id]
        path = topics.path_of(topic)
        prop = device.spec.services[VEHICLE_SERVICE].properties.get(path or "")
        if path is None or prop is None or not payload.strip():
            return False
        try:
            value = prop.validate(decode_value(payload))
        except (VssPayloadError, SpecError) as exc:
            log.warning("vss-mqtt %s: dropped: %s", topic, exc)
            return False
        self.online.setdefault(device_id, True)
        self._state.apply(device_id, VEHICLE_SERVICE, path, value, cause=CAUSE)
        return True
