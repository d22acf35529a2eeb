"""MIoT-shaped device specs: services hold properties, actions and events; values are validated here."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from hearth.errors import SpecError

Value = bool | int | float | str


class Format(StrEnum):
    """The value format of a property; MIoT's int and uint flavours collapse into INT."""

    BOOL = "bool"
    INT = "int"
    FLOAT = "float"
    STRING = "string"

    @classmethod
    def parse(cls, raw: str) -> Format:
        """Map a MIoT or VSS format/datatype name to a Format."""
        text = raw.strip().lower()
        if text in ("bool", "boolean"):
            return cls.BOOL
        if text in ("float", "double"):
            return cls.FLOAT
        if text in ("string", "hex", "tlv8", "string[]"):
            return cls.STRING
        if text.startswith(("int", "uint")):
            return cls.INT
        raise SpecError(f"unknown value format {raw!r} (expected bool, int*, uint*, float or string)")


ACCESS_NAMES = frozenset({"read", "write", "notify"})


@dataclass(frozen=True, slots=True)
class ValueRange:
    """Inclusive range with an optional step (0 = any value)."""

    min: float
    max: float
    step: float = 0

    def __post_init__(self) -> None:
        if not (math.isfinite(self.min) and math.isfinite(self.max)) or self.min > self.max:
            raise SpecError(f"bad value-range [{self.min}, {self.max}]")
        if self.step < 0:
            raise SpecError(f"bad step {self.step}")


@dataclass(frozen=True, slots=True)
class Choice:
    """One entry of a value-list: the vendor's number and its description (the canonical value)."""

    value: int
    description: str


@dataclass(frozen=True, slots=True)
class PropertySpec:
    """One property: its format, access, unit and allowed values."""

    name: str
    format: Format
    access: frozenset[str] = frozenset({"read", "notify"})
    description: str = ""
    unit: str | None = None
    range: ValueRange | None = None
    choices: tuple[Choice, ...] = ()
    iid: int | None = None

    def __post_init__(self) -> None:
        if not self.name:
            raise SpecError("a property needs a name")
        bad = self.access - ACCESS_NAMES
        if bad:
            raise SpecError(f"property {self.name!r}: unknown access {sorted(bad)} (expected read/write/notify)")

    @property
    def readable(self) -> bool:
        """Whether the property can be read."""
        return "read" in self.access

    @property
    def writable(self) -> bool:
        """Whether the property can be written."""
        return "write" in self.access

    def choice(self, value: Value) -> Choice:
        """Find the value-list entry for a description (case-insensitive) or a vendor number."""
        if isinstance(value, str):
            wanted = value.strip().lower()
            for item in self.choices:
                if item.description.lower() == wanted:
                    return item
        if isinstance(value, int | float) and not isinstance(value, bool):
            for item in self.choices:
                if item.value == value:
                    return item
        allowed = ", ".join(c.description for c in self.choices)
        raise SpecError(f"{self.name}: {value!r} is not one of: {allowed}")

    def validate(self, value: Any) -> Value:
        """Return the canonical form of `value` or raise SpecError saying what was expected."""
        if self.choices:
            return self.choice(value).description
        if self.format is Format.BOOL:
            return _as_bool(self.name, value)
        if self.format is Format.STRING:
            if not isinstance(value, str):
                raise SpecError(f"{self.name}: expected text, got {value!r}")
            return value
        number = _as_number(self.name, value, integer=self.format is Format.INT)
        if self.range is not None:
            self._check_range(number)
        return number

    def _check_range(self, number: int | float) -> None:
        rng = self.range
        assert rng is not None
        if number < rng.min or number > rng.max:
            unit = f" {self.unit}" if self.unit else ""
            raise SpecError(f"{self.name}: {number}{unit} is outside {_num(rng.min)}–{_num(rng.max)}{unit}")
        if rng.step and rng.step > 0:
            steps = (number - rng.min) / rng.step
            if abs(steps - round(steps)) > 1e-6:
                step, low = _num(rng.step), _num(rng.min)
                raise SpecError(f"{self.name}: {number} is not a multiple of step {step} from {low}")

    def clamp(self, number: float) -> int | float:
        """Bring a number into range and onto the step grid (for relative changes)."""
        value: float = number
        rng = self.range
        if rng is not None:
            value = min(max(value, rng.min), rng.max)
            if rng.step:
                value = rng.min + round((value - rng.min) / rng.step) * rng.step
                value = min(max(value, rng.min), rng.max)
        if self.format is Format.INT:
            return round(value)
        return round(value, 6)


def _num(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else str(x)


def _as_bool(name: str, value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    if isinstance(value, str):
        text = value.strip().lower()
        if text in ("true", "on", "yes", "1"):
            return True
        if text in ("false", "off", "no", "0"):
            return False
    raise SpecError(f"{name}: expected true or false, got {value!r}")


def _as_number(name: str, raw: Any, *, integer: bool) -> int | float:
    value: object = raw
    if isinstance(value, bool):
        raise SpecError(f"{name}: expected a number, got {value!r}")
    if isinstance(value, str):
        try:
            value = float(value.strip())
        except ValueError:
            raise SpecError(f"{name}: expected a number, got {value!r}") from None
    if not isinstance(value, int | float) or not math.isfinite(value):
        raise SpecError(f"{name}: expected a number, got {raw!r}")
    if integer:
        if isinstance(value, float):
            if not value.is_integer():
                raise SpecError(f"{name}: expected a whole number, got {raw!r}")
            return int(value)
        return value
    return float(value)


@dataclass(frozen=True, slots=True)
class ActionSpec:
    """An action with the properties it takes in and gives out (names within its service)."""

    name: str
    description: str = ""
    inputs: tuple[str, ...] = ()
    outputs: tuple[str, ...] = ()
    iid: int | None = None


@dataclass(frozen=True, slots=True)
class EventSpec:
    """An event a device emits, with its argument property names."""

    name: str
    description: str = ""
    arguments: tuple[str, ...] = ()
    iid: int | None = None


@dataclass(frozen=True, slots=True)
class ServiceSpec:
    """A service groups properties, actions and events; names are unique within a service only."""

    name: str
    description: str = ""
    properties: Mapping[str, PropertySpec] = field(default_factory=dict)
    actions: Mapping[str, ActionSpec] = field(default_factory=dict)
    events: Mapping[str, EventSpec] = field(default_factory=dict)
    iid: int | None = None

    def __post_init__(self) -> None:
        for action in self.actions.values():
            for arg in (*action.inputs, *action.outputs):
                if arg not in self.properties:
                    raise SpecError(f"service {self.name!r}: action {action.name!r} names unknown property {arg!r}")

    def __hash__(self) -> int:
        return hash((self.name, self.iid))


@dataclass(frozen=True, slots=True)
class Spec:
    """A device type's full spec."""

    type: str
    services: Mapping[str, ServiceSpec]
    description: str = ""

    def __hash__(self) -> int:
        return hash(self.type)

    def service(self, name: str) -> ServiceSpec:
        """Return a service or raise SpecError listing the ones that exist."""
        try:
            return self.services[name]
        except KeyError:
            raise SpecError(f"{self.type} has no service {name!r} (has: {', '.join(self.services)})") from None

    def property(self, service: str, name: str) -> PropertySpec:
        """Return a property by service and name."""
        svc = self.service(service)
        try:
            return svc.properties[name]
        except KeyError:
            raise SpecError(f"{self.type} has no property {service}.{name}") from None

    def action(self, service: str, name: str) -> ActionSpec:
        """Return an action by service and name."""
        svc = self.service(service)
        try:
            return svc.actions[name]
        except KeyError:
            raise SpecError(f"{self.type} has no action {service}.{name}") from None

    def iter_properties(self) -> Iterable[tuple[str, PropertySpec]]:
        """Yield (service name, property) for every property."""
        for svc in self.services.values():
            for prop in svc.properties.values():
                yield svc.name, prop

    def find(self, name: str) -> tuple[str, PropertySpec]:
        """Find a property by 'service.property' or by a bare name that is unique across services."""
        if "." in name and not name.startswith("Vehicle."):
            service, _, prop = name.partition(".")
            return service, self.property(service, prop)
        hits = [(s, p) for s, p in self.iter_properties() if p.name == name]
        if len(hits) == 1:
            return hits[0]
        if not hits:
            raise SpecError(f"{self.type} has no property {name!r}")
        raise SpecError(f"{self.type}: {name!r} is in several services ({', '.join(s for s, _ in hits)}); name one")
