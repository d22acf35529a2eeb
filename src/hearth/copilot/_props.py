"""Mapping words to a device's spec: which property or action a clause means on one device."""

from __future__ import annotations

import re
from collections.abc import Iterable

from hearth.copilot._frame import Frame
from hearth.copilot._lexicon import PropertyConcept, part_words
from hearth.errors import SpecError
from hearth.model import Device, Format, PropertySpec, Value

Found = tuple[str, PropertySpec]

_ON_NAMES = ("on", "power", "switch", "switch-status", "enabled", "enable", "active", "power-on", "running")
_UNIT_OF = {"%": ("percentage", "percent", "%"), "°": ("celsius", "°c"), "K": ("kelvin",), "A": ("ampere", "a"),
            "min": ("minutes", "minute", "min", "seconds", "second", "s", "hours", "hour", "h")}
# Which percentage property a bare "50%" means, most likely first.
_PERCENT_ORDER = ("brightness", "target-position", "volume", "target-humidity", "ChargeLimit")
_ACTION_WORDS = {
    "start": ("start-sweep", "start", "sweep", "clean", "play", "begin", "run"),
    "stop": ("stop-sweeping", "stop", "halt", "end"),
    "pause": ("pause-sweeping", "pause"),
    "dock": ("start-charge", "charge", "dock", "return", "home", "back"),
    "play": ("play", "resume"),
    "next": ("next",),
    "previous": ("previous", "prev", "back"),
    "charge": ("start-charge", "charge"),
    "stop_charge": ("stop-charge",),
}


_NUM = r"(\d+(?:\.\d+)?)"
# (pattern over the clause's space-separated tokens, minutes per number or a fixed number of minutes)
_DURATIONS: tuple[tuple[re.Pattern[str], float], ...] = tuple((re.compile(p), m) for p, m in (
    (_NUM + r" (?:个 )?半 (?:个 )?小 时", -60.0), (_NUM + r" (?:个 )?(?:小 时|钟 头)", 60.0),
    (r"半 (?:个 )?小 时", 30.0), (r"一 刻 钟", 15.0), (_NUM + r" (?:and a half|and half) hour", -60.0),
    (r"an hour and a half", 90.0),
    (_NUM + r" (?:hour|hr|hrs|h)\b", 60.0), (r"half (?:an )?hour", 30.0), (r"\b(?:an|one) hour", 60.0),
    (_NUM + r" (?:minute|mins|min|分 钟|分)(?![a-z])", 1.0), (_NUM + r" (?:second|sec|secs|秒)", 1 / 60),
))
_PER_MINUTE = {"minutes": 1.0, "minute": 1.0, "min": 1.0, "seconds": 60.0, "second": 60.0, "s": 60.0,
               "hours": 1 / 60, "hour": 1 / 60, "h": 1 / 60}


def duration_minutes(frame: Frame) -> float | None:
    """A length of time said in the clause ("2 hours", "半小时", "一个半小时"), in minutes."""
    for pattern, minutes in _DURATIONS:
        found = pattern.search(frame.text)
        if found is None:
            continue
        if minutes == -60.0:  # "N and a half hours", "N个半小时"
            return (float(found.group(1)) + 0.5) * 60
        return float(found.group(1)) * minutes if found.groups() else minutes
    return None


def time_unit(prop: PropertySpec) -> float | None:
    """How many of the property's units make a minute, when it is a length of time."""
    return _PER_MINUTE.get((prop.unit or "").lower())


def in_unit(prop: PropertySpec, minutes: float) -> float:
    """A duration in minutes expressed in a time property's own unit, whole when it comes out whole."""
    value = minutes * (time_unit(prop) or 1.0)
    return float(int(value)) if value.is_integer() else value


def action_args(device: Device, service: str, action: str, frame: Frame) -> dict[str, Value] | tuple[str, Value]:
    """Inputs of an action filled from the numbers said ("feed the cat 2 portions"); (input, value) if out of range."""
    spec = device.spec.services[service]
    inputs = spec.actions[action].inputs
    numbers = [n.value for n in frame.numbers]
    minutes = duration_minutes(frame)
    args: dict[str, Value] = {}
    for name in inputs:
        prop = spec.properties.get(name)
        if prop is None:
            continue
        if minutes is not None and time_unit(prop) is not None:
            value: float | None = in_unit(prop, minutes)
        elif numbers and prop.format in (Format.INT, Format.FLOAT) and time_unit(prop) is None:
            value = numbers.pop(0)
        else:
            value = None
        if value is None:
            continue
        try:
            args[name] = prop.validate(int(value) if prop.format is Format.INT and value.is_integer() else value)
        except SpecError:
            return name, int(value) if value.is_integer() else value
    return args


def matches(prop: PropertySpec, names: Iterable[str]) -> bool:
    """Whether a property is one of the names (exact, or the tail of a VSS path)."""
    return any(prop.name == n or prop.name.endswith("." + n) for n in names)


def by_names(device: Device, names: Iterable[str], *, write: bool) -> list[Found]:
    """Properties of a device with one of these names, writable ones first when writing."""
    wanted = list(names)
    found: list[Found] = []
    for name in wanted:
        for svc, prop in device.spec.iter_properties():
            if (svc, prop) not in found and matches(prop, (name,)):
                found.append((svc, prop))
    if write:
        found.sort(key=lambda f: not f[1].writable)
    return found


def by_concepts(device: Device, concepts: Iterable[PropertyConcept], *, write: bool) -> list[Found]:
    """Properties a list of concepts points at on this device."""
    found: list[Found] = []
    for concept in concepts:
        names = concept.set_names if write else concept.get_names or concept.set_names
        for item in by_names(device, names or concept.get_names, write=write):
            if item not in found:
                found.append(item)
    return found


def by_choice(device: Device, words: Iterable[str]) -> list[tuple[str, PropertySpec, str]]:
    """Writable properties having a value-list entry named by one of the words."""
    out = []
    for word in words:
        for svc, prop in device.spec.iter_properties():
            if not prop.writable:
                continue
            for choice in prop.choices:
                if choice.description.lower() == word.lower():
                    out.append((svc, prop, choice.description))
    return out


def by_unit(device: Device, unit: str) -> list[Found]:
    """Writable numeric properties measured in a unit."""
    units = _UNIT_OF.get(unit, (unit.lower(),))
    found = [(s, p) for s, p in device.spec.iter_properties()
             if p.writable and not p.choices and (p.unit or "").lower() in units]
    if unit == "%":
        found.sort(key=lambda f: next((i for i, n in enumerate(_PERCENT_ORDER) if matches(f[1], (n,))), 99))
    return found


def primary_number(device: Device) -> Found | None:
    """The first writable numeric property (a light's brightness, an AC's target temperature)."""
    for svc, prop in device.spec.iter_properties():
        if prop.writable and not prop.choices and prop.format in (Format.INT, Format.FLOAT):
            return svc, prop
    return None


def switch_property(device: Device) -> Found | None:
    """The writable on/off property of a device, if it has one."""
    candidates = [(s, p) for s, p in device.spec.iter_properties() if p.writable and p.format is Format.BOOL]
    for name in _ON_NAMES:
        for svc, prop in candidates:
            if prop.name == name:
                return svc, prop
    return None


def part_switch(device: Device, text: str) -> Found | None:
    """The on/off of the part a sentence names, when a device has several ("the hot tub jets", "鱼缸水泵")."""
    switches = [(s, p) for s, p in device.spec.iter_properties()
                if p.writable and p.format is Format.BOOL and p.name in _ON_NAMES]
    if len({s for s, _ in switches}) < 2:
        return None
    said = re.sub(r"(?<=[^\x00-\x7f]) (?=[^\x00-\x7f])", "", text.lower())  # "鱼 缸 水 泵" → "鱼缸水泵"
    for own in sorted((device.name, *device.aliases), key=len, reverse=True):
        said = said.replace(own.lower(), " ")
    picked = []
    for svc, prop in switches:
        service = device.spec.services[svc]
        about = f"{svc} {service.description}".lower().replace("-", " ")
        direct = svc.replace("-", " ") in said and svc not in _ON_NAMES
        if direct or any(any(m in about for m in match) and any(_said(w, said) for w in words)
                         for match, words in part_words()):
            picked.append((svc, prop))
    return picked[0] if len(picked) == 1 else None


def _said(word: str, text: str) -> bool:
    if word.isascii():
        return re.search(rf"\b{re.escape(word)}s?\b", text) is not None
    return word in text


def position_property(device: Device) -> Found | None:
    """The writable target position of a cover (curtain, garage door, window opener)."""
    found = by_names(device, ("target-position",), write=True)
    return found[0] if found and found[0][1].writable else None


def lock_property(device: Device) -> Found | None:
    """The writable locked flag of a lock."""
    found = by_names(device, ("locked",), write=True)
    return found[0] if found and found[0][1].writable else None


def find_action(device: Device, verb: str, frame: Frame) -> tuple[str, str] | None:
    """The (service, action) a verb means on this device, if it has actions."""
    named = [(s.name, a.name) for s in device.spec.services.values() for a in s.actions.values()
             if a.name in frame.actions]
    if named:
        return named[0]
    if verb == "act":
        return None
    words = _ACTION_WORDS.get(verb, ())
    for word in words:
        for svc in device.spec.services.values():
            for action in svc.actions.values():
                if action.name == word or (word in action.name.split("-") and not action.inputs):
                    return svc.name, action.name
    return None


def room_action(device: Device) -> tuple[str, str, str] | None:
    """An action that cleans one room: (service, action, argument name)."""
    for svc in device.spec.services.values():
        for action in svc.actions.values():
            if len(action.inputs) == 1 and ("room" in action.name or "area" in action.inputs[0]):
                return svc.name, action.name, action.inputs[0]
    return None


_MEDIA_VERBS = frozenset({"play", "next", "previous"})


def has_ability(device: Device, verbs: set[str], frame: Frame) -> bool:
    """Whether a device can do what a clause's verbs ask (used to pick implicit targets)."""
    media = verbs & _MEDIA_VERBS
    if media:
        # "暂停播放", "next song": playback verbs go to what plays media, never to a vacuum that can also pause.
        return any(find_action(device, v, frame) for v in media)
    if verbs & {"on", "off"} and switch_property(device):
        return True
    if verbs & {"open", "close"} and position_property(device):
        return True
    if verbs & {"lock", "unlock"} and lock_property(device):
        return True
    return any(find_action(device, v, frame) for v in verbs)
