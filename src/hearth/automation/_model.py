"""Compiled rules: frozen values the engine runs, built once from the validated YAML."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Literal

from hearth.model import Value

Mode = Literal["single", "restart", "queued", "parallel"]
Values = frozenset[Value] | None
Evaluate = Callable[[Any], Any]
NOTHING: Mapping[str, Any] = MappingProxyType({})  # one shared empty mapping: 10,000 rules need no 10,000 dicts


@dataclass(frozen=True, slots=True)
class Expression:
    """A compiled safe expression; calling it with a scope evaluates it."""

    source: str
    evaluate: Evaluate = field(compare=False, repr=False)


# ---- triggers ----


@dataclass(frozen=True, slots=True)
class StateTrigger:
    """A property of one of `devices` changed (optionally from/to given values, held `hold` seconds)."""

    devices: tuple[str, ...]
    service: str
    property: str
    from_: Values = None
    to: Values = None
    hold: float = 0.0
    id: str = ""


@dataclass(frozen=True, slots=True)
class NumericTrigger:
    """A numeric property crossed into the range (above, below), optionally held `hold` seconds."""

    devices: tuple[str, ...]
    service: str
    property: str
    above: float | None = None
    below: float | None = None
    hold: float = 0.0
    id: str = ""


@dataclass(frozen=True, slots=True)
class TimeTrigger:
    """Local times of day, in seconds after midnight."""

    at: tuple[int, ...]
    id: str = ""


@dataclass(frozen=True, slots=True)
class CronTrigger:
    """A cron expression (5 fields, or 6 with seconds first) in the home's time zone."""

    expression: str
    id: str = ""


@dataclass(frozen=True, slots=True)
class SunTrigger:
    """Sunrise or sunset at the home's location, shifted by `offset` seconds."""

    event: Literal["sunrise", "sunset"]
    offset: float = 0.0
    id: str = ""


@dataclass(frozen=True, slots=True)
class ZoneTrigger:
    """A person or car entered or left a zone (a circle)."""

    devices: tuple[str, ...]
    zone: str
    event: Literal["enter", "leave"]
    id: str = ""


@dataclass(frozen=True, slots=True)
class DistanceTrigger:
    """A person or car's distance to a zone's centre crossed into (above, below) kilometres."""

    devices: tuple[str, ...]
    zone: str
    above: float | None = None
    below: float | None = None
    id: str = ""


@dataclass(frozen=True, slots=True)
class EventTrigger:
    """A device emitted an event (MIoT event), optionally with matching arguments."""

    device: str
    event: str
    service: str | None = None
    arguments: Mapping[str, Value] = field(default_factory=dict)
    id: str = ""


@dataclass(frozen=True, slots=True)
class PerceptionTrigger:
    """A camera reported a perception (kind, label, at least `min_count`)."""

    camera: str | None = None
    kind: str | None = None
    label: str | None = None
    min_count: int = 0
    id: str = ""


@dataclass(frozen=True, slots=True)
class WebhookTrigger:
    """A webhook with this id arrived."""

    webhook: str
    id: str = ""


@dataclass(frozen=True, slots=True)
class MqttTrigger:
    """A live message on a topic filter, whose payload (or JSON value at `path`) equals `payload` if given."""

    topic: str
    payload: str | None = None
    path: tuple[str | int, ...] | None = None
    id: str = ""


@dataclass(frozen=True, slots=True)
class HubStartTrigger:
    """The hub finished starting."""

    id: str = ""


Trigger = (
    StateTrigger | NumericTrigger | TimeTrigger | CronTrigger | SunTrigger | ZoneTrigger | DistanceTrigger
    | EventTrigger | PerceptionTrigger | WebhookTrigger | MqttTrigger | HubStartTrigger
)


# ---- conditions ----


@dataclass(frozen=True, slots=True)
class StateCondition:
    """Every one of `devices` has the property in `states` (for at least `hold` seconds)."""

    devices: tuple[str, ...]
    service: str
    property: str
    states: frozenset[Value]
    hold: float = 0.0


@dataclass(frozen=True, slots=True)
class NumericCondition:
    """Every one of `devices` has the numeric property inside (above, below)."""

    devices: tuple[str, ...]
    service: str
    property: str
    above: float | None = None
    below: float | None = None


@dataclass(frozen=True, slots=True)
class TimeCondition:
    """Local time inside [after, before) (may wrap midnight) on the given weekdays (0 = Monday)."""

    after: int | None = None
    before: int | None = None
    weekdays: frozenset[int] = frozenset(range(7))


@dataclass(frozen=True, slots=True)
class SunCondition:
    """After today's `after` sun event and/or before today's `before` sun event, with offsets."""

    after: Literal["sunrise", "sunset"] | None = None
    after_offset: float = 0.0
    before: Literal["sunrise", "sunset"] | None = None
    before_offset: float = 0.0


@dataclass(frozen=True, slots=True)
class ZoneCondition:
    """Every one of `devices` is inside the zone."""

    devices: tuple[str, ...]
    zone: str


@dataclass(frozen=True, slots=True)
class AndCondition:
    """All of the conditions hold."""

    conditions: tuple[Condition, ...]


@dataclass(frozen=True, slots=True)
class OrCondition:
    """At least one of the conditions holds."""

    conditions: tuple[Condition, ...]


@dataclass(frozen=True, slots=True)
class NotCondition:
    """None of the conditions holds."""

    conditions: tuple[Condition, ...]


@dataclass(frozen=True, slots=True)
class ExpressionCondition:
    """A safe expression over state and variables is truthy."""

    expression: Expression


@dataclass(frozen=True, slots=True)
class TriggerCondition:
    """The run was started by a trigger with one of these ids."""

    ids: frozenset[str]


Condition = (
    StateCondition | NumericCondition | TimeCondition | SunCondition | ZoneCondition | AndCondition | OrCondition
    | NotCondition | ExpressionCondition | TriggerCondition
)


# ---- actions ----


@dataclass(frozen=True, slots=True)
class CommandSpec:
    """One validated device command a rule will issue."""

    device: str
    service: str
    property: str | None = None
    value: Value | None = None
    action: str | None = None
    args: Mapping[str, Value] = field(default_factory=lambda: NOTHING)


@dataclass(frozen=True, slots=True)
class CommandAction:
    """Issue commands (one device, or every matching device of an area and/or type)."""

    commands: tuple[CommandSpec, ...]
    alias: str = ""


@dataclass(frozen=True, slots=True)
class SceneAction:
    """Apply a named scene: its commands, in order."""

    scene: str
    commands: tuple[CommandSpec, ...]
    alias: str = ""


@dataclass(frozen=True, slots=True)
class DelayAction:
    """Wait `seconds` (persisted, so it survives a restart)."""

    seconds: float
    alias: str = ""


@dataclass(frozen=True, slots=True)
class WaitAction:
    """Wait for one of the triggers, up to `timeout` seconds."""

    triggers: tuple[Trigger, ...]
    timeout: float | None = None
    continue_on_timeout: bool = True
    alias: str = ""


@dataclass(frozen=True, slots=True)
class ChooseOption:
    """A branch of `choose`: runs when all its conditions hold."""

    conditions: tuple[Condition, ...]
    actions: tuple[Action, ...]


@dataclass(frozen=True, slots=True)
class ChooseAction:
    """Run the first option whose conditions hold, else the default."""

    options: tuple[ChooseOption, ...]
    default: tuple[Action, ...] = ()
    alias: str = ""


@dataclass(frozen=True, slots=True)
class IfAction:
    """If-then-else."""

    conditions: tuple[Condition, ...]
    then: tuple[Action, ...]
    otherwise: tuple[Action, ...] = ()
    alias: str = ""


@dataclass(frozen=True, slots=True)
class RepeatAction:
    """Repeat actions `count` times, while conditions hold, or until they hold."""

    actions: tuple[Action, ...]
    count: int | None = None
    while_: tuple[Condition, ...] = ()
    until: tuple[Condition, ...] = ()
    alias: str = ""


@dataclass(frozen=True, slots=True)
class ParallelAction:
    """Run branches at the same time and wait for all of them."""

    branches: tuple[tuple[Action, ...], ...]
    alias: str = ""


@dataclass(frozen=True, slots=True)
class NotifyAction:
    """Send a notification to people."""

    to: tuple[str, ...]
    message: str
    title: str = ""
    alias: str = ""


@dataclass(frozen=True, slots=True)
class StopAction:
    """End the run here (as an error if `error`)."""

    reason: str
    error: bool = False
    alias: str = ""


Action = (
    CommandAction | SceneAction | DelayAction | WaitAction | ChooseAction | IfAction | RepeatAction
    | ParallelAction | NotifyAction | StopAction
)


# ---- rules ----


@dataclass(frozen=True, slots=True)
class Rule:
    """A compiled automation rule."""

    id: str
    name: str
    triggers: tuple[Trigger, ...]
    actions: tuple[Action, ...]
    conditions: tuple[Condition, ...] = ()
    enabled: bool = True
    mode: Mode = "single"
    max: int = 10
    variables: Mapping[str, Value | Expression] = field(default_factory=lambda: NOTHING)
    description: str = ""
    source: str = ""
    digest: str = ""


@dataclass(frozen=True, slots=True)
class Scene:
    """A named set of target states."""

    id: str
    name: str
    commands: tuple[CommandSpec, ...]


@dataclass(frozen=True, slots=True)
class RuleSet:
    """Everything one rules file defines."""

    rules: tuple[Rule, ...] = ()
    scenes: Mapping[str, Scene] = field(default_factory=dict)
    source: str = "<rules>"

    def rule(self, rule_id: str) -> Rule | None:
        """Find a rule by id."""
        return next((r for r in self.rules if r.id == rule_id), None)
