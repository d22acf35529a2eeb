"""Conditions compiled to small closures over the state snapshot: `check(env) -> bool`."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from hearth.automation._expr import Scope, is_number
from hearth.automation._geo import in_zone, location_keys
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
from hearth.core import Clock, StateStore
from hearth.errors import RuleError
from hearth.model import Home, Value, sun_event


class Env(Scope, Protocol):
    """What a condition sees: the run's scope and the id of the trigger that started it."""

    @property
    def trigger_id(self) -> str:
        """The id of the trigger that started the run ('' when it has none)."""
        ...


Check = Callable[[Env], bool]


@dataclass(frozen=True, slots=True)
class Context:
    """The narrow parts of the hub that rules read: home, state, clock and the home's time zone."""

    home: Home
    state: StateStore
    clock: Clock
    tz: ZoneInfo

    @property
    def values(self) -> Mapping[tuple[str, str, str], Value]:
        """Current values (read-only)."""
        return self.state.values

    def local(self, when: float | None = None) -> dt.datetime:
        """Local time of the home."""
        return dt.datetime.fromtimestamp(self.clock.now() if when is None else when, self.tz)


def in_range(value: Any, above: float | None, below: float | None) -> bool:
    """Whether a value is a number strictly inside (above, below)."""
    if not is_number(value):
        return False
    return (above is None or value > above) and (below is None or value < below)


def compile_condition(cond: Condition, ctx: Context) -> Check:
    """Turn a condition into a fast check."""
    values = ctx.state.values
    if isinstance(cond, StateCondition):
        keys = tuple((d, cond.service, cond.property) for d in cond.devices)
        states, hold, state, clock = cond.states, cond.hold, ctx.state, ctx.clock
        if not hold and len(keys) == 1:
            key = keys[0]
            return lambda env: values.get(key) in states
        if not hold:
            return lambda env: all(values.get(k) in states for k in keys)
        return lambda env: all(
            values.get(k) in states and clock.now() - state.last_changed(*k) >= hold for k in keys
        )
    if isinstance(cond, NumericCondition):
        keys = tuple((d, cond.service, cond.property) for d in cond.devices)
        above, below = cond.above, cond.below
        if len(keys) == 1:
            key = keys[0]
            return lambda env: in_range(values.get(key), above, below)
        return lambda env: all(in_range(values.get(k), above, below) for k in keys)
    if isinstance(cond, TimeCondition):
        return _time_check(cond, ctx)
    if isinstance(cond, SunCondition):
        return _sun_check(cond, ctx)
    if isinstance(cond, ZoneCondition):
        zone = ctx.home.zones[cond.zone]
        located = tuple(location_keys(ctx.home.devices[d]) for d in cond.devices)
        return lambda env: all(in_zone(values, keys, zone) for keys in located)
    if isinstance(cond, AndCondition | OrCondition | NotCondition):
        checks = tuple(compile_condition(c, ctx) for c in cond.conditions)
        if isinstance(cond, AndCondition):
            return lambda env: all(c(env) for c in checks)
        if isinstance(cond, OrCondition):
            return lambda env: any(c(env) for c in checks)
        return lambda env: not any(c(env) for c in checks)
    if isinstance(cond, ExpressionCondition):
        evaluate = cond.expression.evaluate
        return lambda env: bool(evaluate(env))
    if isinstance(cond, TriggerCondition):
        ids = cond.ids
        return lambda env: env.trigger_id in ids
    raise RuleError(f"unsupported condition {type(cond).__name__}")


def _time_check(cond: TimeCondition, ctx: Context) -> Check:
    after, before, weekdays = cond.after, cond.before, cond.weekdays

    def check(env: Env) -> bool:
        local = ctx.local()
        now = local.hour * 3600 + local.minute * 60 + local.second
        if after is not None and before is not None and after > before:
            # A window across midnight (23:00–07:00): the weekday is the one the window started on.
            inside = now >= after or now < before
            day = (local.weekday() - 1) % 7 if now < before else local.weekday()
        else:
            inside = (after is None or now >= after) and (before is None or now < before)
            day = local.weekday()
        return inside and day in weekdays

    return check


def _sun_check(cond: SunCondition, ctx: Context) -> Check:
    home = ctx.home

    def check(env: Env) -> bool:
        now = ctx.clock.now()
        today = ctx.local(now).date()
        if cond.after is not None:
            when = sun_event(home.location, home.timezone, today, cond.after)
            if when is None or now < when + cond.after_offset:
                return False
        if cond.before is not None:
            when = sun_event(home.location, home.timezone, today, cond.before)
            if when is None or now >= when + cond.before_offset:
                return False
        return True

    return check


def describe_condition(cond: Condition) -> str:
    """A short human label for traces."""
    if isinstance(cond, StateCondition | NumericCondition):
        where = f"{','.join(cond.devices)} {cond.service}.{cond.property}"
        if isinstance(cond, StateCondition):
            return f"{where} in {sorted(map(str, cond.states))}" + (f" for {cond.hold:g}s" if cond.hold else "")
        return f"{where} in ({cond.above}, {cond.below})"
    if isinstance(cond, TimeCondition):
        return f"time after {_hhmm(cond.after)} before {_hhmm(cond.before)}"
    if isinstance(cond, SunCondition):
        parts = [f"after {cond.after}{cond.after_offset:+g}s" if cond.after else "",
                 f"before {cond.before}{cond.before_offset:+g}s" if cond.before else ""]
        return "sun " + " ".join(p for p in parts if p)
    if isinstance(cond, ZoneCondition):
        return f"{','.join(cond.devices)} in zone {cond.zone}"
    if isinstance(cond, AndCondition | OrCondition | NotCondition):
        word = {AndCondition: "and", OrCondition: "or", NotCondition: "not"}[type(cond)]
        return f"{word}(" + "; ".join(describe_condition(c) for c in cond.conditions) + ")"
    if isinstance(cond, ExpressionCondition):
        return cond.expression.source
    return f"trigger in {sorted(cond.ids)}"


def _hhmm(seconds: int | None) -> str:
    if seconds is None:
        return "-"
    return f"{seconds // 3600:02d}:{seconds % 3600 // 60:02d}"
