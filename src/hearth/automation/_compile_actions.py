"""Compiling actions: the validated schema to frozen action values; commands are checked against each
device's spec, so a rule never holds a command its device would refuse."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from hearth.automation import _schema as s
from hearth.automation._compile_conditions import build_conditions
from hearth.automation._compile_triggers import build_trigger
from hearth.automation._compiler import Compiler, Path_
from hearth.automation._model import (
    NOTHING,
    Action,
    ChooseAction,
    ChooseOption,
    CommandAction,
    CommandSpec,
    DelayAction,
    IfAction,
    NotifyAction,
    ParallelAction,
    RepeatAction,
    SceneAction,
    StopAction,
    WaitAction,
)
from hearth.errors import SpecError
from hearth.model import Device, Value


def build_actions(comp: Compiler, path: Path_, items: Sequence[Any]) -> tuple[Action, ...]:
    """Compile a list of actions."""
    return tuple(build_action(comp, [*path, i], a) for i, a in enumerate(items))


def build_action(comp: Compiler, path: Path_, a: Any) -> Action:
    """Compile a validated action, checking its references."""
    alias = a.alias
    if isinstance(a, s.CommandActionModel):
        return CommandAction(build_targets(comp, [*path, "command"], a.command), alias)
    if isinstance(a, s.SceneActionModel):
        scene = comp.scenes.get(a.scene)
        if scene is None:
            known = ", ".join(comp.scenes) or "none"
            raise comp.fail([*path, "scene"], f"unknown scene {a.scene!r} (scenes: {known})")
        return SceneAction(scene.id, scene.commands, alias)
    if isinstance(a, s.DelayActionModel):
        return DelayAction(a.delay, alias)
    if isinstance(a, s.WaitActionModel):
        triggers = tuple(build_trigger(comp, [*path, "wait_for_trigger", i], t)
                         for i, t in enumerate(a.wait_for_trigger))
        return WaitAction(triggers, a.timeout, a.continue_on_timeout, alias)
    if isinstance(a, s.ChooseActionModel):
        options = tuple(
            ChooseOption(build_conditions(comp, [*path, "choose", i, "conditions"], o.conditions),
                         build_actions(comp, [*path, "choose", i, "actions"], o.actions))
            for i, o in enumerate(a.choose)
        )
        return ChooseAction(options, build_actions(comp, [*path, "default"], a.default), alias)
    if isinstance(a, s.IfActionModel):
        return IfAction(build_conditions(comp, [*path, "if"], a.if_), build_actions(comp, [*path, "then"], a.then),
                        build_actions(comp, [*path, "else"], a.else_), alias)
    if isinstance(a, s.RepeatActionModel):
        r = a.repeat
        return RepeatAction(build_actions(comp, [*path, "repeat", "actions"], r.actions), r.count,
                            build_conditions(comp, [*path, "repeat", "while"], r.while_),
                            build_conditions(comp, [*path, "repeat", "until"], r.until), alias)
    if isinstance(a, s.ParallelActionModel):
        branches = tuple(
            build_actions(comp, [*path, "parallel", i], b) if isinstance(b, list)
            else (build_action(comp, [*path, "parallel", i], b),)
            for i, b in enumerate(a.parallel)
        )
        return ParallelAction(branches, alias)
    if isinstance(a, s.NotifyActionModel):
        return NotifyAction(_recipients(comp, [*path, "notify", "to"], a.notify.to), a.notify.message,
                            a.notify.title, alias)
    assert isinstance(a, s.StopActionModel)
    return StopAction(a.stop, a.error, alias)


def _recipients(comp: Compiler, path: Path_, raw: str | list[str]) -> tuple[str, ...]:
    people = comp.home.people
    groups = {
        "adults": [p.id for p in people.values() if p.role in ("admin", "adult")],
        "admins": [p.id for p in people.values() if p.role == "admin"],
        "everyone": list(people), "all": list(people),
    }
    found: list[str] = []
    for name in [raw] if isinstance(raw, str) else raw:
        if name in groups:
            found.extend(groups[name])
        elif name in people:
            found.append(name)
        else:
            raise comp.fail(path, f"unknown person {name!r} (people: {', '.join(people)}; or adults, everyone)")
    if not found:
        raise comp.fail(path, "nobody to notify")
    return tuple(dict.fromkeys(found))


def build_targets(comp: Compiler, path: Path_, t: s.TargetModel) -> tuple[CommandSpec, ...]:
    """The commands a target names: one device, or every device of an area and/or type."""
    if t.device is not None:
        devices = [comp.device([*path, "device"], t.device)]
    else:
        if t.area is not None and t.area not in comp.home.areas:
            raise comp.fail([*path, "area"], f"unknown area {t.area!r} (areas: {', '.join(comp.home.areas)})")
        if t.type is not None and t.type not in comp.types:
            raise comp.fail([*path, "type"], f"unknown device type {t.type!r}")
        devices = [d for d in comp.home.devices.values()
                   if (t.area is None or d.area == t.area) and (t.type is None or d.type == t.type)]
        if not devices:
            raise comp.fail(path, f"no {t.type or 'device'} in {t.area or 'the home'}")
    return tuple(_command(comp, path, d, t) for d in devices)


def _command(comp: Compiler, path: Path_, device: Device, t: s.TargetModel) -> CommandSpec:
    if t.property is not None:
        service, spec = comp.prop([*path, "property"], device, t.property)
        if not spec.writable:
            raise comp.fail([*path, "property"], f"{device.id}: {service}.{spec.name} is read-only")
        try:
            value = spec.validate(t.value)
        except SpecError as exc:
            raise comp.fail([*path, "value"], f"{device.id}: {exc}") from None
        return CommandSpec(device.id, service, spec.name, value)
    assert t.action is not None
    service_name, _, action_name = t.action.rpartition(".")
    services = [svc for svc in device.spec.services.values()
                if action_name in svc.actions and (not service_name or svc.name == service_name)]
    if not services:
        raise comp.fail([*path, "action"], f"{device.id} has no action {t.action!r}")
    svc, action = services[0], services[0].actions[action_name]
    args: dict[str, Value] = {}
    for name in action.inputs:
        if name not in t.args:
            raise comp.fail([*path, "args"], f"{device.id}: action {action.name} needs argument {name!r}")
        try:
            args[name] = svc.properties[name].validate(t.args[name])
        except SpecError as exc:
            raise comp.fail([*path, "args", name], f"{device.id}: {exc}") from None
    extra = sorted(set(t.args) - set(action.inputs))
    if extra:
        raise comp.fail([*path, "args", extra[0]], f"action {action.name} takes no argument {extra[0]!r}")
    return CommandSpec(device.id, svc.name, action=action.name, args=args or NOTHING)
