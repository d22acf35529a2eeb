"""The state store: current values, when each last changed, and a bounded history per property."""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Mapping
from types import MappingProxyType

from hearth.core._bus import Bus
from hearth.core._clock import Clock
from hearth.core._events import StateChanged
from hearth.model import Value

StateKey = tuple[str, str, str]


class StateStore:
    """Holds every property's value; `apply` is the only way values change, and it publishes the change.

    Memory is spent only where something happened: a property gets its own last-changed time and its
    history deque on its first change, so a large home that sits still costs little more than its values.
    """

    __slots__ = ("_bus", "_changed", "_clock", "_history", "_history_len", "_loaded_at", "_values", "values")

    def __init__(self, bus: Bus, clock: Clock, history_len: int = 256) -> None:
        self._bus = bus
        self._clock = clock
        self._history_len = history_len
        self._values: dict[StateKey, Value] = {}
        # Last change per key; keys missing here last changed when the first plain `load` ran.
        self._changed: dict[StateKey, float] = {}
        self._loaded_at: float | None = None
        self._history: dict[StateKey, deque[tuple[float, Value]]] = {}
        self.values: Mapping[StateKey, Value] = MappingProxyType(self._values)

    def load(self, values: Mapping[StateKey, Value], changed: Mapping[StateKey, float] | None = None) -> None:
        """Set starting values without publishing (startup, restore from disk)."""
        now = self._clock.now()
        if self._loaded_at is None and not changed and not self._values:
            self._loaded_at = now
            self._values.update(values)
            return
        self._values.update(values)
        if changed:
            for key in values:
                self._changed[key] = changed.get(key, now)
        else:
            self._changed.update(dict.fromkeys(values, now))

    def get(self, device: str, service: str, prop: str) -> Value:
        """Current value; KeyError if the property does not exist."""
        return self._values[(device, service, prop)]

    def last_changed(self, device: str, service: str, prop: str) -> float:
        """When the property last changed value."""
        key = (device, service, prop)
        changed = self._changed.get(key)
        if changed is not None:
            return changed
        if self._loaded_at is None or key not in self._values:
            raise KeyError(key)
        return self._loaded_at

    def apply(self, device: str, service: str, prop: str, value: Value, cause: str = "") -> StateChanged | None:
        """Record a reported value; publish and return the change, or None if nothing changed."""
        key = (device, service, prop)
        values = self._values
        old = values.get(key)
        if old == value and type(old) is type(value):
            return None
        now = self._clock.now()
        values[key] = value
        self._changed[key] = now
        hist = self._history.get(key)
        if hist is None:
            self._history[key] = deque(((now, value),), self._history_len)
        else:
            hist.append((now, value))
        event = StateChanged(now, device, service, prop, old, value, cause)
        self._bus.publish(event)
        return event

    def history(self, device: str, service: str, prop: str, since: float = 0.0) -> list[tuple[float, Value]]:
        """Recent (time, value) pairs kept in memory, oldest first."""
        return [item for item in self._history.get((device, service, prop), ()) if item[0] >= since]

    def device_state(self, device: str) -> dict[tuple[str, str], Value]:
        """All of one device's values keyed by (service, property)."""
        return {(s, p): v for (d, s, p), v in self._values.items() if d == device}

    def keys(self) -> Iterable[StateKey]:
        """Every known property address."""
        return self._values.keys()
