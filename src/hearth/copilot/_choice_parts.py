"""Commands for a clause that names a part a device's value list offers ("water the back lawn for 10 minutes")."""

from __future__ import annotations

from hearth.copilot import _props as P
from hearth.copilot._frame import Frame
from hearth.copilot._part_words import is_part_list, vocabulary
from hearth.core import Command
from hearth.errors import SpecError
from hearth.model import Device, Format

_STOPPING = frozenset({"off", "close", "stop", "pause", "down", "up"})


def _watering(frame: Frame) -> bool:
    tokens = frame.tokens
    return any(tuple(tokens[i:i + len(w)]) == w for w in vocabulary().watering for i in range(len(tokens)))


def part_commands(device: Device, frame: Frame) -> list[Command] | None:
    """"Water the back lawn for 10 minutes": the part chosen, the run time set, then the device run or switched on."""
    if frame.question or set(frame.verbs) & _STOPPING:
        return None
    chosen = next(((svc, prop, word) for svc, prop in device.spec.iter_properties() if is_part_list(prop)
                   for word in frame.values for c in prop.choices if c.description.lower() == word.lower()), None)
    if chosen is None:
        return None
    svc, prop, word = chosen
    commands = [Command(device.id, svc, property=prop.name, value=prop.validate(word))]
    minutes = P.duration_minutes(frame)
    timers = [(s, p) for s, p in device.spec.iter_properties() if p.writable and P.time_unit(p) is not None]
    if minutes is not None and timers:
        tsvc, timer = timers[0]
        value = P.in_unit(timer, minutes)
        try:
            canonical = timer.validate(int(value) if timer.format is Format.INT and value.is_integer() else value)
        except SpecError:
            return None  # out of range: the general planner says why
        commands.append(Command(device.id, tsvc, property=timer.name, value=canonical))
    verbs = set(frame.verbs)
    if verbs <= {"set"} and verbs and not _watering(frame):
        return commands  # "set the sprinkler zone to the back lawn": the choice only
    run = next((P.find_action(device, v, frame) for v in ("water", "start") if P.find_action(device, v, frame)), None)
    if run is not None:
        commands.append(Command(device.id, run[0], action=run[1]))
    elif (sw := P.switch_property(device)) is not None:
        commands.append(Command(device.id, sw[0], property=sw[1].name, value=True))
    return commands
