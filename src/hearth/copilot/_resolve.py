"""Entity resolution: which devices a clause means, by name, alias, area, floor, kind and context."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from hearth.copilot._frame import Frame
from hearth.copilot._index import HomeIndex
from hearth.model import Device

# Car parts whose words only make sense for a car: they pick the car even when it is not named.
CAR_ONLY = frozenset({"car-trunk", "car-frunk", "car-defrost", "car-range", "car-odometer", "car-seat-heating",
                      "car-horn", "car-charge-limit", "car-speed", "car-window-driver", "car-window-passenger",
                      "car-seat-passenger"})
CAR_IF_NO_OTHER = frozenset({"car-battery", "car-charging"})

Need = Callable[[Device], bool]


@dataclass(frozen=True, slots=True)
class Issue:
    """Why a clause cannot be carried out as said: refused (does not exist) or clarify (which one?)."""

    status: str
    key: str
    params: dict[str, object] = field(default_factory=dict)
    options: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Targets:
    """The devices a clause is about, and whether the user named them or they were inferred."""

    devices: tuple[str, ...]
    areas: tuple[str, ...] = ()
    named: bool = True


def _flat(groups: Iterable[tuple[str, ...]]) -> list[str]:
    out: list[str] = []
    for group in groups:
        for item in group:
            if item not in out:
                out.append(item)
    return out


def resolve_areas(index: HomeIndex, frame: Frame) -> tuple[str, ...] | Issue:
    """The areas a clause names (directly, by floor, or by a kind of room the home has one of)."""
    areas = _flat(frame.areas)
    for floor in frame.floors:
        areas.extend(a for a in index.floor_areas.get(floor, ()) if a not in areas)
    for place in frame.places:
        found = index.place_areas.get(place, [])
        if len(found) == 1:
            areas.extend(a for a in found if a not in areas)
        elif len(found) > 1 and not areas:
            return Issue("clarify", "which_area", {"place": place}, tuple(found))
        elif not found and not areas:
            return Issue("refused", "no_area", {"place": place})
    return tuple(areas)


def _wants_all(frame: Frame) -> bool:
    return bool(frame.flags & {"all", "plural"})


def _pick(index: HomeIndex, frame: Frame, ids: list[str], areas: tuple[str, ...], what: str,
          explicit_area: bool) -> Targets | Issue:
    if areas:
        wanted = set(ids)
        inside = [d for a in areas for d in index.by_area.get(a, ()) if d in wanted]
        if not inside:
            return Issue("refused", "none_in_area", {"what": what, "areas": areas})
        ids = inside
    if len(ids) > 1 and not (_wants_all(frame) or explicit_area or frame.question):
        narrowed = _by_leftover_words(index, frame, ids)
        if len(narrowed) == 1:
            return Targets(tuple(narrowed), areas)
        return Issue("clarify", "which_device", {"what": what}, tuple(ids))
    return Targets(tuple(ids), areas)


def _by_leftover_words(index: HomeIndex, frame: Frame, ids: list[str]) -> list[str]:
    words = {w for run in frame.unknown for w in run.split()}
    if not words:
        return ids
    scored = []
    for dev_id in ids:
        dev = index.home.devices[dev_id]
        text = " ".join((dev.name, *dev.aliases)).lower()
        scored.append((sum(1 for w in words if w in text), dev_id))
    best = max(s for s, _ in scored)
    return [d for s, d in scored if s == best] if best else ids


def resolve(index: HomeIndex, frame: Frame, need: Need | None, context: tuple[str, ...]) -> Targets | Issue:
    """Resolve a clause's targets; `need` says which devices can do what was asked (for implicit targets)."""
    areas_or_issue = resolve_areas(index, frame)
    if isinstance(areas_or_issue, Issue):
        return areas_or_issue
    areas = areas_or_issue
    home = index.home
    groups = list(frame.devices)
    if frame.types or frame.cores or any(home.devices[d].type != "person" for g in groups for d in g):
        groups = [g for g in (tuple(d for d in g if home.devices[d].type != "person") for g in groups) if g]
    if groups:
        ids: list[str] = []
        for group in groups:
            if len(group) > 1 and areas:
                group = tuple(d for d in group if home.devices[d].area in areas) or group
            if len(group) > 1 and not _wants_all(frame):
                return Issue("clarify", "which_device", {"what": group[0]}, group)
            ids.extend(d for d in group if d not in ids)
        return Targets(tuple(ids), areas)
    if frame.cores:
        return _pick(index, frame, _flat(frame.cores), areas, "core", False)
    if frame.typed_cores and areas and not _wants_all(frame):
        inside = [d for d in _flat(frame.typed_cores) if home.devices[d].area in areas]
        if len(inside) == 1:
            return Targets(tuple(inside), areas)
    types = _flat(frame.types) or (_flat(frame.weak_types) if not frame.car_parts else [])
    if "car" in types:
        cars = index.by_type.get("car", [])
        if not cars:
            return Issue("refused", "no_type", {"type": "car"})
        return _pick(index, frame, cars, (), "car", False)
    if types:
        return _resolve_types(index, frame, types, areas, need)
    car_parts = set(frame.car_parts)
    cars = index.by_type.get("car", [])
    if cars and (car_parts & CAR_ONLY or (car_parts & CAR_IF_NO_OTHER and not frame.persons and not areas)):
        return _pick(index, frame, cars, (), "car", False)
    if car_parts & CAR_ONLY and not cars:
        return Issue("refused", "no_type", {"type": "car"})
    if frame.persons:
        return Targets(tuple(dict.fromkeys(frame.persons)), areas)
    if areas:
        inside = [d for a in areas for d in index.by_area.get(a, ()) if need is None or need(home.devices[d])]
        if not inside and need is not None and set(frame.verbs) & {"start"}:
            # "扫一下厨房": the robot that cleans rooms lives elsewhere.
            from hearth.copilot._props import room_action

            inside = [d.id for d in home.devices.values() if need(d) and room_action(d)]
        if not inside:
            return Issue("refused", "nothing_in_area_can", {"areas": areas})
        return Targets(tuple(inside), areas, named=False)
    if context:
        return Targets(context, (), named=False)
    if need is None:
        return Issue("clarify", "which_device", {"what": "device"}, ())
    able = [d.id for d in home.devices.values() if need(d)]
    if not able:
        return Issue("refused", "nothing_can", {})
    if len(able) > 1 and not (_wants_all(frame) or frame.question):
        return Issue("clarify", "which_device", {"what": "device"}, tuple(able))
    return Targets(tuple(able), (), named=False)


def _resolve_types(index: HomeIndex, frame: Frame, types: list[str], areas: tuple[str, ...],
                   need: Need | None) -> Targets | Issue:
    ids = [d for t in types for d in index.by_type.get(t, ())]
    if not ids and frame.car_parts and index.by_type.get("car") and not areas:
        return _pick(index, frame, list(index.by_type["car"]), (), "car", False)
    if not ids:
        return Issue("refused", "no_type", {"type": types[0]})
    if need is not None and len(types) > 1:
        able = [d for d in ids if need(index.home.devices[d])]
        ids = able or ids
    if frame.verbs and set(frame.verbs) & {"start", "stop", "pause", "dock"} and "vacuum" in types:
        picked = _pick(index, frame, ids, (), types[0], False)
        return Targets(picked.devices, areas) if isinstance(picked, Targets) else picked
    return _pick(index, frame, ids, areas, types[0], bool(areas))
