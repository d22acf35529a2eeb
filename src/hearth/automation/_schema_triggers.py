"""The rules file schema for triggers (pydantic, used at the boundary only)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, field_validator, model_validator

from hearth.automation._mqtt import filter_problem, parse_path
from hearth.automation._schema_base import Duration, OneOrMany, Scalar, Strict, SunEvent, TimeOfDay, check_bounds


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
        check_bounds(self.above, self.below)
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
        check_bounds(self.above, self.below)
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


class MqttTriggerModel(_TriggerBase):
    trigger: Literal["mqtt"]
    topic: str
    payload: Scalar | None = None
    value: str | None = Field(None, description="a JSON path into the payload, like value_json.state")

    @field_validator("topic")
    @classmethod
    def _topic(cls, topic: str) -> str:
        problem = filter_problem(topic)
        if problem is not None:
            raise ValueError(f"{topic!r}: {problem}")
        return topic

    @field_validator("value")
    @classmethod
    def _value(cls, value: str | None) -> str | None:
        if value is not None and parse_path(value) is None:
            raise ValueError(f"{value!r}: expected a JSON path like value_json.state or value_json.a[0].b")
        return value


class HubStartTriggerModel(_TriggerBase):
    trigger: Literal["hub_start"]


TriggerModel = Annotated[
    StateTriggerModel | NumericTriggerModel | TimeTriggerModel | CronTriggerModel | TimePatternTriggerModel
    | SunTriggerModel | ZoneTriggerModel | DistanceTriggerModel | EventTriggerModel | PerceptionTriggerModel
    | WebhookTriggerModel | MqttTriggerModel | HubStartTriggerModel,
    Field(discriminator="trigger"),
]
