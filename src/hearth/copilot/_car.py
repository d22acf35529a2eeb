"""Car commands: climate, locks, trunk, windows, charging and seats mapped onto VSS signals."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from hearth.copilot._frame import Frame
from hearth.copilot._index import HomeIndex
from hearth.copilot._lexicon import CAR, PROP, CarPart
from hearth.copilot._resolve import Issue
from hearth.core import Command
from hearth.errors import SpecError
from hearth.model import Device, Value

if TYPE_CHECKING:
    from hearth.copilot._plan import DevicePlan

# Cabin set-points have no range in VSS; people mean something between these.
_CABIN_CELSIUS = (15.0, 32.0)
_SWITCH_ON = {"on", "open", "start", "honk", "up"}
_SWITCH_OFF = {"off", "close", "stop"}


_FROM_CONCEPT = {"temperature": "car-temperature", "fan-speed": "car-fan", "charge-limit": "car-charge-limit",
                 "battery": "car-battery", "range": "car-range"}


def _parts(index: HomeIndex, frame: Frame) -> list[CarPart]:
    # "the car's speed": a word that names a part of the car means that part, not a home property it also names
    # (the cabin fan speed); only words the car lexicon does not know stand for a car part through their concept.
    taken = {v for m in frame.mentions if m.has(CAR) for k, v in m.meanings if k == PROP}
    said = [*frame.car_parts, *(_FROM_CONCEPT[c] for c in frame.props if c in _FROM_CONCEPT and c not in taken)]
    parts = [index.lex.car_parts[p] for p in dict.fromkeys(said)]
    specific = [p for p in parts if p.name != "car-doors"]
    verbs = set(frame.verbs)
    if not verbs & {"lock", "unlock"}:
        parts = specific
    if specific and not (verbs & {"lock", "unlock"} and not any(p.kind == "lock" for p in specific)):
        parts = specific
    if frame.numbers or frame.flags & {"qmax", "qmin", "qhalf"}:
        levels = [p for p in parts if p.kind == "level"]
        if not levels and any(p.name == "car-climate" for p in parts):
            levels = [index.lex.car_parts["car-temperature"]]  # "车空调调到22度": the climate's set-point
        parts = levels or parts
    if not parts and "honk" in verbs:
        parts = [index.lex.car_parts["car-horn"]]
    return parts


# A window goes down to open and up to close, the other way round from what "lower"/"raise" mean for a level.
_WINDOW_OPEN_WORDS = frozenset({"roll down", "lower", "lower fully", "wind down", "降下", "放下", "摇下", "降", "降低",
                                "落下", "down"})
_WINDOW_CLOSE_WORDS = frozenset({"roll up", "raise", "raise fully", "wind up", "升起", "升上", "摇上", "升", "升高",
                                 "摇起", "up"})


def _window_verbs(frame: Frame, verbs: set[str], sign: int) -> tuple[set[str], int]:
    said = {m.text for m in frame.mentions if m.has("verb")}
    opens, closes = bool(said & _WINDOW_OPEN_WORDS), bool(said & _WINDOW_CLOSE_WORDS)
    if opens == closes:
        return verbs, sign
    if frame.numbers or frame.flags & {"bit", "lot"}:
        return verbs - {"open", "close", "up", "down"} | {"up" if opens else "down"}, 1 if opens else -1
    return verbs - {"open", "close", "up", "down"} | {"open" if opens else "close"}, 0


def car_commands(index: HomeIndex, device: Device, frame: Frame, snap: Mapping[tuple[str, str, str], Value]) -> \
        DevicePlan | Issue:
    """Commands for a car clause."""
    from hearth.copilot._plan import DevicePlan, direction

    verbs = set(frame.verbs)
    name = index.device_name(device.id, frame.lang)
    parts = _parts(index, frame)
    if not parts:
        if verbs & {"lock", "unlock"}:
            parts = [index.lex.car_parts["car-doors"]]
        elif verbs & {"charge", "stop_charge"}:
            parts = [index.lex.car_parts["car-charging"]]
        else:
            return Issue("refused", "cannot", {"device": name, "action": "do that", "action_zh": "这个操作"})
    part = parts[0]
    plan = DevicePlan(device.id, intent=f"HearthCar{part.name.removeprefix('car-').title().replace('-', '')}")
    paths = part.paths if part.every else part.paths[:1]
    if not paths:
        said = next((m.text for m in frame.mentions if (CAR, part.name) in m.meanings), None)
        return Issue("refused", "read_only", {"device": name, "what": said or part.name.removeprefix("car-")})
    sign = direction(frame)
    if part.name.startswith("car-window"):
        verbs, sign = _window_verbs(frame, verbs, sign)
    value = _part_value(part, verbs, frame, snap, device, sign)
    if isinstance(value, Issue):
        value.params.setdefault("device", name)
        return value
    for path in paths:
        try:
            prop = device.spec.property("vehicle", path)
            canonical = prop.validate(value)
        except SpecError as exc:
            return Issue("refused", "bad_value", {"device": name, "value": value, "why": str(exc)})
        plan.commands.append(Command(device.id, "vehicle", property=path, value=canonical))
    if part.name == "car-temperature" and "on" in verbs:
        ac = "Vehicle.Cabin.HVAC.IsAirConditioningActive"
        plan.commands.insert(0, Command(device.id, "vehicle", property=ac, value=True))
    plan.slots = {"part": part.name, "value": value}
    return plan


def _part_value(part: CarPart, verbs: set[str], frame: Frame, snap: Mapping[tuple[str, str, str], Value],
                device: Device, sign: int) -> Value | Issue:
    if part.kind == "lock":
        if verbs & {"unlock", "open"} and "lock" not in verbs:
            return False
        if verbs & {"lock", "close"}:
            return True
        return Issue("clarify", "what_do", {})
    if part.kind == "charge":
        if verbs & {"stop_charge", "stop", "off"}:
            return "STOP"
        return "START"
    if part.kind == "switch":
        if verbs & _SWITCH_OFF and not verbs & {"on", "open"}:
            return False
        if verbs & _SWITCH_ON or verbs & {"on", "open"} or part.name in ("car-defrost", "car-horn"):
            return True
        return Issue("clarify", "what_do", {})
    if part.kind == "level":
        return _level(part, verbs, frame, snap, device, sign)
    return Issue("refused", "read_only", {"what": part.name.removeprefix("car-")})


def _level(part: CarPart, verbs: set[str], frame: Frame, snap: Mapping[tuple[str, str, str], Value],
           device: Device, sign: int) -> Value | Issue:
    path = part.paths[0]
    prop = device.spec.property("vehicle", path)
    current = snap.get((device.id, "vehicle", path))
    celsius = prop.unit == "celsius"
    low, high = (prop.range.min, prop.range.max) if prop.range else _CABIN_CELSIUS
    number = frame.numbers[0] if frame.numbers else None
    if number is not None:
        relative = number.relative or (sign != 0 and not number.absolute)
        if relative and isinstance(current, int | float):
            target = current + (sign or 1) * number.value
            return max(low, min(high, target))
        if not low <= number.value <= high:
            unit = "度" if celsius and frame.lang == "zh" else "°C" if celsius else "%"
            return Issue("refused", "out_of_range", {"what": part.name.removeprefix("car-"),
                                                     "value": f"{number.value:g}{unit}", "low": f"{low:g}{unit}",
                                                     "high": f"{high:g}{unit}"})
        return int(number.value) if prop.format.value == "int" else float(number.value)
    if "qmax" in frame.flags:
        return high if not celsius else _CABIN_CELSIUS[1]
    if "qmin" in frame.flags:
        return low if not celsius else _CABIN_CELSIUS[0]
    if "qhalf" in frame.flags:
        return 50
    if verbs & {"open", "on"} and not celsius:
        return int(high)
    if verbs & {"close", "off"} and not celsius:
        return 0
    if sign and isinstance(current, int | float):
        step = 1.0 if celsius else 10.0
        target = current + sign * step * (3 if "lot" in frame.flags else 1)
        return max(low, min(high, target))
    return Issue("clarify", "what_value", {})
