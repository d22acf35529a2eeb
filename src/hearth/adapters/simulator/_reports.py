"""How the twin's devices report: read and write the state store, emit device events."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from hearth.core import Bus, Clock, DeviceEvent, StateStore
from hearth.model import Device, Value

CAUSE = "simulator"


class Reports:
    """The twin's one way to the hub: values go through `StateStore.apply`, events onto the bus."""

    def __init__(self, state: StateStore, bus: Bus, clock: Clock, devices: Mapping[str, Device]) -> None:
        self.state, self.bus, self.clock, self.devices = state, bus, clock, devices
        self._by_type: dict[tuple[str, str | None], list[str]] = {}
        for dev in devices.values():  # the home does not change while it runs: index once
            self._by_type.setdefault((dev.type, None), []).append(dev.id)
            if dev.area is not None:
                self._by_type.setdefault((dev.type, dev.area), []).append(dev.id)

    def get(self, dev: str, svc: str, prop: str) -> Value:
        """A property's current value, or "" when the device does not have it."""
        return self.state.values.get((dev, svc, prop), "")

    def num(self, dev: str, svc: str, prop: str, default: float) -> float:
        """A numeric property's value, or `default`."""
        return num(self.get(dev, svc, prop), default)

    def getter(self, dev: str, svc: str = "vehicle") -> Callable[[str], Value]:
        """Read properties of one service of one device by name."""
        return lambda prop: self.get(dev, svc, prop)

    def set(self, dev: str, svc: str, prop: str, value: Value, cause: str = CAUSE) -> None:
        """Report a value; properties the device does not have are ignored (custom types)."""
        if (dev, svc, prop) in self.state.values:
            self.state.apply(dev, svc, prop, value, cause)

    def event(self, dev: str, svc: str, name: str, arguments: Mapping[str, Any] | None = None) -> None:
        """Emit a device event now."""
        self.bus.publish(DeviceEvent(self.clock.now(), dev, svc, name, dict(arguments or {})))

    def of_type(self, dtype: str, area: str | None = None) -> list[str]:
        """Simulated devices of a type (in an area)."""
        return self._by_type.get((dtype, area), [])


def num(value: Value, default: float) -> float:
    """A value as a float when it is a number, else `default`."""
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else default
