"""The event bus: synchronous dispatch by event type, and keyed dispatch for state changes."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any, TypeVar

from hearth.core._events import Event, StateChanged

E = TypeVar("E", bound=Event)
Remove = Callable[[], None]
StateKey = tuple[str, str, str]
Listener = Callable[[Any], None]

log = logging.getLogger(__name__)


class _DeviceListeners:
    """One device's keyed listeners: for the whole device, and per service then property."""

    __slots__ = ("props", "whole")

    def __init__(self) -> None:
        self.whole: list[Listener] = []
        self.props: dict[str, dict[str, list[Listener]]] = {}

    def empty(self) -> bool:
        return not self.whole and not self.props


class Bus:
    """Delivers events to subscribers in the caller's thread, in subscription order.

    Listeners must be quick and must not block: anything slow is handed to a task owned by the listener's
    subsystem. A listener that raises is logged and the others still run.

    Listener lists are copy-on-write: subscribing or removing builds a new list, so `publish` iterates the
    list it found without copying it, and a listener removed during dispatch still sees the event in flight.
    """

    __slots__ = ("_by_device", "_by_type")

    def __init__(self) -> None:
        self._by_type: dict[type[Event], list[Listener]] = {}
        self._by_device: dict[str, _DeviceListeners] = {}

    def subscribe(self, kind: type[E], listener: Callable[[E], None]) -> Remove:
        """Call `listener` for every event of exactly this type; returns the undo."""
        by_type = self._by_type
        by_type[kind] = [*by_type.get(kind, ()), listener]
        removed = False

        def remove() -> None:
            nonlocal removed
            if removed:
                return
            removed = True
            remaining = _without(by_type.get(kind, []), listener)
            if remaining:
                by_type[kind] = remaining
            else:
                by_type.pop(kind, None)

        return remove

    def subscribe_state(
        self,
        listener: Callable[[StateChanged], None],
        device: str,
        service: str | None = None,
        prop: str | None = None,
    ) -> Remove:
        """Call `listener` only for changes of one device, or of one of its properties."""
        if (service is None) != (prop is None):
            raise ValueError("give both service and property, or neither")
        keyed = self._by_device.get(device)
        if keyed is None:
            keyed = self._by_device[device] = _DeviceListeners()
        if service is None or prop is None:
            keyed.whole = [*keyed.whole, listener]
        else:
            props = keyed.props.setdefault(service, {})
            props[prop] = [*props.get(prop, ()), listener]
        removed = False

        def remove() -> None:
            nonlocal removed
            if removed:
                return
            removed = True
            self._unsubscribe_state(listener, device, service, prop)

        return remove

    def _unsubscribe_state(self, listener: Listener, device: str, service: str | None, prop: str | None) -> None:
        keyed = self._by_device.get(device)
        if keyed is None:
            return
        if service is None or prop is None:
            keyed.whole = _without(keyed.whole, listener)
        else:
            props = keyed.props.get(service, {})
            remaining = _without(props.get(prop, []), listener)
            if remaining:
                props[prop] = remaining
            else:
                props.pop(prop, None)
                if not props:
                    keyed.props.pop(service, None)
        if keyed.empty() and self._by_device.get(device) is keyed:
            del self._by_device[device]

    def publish(self, event: Event) -> None:
        """Deliver an event to its type's listeners and, for state changes, the keyed listeners."""
        listeners = self._by_type.get(type(event))
        if listeners is not None:
            for listener in listeners:
                try:
                    listener(event)
                except Exception:  # a broken listener must not break the others
                    _log_failure(listener, event)
        if type(event) is StateChanged:
            keyed = self._by_device.get(event.device)
            if keyed is None:
                return
            whole = keyed.whole  # taken now: a listener subscribed during this dispatch waits for the next event
            props = keyed.props.get(event.service)
            if props is not None:
                for listener in props.get(event.property, ()):
                    try:
                        listener(event)
                    except Exception:  # a broken listener must not break the others
                        _log_failure(listener, event)
            for listener in whole:
                try:
                    listener(event)
                except Exception:  # a broken listener must not break the others
                    _log_failure(listener, event)

    def wants(self, kind: type[Event]) -> bool:
        """Whether anyone listens to events of exactly this type (lets a publisher skip building one)."""
        return kind in self._by_type

    def listener_count(self) -> int:
        """How many listeners are attached (for leak checks)."""
        keyed = sum(
            len(d.whole) + sum(len(lst) for props in d.props.values() for lst in props.values())
            for d in self._by_device.values()
        )
        return sum(map(len, self._by_type.values())) + keyed


def _log_failure(listener: Listener, event: Event) -> None:
    log.exception("listener %r failed on %s", listener, type(event).__name__)


def _without(listeners: list[Listener], listener: Listener) -> list[Listener]:
    """A new list without the first occurrence of `listener` (the original is never changed)."""
    remaining = list(listeners)
    if listener in remaining:
        remaining.remove(listener)
    return remaining
