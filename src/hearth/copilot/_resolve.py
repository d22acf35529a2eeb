"""Entity resolution: which devices a clause means, by name, alias, area, floor, kind and context."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace

from hearth.copilot._frame import Frame
from hearth.copilot._index import HomeIndex
from hearth.copilot._lexicon import AREA, CORE, DEVICE, PLACE, TYPE, VERB
from hearth.model import Device

# Car parts whose words only make sense for a car: they pick the car even when it is not named.
CAR_ONLY = frozenset({"car-trunk", "car-frunk", "car-defrost", "car-range", "car-odometer", "car-seat-heating",
                      "car-horn", "car-charge-limit", "car-speed", "car-window-driver", "car-window-passenger",
                      "car-seat-passenger"})
CAR_IF_NO_OTHER = frozenset({"car-battery", "car-charging"})

Need = Callable[[Device], bool]
Active = Callable[[str], bool]
# Kinds of device people switch off together: "lights off" means every light that is on.
_OFF_TOGETHER = frozenset({"light"})
# Kinds of device that serve the whole home: the room the sentence was about does not pick one ("…and lock the door").
_HOUSE_WIDE = frozenset({"lock", "garage-door", "car", "vacuum", "person", "phone", "watch"})


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


def said(frame: Frame, kind: str, value: str) -> str | None:
    """The words the user said for a meaning ("office" for the study place, "heater" for a heating type)."""
    return next((m.text for m in frame.mentions if (kind, value) in m.meanings), None)


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
            having = _areas_having(index, frame, found)
            if len(having) <= 1:
                # "打开卧室的窗帘" with curtains in one bedroom only: that bedroom (none: refused further on).
                areas.extend(having or found)
                continue
            return Issue("clarify", "which_area", {"place": place}, tuple(having))
        elif not found:
            # "turn on the sauna in the loft": a kind of room the home lacks is refused, whatever else is named.
            return Issue("refused", "no_area", {"place": said(frame, PLACE, place) or place})
    return tuple(areas)


def _areas_having(index: HomeIndex, frame: Frame, found: list[str]) -> list[str]:
    """The rooms of one kind that hold something of the kind or name asked for (all of them when none is asked)."""
    wanted = {d for g in (*frame.devices, *frame.cores, *frame.typed_cores) for d in g}
    wanted.update(d for t in _flat(frame.types) for d in index.by_type.get(t, ()))
    if not wanted:
        return found
    return [a for a in found if any(d in wanted for d in index.by_area.get(a, ()))]


def _wants_all(frame: Frame) -> bool:
    return bool(frame.flags & {"all", "plural"})


def _pick(index: HomeIndex, frame: Frame, ids: list[str], areas: tuple[str, ...], what: str,
          explicit_area: bool, active: Active | None = None) -> Targets | Issue:
    if areas:
        wanted = set(ids)
        inside = [d for a in areas for d in index.by_area.get(a, ()) if d in wanted]
        if not inside:
            kind = {"type": what} if what not in ("core", "car") else {}
            return Issue("refused", "none_in_area" if not kind else "type_not_in_area", {"what": what, "areas": areas,
                                                                                          **kind})
        ids = inside
    if len(ids) > 1 and active is not None and _switching_off(frame) and not (
            frame.question or areas or "all" in frame.flags) and all(
            index.home.devices[d].type in _OFF_TOGETHER for d in ids):
        # "lights off" with several lights: the ones that are on (all of them when none is).
        on = [d for d in ids if active(d)]
        if len(on) > 1 and frame.lang == "en" and not (_wants_all(frame) or _plural_kind(index, frame)):
            # "turn off the lamp" with several lamps on: one was meant, so ask which.
            return Issue("clarify", "which_device", {"what": what}, tuple(on))
        return Targets(tuple(on or ids), areas)
    named = [d for d in ids if d in index.room_named] if areas and len(ids) > 1 else []
    if len(named) == 1 and not (_wants_all(frame) or frame.question or _switching_off(frame)
                                or _plural_kind(index, frame)):
        # "客厅的灯" with a "Great room light" and a reading lamp there: the one named for the room.
        return Targets((named[0],), areas)
    if len(ids) > 1 and not (_wants_all(frame) or explicit_area or frame.question):
        narrowed = _by_leftover_words(index, frame, ids)
        if len(narrowed) == 1:
            return Targets(tuple(narrowed), areas)
        return Issue("clarify", "which_device", {"what": what}, tuple(ids))
    return Targets(tuple(ids), areas)


def _plural_kind(index: HomeIndex, frame: Frame) -> bool:
    """Whether a kind of device was said in the plural ("the lights"), which spelling correction hides."""
    words = {(w,) for w in frame.text.split()} if "said_plural" in frame.flags else set()
    return any(words & set(said) for said in index.lex.type_words.values())


def _switching_off(frame: Frame) -> bool:
    verbs = set(frame.verbs)
    return bool(verbs & {"off", "close"}) and not verbs & {"on", "open"} and not frame.numbers


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


def resolve(index: HomeIndex, frame: Frame, need: Need | None, context: tuple[str, ...],
            active: Active | None = None) -> Targets | Issue:
    """Resolve a clause's targets; `need` says which devices can do what was asked (for implicit targets)."""
    items = _items(frame) if "list" in frame.flags else []
    devices_named = {index.home.devices[d].type for item in items for g in item.devices for d in g}
    items = [i for i in items if i.devices or not {t for g in i.types for t in g} & devices_named]
    if len(items) > 1:
        # "turn off the TV, the fan and the lamp": each thing named is resolved on its own.
        ids: list[str] = []
        areas: tuple[str, ...] = ()
        for item in items:
            # "健身房的灯、风扇和音箱": things listed after one in a room are the ones in that room, if it has them.
            near = tuple(a for d in ids if (a := index.home.devices[d].area))
            found = _resolve_one(index, item, need, context, active, near)
            if isinstance(found, Issue):
                return found
            ids.extend(d for d in found.devices if d not in ids)
            areas = areas or found.areas
        return Targets(tuple(ids), areas)
    # "主卧空调25度，窗帘也关上": a later clause's curtain is the one in the room the clause before was about.
    near = () if "all" in frame.flags else tuple(a for d in context if (a := index.home.devices[d].area))
    return _resolve_one(index, frame, need, context, active, near)


def _items(frame: Frame) -> list[Frame]:
    """One frame per thing a listing clause names, sharing everything else the clause says."""
    items: list[Frame] = []
    seen: set[tuple[tuple[str, str], ...]] = set()
    for m in frame.mentions:
        kinds = {k for k, _ in m.meanings}
        if not kinds & {DEVICE, CORE, TYPE} or (VERB in kinds and DEVICE not in kinds) or (
                AREA in kinds and DEVICE not in kinds):
            continue
        key = tuple(sorted((k, v) for k, v in m.meanings if k in (DEVICE, CORE, TYPE)))
        if key in seen:
            continue
        seen.add(key)
        sub = replace(frame, devices=[], cores=[], typed_cores=[], types=[], weak_types=[], flags=set(frame.flags))
        if DEVICE in kinds:
            sub.devices.append(m.values(DEVICE))
        elif CORE in kinds and TYPE in kinds:
            sub.typed_cores.append(m.values(CORE))
        elif CORE in kinds:
            sub.cores.append(m.values(CORE))
        if TYPE in kinds and DEVICE not in kinds and (CORE not in kinds or m.values(TYPE)):
            sub.types.append(m.values(TYPE))
        if sub.has_target and (sub.devices or sub.cores or sub.typed_cores or sub.types):
            items.append(sub)
    return items


def _resolve_one(index: HomeIndex, frame: Frame, need: Need | None, context: tuple[str, ...],
                 active: Active | None, near: tuple[str, ...] = ()) -> Targets | Issue:
    areas_or_issue = resolve_areas(index, frame)
    if isinstance(areas_or_issue, Issue):
        return areas_or_issue
    areas = areas_or_issue
    home = index.home
    groups = list(frame.devices)
    if frame.types or frame.cores or any(home.devices[d].type != "person" for g in groups for d in g):
        groups = [g for g in (tuple(d for d in g if home.devices[d].type != "person") for g in groups) if g]
    if groups:
        lacked = _part_lacked(index, frame, groups)
        if lacked is not None:
            return lacked
        ids: list[str] = []
        for group in groups:
            if len(group) > 1 and areas:
                group = tuple(d for d in group if home.devices[d].area in areas) or group
            elsewhere = [d for d in group if home.devices[d].area and home.devices[d].area not in areas
                         and not _room_robot(home.devices[d])]
            if areas and elsewhere and len(elsewhere) == len(group) and not frame.question:
                # "the TV in the guest room" when the only TV is in the living room: not there, so refused.
                dev = home.devices[group[0]]
                return Issue("refused", "type_not_in_area", {"what": dev.type, "type": dev.type, "areas": areas})
            if len(group) > 1 and not _wants_all(frame):
                return Issue("clarify", "which_device", {"what": group[0]}, group)
            ids.extend(d for d in group if d not in ids)
        return Targets(tuple(ids), areas)
    if frame.cores:
        return _pick(index, frame, _flat(frame.cores), areas, "core", False)
    if frame.typed_cores and (areas or near) and not _wants_all(frame):
        inside = [d for d in _flat(frame.typed_cores) if home.devices[d].area in (areas or near)]
        if len(inside) == 1:
            return Targets(tuple(inside), areas)
    if frame.typed_cores and not areas and not _wants_all(frame):
        # "锁上前门", "床头灯": a word that is both a kind and part of some devices' names means the one device of
        # that kind so named (the Front Door lock, not every lock; the Nightstand Lamp, not every light).
        kinds = set(_flat(frame.types))
        named = [d for d in dict.fromkeys(_flat(frame.typed_cores))
                 if home.devices[d].type in kinds and d not in index.room_named]  # not "Bedroom light" for "light"
        if len(named) == 1:
            return Targets(tuple(named), areas)
    types = _flat(frame.types) or (_flat(frame.weak_types) if not frame.car_parts else [])
    wanted = frame.props and not set(frame.verbs) - {"up", "down"}
    if wanted and not frame.types and areas and need is not None and not any(
            need(home.devices[d]) for t in types for d in index.by_type.get(t, ())):
        # "warm up the garage": the room named, not its garage door, which cannot do what is asked.
        types = []
    if "car" in types:
        cars = index.by_type.get("car", [])
        if not cars:
            return Issue("refused", "no_type", {"type": "car"})
        return _pick(index, frame, cars, (), "car", False)
    if types:
        return _resolve_types(index, frame, types, areas, need, active, near)
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
    if context and all(_fits(home.devices[d], frame) for d in context if d in home.devices):
        # "turn on the lamp and dim it": the next clause goes on with the same device, if it can do what is asked.
        return Targets(context, (), named=False)
    if need is None or not (set(frame.verbs) - {"set", "up", "down"} or frame.props or frame.names):
        # "turn it up" with nothing said before: ask what, rather than refuse.
        return Issue("clarify", "which_device", {"what": "device"}, ())
    able = [d.id for d in home.devices.values() if need(d)]
    if not able:
        return Issue("refused", "nothing_can", {})
    if len(able) > 1 and not (_wants_all(frame) or frame.question):
        return Issue("clarify", "which_device", {"what": "device"}, tuple(able))
    return Targets(tuple(able), (), named=False)


def _part_lacked(index: HomeIndex, frame: Frame, groups: list[tuple[str, ...]]) -> Issue | None:
    """"The light on the ceiling fan" when the fan has no light: refused, not the fan switched."""
    if len(groups) != 1 or len(groups[0]) != 1 or frame.question or "list" in frame.flags:
        return None
    dev = index.home.devices[groups[0][0]]
    for t in _flat(frame.types):
        if t != "light" or dev.type == t or dev.type.startswith("x-") or dev.type not in _BUILTIN_PARTLESS:
            continue
        if not any("light" in name or "light" in (svc.description or "").lower()
                   for name, svc in dev.spec.services.items()):
            return Issue("refused", "no_property", {"device": index.device_name(dev.id, frame.lang),
                                                    "what": said(frame, TYPE, t) or t})
    return None


_BUILTIN_PARTLESS = frozenset({"fan", "air-purifier", "humidifier", "air-conditioner", "television", "speaker",
                               "vacuum", "water-heater"})


def _next_to_kind(frame: Frame, kind: str) -> bool:
    """Whether a kind is said right by another kind ("游泳池的灯", "pool lights"), not in another phrase."""
    own = [m for m in frame.mentions if (TYPE, kind) in m.meanings]
    others = [m for m in frame.mentions if m.has(TYPE) and (TYPE, kind) not in m.meanings]
    return any(0 <= o.start - m.end <= 2 or 0 <= m.start - o.end <= 3 for m in own for o in others)


def _room_robot(device: Device) -> bool:
    """Whether a device works in other rooms than its own (a robot told which room to clean)."""
    from hearth.copilot._props import room_action

    return room_action(device) is not None


def _fits(device: Device, frame: Frame) -> bool:
    """Whether a device from an earlier clause can do what this clause asks ("…and lock it" needs a lock)."""
    verbs = set(frame.verbs) - {"set", "up", "down"}
    if not verbs or device.type == "car":
        return True
    from hearth.copilot._props import has_ability

    alike = {"on": "open", "open": "on", "off": "close", "close": "off"}
    return has_ability(device, verbs | {alike[v] for v in verbs if v in alike}, frame)


def _resolve_types(index: HomeIndex, frame: Frame, types: list[str], areas: tuple[str, ...],
                   need: Need | None, active: Active | None = None, near: tuple[str, ...] = ()) -> Targets | Issue:
    ids = [d for t in types for d in index.by_type.get(t, ())]
    close = [d for d in ids if index.home.devices[d].area in near and index.home.devices[d].type not in _HOUSE_WIDE
             ] if near and not areas else []
    if close and len(ids) > 1:
        ids = close
    owned = [d for d in ids if index.home.devices[d].owner in frame.persons]
    if owned:
        # "Mia's lamp", "爸爸的手机": the one that belongs to the person named.
        ids = owned
    if not ids and frame.car_parts and index.by_type.get("car") and not areas:
        return _pick(index, frame, list(index.by_type["car"]), (), "car", False)
    if not ids:
        return Issue("refused", "no_type", {"type": types[0], "said": said(frame, TYPE, types[0]) or ""})
    lacking = [t for t in types if t.startswith("x-") and not index.by_type.get(t) and _next_to_kind(frame, t)]
    if lacking and len(types) > 1:
        # "打开游泳池的灯" with no pool: the lights elsewhere are not the pool's.
        return Issue("refused", "no_type", {"type": lacking[0], "said": said(frame, TYPE, lacking[0]) or ""})
    if need is not None and len(types) > 1:
        able = [d for d in ids if need(index.home.devices[d])]
        ids = able or ids
    if frame.verbs and set(frame.verbs) & {"start", "stop", "pause", "dock"} and "vacuum" in types:
        picked = _pick(index, frame, ids, (), types[0], False)
        return Targets(picked.devices, areas) if isinstance(picked, Targets) else picked
    return _pick(index, frame, ids, areas, types[0], bool(areas), active)
