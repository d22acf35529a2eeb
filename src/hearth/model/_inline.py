"""Custom device types declared inline in a home file, in the same shape as the catalog."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from hearth.errors import SpecError
from hearth.model._catalog import DeviceType
from hearth.model._spec import (
    ACCESS_NAMES,
    ActionSpec,
    Choice,
    EventSpec,
    Format,
    PropertySpec,
    ServiceSpec,
    Spec,
    Value,
    ValueRange,
)


def _mapping(raw: Any, where: str) -> Mapping[str, Any]:
    if raw is None:
        return {}
    if not isinstance(raw, Mapping):
        raise SpecError(f"{where}: expected a mapping, got {type(raw).__name__}")
    return raw


def _property(name: str, raw: Mapping[str, Any], where: str) -> tuple[PropertySpec, Value | None]:
    known = {"format", "access", "unit", "range", "choices", "default", "description"}
    extra = set(raw) - known
    if extra:
        raise SpecError(f"{where}: unknown keys {sorted(extra)} (expected {sorted(known)})")
    if "format" not in raw:
        raise SpecError(f"{where}: 'format' is required (bool, int, float or string)")
    access = raw.get("access", ["read", "write", "notify"])
    if isinstance(access, str):
        access = [access]
    if not isinstance(access, list) or not set(access) <= ACCESS_NAMES:
        raise SpecError(f"{where}: access must be a list of read/write/notify")
    rng = raw.get("range")
    value_range = None
    if rng is not None:
        if not isinstance(rng, list) or len(rng) not in (2, 3) or not all(isinstance(x, int | float) for x in rng):
            raise SpecError(f"{where}: range must be [min, max] or [min, max, step]")
        value_range = ValueRange(*(float(x) for x in rng))
    choices_raw = raw.get("choices") or []
    if not isinstance(choices_raw, list):
        raise SpecError(f"{where}: choices must be a list")
    choices = tuple(
        Choice(int(c["value"]), str(c["description"])) if isinstance(c, Mapping) else Choice(i, str(c))
        for i, c in enumerate(choices_raw)
    )
    prop = PropertySpec(
        name=name,
        format=Format.parse(str(raw["format"])),
        access=frozenset(access),
        description=str(raw.get("description", "")),
        unit=raw.get("unit"),
        range=value_range,
        choices=choices,
    )
    default = raw.get("default")
    return prop, (prop.validate(default) if default is not None else None)


def _names(raw: Any, where: str) -> tuple[str, ...]:
    if raw is None:
        return ()
    if not isinstance(raw, list) or not all(isinstance(x, str) for x in raw):
        raise SpecError(f"{where}: expected a list of property names")
    return tuple(raw)


def inline_type(name: str, raw: Mapping[str, Any]) -> DeviceType:
    """Build a DeviceType from `{services: {svc: {properties, actions, events}}}`."""
    where = f"type {name}"
    services: dict[str, ServiceSpec] = {}
    defaults: dict[tuple[str, str], Value] = {}
    for svc_name, svc_raw in _mapping(raw.get("services"), where).items():
        sw = f"{where} service {svc_name}"
        svc_map = _mapping(svc_raw, sw)
        props: dict[str, PropertySpec] = {}
        for pname, praw in _mapping(svc_map.get("properties"), sw).items():
            prop, default = _property(str(pname), _mapping(praw, f"{sw} property {pname}"), f"{sw} property {pname}")
            props[prop.name] = prop
            if default is not None:
                defaults[(str(svc_name), prop.name)] = default
        actions = {
            str(a): ActionSpec(str(a), str(_mapping(v, sw).get("description", "")),
                               _names(_mapping(v, sw).get("in"), f"{sw} action {a}"),
                               _names(_mapping(v, sw).get("out"), f"{sw} action {a}"))
            for a, v in _mapping(svc_map.get("actions"), sw).items()
        }
        events = {
            str(e): EventSpec(str(e), str(_mapping(v, sw).get("description", "")),
                              _names(_mapping(v, sw).get("arguments"), f"{sw} event {e}"))
            for e, v in _mapping(svc_map.get("events"), sw).items()
        }
        services[str(svc_name)] = ServiceSpec(str(svc_name), str(svc_map.get("description", "")), props, actions,
                                              events)
    if not services:
        raise SpecError(f"{where}: declares no services")
    return DeviceType(Spec(type=name, services=services, description=str(raw.get("description", name))), defaults)
