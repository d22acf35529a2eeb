"""Import MIoT instance JSON (the miot-spec v2 shape) into a Spec."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from hearth.errors import SpecError
from hearth.model._spec import (
    ActionSpec,
    Choice,
    EventSpec,
    Format,
    PropertySpec,
    ServiceSpec,
    Spec,
    ValueRange,
)


def urn_name(urn: str) -> str:
    """Return the short name inside a MIoT URN (`urn:miot-spec-v2:property:on:…` → `on`)."""
    parts = urn.split(":")
    if len(parts) >= 4 and parts[0] == "urn":
        return parts[3]
    return urn


def _unique(name: str, iid: int, taken: set[str]) -> str:
    # MIoT repeats names (a thermostat has three `on` switches); later ones keep apart by iid.
    result = name if name not in taken else f"{name}-{iid}"
    taken.add(result)
    return result


def parse_property(raw: Mapping[str, Any], taken: set[str], where: str) -> PropertySpec:
    """Build a PropertySpec from one MIoT property object."""
    try:
        iid = int(raw["iid"])
        name = _unique(urn_name(str(raw["type"])), iid, taken)
        fmt = Format.parse(str(raw["format"]))
        rng = raw.get("value-range")
        value_range = ValueRange(float(rng[0]), float(rng[1]), float(rng[2]) if len(rng) > 2 else 0) if rng else None
        choices = tuple(Choice(int(c["value"]), str(c["description"])) for c in raw.get("value-list") or ())
        return PropertySpec(
            name=name,
            format=fmt,
            access=frozenset(raw.get("access") or ()),
            description=str(raw.get("description", "")),
            unit=_unit(raw.get("unit")),
            range=value_range,
            choices=choices,
            iid=iid,
        )
    except SpecError as exc:
        raise SpecError(f"{where}: {exc}") from None
    except (KeyError, TypeError, ValueError, IndexError) as exc:
        raise SpecError(f"{where}: malformed property ({exc!r})") from None


def _unit(raw: Any) -> str | None:
    if raw in (None, "", "none"):
        return None
    return str(raw)


def parse_service(raw: Mapping[str, Any], name: str) -> ServiceSpec:
    """Build a ServiceSpec from one MIoT service object."""
    taken: set[str] = set()
    props: dict[str, PropertySpec] = {}
    by_iid: dict[int, str] = {}
    for i, prop_raw in enumerate(raw.get("properties") or ()):
        prop = parse_property(prop_raw, taken, f"service {name} property #{i + 1}")
        props[prop.name] = prop
        if prop.iid is not None:
            by_iid[prop.iid] = prop.name
    actions: dict[str, ActionSpec] = {}
    events: dict[str, EventSpec] = {}
    taken_actions: set[str] = set()
    for act in raw.get("actions") or ():
        aiid = int(act["iid"])
        aname = _unique(urn_name(str(act["type"])), aiid, taken_actions)
        actions[aname] = ActionSpec(
            aname,
            str(act.get("description", "")),
            tuple(_arg(by_iid, x, name) for x in act.get("in") or ()),
            tuple(_arg(by_iid, x, name) for x in act.get("out") or ()),
            aiid,
        )
    taken_events: set[str] = set()
    for ev in raw.get("events") or ():
        eiid = int(ev["iid"])
        ename = _unique(urn_name(str(ev["type"])), eiid, taken_events)
        events[ename] = EventSpec(
            ename, str(ev.get("description", "")), tuple(_arg(by_iid, x, name) for x in ev.get("arguments") or ()), eiid
        )
    return ServiceSpec(name, str(raw.get("description", "")), props, actions, events, int(raw["iid"]))


def _arg(by_iid: Mapping[int, str], ref: Any, service: str) -> str:
    try:
        return by_iid[int(ref)]
    except (KeyError, ValueError, TypeError):
        raise SpecError(f"service {service}: argument refers to unknown property iid {ref!r}") from None


def spec_from_miot(doc: Mapping[str, Any]) -> Spec:
    """Build a Spec from a MIoT instance document."""
    if not isinstance(doc, Mapping) or "services" not in doc:
        raise SpecError("not a MIoT instance document (no 'services')")
    services: dict[str, ServiceSpec] = {}
    taken: set[str] = set()
    for raw in doc["services"]:
        try:
            name = _unique(urn_name(str(raw["type"])), int(raw["iid"]), taken)
        except (KeyError, TypeError, ValueError) as exc:
            raise SpecError(f"malformed service ({exc!r})") from None
        services[name] = parse_service(raw, name)
    return Spec(type=str(doc.get("type", "custom")), services=services, description=str(doc.get("description", "")))
