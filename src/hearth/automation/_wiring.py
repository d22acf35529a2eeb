"""Shared indexes from the bus to triggers, as in Home Assistant's event helpers: one bus listener for state
changes, a dict from (device, service, property) to the triggers watching it, and inside that a dict from value
to the triggers waiting for that value. Cost per event follows the rules that match it, not how many rules
exist, and a watched property costs a few small objects (a bus subscription per property would cost about
1 kB each: 10 MB for 10,000 rules). Device events and webhooks are keyed by device and webhook id, MQTT
messages by topic filter. Every attachment returns its undo.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

from hearth.automation._conditions import Context
from hearth.automation._mqtt import TopicIndex
from hearth.core import Bus, DeviceEvent, MqttMessage, StateChanged, WebhookReceived
from hearth.core import Remove as Remove
from hearth.model import Value

Fire = Callable[[int, object], None]
Listener = Callable[[Any], None]
StateKey = tuple[str, str, str]
TopicsListener = Callable[[frozenset[str]], None]
_ANY: Any = object()


class _Slot:
    __slots__ = ("any", "by_value")

    def __init__(self) -> None:
        self.any: tuple[Listener, ...] = ()
        self.by_value: dict[Value, tuple[Listener, ...]] | None = None


class Wiring:
    """Shared indexes from the bus to triggers: by property (and value), by device event, webhook, camera."""

    def __init__(self, ctx: Context, bus: Bus) -> None:
        self.ctx = ctx
        self.bus = bus
        self._slots: dict[StateKey, _Slot] = {}
        self._state_remove: Remove | None = None
        self._typed: dict[type[Any], dict[str, tuple[Listener, ...]]] = {}
        self._typed_removers: list[Remove] = []
        self._topics = TopicIndex()
        self._mqtt_remove: Remove | None = None
        self._topic_watchers: tuple[TopicsListener, ...] = ()

    def on_state(self, key: StateKey, listener: Callable[[StateChanged], None], value: Any = _ANY) -> Remove:
        """Call `listener` when the property changes (to `value`, when given)."""
        if self._state_remove is None:
            self._state_remove = self.bus.subscribe(StateChanged, self._changed)
        slot = self._slots.get(key)
        if slot is None:
            slot = self._slots[key] = _Slot()
        if value is _ANY:
            slot.any = (*slot.any, listener)
        else:
            if slot.by_value is None:
                slot.by_value = {}
            slot.by_value[value] = (*slot.by_value.get(value, ()), listener)

        return partial(self._off, key, slot, listener, value)  # a partial is far smaller than a closure

    def _off(self, key: StateKey, slot: _Slot, listener: Callable[[StateChanged], None], value: Any) -> None:
        if value is _ANY:
            slot.any = _without(slot.any, listener)
        elif slot.by_value is not None:
            rest = _without(slot.by_value.get(value, ()), listener)
            if rest:
                slot.by_value[value] = rest
            else:
                slot.by_value.pop(value, None)
        if not slot.any and not slot.by_value and self._slots.get(key) is slot:
            del self._slots[key]

    def _changed(self, event: StateChanged) -> None:
        slot = self._slots.get((event.device, event.service, event.property))
        if slot is not None:
            _dispatch(slot, event)

    def on_event(self, kind: type[Any], key: str, listener: Listener) -> Remove:
        """Call `listener` for events of `kind` whose key (device, webhook id; '' = any) matches."""
        table = self._typed.get(kind)
        if table is None:
            table = self._typed[kind] = {}
            self._typed_removers.append(self.bus.subscribe(kind, partial(_dispatch_typed, table, _key_of(kind))))
        table[key] = (*table.get(key, ()), listener)

        def remove() -> None:
            rest = _without(table.get(key, ()), listener)
            if rest:
                table[key] = rest
            else:
                table.pop(key, None)

        return remove

    def on_mqtt(self, topic_filter: str, listener: Callable[[MqttMessage], None]) -> Remove:
        """Call `listener` for MQTT messages on topics matching the filter (`+` and `#` wildcards)."""
        if self._mqtt_remove is None:
            self._mqtt_remove = self.bus.subscribe(MqttMessage, self._heard)
        if self._topics.add(topic_filter, listener):
            self._topics_changed()

        def remove() -> None:
            if self._topics.remove(topic_filter, listener):
                self._topics_changed()

        return remove

    def _heard(self, message: MqttMessage) -> None:
        for listener in self._topics.match(message.topic):
            listener(message)

    def mqtt_topics(self) -> frozenset[str]:
        """The topic filters MQTT triggers are listening to."""
        return self._topics.filters()

    def watch_mqtt_topics(self, listener: TopicsListener) -> Remove:
        """Call `listener` with all topic filters whenever one is added or dropped."""
        self._topic_watchers = (*self._topic_watchers, listener)

        def remove() -> None:
            self._topic_watchers = _without(self._topic_watchers, listener)

        return remove

    def _topics_changed(self) -> None:
        topics = self._topics.filters()
        for watcher in self._topic_watchers:
            watcher(topics)

    def watched(self) -> int:
        """How many properties triggers are watching (for leak checks)."""
        return len(self._slots)

    def close(self) -> None:
        """Detach from the bus."""
        if self._state_remove is not None:
            self._state_remove()
            self._state_remove = None
        self._slots.clear()
        for remove in self._typed_removers:
            remove()
        self._typed_removers.clear()
        self._typed.clear()
        if self._mqtt_remove is not None:
            self._mqtt_remove()
            self._mqtt_remove = None
        self._topics.clear()


def _without(items: tuple[Any, ...], listener: Any) -> tuple[Any, ...]:
    found = list(items)
    if listener in found:
        found.remove(listener)
    return tuple(found)


def _dispatch(slot: _Slot, event: StateChanged) -> None:
    for listener in slot.any:
        listener(event)
    by_value = slot.by_value
    if by_value:
        matched = by_value.get(event.new)
        if matched:
            for listener in matched:
                listener(event)


def _key_of(kind: type[Any]) -> Callable[[Any], str]:
    if kind is DeviceEvent:
        return lambda e: str(e.device)
    if kind is WebhookReceived:
        return lambda e: str(e.webhook)
    return lambda e: ""


def _dispatch_typed(table: dict[str, tuple[Listener, ...]], key_of: Callable[[Any], str], event: Any) -> None:
    key = key_of(event)
    for listener in table.get(key, ()):
        listener(event)
    if key:
        for listener in table.get("", ()):
            listener(event)


class Attached:
    """A trigger wired to the bus or clock: remove it, or resume a `for:` hold after a restart."""

    __slots__ = ("_removers", "_resume")

    def __init__(self, removers: list[Remove], resume: Callable[[str, float, dict[str, Any]], bool] | None = None):
        self._removers: tuple[Remove, ...] = tuple(removers)
        self._resume = resume

    def remove(self) -> None:
        """Detach."""
        removers, self._removers = self._removers, ()
        for remove in removers:
            remove()

    def resume_hold(self, device: str, due: float, payload: dict[str, Any]) -> bool:
        """Re-arm a persisted hold if its state still holds; False when it no longer does."""
        return self._resume(device, due, payload) if self._resume else False
