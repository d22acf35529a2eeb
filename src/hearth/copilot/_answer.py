"""Questions: read the snapshot and answer with the value, about devices, people and the car."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from hearth.copilot import _props as P
from hearth.copilot._frame import Frame
from hearth.copilot._index import HomeIndex
from hearth.copilot._reply import join, label, the, value_text
from hearth.copilot._resolve import Issue, Targets
from hearth.model import Device, Value

Snapshot = Mapping[tuple[str, str, str], Value]
_CAR = "vehicle"
_SOC = "Vehicle.Powertrain.TractionBattery.StateOfCharge.Current"
_RANGE = "Vehicle.Powertrain.Range"
_LAT, _LON = "Vehicle.CurrentLocation.Latitude", "Vehicle.CurrentLocation.Longitude"
_DOOR_LOCKS = ("Vehicle.Cabin.Door.Row1.DriverSide.IsLocked", "Vehicle.Cabin.Door.Row1.PassengerSide.IsLocked",
               "Vehicle.Cabin.Door.Row2.DriverSide.IsLocked", "Vehicle.Cabin.Door.Row2.PassengerSide.IsLocked")


@dataclass
class Answer:
    """The reply to a question and what it was about."""

    text: str
    intent: str = "HassGetState"
    slots: dict[str, Any] = field(default_factory=dict)


def _get(snap: Snapshot, dev: str, svc: str, prop: str) -> Value | None:
    return snap.get((dev, svc, prop))


def answer_people(index: HomeIndex, frame: Frame, snap: Snapshot, people: list[str]) -> Answer:
    """Where people are, whether they are home or asleep."""
    lang = frame.lang
    parts = []
    asks_sleep = "sleep" in frame.props
    for pid in people:
        person = index.home.people[pid]
        pname = index.zh_name((person.name, *person.aliases)) if lang == "zh" else person.name
        other = [index.lex.concepts[c] for c in frame.props
                 if c in index.lex.concepts and c not in ("sleep", "location", "occupancy", "status")]
        found = P.by_concepts(index.home.devices[pid], other, write=False) if other else []
        if found:
            svc, prop = found[0]
            value = _get(snap, pid, svc, prop.name)
            parts.append(_statement(pname, label(prop, lang), value_text(prop, value, lang), lang).rstrip("。."))
            continue
        if asks_sleep:
            asleep = _get(snap, pid, "sleep", "asleep")
            parts.append(f"{pname}{'在睡觉' if asleep else '醒着'}" if lang == "zh"
                         else f"{pname} is {'asleep' if asleep else 'awake'}")
            continue
        parts.append(_where(index, snap, pid, pname, lang))
    text = ("；".join(parts) + "。") if lang == "zh" else (". ".join(parts) + ".")
    intent = "HearthPersonSleep" if asks_sleep else "HearthPersonWhere"
    return Answer(text, intent, {"person": people})


def _where(index: HomeIndex, snap: Snapshot, pid: str, pname: str, lang: str) -> str:
    at_home = _get(snap, pid, "presence", "at-home")
    zone = str(_get(snap, pid, "presence", "zone") or "")
    area = str(_get(snap, pid, "presence", "area") or "")
    if at_home:
        where = index.area_name(area, lang) if area in index.home.areas else ""
        if lang == "zh":
            return f"{pname}在家" + (f"（{where}）" if where else "")
        return f"{pname} is at home" + (f", in the {where}" if where else "")
    z = index.home.zones.get(zone)
    if z is not None and zone != "home":
        zname = index.zh_name((z.name, *z.aliases)) if lang == "zh" else z.name
        return f"{pname}不在家，在{zname}" if lang == "zh" else f"{pname} is not home; {pname} is at {zname}"
    return f"{pname}不在家" if lang == "zh" else f"{pname} is away from home"


def answer_home_presence(index: HomeIndex, frame: Frame, snap: Snapshot) -> Answer:
    """Who is at home."""
    lang = frame.lang
    home = [p for p in index.home.people if _get(snap, p, "presence", "at-home")]
    names = [index.zh_name((index.home.people[p].name, *index.home.people[p].aliases)) if lang == "zh"
             else index.home.people[p].name for p in home]
    if lang == "zh":
        text = f"在家的有：{join(names, lang)}。" if names else "现在家里没有人。"
    else:
        text = f"At home: {join(names, lang)}." if names else "Nobody is home right now."
    return Answer(text, "HearthPresence", {"people": home})


def _distance_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    r = 6371000.0
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * r * math.asin(math.sqrt(a))


def answer_car(index: HomeIndex, frame: Frame, snap: Snapshot, car: Device) -> Answer:
    """Battery, range, location, locks, charging or any car part."""
    lang = frame.lang
    name = index.device_name(car.id, lang)
    parts = list(dict.fromkeys(frame.car_parts))
    soc = _get(snap, car.id, _CAR, _SOC)
    rng = _get(snap, car.id, _CAR, _RANGE)
    km = f"{float(rng) / 1000:g}" if isinstance(rng, int | float) else "?"
    soc_text = f"{soc:g}" if isinstance(soc, float) else str(soc)
    from_concepts = {"charging": "car-charging", "battery": "car-battery", "range": "car-range",
                     "temperature": "car-temperature", "odometer": "car-odometer", "speed": "car-speed",
                     "location": "car-location"}
    said = [from_concepts[c] for c in frame.props if c in from_concepts]
    if set(frame.verbs) & {"lock", "unlock"} or "locked" in frame.names:
        said.insert(0, "car-doors")
    specific = [p for p in parts if p != "car-doors"]
    part = (said or specific or parts or ["car-battery"])[0]
    if part in ("car-battery", "car-range"):
        if lang == "zh":
            text = f"{name}电量还有{soc_text}%，续航约{km}公里。"
        else:
            text = f"The {name} has {soc_text}% battery, about {km} km of range."
        return Answer(text, "HearthCarBattery", {"soc": soc, "range_km": km})
    if part == "car-location":
        return Answer(_car_where(index, snap, car, name, lang), "HearthCarLocation", {})
    if part == "car-doors":
        locked = all(_get(snap, car.id, _CAR, p) is True for p in _DOOR_LOCKS)
        text = (f"{name}{'已锁' if locked else '没锁'}。" if lang == "zh"
                else f"The {name} is {'locked' if locked else 'unlocked'}.")
        return Answer(text, "HearthCarLocks", {"locked": locked})
    cp = index.lex.car_parts[part]
    paths = cp.get_paths or cp.paths[:1]
    if part == "car-charging":
        charging = _get(snap, car.id, _CAR, "Vehicle.Powertrain.TractionBattery.Charging.IsCharging") is True
        text = (f"{name}{'正在充电' if charging else '没有在充电'}。" if lang == "zh"
                else f"The {name} is {'charging' if charging else 'not charging'}.")
        return Answer(text, "HearthCarCharging", {"charging": charging})
    texts = []
    for path in paths:
        prop = car.spec.property(_CAR, path)
        value = _get(snap, car.id, _CAR, path)
        texts.append(_statement(name, label(prop, lang), value_text(prop, value, lang), lang, prop.format.value))
    return Answer(" ".join(texts), f"HearthCar{part.removeprefix('car-').title().replace('-', '')}", {})


def _car_where(index: HomeIndex, snap: Snapshot, car: Device, name: str, lang: str) -> str:
    lat, lon = _get(snap, car.id, _CAR, _LAT), _get(snap, car.id, _CAR, _LON)
    if not isinstance(lat, int | float) or not isinstance(lon, int | float):
        return f"{name}的位置未知。" if lang == "zh" else f"The {name}'s location is unknown."
    for zone in index.home.zones.values():
        if _distance_m(lat, lon, zone.latitude, zone.longitude) <= zone.radius:
            zname = index.zh_name((zone.name, *zone.aliases)) if lang == "zh" else zone.name
            if zone.id == "home":
                return f"{name}在家。" if lang == "zh" else f"The {name} is at home."
            return f"{name}在{zname}。" if lang == "zh" else f"The {name} is at {zname}."
    return (f"{name}在 {lat:.4f}, {lon:.4f}。" if lang == "zh" else f"The {name} is at {lat:.4f}, {lon:.4f}.")


def _statement(name: str, what: str, value: str, lang: str, fmt: str = "") -> str:
    if lang == "zh":
        return f"{name}的{what}是{value}。"
    return f"The {name} {what} is {value}."


def state_word(index: HomeIndex, dev: Device, snap: Snapshot, lang: str) -> str | None:
    """Describe a device's main state: open/closed, locked, on/off."""
    pos = P.by_names(dev, ("current-position", "target-position"), write=False)
    if pos:
        v = _get(snap, dev.id, pos[0][0], pos[0][1].name)
        if isinstance(v, int | float):
            if v <= 0:
                return "关着" if lang == "zh" else "closed"
            if v >= 100:
                return "开着" if lang == "zh" else "open"
            return f"开着（{v}%）" if lang == "zh" else f"open ({v}%)"
    lock = P.by_names(dev, ("locked",), write=False)
    if lock:
        v = _get(snap, dev.id, lock[0][0], "locked")
        return ("锁着" if v else "没锁") if lang == "zh" else ("locked" if v else "unlocked")
    opened = P.by_names(dev, ("open",), write=False)
    if opened and opened[0][1].format.value == "bool":
        v = _get(snap, dev.id, opened[0][0], "open")
        return ("开着" if v else "关着") if lang == "zh" else ("open" if v else "closed")
    sw = P.switch_property(dev)
    if sw:
        v = _get(snap, dev.id, sw[0], sw[1].name)
        return ("开着" if v else "关着") if lang == "zh" else ("on" if v else "off")
    return None


def is_active(dev: Device, snap: Snapshot, verbs: set[str]) -> bool | None:
    """Whether a device is in the state the verbs ask about (on/open/unlocked…)."""
    lock = P.by_names(dev, ("locked",), write=False)
    if lock and verbs & {"lock", "unlock"}:
        locked = _get(snap, dev.id, lock[0][0], "locked") is True
        return locked if "lock" in verbs else not locked
    word = state_word(None, dev, snap, "en")  # type: ignore[arg-type]
    if word is None:
        return None
    active = word.startswith(("on", "open", "unlocked"))
    return not active if verbs & {"off", "close"} and not verbs & {"on", "open"} else active


def answer_devices(index: HomeIndex, frame: Frame, snap: Snapshot, targets: Targets) -> Answer | Issue:
    """Values or states of the devices a question names."""
    lang = frame.lang
    devices = [index.home.devices[d] for d in targets.devices]
    verbs = set(frame.verbs)
    concepts = [index.lex.concepts[c] for c in frame.props if c in index.lex.concepts
                and c not in ("status", "power")]
    words = set(frame.text.split())
    listing = (len(devices) > 1 and any(w in frame.text for w in ("which", "哪", "any", "what", "有没有", "几"))) or (
        bool(words & {"any", "which"}) or any(w in frame.text.replace(" ", "") for w in ("有没有", "哪些", "哪个")))
    if listing and verbs and not concepts:
        active = [d for d in devices if is_active(d, snap, verbs)]
        names = [index.device_name(d.id, lang) for d in active]
        state = value_text(None, not verbs & {"off", "close"}, lang) if not verbs & {"lock", "unlock"} else (
            ("locked" if "lock" in verbs else "unlocked") if lang == "en" else ("锁着" if "lock" in verbs else "没锁"))
        if lang == "zh":
            text = f"{state}着的有：{join(names, lang)}。" if names else f"没有{state}着的设备。"
        else:
            text = f"{join(names, lang)} {'is' if len(names) == 1 else 'are'} {state}." if names else \
                f"None of them is {state}."
        return Answer(text, "HassGetState", {"devices": [d.id for d in active]})
    texts = []
    for dev in devices:
        name = index.device_name(dev.id, lang)
        setpoint = "set" in verbs and P.by_concepts(dev, concepts, write=True)
        found = (P.by_names(dev, frame.names, write=False) if frame.names else []) or (
            [f for f in setpoint if f[1].writable] if setpoint else []) or P.by_concepts(dev, concepts, write=False)
        if not found and "status" in frame.props and not P.position_property(dev):
            found = P.by_names(dev, ("status", "playing-state"), write=False)
        word = state_word(index, dev, snap, lang)
        if found and found[0][1].format.value == "bool" and word is not None and not frame.names[1:]:
            texts.append(f"{name}{word}。" if lang == "zh" else f"{the(name, lang).capitalize()} is {word}.")
            continue
        if found:
            svc, prop = found[0]
            value = _get(snap, dev.id, svc, prop.name)
            texts.append(_statement(name, label(prop, lang), value_text(prop, value, lang), lang))
            continue
        if concepts and len(devices) == 1:
            return Issue("refused", "no_property", {"device": name, "what": frame.props[0]})
        if concepts:
            continue
        if word is not None:
            texts.append(f"{name}{word}。" if lang == "zh" else f"{the(name, lang).capitalize()} is {word}.")
            extra = P.primary_number(dev)
            if extra and len(devices) == 1 and not P.position_property(dev):
                value = _get(snap, dev.id, extra[0], extra[1].name)
                texts.append(_statement(name, label(extra[1], lang), value_text(extra[1], value, lang), lang))
            continue
        readable = next(((s, p) for s, p in dev.spec.iter_properties() if p.readable), None)
        if readable:
            value = _get(snap, dev.id, readable[0], readable[1].name)
            texts.append(_statement(name, label(readable[1], lang), value_text(readable[1], value, lang), lang))
    if not texts:
        return Issue("refused", "no_property", {"device": join([index.device_name(d.id, lang) for d in devices],
                                                                lang), "what": frame.props[0] if frame.props else "?"})
    intent = "HassClimateGetTemperature" if "temperature" in frame.props else "HassGetState"
    return Answer(("" if lang == "zh" else " ").join(texts), intent, {"devices": list(targets.devices)})
