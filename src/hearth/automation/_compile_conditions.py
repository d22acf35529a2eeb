"""Compiling conditions: the validated schema to frozen condition values, checked against the home."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from hearth.automation import _schema as s
from hearth.automation._compiler import Compiler, Path_
from hearth.automation._expr import compile_expression
from hearth.automation._model import (
    AndCondition,
    Condition,
    ExpressionCondition,
    NotCondition,
    NumericCondition,
    OrCondition,
    StateCondition,
    SunCondition,
    TimeCondition,
    TriggerCondition,
    ZoneCondition,
)
from hearth.errors import RuleError

_WEEKDAYS = {"mon": 0, "tue": 1, "wed": 2, "thu": 3, "fri": 4, "sat": 5, "sun": 6}


def build_conditions(comp: Compiler, path: Path_, items: Sequence[Any]) -> tuple[Condition, ...]:
    """Compile a list of conditions."""
    return tuple(build_condition(comp, [*path, i], c) for i, c in enumerate(items))


def build_condition(comp: Compiler, path: Path_, c: Any) -> Condition:
    """Compile a validated condition, checking its references."""
    if isinstance(c, s.StateConditionModel | s.NumericConditionModel):
        devices = comp.devices([*path, "device"], c.device)
        service, spec = comp.same_prop(path, devices, c.property)
        if isinstance(c, s.NumericConditionModel):
            return NumericCondition(devices, service, spec.name, c.above, c.below)
        states = comp.values([*path, "state"], spec, c.state)
        assert states is not None
        return StateCondition(devices, service, spec.name, states, c.for_)
    if isinstance(c, s.TimeConditionModel):
        days = c.weekday if isinstance(c.weekday, list) else ([c.weekday] if c.weekday else list(_WEEKDAYS))
        return TimeCondition(c.after, c.before, frozenset(_WEEKDAYS[d] for d in days))
    if isinstance(c, s.SunConditionModel):
        return SunCondition(c.after, c.after_offset, c.before, c.before_offset)
    if isinstance(c, s.ZoneConditionModel):
        return ZoneCondition(comp.located([*path, "device"], c.device), comp.zone([*path, "zone"], c.zone))
    if isinstance(c, s.AndConditionModel | s.OrConditionModel | s.NotConditionModel):
        inner = build_conditions(comp, [*path, "conditions"], c.conditions)
        if c.condition == "and":
            return AndCondition(inner)
        return OrCondition(inner) if c.condition == "or" else NotCondition(inner)
    if isinstance(c, s.ExpressionConditionModel):
        try:
            return ExpressionCondition(compile_expression(c.expr, comp.home))
        except RuleError as exc:
            raise comp.fail([*path, "expr"], str(exc)) from None
    ids = c.id if isinstance(c.id, list) else [c.id]
    return TriggerCondition(frozenset(ids))
