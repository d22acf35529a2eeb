"""The planner: (snapshot, clause) → commands for each target device, or the reason it cannot be done."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from functools import cache
from typing import Any

from hearth.copilot import _props as P
from hearth.copilot._actions import (
    action,
    duration_with_action,
    handed_out,
    mode_with_action,
    robot_job_elsewhere,
    whole,
)
from hearth.copilot._car import car_commands
from hearth.copilot._choice_parts import part_commands
from hearth.copilot._frame import Frame, Number
from hearth.copilot._index import HomeIndex
from hearth.copilot._reply import label, value_text
from hearth.copilot._resolve import Issue
from hearth.core import Command
from hearth.errors import SpecError
from hearth.model import Device, Format, PropertySpec, Value

Snapshot = Mapping[tuple[str, str, str], Value]
_STEP_PERCENT = {"bit": 10, "lot": 30, "": 10}
_STEP_CELSIUS = {"bit": 1, "lot": 3, "": 1}
_ACTION_VERBS = ("start", "stop", "pause", "dock", "play", "next", "previous", "charge", "stop_charge")


@dataclass
class DevicePlan:
    """Commands for one device plus what they mean, for intents and replies."""

    device: str
    commands: list[Command] = field(default_factory=list)
    intent: str = "HearthSetProperty"
    slots: dict[str, Any] = field(default_factory=dict)


def amount_key(frame: Frame) -> str:
    """How much a vague change means: a bit, a lot, or the default."""
    return "lot" if "lot" in frame.flags else "bit" if "bit" in frame.flags else ""


def direction(frame: Frame) -> int:
    """+1 for up words, -1 for down words, 0 when neither was said."""
    verbs = frame.verbs
    ups = [i for i, v in enumerate(verbs) if v == "up"]
    downs = [i for i, v in enumerate(verbs) if v == "down"]
    if ups and not downs:
        return 1
    if downs and not ups:
        return -1
    if ups and downs:
        return 1 if ups[-1] > downs[-1] else -1
    return 0


def plan_device(index: HomeIndex, device: Device, frame: Frame, snap: Snapshot, areas: tuple[str, ...]) -> \
        DevicePlan | Issue:
    """Commands that carry out a clause on one device."""
    if device.type == "car":
        return car_commands(index, device, frame, snap)
    verbs = set(frame.verbs)
    name = index.device_name(device.id, frame.lang)
    plan = DevicePlan(device.id)
    elsewhere = robot_job_elsewhere(device, frame, name)
    if elsewhere is not None:
        return elsewhere
    parts = part_commands(device, frame)
    if parts is not None:
        plan.commands.extend(parts)
        plan.slots = {"property": f"{parts[0].service}.{parts[0].property}", "value": parts[0].value}
        return plan
    for special in (bool_feature(device, frame), pause_command(device, verbs) if not frame.actions else None):
        if special is not None and not (special.property == "motor-control" and P.find_action(device, "stop", frame)):
            plan.commands.append(special)
            plan.slots = {"property": f"{special.service}.{special.property}", "value": special.value}
            return plan
    # "浇水时长设为10分钟": setting a named property, not running the action its words also name.
    setting = "set" in verbs and bool(frame.names) and bool(frame.numbers)
    handed = handed_out(device, frame)
    if handed is not None:
        plan.commands.append(handed)
        plan.intent, plan.slots = "HearthDeviceAction", {"action": handed.action}
        return plan
    for verb in [*([] if setting else frame.actions), *[v for v in frame.verbs if v in _ACTION_VERBS]]:
        found = action(device, verb, frame, areas, index)
        if isinstance(found, Issue):
            found.params.setdefault("device", name)
            return found
        if found is not None:
            mode = mode_with_action(device, frame, name)
            if isinstance(mode, Issue):
                return mode
            timed = duration_with_action(device, frame, found, name)
            if isinstance(timed, Issue):
                return timed
            plan.commands.extend([*mode, *timed, found])
            plan.intent = _action_intent(verb, device)
            plan.slots = {"action": found.action}
            return plan
    if verbs & {"mute", "unmute"}:
        mute = P.by_names(device, ("mute",), write=True)
        if mute and mute[0][1].writable:
            svc, prop = mute[0]
            plan.commands.append(Command(device.id, svc, property=prop.name, value="mute" in verbs))
            plan.intent = "HassMediaPlayerMute" if "mute" in verbs else "HassMediaPlayerUnmute"
            return plan
    wants_value = bool(frame.numbers or frame.values or frame.flags & {"qmax", "qmin", "qhalf"}
                       or P.duration_minutes(frame) is not None
                       or frame.names or (frame.props and (verbs & {"up", "down", "set"} or direction(frame))))
    if wants_value and not (verbs & {"lock", "unlock"} and not frame.numbers):
        result = _set_value(index, device, frame, snap, name)
        if isinstance(result, Issue):
            if not (verbs & {"on", "off", "open", "close"}) or result.key not in ("no_property", "what_value"):
                return result
        else:
            plan.commands.append(result)
            extra = _second_choice(device, frame, result)
            if extra is not None:
                plan.commands.append(extra)
            if "on" in verbs and (sw := P.switch_property(device)) and snap.get((device.id, *_key(sw))) is False:
                plan.commands.insert(0, Command(device.id, sw[0], property=sw[1].name, value=True))
            plan.intent = _set_intent(device, result)
            plan.slots = {"property": f"{result.service}.{result.property}", "value": result.value}
            return plan
    if verbs & {"up", "down"} and not frame.props:
        result = _set_value(index, device, frame, snap, name)
        if not isinstance(result, Issue):
            plan.commands.append(result)
            plan.intent = _set_intent(device, result)
            plan.slots = {"property": f"{result.service}.{result.property}", "value": result.value}
            return plan
    switched = _switch(device, verbs, frame, name)
    if isinstance(switched, Issue):
        return switched
    if switched is not None:
        plan.commands.append(switched)
        plan.intent = _switch_intent(switched)
        plan.slots = {"property": f"{switched.service}.{switched.property}", "value": switched.value}
        return plan
    if "set" in verbs and frame.unknown and not frame.numbers:
        options = [c.description for _, p in device.spec.iter_properties() if p.writable for c in p.choices]
        if options:
            return Issue("refused", "no_choice", {"device": name, "value": frame.unknown[-1], "what": "",
                                                  "options": ", ".join(options)})
    asked = [v for v in frame.verbs if v in _ACTION_VERBS]
    if asked:
        return Issue("refused", "cannot", {"device": name, "action": asked[0].replace("_", " "),
                                           "action_zh": _ACTION_ZH.get(asked[0], asked[0])})
    if "set" in verbs:
        return Issue("clarify", "what_value", {"device": name})
    return Issue("clarify", "what_do", {"device": name})


_ACTION_ZH = {"start": "启动", "stop": "停止", "pause": "暂停", "dock": "回充", "play": "播放", "next": "切换下一首",
              "previous": "切换上一首", "charge": "充电", "stop_charge": "停止充电"}


def _key(found: P.Found) -> tuple[str, str]:
    return found[0], found[1].name


def _action_intent(verb: str, device: Device) -> str:
    if device.type == "vacuum":
        return {"start": "HassVacuumStart", "dock": "HassVacuumReturnToBase"}.get(verb, "HearthVacuumStop")
    return {"play": "HassMediaUnpause", "pause": "HassMediaPause", "next": "HassMediaNext",
            "previous": "HassMediaPrevious"}.get(verb, "HearthDeviceAction")


def _set_intent(device: Device, cmd: Command) -> str:
    prop = cmd.property or ""
    if prop in ("brightness", "color-temperature") and device.type == "light":
        return "HassLightSet"
    if prop == "target-temperature":
        return "HassClimateSetTemperature"
    if prop == "target-position":
        return "HassSetPosition"
    if prop == "volume":
        return "HassSetVolume"
    if prop == "fan-level":
        return "HassFanSetSpeed"
    return "HearthSetProperty"


def _switch_intent(cmd: Command) -> str:
    if cmd.property == "target-position":
        return "HassTurnOn" if cmd.value else "HassTurnOff"
    if cmd.property == "locked":
        return "HassLockLock" if cmd.value else "HassLockUnlock"
    return "HassTurnOn" if cmd.value else "HassTurnOff"


def _switch(device: Device, verbs: set[str], frame: Frame, name: str) -> Command | Issue | None:
    pos, lock = P.position_property(device), P.lock_property(device)
    sw = P.part_switch(device, frame.text) or P.switch_property(device)
    if pos is not None and verbs & {"open", "close", "on", "off"}:
        value = 50 if "qhalf" in frame.flags else (100 if verbs & {"open", "on"} and not verbs & {"close"} else 0)
        return Command(device.id, pos[0], property=pos[1].name, value=value)
    if lock is not None and verbs & {"lock", "unlock", "open", "close", "on", "off"}:
        locking = bool(verbs & {"lock", "close"}) and "unlock" not in verbs
        return Command(device.id, lock[0], property=lock[1].name, value=locking)
    if sw is not None and verbs & {"on", "off", "open", "close", "start", "stop"}:
        on = bool(verbs & {"on", "open", "start"}) and not (verbs & {"off", "close"} and "on" not in verbs)
        if verbs & {"on", "open"} and verbs & {"off", "close"}:
            on = frame.verbs.index(next(v for v in frame.verbs if v in ("on", "open"))) > frame.verbs.index(
                next(v for v in frame.verbs if v in ("off", "close")))
        return Command(device.id, sw[0], property=sw[1].name, value=on)
    if verbs & {"on", "off", "open", "close", "lock", "unlock"}:
        action = next(v for v in ("lock", "unlock", "open", "close", "on", "off") if v in verbs)
        zh = {"lock": "上锁", "unlock": "解锁", "open": "打开", "close": "关闭", "on": "打开", "off": "关闭"}[action]
        return Issue("refused", "cannot", {"device": name, "action": f"turn {action}" if action in ("on", "off")
                                           else action, "action_zh": zh})
    return None


def _choose(device: Device, frame: Frame, number: Number | None) -> P.Found | Issue | None:
    concepts = [index_concept for index_concept in frame.props]
    lex = _concepts()
    if frame.names:
        found = P.by_names(device, frame.names, write=True)
        if found and (found[0][1].writable or not concepts):
            return found[0]
    by_concept = P.by_concepts(device, [lex[c] for c in concepts if c in lex], write=True)
    if not by_concept and "temperature" in concepts and "color-temperature" in lex:
        by_concept = P.by_concepts(device, [lex["color-temperature"]], write=True)
    choice = P.by_choice(device, frame.values) if frame.values else []
    if len(choice) > 1:
        named = {(s, p.name) for s, p in by_concept}
        words = set(frame.tokens)
        choice.sort(key=lambda c: ((c[0], c[1].name) not in named,
                                   -sum(1 for w in c[1].name.split("-") if w in words)))
    if choice and number is None and not (by_concept and direction(frame)):
        return choice[0][0], choice[0][1]
    if by_concept and choice and number is not None and number.unit and number.unit != "level":
        # "22度，风速自动": the degrees set the temperature; the named setting takes the word (see _second_choice).
        measured = P.by_unit(device, number.unit)
        if measured and by_concept[0] not in measured:
            return measured[0]
    if by_concept:
        return by_concept[0]
    useful = [c for c in concepts if c in lex and lex[c].set_names]
    if useful and not choice:
        return Issue("refused", "no_property", {"what": _concept_word(useful[0], frame.lang)})
    if frame.values and not choice and number is None and not frame.flags & {"qmax", "qmin"}:
        options = [c.description for _, p in device.spec.iter_properties() if p.writable for c in p.choices]
        if options:
            return Issue("refused", "no_choice", {"value": frame.values[0], "what": "", "options": ", ".join(options)})
        return Issue("refused", "no_property", {"what": frame.values[0]})
    if number is not None and number.unit and number.unit != "level":
        found = P.by_unit(device, number.unit)
        if found:
            return found[0]
        what = _UNIT_WORDS.get(number.unit, {}).get(frame.lang, number.unit)
        return Issue("refused", "no_property", {"what": what})
    if number is not None and number.unit == "level":
        small = [(s, p) for s, p in device.spec.iter_properties() if p.writable and not p.choices and p.range
                 and p.format is Format.INT and p.range.max <= 10]
        if small:
            return small[0]
        levels = [(s, p) for s, p in device.spec.iter_properties() if p.writable and p.choices]
        if levels:
            return levels[0]
    return P.primary_number(device)


_UNIT_WORDS = {"%": {"en": "percentage setting", "zh": "百分比调节"},
               "°": {"en": "temperature setting", "zh": "温度调节"},
               "K": {"en": "color temperature", "zh": "色温"}, "A": {"en": "current setting", "zh": "电流调节"}}


@cache
def _concept_word(concept: str, lang: str) -> str:
    from hearth.copilot._lexicon import lexicon, load_section

    words = load_section("properties").get(concept, {}).get(lang) or []
    if words:
        return str(words[0])  # the first word listed for a concept is its plain name ("temperature", "温度")
    for tokens, meanings in lexicon().phrases.items():
        if ("prop", concept) in meanings and any("\u4e00" <= t <= "\u9fff" for t in tokens) == (lang == "zh"):
            return ("" if lang == "zh" else " ").join(tokens)
    return concept.replace("-", " ")


def _concepts() -> Mapping[str, Any]:
    from hearth.copilot._lexicon import lexicon

    return lexicon().concepts


def _set_value(index: HomeIndex, device: Device, frame: Frame, snap: Snapshot, name: str) -> Command | Issue:
    number = next((n for n in frame.numbers if n.unit), frame.numbers[0] if frame.numbers else None)
    minutes = P.duration_minutes(frame)
    if minutes is not None:
        number = Number(minutes, "min", True, bool(number and number.relative))
    found = _choose(device, frame, number)
    if isinstance(found, Issue):
        found.params.setdefault("device", name)
        return found
    if found is None:
        if number is not None and not any(p.writable for _, p in device.spec.iter_properties()):
            return Issue("refused", "read_only_device", {"device": name})
        return Issue("clarify", "what_value", {"device": name})
    svc, prop = found
    what = label(prop, frame.lang)
    if not prop.writable:
        return Issue("refused", "read_only", {"device": name, "what": what})
    current = snap.get((device.id, svc, prop.name))
    if number is not None and number.unit == "min" and minutes is not None and P.time_unit(prop) is not None:
        number = replace(number, value=P.in_unit(prop, minutes))
    value = _value_for(prop, frame, number, current)
    if isinstance(value, Issue):
        value.params.update(device=name, what=what)
        return value
    try:
        canonical = prop.validate(value)
    except SpecError as exc:
        rng = prop.range
        meant = _fahrenheit_meant(prop, frame, number, value)
        if meant is not None:
            return Command(device.id, svc, property=prop.name, value=meant)
        if rng is not None and isinstance(value, int | float) and not isinstance(value, bool):
            return Issue("refused", "out_of_range", {
                "device": name, "what": what, "value": value_text(prop, value, frame.lang),
                "low": value_text(prop, whole(rng.min), frame.lang), "high": value_text(prop, whole(rng.max),
                                                                                          frame.lang)})
        return Issue("refused", "bad_value", {"device": name, "value": value, "why": str(exc)})
    return Command(device.id, svc, property=prop.name, value=canonical)


_CELSIUS_SAID = re.compile(r"celsius|centigrade|°\s*c\b|\d\s*c\b", re.IGNORECASE)


def _fahrenheit_meant(prop: PropertySpec, frame: Frame, number: Number | None, value: Value) -> Value | None:
    """"Set the thermostat to 70": a bare English room-temperature setting no Celsius thermostat takes, but that is
    a Fahrenheit one inside its range, is taken as Fahrenheit (in half degrees Celsius). Only for room climate
    (a range topping out at 40 °C or below, values of 45–95): a water heater's 95 stays a refused 95 °C, and
    anything said in Celsius stays Celsius."""
    if (prop.unit != "celsius" or frame.lang != "en" or number is None or number.relative
            or not isinstance(value, int | float) or isinstance(value, bool) or prop.range is None
            or prop.range.max > 40 or not 45 <= value <= 95 or _CELSIUS_SAID.search(frame.text)):
        return None
    celsius = round((float(value) - 32) * 5 / 9 * 2) / 2
    try:
        return prop.validate(int(celsius) if prop.format is Format.INT and celsius.is_integer() else celsius)
    except SpecError:
        return None


def _value_for(prop: PropertySpec, frame: Frame, number: Number | None, current: Value | None) -> Value | Issue:
    sign = direction(frame)
    rng = prop.range
    kelvin = prop.unit == "kelvin"
    if rng is not None and frame.flags & {"qwarmest", "qcoolest"} and number is None:
        warm_high = not kelvin
        return whole(rng.max if ("qwarmest" in frame.flags) == warm_high else rng.min)
    if kelvin and "temperature" in frame.props and "color-temperature" not in frame.props:
        sign = -sign  # a warmer light is a lower colour temperature
    if prop.choices:
        return _choice_value(prop, frame, number, current, sign)
    if prop.format is Format.BOOL:
        verbs = set(frame.verbs)
        return not bool(verbs & {"off", "close", "unmute", "down"})
    if prop.format is Format.STRING:
        return " ".join(frame.unknown) or ""
    if number is not None:
        relative = number.relative or (sign != 0 and not number.absolute and "set" not in frame.verbs)
        if relative and isinstance(current, int | float):
            return prop.clamp(current + (sign or 1) * number.value)
        return whole(number.value)
    if rng is not None and "qmax" in frame.flags:
        return whole(rng.max)
    if rng is not None and "qmin" in frame.flags:
        return whole(rng.min)
    if rng is not None and "qhalf" in frame.flags:
        return prop.clamp(rng.max / 2 if rng.min <= rng.max / 2 else (rng.min + rng.max) / 2)
    if sign and isinstance(current, int | float):
        step = _default_step(prop, amount_key(frame))
        return prop.clamp(current + sign * step)
    return Issue("clarify", "what_value", {})


def _default_step(prop: PropertySpec, amount: str) -> float:
    if prop.unit == "celsius":
        return _STEP_CELSIUS[amount]
    if prop.unit == "percentage":
        return _STEP_PERCENT[amount]
    if prop.unit == "kelvin":
        return 500 if amount != "lot" else 1500
    rng = prop.range
    if rng is not None:
        span = (rng.max - rng.min) / (3 if amount == "lot" else 10)
        return max(span, rng.step or 1)
    return 1


def _choice_value(prop: PropertySpec, frame: Frame, number: Number | None, current: Value | None,
                  sign: int) -> Value | Issue:
    names = [c.description for c in prop.choices]
    for word in frame.values:
        for desc in names:
            if desc.lower() == word.lower():
                return desc
    if number is not None and float(number.value).is_integer():
        levels = [n for n in names if n.lower() != "auto"] or names
        pos = int(number.value)
        if 1 <= pos <= len(levels):
            return levels[pos - 1]
        key = "no_zone" if "zone" in prop.name else "no_level"
        return Issue("refused", key, {"value": pos, "options": ", ".join(levels)})
    ordered = [n for n in names if n.lower() != "auto"] or names
    if "qmax" in frame.flags:
        return ordered[-1]
    if "qmin" in frame.flags:
        return ordered[0]
    if sign and isinstance(current, str) and current in ordered:
        pos = min(max(ordered.index(current) + sign, 0), len(ordered) - 1)
        return ordered[pos]
    if sign and isinstance(current, str):
        return ordered[0] if sign < 0 else ordered[-1]
    if frame.values:
        return Issue("refused", "no_choice", {"value": frame.values[0], "options": ", ".join(names)})
    if frame.unknown and "set" in frame.verbs:
        # "热水器调成桑拿模式": a setting this device does not offer, not a question of which one.
        return Issue("refused", "no_choice", {"value": frame.unknown[-1], "options": ", ".join(names)})
    return Issue("clarify", "what_value", {})


def pause_command(device: Device, verbs: set[str]) -> Command | None:
    """Stop a moving cover: its motor control set to Pause/Stop."""
    if not verbs & {"stop", "pause"}:
        return None
    for svc, prop in device.spec.iter_properties():
        if prop.writable and prop.choices:
            for choice in prop.choices:
                if choice.description.lower() in ("pause", "stop"):
                    return Command(device.id, svc, property=prop.name, value=choice.description)
    return None


def bool_feature(device: Device, frame: Frame) -> Command | None:
    """Switch a named on/off feature (motion detection, swing) rather than the device itself."""
    verbs = set(frame.verbs)
    if not verbs & {"on", "off", "open", "close", "start", "stop"} or not (frame.props or frame.names):
        return None
    lex = _concepts()
    found = P.by_names(device, frame.names, write=True) + P.by_concepts(
        device, [lex[c] for c in frame.props if c in lex and c != "power"], write=True)
    main = P.switch_property(device)
    for svc, prop in found:
        if prop.writable and prop.format is Format.BOOL and (svc, prop) != main:
            on = bool(verbs & {"on", "open", "start"}) and not verbs & {"off", "close", "stop"}
            return Command(device.id, svc, property=prop.name, value=on)
    return None


def _second_choice(device: Device, frame: Frame, first: Command) -> Command | None:
    """"18 degrees, cooling": a number and a mode word set two properties."""
    if not frame.numbers or not frame.values:
        return None
    lex = _concepts()
    named = {(s, p.name) for s, p in P.by_concepts(device, [lex[c] for c in frame.props if c in lex], write=True)}
    words = set(frame.tokens)
    choices = sorted(P.by_choice(device, frame.values), key=lambda c: (
        (c[0], c[1].name) not in named, -sum(1 for w in c[1].name.split("-") if w in words)))
    for svc, prop, value in choices:
        if prop.name != first.property:
            return Command(device.id, svc, property=prop.name, value=value)
    return None
