"""zigbee2mqtt natively: `bridge/devices` exposes become services, state JSON becomes values, `/set` drives them."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from hearth.adapters.mqtt._builder import words
from hearth.adapters.mqtt._components import UNITS
from hearth.adapters.mqtt._entity import (
    Availability,
    DeviceInfo,
    EntityPlan,
    Outbound,
    PayloadError,
    Trigger,
    Writer,
    as_object,
    encode,
    kebab,
    slug,
)
from hearth.model import EventSpec, Format, PropertySpec, ServiceSpec, Value, ValueRange

log = logging.getLogger(__name__)

_SPECIFIC = {"light": "light", "switch": "switch", "cover": "curtain", "lock": "lock", "fan": "fan",
             "climate": "thermostat"}
_RENAME = {
    "light": {"state": "on", "color_temp": "color-temperature"},
    "switch": {"state": "on"},
    "fan": {"state": "on", "mode": "mode"},
    "lock": {"state": "locked"},
    "curtain": {"state": "motor-control", "position": "target-position"},
    "thermostat": {"occupied_heating_setpoint": "target-temperature", "current_heating_setpoint":
                   "target-temperature", "local_temperature": "temperature", "system_mode": "mode"},
}
_GENERIC_SERVICE = {"temperature": "environment", "humidity": "environment", "pressure": "environment",
                    "illuminance": "environment", "illuminance_lux": "environment", "co2": "environment",
                    "pm25": "environment", "voc": "environment", "battery": "battery", "battery_low": "battery",
                    "voltage": "battery", "occupancy": "occupancy-sensor", "presence": "occupancy-sensor",
                    "contact": "magnet-sensor", "water_leak": "water-leak-sensor", "linkquality": "connectivity",
                    "power": "power-consumption", "energy": "power-consumption", "current": "power-consumption"}


@dataclass(frozen=True, slots=True)
class _Field:
    """One z2m property inside a service: its JSON key, Hearth spec and converters."""

    key: str
    spec: PropertySpec
    read: Callable[[Any], Value]
    write: Callable[[Value], Any]


def _access(bits: int) -> frozenset[str]:
    access: set[str] = set()
    if bits & 1:
        access |= {"read", "notify"}
    if bits & 2:
        access.add("write")
    if bits & 4:
        access.add("read")
    return frozenset(access)


def _field(service: str, expose: Mapping[str, Any]) -> _Field | None:
    key = expose.get("property")
    kind = expose.get("type")
    if not isinstance(key, str) or kind not in ("binary", "numeric", "enum", "text"):
        return None
    base = str(expose.get("name") or key)
    name = _RENAME.get(service.split("-")[0], {}).get(base) or kebab(base)
    access = _access(int(expose.get("access", 1)))
    if not access:
        return None
    if kind == "binary":
        on, off = expose.get("value_on", True), expose.get("value_off", False)

        def read_bool(raw: Any) -> bool:
            if raw == on:
                return True
            if raw == off:
                return False
            raise PayloadError(f"{key}: expected {on!r} or {off!r}, got {raw!r}")

        return _Field(key, PropertySpec(name, Format.BOOL, access), read_bool, lambda v: on if v else off)
    if kind == "enum":
        values = [str(v) for v in expose.get("values") or ()]
        choices, to_desc, to_word = words(values)

        def read_enum(raw: Any) -> str:
            try:
                return to_desc[str(raw)]
            except KeyError:
                raise PayloadError(f"{key}: {raw!r} is not one of {', '.join(values)}") from None

        return _Field(key, PropertySpec(name, Format.INT, access, choices=choices), read_enum,
                      lambda v: to_word[str(v)])
    if kind == "text":
        return _Field(key, PropertySpec(name, Format.STRING, access), lambda raw: str(raw), lambda v: v)
    return _numeric(key, name, access, expose, service)


def _numeric(key: str, name: str, access: frozenset[str], expose: Mapping[str, Any], service: str) -> _Field:
    low, high, step = expose.get("value_min"), expose.get("value_max"), expose.get("value_step")
    unit = expose.get("unit")

    def num(raw: Any) -> float:
        if isinstance(raw, bool) or not isinstance(raw, int | float):
            raise PayloadError(f"{key}: expected a number, got {raw!r}")
        return float(raw)

    if name == "brightness" and service.startswith("light") and isinstance(high, int | float) and high > 0:
        top = float(high)
        return _Field(key, PropertySpec(name, Format.INT, access, unit="percentage", range=ValueRange(1, 100, 1)),
                      lambda raw: max(1, min(100, round(num(raw) * 100 / top))),
                      lambda v: max(1, round(float(v) * top / 100)))
    if name == "color-temperature" and unit == "mired":
        lo_k = round(1e6 / high) if isinstance(high, int | float) and high > 0 else 2000
        hi_k = round(1e6 / low) if isinstance(low, int | float) and low > 0 else 6500
        return _Field(key, PropertySpec(name, Format.INT, access, unit="kelvin", range=ValueRange(lo_k, hi_k, 1)),
                      lambda raw: min(hi_k, max(lo_k, round(1e6 / max(num(raw), 1)))),
                      lambda v: round(1e6 / float(v)))
    integral = isinstance(step, int) and isinstance(low, int) and isinstance(high, int)
    rng = ValueRange(float(low), float(high), float(step or 0)) if isinstance(low, int | float) and isinstance(
        high, int | float) and low <= high else None
    fmt = Format.INT if integral else Format.FLOAT
    spec = PropertySpec(name, fmt, access, unit=UNITS.get(str(unit), unit) if unit else None, range=rng)
    return _Field(key, spec, lambda raw: round(num(raw)) if integral else num(raw), lambda v: v)


def _groups(exposes: list[Any]) -> dict[str, list[Mapping[str, Any]]]:
    """Exposes grouped by Hearth service."""
    groups: dict[str, list[Mapping[str, Any]]] = {}
    for expose in exposes:
        if not isinstance(expose, Mapping):
            continue
        kind = expose.get("type")
        if kind in _SPECIFIC:
            service = _SPECIFIC[str(kind)]
            if expose.get("endpoint"):
                service = f"{service}-{kebab(str(expose['endpoint']))}"
            groups.setdefault(service, []).extend(f for f in expose.get("features") or () if isinstance(f, Mapping))
        else:
            groups.setdefault(_GENERIC_SERVICE.get(str(expose.get("property")), "device"), []).append(expose)
    return groups


def plans_for(base: str, device: Mapping[str, Any]) -> list[EntityPlan]:
    """EntityPlans (one per service) for one entry of `bridge/devices`; empty for the coordinator."""
    definition = device.get("definition")
    friendly = device.get("friendly_name")
    if device.get("type") == "Coordinator" or not isinstance(definition, Mapping) or not isinstance(friendly, str):
        return []
    info = DeviceInfo(slug(friendly), friendly, str(definition.get("vendor") or ""),
                      str(definition.get("model") or ""))
    topic = f"{base}/{friendly}"
    availability = (Availability(f"{topic}/availability", "online", "offline", json_key="state"),)
    plans: list[EntityPlan] = []
    for service, exposes in _groups(list(definition.get("exposes") or ())).items():
        events: dict[str, EventSpec] = {}
        triggers: list[tuple[str, Trigger]] = []
        fields: dict[str, _Field] = {}
        for expose in exposes:
            if expose.get("property") == "action" and expose.get("type") == "enum":
                for value in expose.get("values") or ():
                    events[kebab(str(value))] = EventSpec(kebab(str(value)), str(value), ())
                triggers.append((topic, _action_trigger))
                continue
            made = _field(service, expose)
            if made is not None:
                fields[made.spec.name] = made
        if not fields and not events:
            continue
        plans.append(EntityPlan(
            key=f"z2m/{friendly}/{service}", component=service, name=friendly, device=info,
            service=ServiceSpec(service, service.replace("-", " ").title(), {n: f.spec for n, f in fields.items()},
                                {}, events),
            readers=((topic, _reader(fields)),) if any(f.spec.readable for f in fields.values()) else (),
            writers={n: _writer(f"{topic}/set", f) for n, f in fields.items() if f.spec.writable},
            triggers=tuple(triggers), availability=availability, qos=1))
    return plans


def _reader(fields: Mapping[str, _Field]) -> Callable[[bytes], Mapping[str, Any]]:
    by_key = {f.key: (name, f) for name, f in fields.items() if f.spec.readable}

    def read(payload: bytes) -> Mapping[str, Any]:
        data = as_object(payload)
        return {name: f.read(data[key]) for key, (name, f) in by_key.items() if key in data and data[key] is not None}

    return read


def _writer(topic: str, f: _Field) -> Writer:
    def write(value: Value) -> list[Outbound]:
        return [Outbound(topic, encode({f.key: f.write(value)}))]

    return write


def _action_trigger(payload: bytes) -> str | None:
    try:
        data = as_object(payload)
    except PayloadError:
        return None
    action = data.get("action")
    return kebab(str(action)) if action else None
