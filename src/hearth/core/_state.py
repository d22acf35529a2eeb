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
    """Holds every property's value; `apply` is the only way values change, and it publishes the change."""

    __slots__ = ("_bus", "_changed", "_clock", "_history", "_history_len", "_values", "values")

    def __init__(self, bus: Bus, clock: Clock, history_len: int = 256) -> None:
        self._bus = bus
        self._clock = clock
        self._history_len = history_len
        self._values: dict[StateKey, Value] = {}
        self._changed: dict[StateKey, float] = {}
        self._history: dict[StateKey, deque[tuple[float, Value]]] = {}
        self.values: Mapping[StateKey, Value] = MappingProxyType(self._values)

    def load(self, values: Mapping[StateKey, Value], changed: Mapping[StateKey, float] | None = None) -> None:
        """Set starting values without publishing (startup, restore from disk)."""
        now = self._clock.now()
        self._values.update(values)
        for key in values:
            self._changed[key] = changed.get(key, now) if changed else now

    def get(self, device: str, service: str, prop: str) -> Value:
        """Current value; KeyError if the property does not exist."""
        return self._values[(device, service, prop)]

    def last_changed(self, device: str, service: str, prop: str) -> float:
        """When the property last changed value."""
        return self._changed[(device, service, prop)]

    def apply(self, device: str, service: str, prop: str, value: Value, cause: str = "") -> StateChanged | None:
        """Record a reported value; publish and return the change, or None if nothing changed."""
        key = (device, service, prop)
        old = self._values.get(key)
        if old == value and type(old) is type(value):
            return None
        now = self._clock.now()
        self._values[key] = value
        self._changed[key] = now
        hist = self._history.get(key)
        if hist is None:
            hist = self._history[key] = deque(maxlen=self._history_len)
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
