"""Rules from a sentence, the "when" half: state phrases read as triggers or conditions (times: _rules_text_time)."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from hearth.copilot._frame import Frame, parse
from hearth.copilot._index import HomeIndex
from hearth.copilot._text import Lang
from hearth.core import Actor
from hearth.model import Device, Format, PropertySpec, Value

_SECONDS = {"second": 1, "sec": 1, "秒": 1, "minute": 60, "min": 60, "分钟": 60, "分": 60, "hour": 3600, "hr": 3600,
            "小时": 3600}
_FOR_EN = re.compile(r"\bfor (?:more than |over |at least )?(\d+(?:\.\d+)?) ?(seconds?|secs?|minutes?|mins?|hours?|h"
                     r"rs?)\b")
_FOR_ZH = re.compile(r"(?:超过|持续|达到|长达|"
                     r"满)?(\d+(?:\.\d+)?)\s*(秒钟?|分钟|分|小时)(?:以上|还没关|没关|后|之后|以后)?")
_NOT_TIME = r"(?!\d|\.\d|\s*(?:秒|分钟|分|小时|sec|min|hour|hr))"
_ABOVE = re.compile(r"(?:above|over|higher than|more than|greater than|exceeds?|hotter than|warmer than|高于|超过|大于|"
                    rf"多于|高过|超出)\s*(-?\d+(?:\.\d+)?){_NOT_TIME}|(-?\d+(?:\.\d+)?)\s*(?:度|%|°)?\s*(?:以上|"
                    rf"或以上)")
_BELOW = re.compile(r"(?:below|under|lower than|less than|colder than|cooler than|drops? to|低于|小于|少于|不到|不足|"
                    r"低过)\s*(-?\d+(?:\.\d+)?)(?!\d|\.\d|"
                    r"\s*(?:秒|分钟|分|小时|sec|min|hour|hr))|(-?\d+(?:\.\d+)?)\s*(?:度|%"
                    r"|°)?\s*(?:以下|以内)")
_DISTANCE = re.compile(r"(?:within|less than|under)\s*(\d+(?:\.\d+)?)\s*(km|kilomet\w*|公里|千米|m|meters?|米)"
                       r"|(\d+(?:\.\d+)?)\s*(km|公里|千米|米|m)\s*(?:以内|之内|内|范围内)")
_SELF = re.compile(r"\b(i|me|im|i am|myself)\b|我(?!们)")
_EVERYONE = re.compile(r"\b(everyone|everybody|all of us|the family|nobody|no one|noone)\b|所有人|大家|全家|"
                       r"家里没人|没人|全都")
_ENTER = re.compile(r"\b(get|gets|got|arrive|arrives|come|comes|came|return|returns|reach|reaches|back)\b|到家|回家|"
                    r"回到|到达|到了|进门|抵达|到")
_LEAVE = re.compile(r"\b(leave|leaves|left|leaving|goes out|go out|away)\b|离家|离开|出门|外出|走了")
_SOMEONE = re.compile(r"\b(someone|somebody|anyone|anybody|a person|people|a stranger|visitor)\b|有人|陌生人|访客|来人")
_NOT = re.compile(r"\b(not|isnt|isn t|arent|no longer|un)\b|没|未|不")


class RuleTextError(Exception):
    """The sentence cannot become a rule; `status` is refused, clarify or unsupported."""

    def __init__(self, status: str, en: str, zh: str, options: tuple[str, ...] = ()) -> None:
        super().__init__(en)
        self.status, self.en, self.zh, self.options = status, en, zh, options

    def text(self, lang: Lang) -> str:
        """The reason in the user's language."""
        return self.zh if lang == "zh" else self.en


@dataclass(frozen=True, slots=True)
class Phrase:
    """One "something happens / something is so" phrase, before it is used as a trigger or a condition."""

    kind: str  # state | numeric | zone | distance | perception | event
    devices: tuple[str, ...]
    prop: str = ""
    value: Value | None = None
    above: float | None = None
    below: float | None = None
    hold: float = 0.0
    zone: str = "home"
    event: str = ""
    area: str | None = None

    def trigger(self) -> dict[str, Any]:
        """The phrase as a rule trigger."""
        dev: Any = list(self.devices) if len(self.devices) > 1 else self.devices[0] if self.devices else None
        if self.kind == "state":
            out: dict[str, Any] = {"trigger": "state", "device": dev, "property": self.prop, "to": self.value}
        elif self.kind == "numeric":
            out = {"trigger": "numeric", "device": dev, "property": self.prop}
            out.update({k: v for k, v in (("above", self.above), ("below", self.below)) if v is not None})
        elif self.kind == "zone":
            return {"trigger": "zone", "device": dev, "zone": self.zone, "event": self.event}
        elif self.kind == "distance":
            return {"trigger": "distance", "device": dev, "zone": self.zone, "below": self.below}
        elif self.kind == "perception":
            return {"trigger": "perception", "camera": self.devices[0], "kind": self.event}
        else:
            return {"trigger": "event", "device": dev, "event": self.event}
        if self.hold:
            out["for"] = f"{self.hold:g}s"
        return out

    def condition(self) -> dict[str, Any]:
        """The phrase as a rule condition (a phrase that only happens, like a doorbell ring, is not one)."""
        dev: Any = list(self.devices) if len(self.devices) > 1 else self.devices[0]
        if self.kind == "state":
            out: dict[str, Any] = {"condition": "state", "device": dev, "property": self.prop, "state": self.value}
            if self.hold:
                out["for"] = f"{self.hold:g}s"
            return out
        if self.kind == "numeric":
            out = {"condition": "numeric", "device": dev, "property": self.prop}
            out.update({k: v for k, v in (("above", self.above), ("below", self.below)) if v is not None})
            return out
        if self.kind == "zone":
            inside = {"condition": "zone", "device": dev, "zone": self.zone}
            return inside if self.event == "enter" else {"condition": "not", "conditions": [inside]}
        raise RuleTextError("unsupported", "That can start a rule but can't be checked as a condition.",
                            "这个只能作为触发条件，不能作为判断条件。")


class PhraseReader:
    """Reads one phrase ("the front door stays open for 5 minutes", "爱丽丝睡着") against a home."""

    def __init__(self, index: HomeIndex, actor: Actor) -> None:
        self.index, self.home, self.actor = index, index.home, actor

    def read(self, text: str, lang: Lang) -> Phrase:
        """The phrase, or RuleTextError saying what this home lacks."""
        frames = parse(self.index, text, lang)
        frame = frames[0]
        for other in frames[1:]:
            for name in ("devices", "cores", "types", "areas", "persons", "props", "zones", "unknown"):
                getattr(frame, name).extend(getattr(other, name))
        hold = _hold(text)
        area = next((a[0] for a in frame.areas if a), None)
        for reader in (self._presence, self._distance, self._zone, self._perception, self._doorbell, self._asleep,
                       self._numeric,
                       self._lock, self._open, self._motion, self._switch):
            found = reader(text, frame, area)
            if found is not None:
                if hold and found.kind in ("state", "numeric"):
                    found = Phrase(found.kind, found.devices, found.prop, found.value, found.above, found.below, hold,
                                   found.zone, found.event, found.area)
                return found
        what = frame.unknown[0] if frame.unknown else text
        raise RuleTextError("unsupported", f"I can't tell what should start the rule from \"{what}\".",
                            f"没听懂“{what}”是什么情况下触发。")

    # ---- who and what ----

    def people(self, text: str, frame: Frame) -> list[str]:
        people = list(dict.fromkeys(frame.persons))
        if _EVERYONE.search(text):
            return list(self.home.people)
        if _SELF.search(text) and self.actor.id in self.home.people and self.actor.id not in people:
            people.insert(0, self.actor.id)
        return people

    def mentioned(self, frame: Frame, area: str | None) -> list[str]:
        ids: list[str] = []
        for group in (*frame.devices, *frame.cores, *frame.typed_cores):
            ids.extend(group)
        for group in frame.types:
            ids.extend(d for t in group for d in self.index.by_type.get(t, ())
                       if area is None or self.home.devices[d].area == area)
        return list(dict.fromkeys(ids))

    def pick(self, frame: Frame, area: str | None, ok: Callable[[Device], bool], what: tuple[str, str]) -> list[str]:
        """Devices the phrase names that can do `ok`; else those beside them in the same room; else refuse."""
        named = self.mentioned(frame, area)
        found = [d for d in named if ok(self.home.devices[d])]
        if not found:
            areas = {self.home.devices[d].area for d in named} | ({area} if area else set())
            areas.discard(None)
            pool: Iterable[str] = (d for a in areas for d in self.index.by_area.get(str(a), ()))
            found = [d for d in pool if ok(self.home.devices[d])]
        if not found and not named and area is None:
            found = [d.id for d in self.home.devices.values() if ok(d)]
            if len(found) > 1:
                names = tuple(found)
                raise RuleTextError("clarify", f"Which {what[0]} do you mean?", f"您指的是哪个{what[1]}？", names)
        if not found:
            raise RuleTextError("refused", f"This home has no {what[0]} there.", f"家里那里没有{what[1]}。")
        return found

    # ---- readers, most specific first ----

    def _presence(self, text: str, frame: Frame, area: str | None) -> Phrase | None:
        nobody = re.search(r"\b(nobody|no one|noone)\b.*\bhome\b|\beveryone\b.*\b(leaves|left|has left|is away|is ou"
                           r"t)\b|"
                           r"\beverybody\b.*\b(leaves|left|has left)\b|家里没人|没人在家|家里没有人|"
                           r"所有人都?(离家|离开|出门|不在家)|"
                           r"大家都?(离家|离开|出门|走了)|全家都?(出门|离家|离开)", text)
        anyone = re.search(r"\b(someone|somebody|anyone) (is|gets|comes) home\b|有人在家|有人回家|有人到家", text)
        people = [p for p in self.home.people if _has(self.home.devices[p], "presence.at-home")]
        if not (nobody or anyone) or not people:
            return None
        return Phrase("state", tuple(people), "presence.at-home", bool(anyone), event="all" if nobody else "")

    def _distance(self, text: str, frame: Frame, area: str | None) -> Phrase | None:
        m = _DISTANCE.search(text)
        if not m:
            return None
        number, unit = (m.group(1), m.group(2)) if m.group(1) else (m.group(3), m.group(4))
        km = float(number) / (1000 if unit in ("m", "米") or unit.startswith("meter") else 1)
        who = self.people(text, frame) or [d for d in self.mentioned(frame, None) if _located(self.home.devices[d])]
        if not who:
            raise RuleTextError("refused", "Only people, phones and cars have a distance from home.",
                                "只有家人、手机和车辆才有离家距离。")
        return Phrase("distance", tuple(who[:1] if len(who) > 1 and not _EVERYONE.search(text) else who),
                      below=km, zone=_zone(frame))

    def _zone(self, text: str, frame: Frame, area: str | None) -> Phrase | None:
        leave = bool(_LEAVE.search(text))
        about_home = frame.zones or re.search(r"\bhome\b|家", text)
        if not about_home or not (leave or _ENTER.search(text)):
            return None
        who = self.people(text, frame) or [d for d in self.mentioned(frame, None) if _located(self.home.devices[d])]
        if not who:
            return None
        return Phrase("zone", tuple(who), zone=_zone(frame), event="leave" if leave else "enter")

    def _perception(self, text: str, frame: Frame, area: str | None) -> Phrase | None:
        kind = "person" if _SOMEONE.search(text) else "package" if re.search(r"\bpackage|parcel|快递|包裹", text) \
            else "pet" if re.search(r"\b(dog|cat|pet|animal)\b|猫|狗|宠物", text) else None
        if kind is None or not (frame.areas or frame.devices or frame.cores or frame.types):
            return None
        if re.search(r"\b(ring|rings|press|presses)\b|按门铃|门铃响", text) or "motion" in frame.props:
            return None
        try:
            cams = self.pick(frame, area, lambda d: d.type == "camera", ("camera", "摄像头"))
        except RuleTextError:
            return None
        return Phrase("perception", (cams[0],), event=kind)

    def _doorbell(self, text: str, frame: Frame, area: str | None) -> Phrase | None:
        if not re.search(r"\b(rings?|ringing|presses|pressed)\b|按门铃|门铃响|响了|响", text):
            return None
        bells = self.pick(frame, area, lambda d: any("ring" in s.events for s in d.spec.services.values()),
                          ("doorbell", "门铃"))
        return Phrase("event", (bells[0],), event="ring")

    def _asleep(self, text: str, frame: Frame, area: str | None) -> Phrase | None:
        asleep = re.search(r"\b(falls? asleep|fell asleep|goes to sleep|go to sleep|is asleep|are asleep|gone to bed"
                           r"|goes"
                           r" to bed)\b|睡着|入睡|睡觉了|睡了|去睡觉|上床睡觉", text)
        awake = re.search(r"\b(wakes? up|woke up|is awake|gets up)\b|醒来|醒了|起床", text)
        if not (asleep or awake):
            return None
        who = self.people(text, frame)
        if not who:
            raise RuleTextError("refused", "Only people sleep and wake up here.", "只有家人才有睡眠状态。")
        for person in who:
            if not _has(self.home.devices[person], "sleep.asleep"):
                raise RuleTextError("refused", f"{person} has no sleep data.", f"{person}没有睡眠数据。")
        return Phrase("state", tuple(who), "sleep.asleep", bool(asleep))

    def _numeric(self, text: str, frame: Frame, area: str | None) -> Phrase | None:
        above, below = _ABOVE.search(text), _BELOW.search(text)
        if not (above or below):
            return None
        names = self._numeric_names(text, frame)
        people = self.people(text, frame) if not self.mentioned(frame, area) else []
        candidates = people or None

        def ok(dev: Device) -> bool:
            return any(_numeric_prop(dev, n) is not None for n in names)

        devices = [d for d in candidates if ok(self.home.devices[d])] if candidates else \
            self.pick(frame, area, ok, ("sensor for that", "对应的传感器"))
        # A thermometer over the air conditioner's own reading: prefer devices with the least to control.
        devices.sort(key=lambda d: sum(p.writable for _, p in self.home.devices[d].spec.iter_properties()))
        dev = self.home.devices[devices[0]]
        name = next(n for n in names if _numeric_prop(dev, n) is not None)
        same = [d for d in devices if _numeric_prop(self.home.devices[d], name) is not None]
        low, high = _bound(above), _bound(below)
        if low is not None and high is not None and low >= high:
            low, high = (low, None) if above and below and above.start() < below.start() else (None, high)
        return Phrase("numeric", tuple(same[:1] if not frame.types else same), _numeric_prop(dev, name) or name,
                      above=low, below=high, area=area)

    def _numeric_names(self, text: str, frame: Frame) -> list[str]:
        names: list[str] = []
        for concept in frame.props:
            spec = self.index.lex.concepts.get(concept)
            if spec is not None:
                names.extend(n for n in (*spec.get_names, *spec.set_names) if not n.startswith("target"))
        for part in frame.car_parts:
            names.extend(self.index.lex.car_parts[part].get_paths if part in self.index.lex.car_parts else ())
        if not names and re.search(r"度|°|degree", text):
            names.append("temperature")
        if not names and re.search(r"%|percent", text):
            names.extend(["StateOfCharge.Current", "battery-level", "relative-humidity"])
        return names or ["temperature"]

    def _lock(self, text: str, frame: Frame, area: str | None) -> Phrase | None:
        m = re.search(r"\b(unlocked|locked|not locked|left unlocked|unlocks|locks)\b|没锁|未锁|没有锁|未上锁|没上锁|"
                      r"开锁|解锁|"
                      r"锁上|上锁|锁了|锁好", text)
        if not m:
            return None
        word = m.group(0)
        locked = not (word.startswith("un") or word in ("没锁", "未锁", "没有锁", "未上锁", "没上锁", "开锁", "解锁")
                      or re.search(r"\b(not|isnt|arent)\b", text))
        devices = self.pick(frame, area, lambda d: _has(d, "lock.locked"), ("lock", "门锁"))
        return Phrase("state", tuple(devices[:1]), "lock.locked", locked)

    def _open(self, text: str, frame: Frame, area: str | None) -> Phrase | None:
        opened = re.search(r"\b(opens?|opened|open|left open)\b|打开|开着|开了|被打开|开门|没关|未关", text)
        closed = re.search(r"\b(closes?|closed|shuts?|shut)\b|关上|关了|关闭|关好", text)
        if not (opened or closed):
            return None
        value = opened is not None and not (closed is not None and closed.start() > opened.start())
        if re.search(r"\b(not|isnt|arent)\b", text) and not re.search(r"没关|未关", text):
            value = not value

        def ok(dev: Device) -> bool:
            return _open_prop(dev) is not None

        try:  # a door sensor beside "the door" before a garage door's position
            devices = self.pick(frame, area, lambda d: d.type != "car" and (_open_prop(d) or ("", True))[1] is False,
                                ("", ""))
        except RuleTextError:
            devices = self.pick(frame, area, ok, ("door or window sensor", "门窗传感器"))
        dev = self.home.devices[devices[0]]
        prop, numeric = _open_prop(dev) or ("", False)
        if numeric:
            return Phrase("numeric", (dev.id,), prop, above=0 if value else None, below=None if value else 1)
        return Phrase("state", (dev.id,), prop, value)

    def _motion(self, text: str, frame: Frame, area: str | None) -> Phrase | None:
        if not (re.search(r"\b(motion|movement|moves|moving)\b|有人移动|有动静|移动|有人经过|有人走动|检测到人", text)
                or (_SOMEONE.search(text) and (frame.areas or frame.types))):
            return None
        none = re.search(r"\bno (motion|movement|one)\b|nobody|没人|无人|没有人", text)
        devices = self.pick(frame, area, lambda d: _has(d, "motion-state") or _has(d, "occupancy-status"),
                            ("motion sensor", "人体传感器"))
        dev = self.home.devices[devices[0]]
        prop = "motion-state" if _has(dev, "motion-state") else "occupancy-status"
        service, _ = dev.spec.find(prop)
        return Phrase("state", (dev.id,), f"{service}.{prop}", not none)

    def _switch(self, text: str, frame: Frame, area: str | None) -> Phrase | None:
        on = re.search(r"\b(turns? on|is on|comes? on|switched on|turned on)\b|亮了|开了|打开了|启动了", text)
        off = re.search(r"\b(turns? off|is off|goes off|switched off|turned off)\b|灭了|关了|关闭了|停了", text)
        if not (on or off):
            return None
        devices = self.pick(frame, area, lambda d: _switch_of(d) is not None, ("switch", "开关"))
        return Phrase("state", (devices[0],), _switch_of(self.home.devices[devices[0]]) or "", bool(on))


def _bound(m: re.Match[str] | None) -> float | None:
    return float(m.group(1) or m.group(2)) if m else None


def _zone(frame: Frame) -> str:
    return next((z for z in frame.zones if z != "home"), "home")


def _hold(text: str) -> float:
    m = _FOR_EN.search(text) or _FOR_ZH.search(text)
    if not m:
        return 0.0
    unit = m.group(2).rstrip("s").removesuffix("钟")
    factor = next((v for k, v in _SECONDS.items() if unit.startswith(k) or unit == k), 60)
    return float(m.group(1)) * factor


def _has(dev: Device, name: str) -> bool:
    try:
        dev.spec.find(name)
    except Exception:  # SpecError: the device has no such property
        return False
    return True


def _located(dev: Device) -> bool:
    services = dev.spec.services
    return "location" in services or ("vehicle" in services and "Vehicle.CurrentLocation.Latitude"
                                      in services["vehicle"].properties)


def _numeric_prop(dev: Device, name: str) -> str | None:
    for svc in dev.spec.services.values():
        for prop in svc.properties.values():
            if (prop.name == name or prop.name.endswith("." + name)) and _is_number(prop):
                return prop.name if prop.name.startswith("Vehicle.") else f"{svc.name}.{prop.name}"
    return None


def _is_number(prop: PropertySpec) -> bool:
    return prop.format not in (Format.BOOL, Format.STRING) and not prop.choices


def _open_prop(dev: Device) -> tuple[str, bool] | None:
    for svc in dev.spec.services.values():
        for prop in svc.properties.values():
            if prop.name == "open" or prop.name.endswith(".IsOpen"):
                return (prop.name if prop.name.startswith("Vehicle.") else f"{svc.name}.{prop.name}"), False
    for svc in dev.spec.services.values():
        if "current-position" in svc.properties:
            return f"{svc.name}.current-position", True
    return None


def _switch_of(dev: Device) -> str | None:
    for svc in dev.spec.services.values():
        prop = svc.properties.get("on")
        if prop is not None and prop.format == Format.BOOL:
            return f"{svc.name}.on"
    return None
