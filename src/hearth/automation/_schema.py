"""The rules file schema as users write it (pydantic, used at the boundary only): conditions, actions, rules
and scenes here; triggers in `_schema_triggers`, shared value types in `_schema_base`."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BeforeValidator, Discriminator, Field, Tag, model_validator

from hearth.automation._schema_base import Duration, OneOrMany, Scalar, Strict, SunEvent, TimeOfDay, check_bounds
from hearth.automation._schema_triggers import TriggerModel

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
        check_bounds(self.above, self.below)
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
