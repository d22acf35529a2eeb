"""Actions a clause runs on a device: the action itself, a mode or a length of time said with it, amounts handed out."""

from __future__ import annotations

from hearth.copilot import _props as P
from hearth.copilot._frame import Frame
from hearth.copilot._index import HomeIndex
from hearth.copilot._reply import label, value_text
from hearth.copilot._resolve import Issue
from hearth.core import Command
from hearth.errors import SpecError
from hearth.model import Device, Format


def whole(x: float) -> int | float:
    """A number as an int when it is whole (for replies and values)."""
    return int(x) if float(x).is_integer() else x


def action(device: Device, verb: str, frame: Frame, areas: tuple[str, ...], index: HomeIndex) -> \
        Command | Issue | None:
    """The action a verb asks of a device (a room robot told which room), or why its inputs are refused."""
    if (verb in ("start", "charge") and areas and device.type == "vacuum") or (verb == "start" and areas):
        room = P.room_action(device)
        if room is not None:
            svc, name, arg = room
            return Command(device.id, svc, action=name, args={arg: areas[0]})
    found = P.find_action(device, verb, frame)
    if found is None:
        return None
    args = P.action_args(device, found[0], found[1], frame)
    if isinstance(args, tuple):
        prop = device.spec.property(found[0], args[0])
        low, high = (whole(prop.range.min), whole(prop.range.max)) if prop.range else ("?", "?")
        return Issue("refused", "out_of_range", {"what": label(prop, frame.lang), "value": args[1], "low": low,
                                                 "high": high})
    return Command(device.id, found[0], action=found[1], args=args)


def mode_with_action(device: Device, frame: Frame, name: str) -> list[Command] | Issue:
    """"Clean quietly", "用安静模式扫地": a mode said with an action is set first; one the device lacks is refused."""
    named = ("type", "device", "core", "prop")
    said = list(dict.fromkeys(v for m in frame.mentions if not any(m.has(k) for k in named)
                              for v in m.values("value") if v not in ("START", "STOP")))
    if not said:
        return []
    found = P.by_choice(device, said)
    if found:
        svc, prop, value = found[0]
        return [Command(device.id, svc, property=prop.name, value=value)]
    options = [c.description for _, p in device.spec.iter_properties() if p.writable for c in p.choices]
    if not options:
        return []
    return Issue("refused", "no_choice", {"device": name, "value": said[0], "what": "", "options": ", ".join(options)})


def duration_with_action(device: Device, frame: Frame, action: Command, name: str) -> list[Command] | Issue:
    """"Water the plants for 5 minutes": a length of time the action does not take sets the device's own timer."""
    minutes = P.duration_minutes(frame)
    if minutes is None or action.action is None or action.args:
        return []
    inputs = device.spec.services[action.service].actions[action.action].inputs
    if any(P.time_unit(p) is not None for n in inputs if (p := device.spec.services[action.service].properties.get(n))):
        return []
    timers = [(s, p) for s, p in device.spec.iter_properties() if p.writable and P.time_unit(p) is not None]
    if not timers:
        return Issue("refused", "cannot", {"device": name, "action": "run for a set time",
                                           "action_zh": "按时长运行"})
    svc, prop = timers[0]
    value = P.in_unit(prop, minutes)
    try:
        canonical = prop.validate(int(value) if prop.format is Format.INT and value.is_integer() else value)
    except SpecError:
        rng = prop.range
        low, high = (whole(rng.min), whole(rng.max)) if rng else ("?", "?")
        return Issue("refused", "out_of_range", {"device": name, "what": label(prop, frame.lang),
                                                 "value": value_text(prop, whole(value), frame.lang),
                                                 "low": value_text(prop, low, frame.lang),
                                                 "high": value_text(prop, high, frame.lang)})
    return [Command(device.id, svc, property=prop.name, value=canonical)]


_GIVING = frozenset({"give", "serve", "放", "出", "给"})


def handed_out(device: Device, frame: Frame) -> Command | None:
    """"Give Mochi 3 portions", "出三份粮": an amount handed out now runs the action that takes it, not the setting.

    Not when it is said per meal ("每顿多给一份") or set ("portions to 3").
    """
    if not frame.numbers or not frame.names or set(frame.verbs) & {"set", "up", "down"}:
        return None
    tokens = frame.tokens
    if any(t in ("每", "per", "each") for t in tokens) or not any(t in _GIVING for t in tokens):
        return None
    for svc, spec in device.spec.services.items():
        for action in spec.actions.values():
            if any(n in action.inputs for n in frame.names):
                args = P.action_args(device, svc, action.name, frame)
                if isinstance(args, dict) and args:
                    return Command(device.id, svc, action=action.name, args=args)
    return None


# Words that ask for a robot's job, not a plain start: the TV asked to vacuum is refused, not switched on.
_ROBOT_JOBS = {"vacuum": "扫地", "hoover": "扫地", "sweep": "扫地", "mop": "拖地", "扫地": "扫地", "扫": "扫地",
               "拖地": "拖地", "吸尘": "吸尘"}
_LISTING = frozenset({"the", "and", "a", "my", "our", "和", "跟", "还有", ","})


def robot_job_elsewhere(device: Device, frame: Frame, name: str) -> Issue | None:
    """"Make the TV vacuum", "让电视扫地": a cleaning job asked of a device that cannot clean is refused."""
    if P.room_action(device) is not None or P.find_action(device, "start", frame) is not None:
        return None
    for m in frame.mentions:
        job = _ROBOT_JOBS.get(m.text)
        before = frame.tokens[m.start - 1] if m.start > 0 else ""
        if job is not None and "start" in m.values("verb") and before not in _LISTING and not m.has("device"):
            return Issue("refused", "cannot", {"device": name, "action": m.text, "action_zh": job})
    return None
