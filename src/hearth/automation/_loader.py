"""Load a rules file: YAML → schema → rules checked against the home, all or nothing.

Errors name the file, line, rule and field, and say what was expected. YAML is read with YAML 1.2 scalars:
`23:00` is a time (not the base-60 number 1380) and only `true`/`false` are booleans.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from hearth.automation import _schema as s
from hearth.automation._cron import Cron
from hearth.automation._expr import compile_expression
from hearth.automation._geo import location_keys
from hearth.automation._model import (
    NOTHING,
    Action,
    AndCondition,
    ChooseAction,
    ChooseOption,
    CommandAction,
    CommandSpec,
    Condition,
    CronTrigger,
    DelayAction,
    DistanceTrigger,
    EventTrigger,
    ExpressionCondition,
    HubStartTrigger,
    IfAction,
    NotCondition,
    NotifyAction,
    NumericCondition,
    NumericTrigger,
    OrCondition,
    ParallelAction,
    PerceptionTrigger,
    RepeatAction,
    Rule,
    RuleSet,
    Scene,
    SceneAction,
    StateCondition,
    StateTrigger,
    StopAction,
    SunCondition,
    SunTrigger,
    TimeCondition,
    TimeTrigger,
    Trigger,
    TriggerCondition,
    WaitAction,
    WebhookTrigger,
    ZoneCondition,
    ZoneTrigger,
)
from hearth.errors import RuleError, SpecError
from hearth.model import Device, Home, PropertySpec, Value, builtin_types

Path_ = list[str | int]
M = TypeVar("M", bound=BaseModel)
_WEEKDAYS = {"mon": 0, "tue": 1, "wed": 2, "thu": 3, "fri": 4, "sat": 5, "sun": 6}


class RulesYamlLoader(yaml.SafeLoader):
    """SafeLoader with YAML 1.2 booleans and no base-60 numbers."""


RulesYamlLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers
            if tag not in ("tag:yaml.org,2002:bool", "tag:yaml.org,2002:int", "tag:yaml.org,2002:float")]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
RulesYamlLoader.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF"))
RulesYamlLoader.add_implicit_resolver(
    "tag:yaml.org,2002:int", re.compile(r"^(?:[-+]?[0-9]+|0x[0-9a-fA-F]+)$"), list("-+0123456789"))
RulesYamlLoader.add_implicit_resolver(
    "tag:yaml.org,2002:float",
    re.compile(r"^(?:[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+]?[0-9]+)?|[-+]?[0-9]+[eE][-+]?[0-9]+"
               r"|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$"),
    list("-+0123456789."))


def read_yaml(text: str, source: str) -> tuple[Any, yaml.Node | None]:
    """Parse YAML into data plus its node tree (for line numbers); RuleError when it is not YAML."""
    try:
        root = yaml.compose(text, Loader=RulesYamlLoader)
        data = yaml.load(text, Loader=RulesYamlLoader)  # a SafeLoader subclass: safe
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{source}:{mark.line + 1}" if mark else source
        raise RuleError(f"{where}: not valid YAML ({getattr(exc, 'problem', exc)})") from None
    return data, root


def locate(root: yaml.Node | None, path: Sequence[str | int]) -> tuple[int | None, list[str | int]]:
    """The line of a data path in a YAML node tree, and the path steps that exist in the file."""
    node, line, kept = root, (root.start_mark.line + 1 if root is not None else None), []
    for i, step in enumerate(path):
        if isinstance(node, yaml.MappingNode):
            hit = next(((k, v) for k, v in node.value if getattr(k, "value", None) == str(step)), None)
            if hit is None:
                if i == len(path) - 1:
                    kept.append(step)  # a field that is missing from the file: still name it
                continue  # a schema-only step (a union tag): skip it
            line, node = hit[0].start_mark.line + 1, hit[1]
        elif isinstance(node, yaml.SequenceNode) and isinstance(step, int) and step < len(node.value):
            node = node.value[step]
            line = node.start_mark.line + 1
        else:
            continue
        kept.append(step)
    return line, kept


def dotted(path: Sequence[str | int]) -> str:
    """['triggers', 0, 'for'] → 'triggers[0].for'."""
    text = ""
    for step in path:
        text += f"[{step}]" if isinstance(step, int) else (f".{step}" if text else str(step))
    return text


def explain(err: Mapping[str, Any]) -> str:
    """A pydantic error in plain words."""
    kind = err.get("type", "")
    if kind == "extra_forbidden":
        return "unknown field"
    if kind == "missing":
        return "required field is missing"
    message = str(err.get("msg", "invalid value"))
    return message.removeprefix("Value error, ").removeprefix("Assertion failed, ")


class _Compiler:
    """Turns the validated schema into rules, checking every reference against the home."""

    def __init__(self, home: Home, source: str, root: yaml.Node | None) -> None:
        self.home, self.source, self.root = home, source, root
        self.scenes: dict[str, Scene] = {}
        self.rule_id = ""
        self.prefix: Path_ = []
        self.types = {d.type for d in home.devices.values()} | set(builtin_types()) | set(home.types)

    def fail(self, path: Path_, message: str) -> RuleError:
        """An error naming file, line, rule and field."""
        full = [*self.prefix, *path]
        line, kept = locate(self.root, full)
        where = f"{self.source}:{line}" if line else self.source
        rule = f" rule {self.rule_id!r}:" if self.rule_id else ""
        field = dotted(kept[2:] if self.rule_id else kept)
        return RuleError(f"{where}:{rule} {field or 'file'}: {message}")

    def ruleset(self, rules: Iterable[Any], scenes: Iterable[Any] = ()) -> RuleSet:
        """Validate and compile scenes, then rules, one at a time (so a big file never sits in memory twice)."""
        for i, item in enumerate(scenes):
            self.prefix = ["scenes", i]
            scene = self.validate(s.SceneModel, item)
            if scene.id in self.scenes:
                raise self.fail(["id"], f"duplicate scene id {scene.id!r}")
            cmds = tuple(c for j, t in enumerate(scene.states) for c in self.targets(["states", j], t))
            self.scenes[scene.id] = Scene(scene.id, scene.name or scene.id, cmds)
        compiled: dict[str, Rule] = {}
        for i, item in enumerate(rules):
            self.prefix = ["rules", i]
            self.rule_id = str(item.get("id", f"#{i + 1}")) if isinstance(item, dict) else f"#{i + 1}"
            raw_rule = self.validate(s.RuleModel, item)
            if raw_rule.id in compiled:
                raise self.fail(["id"], f"duplicate rule id {raw_rule.id!r}")
            compiled[raw_rule.id] = self.rule(item, raw_rule)
        self.rule_id = ""
        return RuleSet(tuple(compiled.values()), self.scenes, self.source)

    def validate(self, model: type[M], item: Any) -> M:
        """Validate one item against its schema, with the error located in the file."""
        try:
            return model.model_validate(item)
        except ValidationError as exc:
            err = exc.errors()[0]
            raise self.fail([p for p in err["loc"] if isinstance(p, str | int)], explain(err)) from None

    def rule(self, raw_data: Any, r: s.RuleModel) -> Rule:
        digest = hashlib.sha1(json.dumps(raw_data, sort_keys=True, default=str).encode()).hexdigest()[:16]
        line, _ = locate(self.root, self.prefix)
        return Rule(
            id=r.id, name=r.name or r.id, description=r.description, enabled=r.enabled, mode=r.mode, max=r.max,
            triggers=tuple(self.trigger(["triggers", i], t) for i, t in enumerate(r.triggers)),
            conditions=self.conditions(["conditions"], r.conditions),
            actions=self.actions(["actions"], r.actions),
            variables=dict(r.variables) if r.variables else NOTHING, source=f"{self.source}:{line or 1}", digest=digest,
        )

    # ---- references ----

    def device(self, path: Path_, device_id: str) -> Device:
        device = self.home.devices.get(device_id)
        if device is None:
            raise self.fail(path, f"unknown device {device_id!r} (see 'hearth devices')")
        return device

    def devices(self, path: Path_, ids: str | list[str]) -> tuple[str, ...]:
        items = [ids] if isinstance(ids, str) else ids
        if not items:
            raise self.fail(path, "name at least one device")
        return tuple(self.device(path, d).id for d in items)

    def prop(self, path: Path_, device: Device, name: str) -> tuple[str, PropertySpec]:
        try:
            return device.spec.find(name)
        except SpecError as exc:
            raise self.fail(path, f"{device.id}: {exc}") from None

    def same_prop(self, path: Path_, devices: tuple[str, ...], name: str) -> tuple[str, PropertySpec]:
        found = [self.prop([*path, "property"], self.home.devices[d], name) for d in devices]
        return found[0]

    def values(self, path: Path_, spec: PropertySpec, raw: Any) -> frozenset[Value] | None:
        if raw is None:
            return None
        try:
            return frozenset(spec.validate(v) for v in (raw if isinstance(raw, list) else [raw]))
        except SpecError as exc:
            raise self.fail(path, str(exc)) from None

    def zone(self, path: Path_, zone_id: str) -> str:
        if zone_id not in self.home.zones:
            raise self.fail(path, f"unknown zone {zone_id!r} (zones: {', '.join(self.home.zones)})")
        return zone_id

    def located(self, path: Path_, ids: str | list[str]) -> tuple[str, ...]:
        devices = self.devices(path, ids)
        for d in devices:
            try:
                location_keys(self.home.devices[d])
            except RuleError as exc:
                raise self.fail(path, str(exc)) from None
        return devices

    # ---- triggers ----

    def trigger(self, path: Path_, t: Any) -> Trigger:
        if isinstance(t, s.StateTriggerModel | s.NumericTriggerModel):
            devices = self.devices([*path, "device"], t.device)
            service, spec = self.same_prop(path, devices, t.property)
            if isinstance(t, s.NumericTriggerModel):
                return NumericTrigger(devices, service, spec.name, t.above, t.below, t.for_, t.id)
            return StateTrigger(devices, service, spec.name, self.values([*path, "from"], spec, t.from_),
                                self.values([*path, "to"], spec, t.to), t.for_, t.id)
        if isinstance(t, s.TimeTriggerModel):
            return TimeTrigger(tuple(t.at) if isinstance(t.at, list) else (t.at,), t.id)
        if isinstance(t, s.CronTriggerModel | s.TimePatternTriggerModel):
            text = t.cron if isinstance(t, s.CronTriggerModel) else " ".join(
                "*" + str(v) if str(v).startswith("/") else str(v) for v in (t.seconds, t.minutes, t.hours)
            ) + " * * *"
            try:
                Cron.parse(text)
            except RuleError as exc:
                raise self.fail(path, str(exc)) from None
            return CronTrigger(text, t.id)
        if isinstance(t, s.SunTriggerModel):
            return SunTrigger(t.event, t.offset, t.id)
        if isinstance(t, s.ZoneTriggerModel):
            return ZoneTrigger(self.located([*path, "device"], t.device), self.zone([*path, "zone"], t.zone),
                               t.event, t.id)
        if isinstance(t, s.DistanceTriggerModel):
            return DistanceTrigger(self.located([*path, "device"], t.device), self.zone([*path, "zone"], t.zone),
                                   t.above, t.below, t.id)
        if isinstance(t, s.EventTriggerModel):
            return self.event_trigger(path, t)
        if isinstance(t, s.PerceptionTriggerModel):
            if t.camera is not None:
                self.device([*path, "camera"], t.camera)
            return PerceptionTrigger(t.camera, t.kind, t.label, t.min_count, t.id)
        if isinstance(t, s.WebhookTriggerModel):
            return WebhookTrigger(t.webhook, t.id)
        return HubStartTrigger(t.id)

    def event_trigger(self, path: Path_, t: s.EventTriggerModel) -> EventTrigger:
        device = self.device([*path, "device"], t.device)
        services = [svc for svc in device.spec.services.values()
                    if t.event in svc.events and (t.service is None or svc.name == t.service)]
        if not services:
            known = [f"{svc.name}.{e}" for svc in device.spec.services.values() for e in svc.events]
            has = ", ".join(known) or "none"
            raise self.fail([*path, "event"], f"{device.id} has no event {t.event!r} (has: {has})")
        svc = services[0]
        args: dict[str, Value] = {}
        for name, value in t.arguments.items():
            if name not in svc.events[t.event].arguments:
                raise self.fail([*path, "arguments", name], f"event {t.event} has no argument {name!r}")
            try:
                args[name] = svc.properties[name].validate(value)
            except SpecError as exc:
                raise self.fail([*path, "arguments", name], str(exc)) from None
        return EventTrigger(device.id, t.event, t.service, args, t.id)

    # ---- conditions ----

    def conditions(self, path: Path_, items: Sequence[Any]) -> tuple[Condition, ...]:
        return tuple(self.condition([*path, i], c) for i, c in enumerate(items))

    def condition(self, path: Path_, c: Any) -> Condition:
        if isinstance(c, s.StateConditionModel | s.NumericConditionModel):
            devices = self.devices([*path, "device"], c.device)
            service, spec = self.same_prop(path, devices, c.property)
            if isinstance(c, s.NumericConditionModel):
                return NumericCondition(devices, service, spec.name, c.above, c.below)
            states = self.values([*path, "state"], spec, c.state)
            assert states is not None
            return StateCondition(devices, service, spec.name, states, c.for_)
        if isinstance(c, s.TimeConditionModel):
            days = c.weekday if isinstance(c.weekday, list) else ([c.weekday] if c.weekday else list(_WEEKDAYS))
            return TimeCondition(c.after, c.before, frozenset(_WEEKDAYS[d] for d in days))
        if isinstance(c, s.SunConditionModel):
            return SunCondition(c.after, c.after_offset, c.before, c.before_offset)
        if isinstance(c, s.ZoneConditionModel):
            return ZoneCondition(self.located([*path, "device"], c.device), self.zone([*path, "zone"], c.zone))
        if isinstance(c, s.AndConditionModel | s.OrConditionModel | s.NotConditionModel):
            inner = self.conditions([*path, "conditions"], c.conditions)
            if c.condition == "and":
                return AndCondition(inner)
            return OrCondition(inner) if c.condition == "or" else NotCondition(inner)
        if isinstance(c, s.ExpressionConditionModel):
            try:
                return ExpressionCondition(compile_expression(c.expr, self.home))
            except RuleError as exc:
                raise self.fail([*path, "expr"], str(exc)) from None
        ids = c.id if isinstance(c.id, list) else [c.id]
        return TriggerCondition(frozenset(ids))

    # ---- actions ----

    def actions(self, path: Path_, items: Sequence[Any]) -> tuple[Action, ...]:
        return tuple(self.action([*path, i], a) for i, a in enumerate(items))

    def action(self, path: Path_, a: Any) -> Action:
        alias = a.alias
        if isinstance(a, s.CommandActionModel):
            return CommandAction(self.targets([*path, "command"], a.command), alias)
        if isinstance(a, s.SceneActionModel):
            scene = self.scenes.get(a.scene)
            if scene is None:
                known = ", ".join(self.scenes) or "none"
                raise self.fail([*path, "scene"], f"unknown scene {a.scene!r} (scenes: {known})")
            return SceneAction(scene.id, scene.commands, alias)
        if isinstance(a, s.DelayActionModel):
            return DelayAction(a.delay, alias)
        if isinstance(a, s.WaitActionModel):
            triggers = tuple(self.trigger([*path, "wait_for_trigger", i], t) for i, t in enumerate(a.wait_for_trigger))
            return WaitAction(triggers, a.timeout, a.continue_on_timeout, alias)
        if isinstance(a, s.ChooseActionModel):
            options = tuple(
                ChooseOption(self.conditions([*path, "choose", i, "conditions"], o.conditions),
                             self.actions([*path, "choose", i, "actions"], o.actions))
                for i, o in enumerate(a.choose)
            )
            return ChooseAction(options, self.actions([*path, "default"], a.default), alias)
        if isinstance(a, s.IfActionModel):
            return IfAction(self.conditions([*path, "if"], a.if_), self.actions([*path, "then"], a.then),
                            self.actions([*path, "else"], a.else_), alias)
        if isinstance(a, s.RepeatActionModel):
            r = a.repeat
            return RepeatAction(self.actions([*path, "repeat", "actions"], r.actions), r.count,
                                self.conditions([*path, "repeat", "while"], r.while_),
                                self.conditions([*path, "repeat", "until"], r.until), alias)
        if isinstance(a, s.ParallelActionModel):
            branches = tuple(
                self.actions([*path, "parallel", i], b) if isinstance(b, list)
                else (self.action([*path, "parallel", i], b),)
                for i, b in enumerate(a.parallel)
            )
            return ParallelAction(branches, alias)
        if isinstance(a, s.NotifyActionModel):
            return NotifyAction(self.recipients([*path, "notify", "to"], a.notify.to), a.notify.message,
                                a.notify.title, alias)
        assert isinstance(a, s.StopActionModel)
        return StopAction(a.stop, a.error, alias)

    def recipients(self, path: Path_, raw: str | list[str]) -> tuple[str, ...]:
        people = self.home.people
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
                raise self.fail(path, f"unknown person {name!r} (people: {', '.join(people)}; or adults, everyone)")
        if not found:
            raise self.fail(path, "nobody to notify")
        return tuple(dict.fromkeys(found))

    def targets(self, path: Path_, t: s.TargetModel) -> tuple[CommandSpec, ...]:
        if t.device is not None:
            devices = [self.device([*path, "device"], t.device)]
        else:
            if t.area is not None and t.area not in self.home.areas:
                raise self.fail([*path, "area"], f"unknown area {t.area!r} (areas: {', '.join(self.home.areas)})")
            if t.type is not None and t.type not in self.types:
                raise self.fail([*path, "type"], f"unknown device type {t.type!r}")
            devices = [d for d in self.home.devices.values()
                       if (t.area is None or d.area == t.area) and (t.type is None or d.type == t.type)]
            if not devices:
                raise self.fail(path, f"no {t.type or 'device'} in {t.area or 'the home'}")
        return tuple(self.command(path, d, t) for d in devices)

    def command(self, path: Path_, device: Device, t: s.TargetModel) -> CommandSpec:
        if t.property is not None:
            service, spec = self.prop([*path, "property"], device, t.property)
            if not spec.writable:
                raise self.fail([*path, "property"], f"{device.id}: {service}.{spec.name} is read-only")
            try:
                value = spec.validate(t.value)
            except SpecError as exc:
                raise self.fail([*path, "value"], f"{device.id}: {exc}") from None
            return CommandSpec(device.id, service, spec.name, value)
        assert t.action is not None
        service_name, _, action_name = t.action.rpartition(".")
        services = [svc for svc in device.spec.services.values()
                    if action_name in svc.actions and (not service_name or svc.name == service_name)]
        if not services:
            raise self.fail([*path, "action"], f"{device.id} has no action {t.action!r}")
        svc, action = services[0], services[0].actions[action_name]
        args: dict[str, Value] = {}
        for name in action.inputs:
            if name not in t.args:
                raise self.fail([*path, "args"], f"{device.id}: action {action.name} needs argument {name!r}")
            try:
                args[name] = svc.properties[name].validate(t.args[name])
            except SpecError as exc:
                raise self.fail([*path, "args", name], f"{device.id}: {exc}") from None
        extra = sorted(set(t.args) - set(action.inputs))
        if extra:
            raise self.fail([*path, "args", extra[0]], f"action {action.name} takes no argument {extra[0]!r}")
        return CommandSpec(device.id, svc.name, action=action.name, args=args or NOTHING)


def parse_rules(text: str, home: Home, source: str = "<rules>") -> RuleSet:
    """Validate a rules file given as text against a home; raises RuleError naming file, line, rule, field."""
    data, root = read_yaml(text, source)
    if data is None:
        return RuleSet(source=source)
    if isinstance(data, list):
        data = {"rules": data}
        assert root is not None
        key = yaml.ScalarNode("tag:yaml.org,2002:str", "rules", root.start_mark, root.start_mark)
        root = yaml.MappingNode("tag:yaml.org,2002:map", [(key, root)], root.start_mark, root.end_mark)
    if not isinstance(data, dict):
        raise RuleError(f"{source}:1: a rules file is a list of rules, or a mapping with rules and scenes")
    extra = sorted(set(data) - {"rules", "scenes"})
    compiler = _Compiler(home, source, root)
    if extra:
        raise compiler.fail([extra[0]], "unknown section (a rules file has rules and scenes)")
    rules, scenes = data.get("rules") or [], data.get("scenes") or []
    for name, section in (("rules", rules), ("scenes", scenes)):
        if not isinstance(section, list):
            raise compiler.fail([name], f"{name} must be a list")
    return compiler.ruleset(rules, scenes)


def compile_rules(home: Home, rules: Iterable[Mapping[str, Any]], source: str = "<rules>") -> RuleSet:
    """Validate and compile rules given as data (one mapping per rule, as in YAML)."""
    return _Compiler(home, source, None).ruleset(rules)


def parse_rule(rule: Mapping[str, Any], home: Home, source: str = "<rule>") -> Rule:
    """Validate and compile one rule given as data (as in YAML) against a home; RuleError says why not."""
    if not isinstance(rule, Mapping):
        raise RuleError(f"{source}: a rule is a mapping with id, triggers and actions")
    return compile_rules(home, [rule], source).rules[0]


def load_rules(path: str | Path, home: Home) -> RuleSet:
    """Load and validate a rules file against a home."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except OSError as exc:
        raise RuleError(f"{p}: cannot read ({exc.strerror})") from None
    return parse_rules(text, home, str(p))
