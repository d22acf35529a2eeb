"""The event bus: synchronous dispatch by event type, and keyed dispatch for state changes."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable
from typing import Any, TypeVar

from hearth.core._events import Event, StateChanged

E = TypeVar("E", bound=Event)
Remove = Callable[[], None]
StateKey = tuple[str, str, str]
_ANY = "*"

log = logging.getLogger(__name__)


class Bus:
    """Delivers events to subscribers in the caller's thread, in subscription order.

    Listeners must be quick and must not block: anything slow is handed to a task owned by the listener's
    subsystem. A listener that raises is logged and the others still run.
    """

    __slots__ = ("_by_key", "_by_type")

    def __init__(self) -> None:
        self._by_type: dict[type[Event], list[Callable[[Any], None]]] = {}
        self._by_key: dict[StateKey, list[Callable[[StateChanged], None]]] = {}

    def subscribe(self, kind: type[E], listener: Callable[[E], None]) -> Remove:
        """Call `listener` for every event of exactly this type; returns the undo."""
        listeners = self._by_type.setdefault(kind, [])
        listeners.append(listener)
        return lambda: _discard(listeners, listener)

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
        key = (device, service or _ANY, prop or _ANY)
        listeners = self._by_key.setdefault(key, [])
        listeners.append(listener)

        def remove() -> None:
            _discard(listeners, listener)
            if not listeners and self._by_key.get(key) is listeners:
                del self._by_key[key]

        return remove

    def publish(self, event: Event) -> None:
        """Deliver an event to its type's listeners and, for state changes, the keyed listeners."""
        listeners = self._by_type.get(type(event))
        if listeners:
            for listener in tuple(listeners):
                _call(listener, event)
        if type(event) is StateChanged and self._by_key:
            by_key = self._by_key
            for key in ((event.device, event.service, event.property), (event.device, _ANY, _ANY)):
                keyed = by_key.get(key)
                if keyed:
                    for k_listener in tuple(keyed):
                        _call(k_listener, event)

    def listener_count(self) -> int:
        """How many listeners are attached (for leak checks)."""
        return sum(map(len, self._by_type.values())) + sum(map(len, self._by_key.values()))


def _call(listener: Callable[[Any], None], event: Event) -> None:
    try:
        listener(event)
    except Exception:  # a broken listener must not break the others
        log.exception("listener %r failed on %s", listener, type(event).__name__)


def _discard(listeners: list[Any], listener: Any) -> None:
    with contextlib.suppress(ValueError):
        listeners.remove(listener)
