"""The rules file schema as users write it (pydantic, used at the boundary only)."""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Discriminator, Field, Tag, model_validator

Scalar = bool | int | float | str
OneOrMany = Scalar | list[Scalar]

_UNITS = {"d": 86400.0, "h": 3600.0, "m": 60.0, "min": 60.0, "s": 1.0, "ms": 0.001}
_PART = re.compile(r"(\d+(?:\.\d+)?)\s*(ms|min|d|h|m|s)")
_DURATION_HELP = "expected a duration like 90, 30s, 5m, 1h30m, 00:05:00 or {minutes: 5}"


def parse_duration(raw: Any) -> float:
    """Turn 90, '30s', '5m', '1h30m', '00:05:00', '-00:30' or {hours, minutes, seconds} into seconds."""
    if isinstance(raw, bool):
        raise ValueError(_DURATION_HELP)
    if isinstance(raw, int | float):
        return float(raw)
    if isinstance(raw, dict):
        extra = set(raw) - {"days", "hours", "minutes", "seconds", "milliseconds"}
        if extra or not raw:
            raise ValueError(_DURATION_HELP)
        factors = {"days": 86400, "hours": 3600, "minutes": 60, "seconds": 1, "milliseconds": 0.001}
        return float(sum(parse_duration(v) * factors[k] for k, v in raw.items()))
    if not isinstance(raw, str) or not raw.strip():
        raise ValueError(_DURATION_HELP)
    text = raw.strip().lower()
    sign = -1.0 if text.startswith("-") else 1.0
    text = text.lstrip("+-").strip()
    if re.fullmatch(r"\d+(\.\d+)?", text):
        return sign * float(text)
    if re.fullmatch(r"\d{1,2}:\d{2}(:\d{2}(\.\d+)?)?", text):
        parts = [float(p) for p in text.split(":")]
        return sign * (parts[0] * 3600 + parts[1] * 60 + (parts[2] if len(parts) > 2 else 0))
    compact = text.replace(" ", "")
    pos, total = 0, 0.0
    for match in _PART.finditer(compact):
        if match.start() != pos:
            raise ValueError(_DURATION_HELP)
        total += float(match.group(1)) * _UNITS[match.group(2)]
        pos = match.end()
    if pos != len(compact) or pos == 0:
        raise ValueError(_DURATION_HELP)
    return sign * total


def parse_time_of_day(raw: Any) -> int:
    """Turn 'HH:MM' or 'HH:MM:SS' into seconds after midnight."""
    if isinstance(raw, str):
        match = re.fullmatch(r"(\d{1,2}):(\d{2})(?::(\d{2}))?", raw.strip())
        if match:
            h, m, s = int(match.group(1)), int(match.group(2)), int(match.group(3) or 0)
            if h < 24 and m < 60 and s < 60:
                return h * 3600 + m * 60 + s
    raise ValueError("expected a time of day like 23:00 or 07:30:00")


Duration = Annotated[float, BeforeValidator(parse_duration)]
TimeOfDay = Annotated[int, BeforeValidator(parse_time_of_day)]
SunEvent = Literal["sunrise", "sunset"]


class Strict(BaseModel):
    """Base for every schema model: unknown fields are errors."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


# ---- triggers ----


class _TriggerBase(Strict):
    id: str = ""


class StateTriggerModel(_TriggerBase):
    trigger: Literal["state"]
    device: str | list[str]
    property: str
    from_: OneOrMany | None = Field(None, alias="from")
    to: OneOrMany | None = None
    for_: Duration = Field(0.0, alias="for", ge=0)


class NumericTriggerModel(_TriggerBase):
    trigger: Literal["numeric"]
    device: str | list[str]
    property: str
    above: float | None = None
    below: float | None = None
    for_: Duration = Field(0.0, alias="for", ge=0)

    @model_validator(mode="after")
    def _bounds(self) -> NumericTriggerModel:
        _check_bounds(self.above, self.below)
        return self


class TimeTriggerModel(_TriggerBase):
    trigger: Literal["time"]
    at: TimeOfDay | list[TimeOfDay]


class CronTriggerModel(_TriggerBase):
    trigger: Literal["cron"]
    cron: str


class TimePatternTriggerModel(_TriggerBase):
    trigger: Literal["time_pattern"]
    hours: str | int = "*"
    minutes: str | int = "*"
    seconds: str | int = 0


class SunTriggerModel(_TriggerBase):
    trigger: Literal["sun"]
    event: SunEvent
    offset: Duration = 0.0


class ZoneTriggerModel(_TriggerBase):
    trigger: Literal["zone"]
    device: str | list[str]
    zone: str = "home"
    event: Literal["enter", "leave"]


class DistanceTriggerModel(_TriggerBase):
    trigger: Literal["distance"]
    device: str | list[str]
    zone: str = "home"
    above: float | None = Field(None, ge=0, description="kilometres")
    below: float | None = Field(None, gt=0, description="kilometres")

    @model_validator(mode="after")
    def _bounds(self) -> DistanceTriggerModel:
        _check_bounds(self.above, self.below)
        return self


class EventTriggerModel(_TriggerBase):
    trigger: Literal["event"]
    device: str
    event: str
    service: str | None = None
    arguments: dict[str, Scalar] = Field(default_factory=dict)


class PerceptionTriggerModel(_TriggerBase):
    trigger: Literal["perception"]
    camera: str | None = None
    kind: str | None = None
    label: str | None = None
    min_count: int = Field(0, ge=0)


class WebhookTriggerModel(_TriggerBase):
    trigger: Literal["webhook"]
    webhook: str = Field(min_length=1)


class HubStartTriggerModel(_TriggerBase):
    trigger: Literal["hub_start"]


TriggerModel = Annotated[
    StateTriggerModel | NumericTriggerModel | TimeTriggerModel | CronTriggerModel | TimePatternTriggerModel
    | SunTriggerModel | ZoneTriggerModel | DistanceTriggerModel | EventTriggerModel | PerceptionTriggerModel
    | WebhookTriggerModel | HubStartTriggerModel,
    Field(discriminator="trigger"),
]


def _check_bounds(above: float | None, below: float | None) -> None:
    if above is None and below is None:
        raise ValueError("give above, below or both")
    if above is not None and below is not None and above >= below:
        raise ValueError(f"above ({above}) must be less than below ({below})")


# ---- conditions ----


class StateConditionModel(Strict):
    condition: Literal["state"]
    device: str | list[str]
    property: str
    state: OneOrMany
    for_: Duration = Field(0.0, alias="for", ge=0)


class NumericConditionModel(Strict):
    condition: Literal["numeric"]
    device: str | list[str]
    property: str
    above: float | None = None
    below: float | None = None

    @model_validator(mode="after")
    def _bounds(self) -> NumericConditionModel:
        _check_bounds(self.above, self.below)
        return self


Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]


class TimeConditionModel(Strict):
    condition: Literal["time"]
    after: TimeOfDay | None = None
    before: TimeOfDay | None = None
    weekday: Weekday | list[Weekday] | None = None


class SunConditionModel(Strict):
    condition: Literal["sun"]
    after: SunEvent | None = None
    after_offset: Duration = 0.0
    before: SunEvent | None = None
    before_offset: Duration = 0.0

    @model_validator(mode="after")
    def _some(self) -> SunConditionModel:
        if self.after is None and self.before is None:
            raise ValueError("give after, before or both (sunrise or sunset)")
        return self


class ZoneConditionModel(Strict):
    condition: Literal["zone"]
    device: str | list[str]
    zone: str = "home"


class AndConditionModel(Strict):
    condition: Literal["and"]
    conditions: list[ConditionModel] = Field(min_length=1)


class OrConditionModel(Strict):
    condition: Literal["or"]
    conditions: list[ConditionModel] = Field(min_length=1)


class NotConditionModel(Strict):
    condition: Literal["not"]
    conditions: list[ConditionModel] = Field(min_length=1)


class ExpressionConditionModel(Strict):
    condition: Literal["expression"]
    expr: str = Field(min_length=1)


class TriggerConditionModel(Strict):
    condition: Literal["trigger"]
    id: str | list[str]


def _shorthand(value: Any) -> Any:
    # A bare string is an expression, as in `conditions: ["state('car', ...) < 60"]`.
    if isinstance(value, str):
        return {"condition": "expression", "expr": value}
    return value


_AnyCondition = Annotated[
    StateConditionModel | NumericConditionModel | TimeConditionModel | SunConditionModel | ZoneConditionModel
    | AndConditionModel | OrConditionModel | NotConditionModel | ExpressionConditionModel | TriggerConditionModel,
    Field(discriminator="condition"),
]
ConditionModel = Annotated[_AnyCondition, BeforeValidator(_shorthand)]


# ---- actions ----


class TargetModel(Strict):
    """Where a command goes and what it does: one device, or every device of an area and/or type."""

    device: str | None = None
    area: str | None = None
    type: str | None = None
    property: str | None = None
    value: Scalar | None = None
    action: str | None = None
    args: dict[str, Scalar] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _shape(self) -> TargetModel:
        if self.device is None and self.area is None and self.type is None:
            raise ValueError("name a device, an area or a type")
        if self.device is not None and (self.area is not None or self.type is not None):
            raise ValueError("name a device, or an area and/or type, not both")
        if (self.property is None) == (self.action is None):
            raise ValueError("give either property + value or action (+ args)")
        if self.property is not None and self.value is None:
            raise ValueError("a property command needs a value")
        return self


class _ActionBase(Strict):
    alias: str = ""


class CommandActionModel(_ActionBase):
    command: TargetModel


class SceneActionModel(_ActionBase):
    scene: str


class DelayActionModel(_ActionBase):
    delay: Duration = Field(ge=0)


class WaitActionModel(_ActionBase):
    wait_for_trigger: list[TriggerModel] = Field(min_length=1)
    timeout: Duration | None = Field(None, ge=0)
    continue_on_timeout: bool = True


class ChooseOptionModel(Strict):
    conditions: list[ConditionModel] = Field(min_length=1)
    actions: list[ActionModel] = Field(min_length=1)


class ChooseActionModel(_ActionBase):
    choose: list[ChooseOptionModel] = Field(min_length=1)
    default: list[ActionModel] = Field(default_factory=list)


class IfActionModel(_ActionBase):
    if_: list[ConditionModel] = Field(alias="if", min_length=1)
    then: list[ActionModel] = Field(min_length=1)
    else_: list[ActionModel] = Field(default_factory=list, alias="else")


class RepeatModel(Strict):
    count: int | None = Field(None, ge=0, le=10_000)
    while_: list[ConditionModel] = Field(default_factory=list, alias="while")
    until: list[ConditionModel] = Field(default_factory=list)
    actions: list[ActionModel] = Field(min_length=1)

    @model_validator(mode="after")
    def _one(self) -> RepeatModel:
        given = sum([self.count is not None, bool(self.while_), bool(self.until)])
        if given != 1:
            raise ValueError("give exactly one of count, while or until")
        return self


class RepeatActionModel(_ActionBase):
    repeat: RepeatModel


class ParallelActionModel(_ActionBase):
    parallel: list[ActionModel | list[ActionModel]] = Field(min_length=1)


class NotifyModel(Strict):
    to: str | list[str] = "adults"
    title: str = ""
    message: str = Field(min_length=1)


class NotifyActionModel(_ActionBase):
    notify: NotifyModel


class StopActionModel(_ActionBase):
    stop: str
    error: bool = False


ACTION_KEYS = ("command", "scene", "delay", "wait_for_trigger", "choose", "if", "repeat", "parallel", "notify",
               "stop")


def _action_kind(value: Any) -> str | None:
    if isinstance(value, dict):
        return next((key for key in ACTION_KEYS if key in value), None)
    return None


ActionModel = Annotated[
    Annotated[CommandActionModel, Tag("command")]
    | Annotated[SceneActionModel, Tag("scene")]
    | Annotated[DelayActionModel, Tag("delay")]
    | Annotated[WaitActionModel, Tag("wait_for_trigger")]
    | Annotated[ChooseActionModel, Tag("choose")]
    | Annotated[IfActionModel, Tag("if")]
    | Annotated[RepeatActionModel, Tag("repeat")]
    | Annotated[ParallelActionModel, Tag("parallel")]
    | Annotated[NotifyActionModel, Tag("notify")]
    | Annotated[StopActionModel, Tag("stop")],
    Discriminator(
        _action_kind,
        custom_error_type="action_kind",
        custom_error_message=f"an action needs one of: {', '.join(ACTION_KEYS)}",
    ),
]


# ---- rules, scenes, file ----


class RuleModel(Strict):
    id: str = Field(min_length=1, pattern=r"^[A-Za-z0-9_\-.]+$")
    name: str = ""
    description: str = ""
    enabled: bool = True
    mode: Literal["single", "restart", "queued", "parallel"] = "single"
    max: int = Field(10, ge=1, le=10_000)
    variables: dict[str, Scalar] = Field(default_factory=dict)
    triggers: list[TriggerModel] = Field(min_length=1)
    conditions: list[ConditionModel] = Field(default_factory=list)
    actions: list[ActionModel] = Field(min_length=1)


class SceneModel(Strict):
    id: str = Field(min_length=1, pattern=r"^[A-Za-z0-9_\-.]+$")
    name: str = ""
    states: list[TargetModel] = Field(min_length=1)


class RulesFileModel(Strict):
    rules: list[RuleModel] = Field(default_factory=list)
    scenes: list[SceneModel] = Field(default_factory=list)


for _model in (AndConditionModel, OrConditionModel, NotConditionModel, ChooseOptionModel, ChooseActionModel,
               IfActionModel, RepeatModel, ParallelActionModel, WaitActionModel, RuleModel, RulesFileModel):
    _model.model_rebuild()
