"""Topics other parts of the hub ask to hear (rules' `mqtt` triggers): subscribed on the broker, and each
message published on the bus as an `MqttMessage`, so those parts never import the MQTT adapter."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Protocol

from hearth.adapters.mqtt._connection import MqttConnection, Remove, matches
from hearth.core import Bus, Clock, MqttMessage


class TopicSource(Protocol):
    """Something that listens to MQTT topics through the bus (the automation engine)."""

    def mqtt_topics(self) -> frozenset[str]:
        """The topic filters it listens to now."""
        ...

    def watch_mqtt_topics(self, listener: Callable[[frozenset[str]], None]) -> Remove:
        """Be told the full set of filters whenever it changes; returns the undo."""
        ...


class TopicBridge:
    """Keeps the broker subscribed to a source's topic filters and publishes their messages on the bus."""

    def __init__(self, connection: MqttConnection, bus: Bus, clock: Clock) -> None:
        self._conn, self._bus, self._clock = connection, bus, clock
        self._subs: dict[str, Remove] = {}
        self._order: tuple[str, ...] = ()

    def follow(self, source: TopicSource) -> Remove:
        """Subscribe the source's filters now and whenever they change; the undo unsubscribes them all."""
        self._set(source.mqtt_topics())
        stop = source.watch_mqtt_topics(self._set)

        def remove() -> None:
            stop()
            self._set(frozenset())

        return remove

    @property
    def topics(self) -> frozenset[str]:
        """The filters subscribed now."""
        return frozenset(self._subs)

    def _set(self, topics: frozenset[str]) -> None:
        for gone in [f for f in self._subs if f not in topics]:
            self._subs.pop(gone)()
        for new in sorted(topics - self._subs.keys()):
            self._subs[new] = self._conn.subscribe(new, partial(self._heard, new))
        self._order = tuple(sorted(self._subs))

    def _heard(self, topic_filter: str, topic: str, payload: bytes, retained: bool) -> None:
        # The connection calls the handler of every filter that matches: publish once, from the first of them.
        if len(self._order) > 1 and next((f for f in self._order if matches(f, topic)), None) != topic_filter:
            return
        text = payload.decode("utf-8", errors="replace")
        self._bus.publish(MqttMessage(self._clock.now(), topic, text, retained))
