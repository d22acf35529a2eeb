"""Publish a Hearth car (the twin's, or any) in the VSS-over-MQTT layout, for tools that read cars that way."""

from __future__ import annotations

from collections.abc import Callable

from hearth.adapters.vss_mqtt._adapter import Broker
from hearth.adapters.vss_mqtt._layout import VssTopics, encode_value
from hearth.core import Bus, StateChanged, StateStore
from hearth.model import VEHICLE_SERVICE

Remove = Callable[[], None]


class VssMqttPublisher:
    """Publishes every signal of one car, retained, now and whenever it changes."""

    def __init__(self, broker: Broker, state: StateStore, bus: Bus, device: str, topics: VssTopics) -> None:
        self._broker, self._state, self._bus = broker, state, bus
        self.device, self.topics = device, topics

    def start(self) -> Remove:
        """Publish the current values and follow changes; returns the undo."""
        for (device, service, path), value in list(self._state.values.items()):
            if device == self.device and service == VEHICLE_SERVICE:
                self._send(path, value)
        self._broker.publish(self.topics.status, b"online", qos=1, retain=True)
        return self._bus.subscribe_state(self._on_change, self.device)

    def _on_change(self, event: StateChanged) -> None:
        if event.service == VEHICLE_SERVICE:
            self._send(event.property, event.new)

    def _send(self, path: str, value: object) -> None:
        if isinstance(value, bool | int | float | str):
            self._broker.publish(self.topics.signal(path), encode_value(value), qos=0, retain=True)
