"""Restart safety: persisted `for:` holds, pending delays and waits resumed at start, and time triggers caught up.

Policy (the same for every kind of timer): something whose moment passed while the hub was down still happens
once at start when it is late by at most the engine's `grace` (300 s by default); later than that it is
recorded as `missed` in the rule's trace and nothing is done.

- Delays and waits resume where they stopped and never repeat the actions before them; the row is removed
  before the next action runs, so a crash at that instant loses the action rather than doubling it. Runs
  paused inside `repeat` or `parallel` cannot be resumed and are recorded as `interrupted`. Rules whose
  definition changed since the timer was written are not resumed either.
- `for:` holds re-arm if the held state still holds; if it changed while the hub was down, they are missed.
- `time` and `sun` triggers: the engine marks the clock in the timer store while it runs (every flush, and
  just before such a trigger fires). At start, each moment between the last mark and now is handled by the
  policy above: the recent ones fire the rule once (the trigger's variables carry `late`), older ones leave
  one `missed` trace per trigger. Cron and time-pattern triggers are not caught up: they recur too often for
  a missed moment to matter.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from hearth.automation._actions import action_path, resumable
from hearth.automation._model import Rule, SunTrigger, TimeTrigger
from hearth.automation._run import RuleRuntime, Run
from hearth.automation._timed import next_moment
from hearth.automation._timers import TimerRow
from hearth.automation._trace import Trace

if TYPE_CHECKING:
    from hearth.automation._engine import Engine

_MAX_MOMENTS = 1000  # moments looked at per trigger when catching up: years of a daily trigger


class PersistedHolds:
    """Persists a rule's `for:` holds in the timer store."""

    __slots__ = ("engine", "rule")

    def __init__(self, engine: Engine, rule: Rule) -> None:
        self.engine, self.rule = engine, rule

    def started(self, key: str, due: float, payload: dict[str, Any]) -> None:
        """Record a hold that will fire at `due`."""
        if self.engine.timers is not None:
            self.engine.timers.put(TimerRow(f"{self.rule.id}:{key}", self.rule.id, "for", due, self.rule.digest,
                                            key, payload, self.engine.ctx.clock.now()))

    def ended(self, key: str) -> None:
        """Forget a hold that fired or broke (kept while the hub stops, to be resumed)."""
        if self.engine.timers is not None and not self.engine.stopping:
            self.engine.timers.drop(f"{self.rule.id}:{key}")


def resume_timers(engine: Engine) -> None:
    """Resume (or record as missed) every timer left in the store by the last run of the hub."""
    timers = engine.timers
    if timers is None:
        return
    now = engine.ctx.clock.now()
    for row in timers.pending():
        rt = engine.rules.get(row.rule)
        timers.drop(row.key)
        if rt is None or not rt.enabled or row.digest != rt.rule.digest:
            continue
        late = now - row.due
        if late > engine.grace:
            record(engine, rt, row, "missed", f"due {late:.0f}s ago while the hub was down (grace {engine.grace:g}s)")
        elif row.kind == "for":
            _resume_hold(engine, rt, row, now)
        else:
            _resume_run(engine, rt, row, late)


def _resume_hold(engine: Engine, rt: RuleRuntime, row: TimerRow, now: float) -> None:
    _, index_text, device = row.path.split(":", 2)
    index = int(index_text)
    if index >= len(rt.attached) or not rt.attached[index].resume_hold(device, max(row.due, now), row.vars):
        record(engine, rt, row, "missed", "the held state changed while the hub was down")


def _resume_run(engine: Engine, rt: RuleRuntime, row: TimerRow, late: float) -> None:
    if not resumable(row.path):
        return record(engine, rt, row, "interrupted", f"stopped at {row.path} inside repeat/parallel by a restart")
    trigger = dict(row.vars.get("trigger", {}))
    trace = Trace(rt.rule.id, engine.next_run_id(), engine.ctx.clock.now(), -1, trigger, rt)
    trace.message = "resumed after restart" + (f" ({late:.0f}s late)" if late > 0 else "")
    rt.remember(trace)
    run = Run(engine, rt, trace, str(row.vars.get("trigger_id", "")))
    run.variables.update(row.vars.get("extra", {}))
    run.resume_due = row.due
    engine._start(run, action_path(row.path))
    return None


def record(engine: Engine, rt: RuleRuntime, row: TimerRow, outcome: str, message: str) -> None:
    """Leave a trace for a timer that could not be resumed."""
    _note(engine, rt, dict(row.vars.get("trigger", row.vars)), outcome, f"{row.kind} at {row.path}: {message}")


def catch_up(engine: Engine, since: float, now: float) -> None:
    """Handle `time` and `sun` moments in (since, now]: fire once if within the grace period, else missed."""
    for rt in engine.rules.values():
        if not rt.enabled:
            continue
        for index, trigger in enumerate(rt.rule.triggers):
            if isinstance(trigger, TimeTrigger | SunTrigger):
                _catch_up_trigger(engine, rt, index, trigger, since, now)


def _catch_up_trigger(engine: Engine, rt: RuleRuntime, index: int, trigger: TimeTrigger | SunTrigger,
                      since: float, now: float) -> None:
    following = next_moment(trigger, engine.ctx)
    moments: list[float] = []
    moment = following(since)
    while moment is not None and moment <= now and len(moments) < _MAX_MOMENTS:
        moments.append(moment)
        moment = following(moment)
    recent = [m for m in moments if now - m <= engine.grace]
    older = moments[:len(moments) - len(recent)]
    kind = "sun" if isinstance(trigger, SunTrigger) else "time"
    if older:
        last = older[-1]
        count = f"{len(older)} moments, the last" if len(older) > 1 else "its moment"
        _note(engine, rt, {"kind": kind, "id": trigger.id, "at": last}, "missed",
              f"{kind} trigger {index}: {count} at {_local(engine, last)} passed while the hub was down "
              f"({now - last:.0f}s ago, grace {engine.grace:g}s)")
    if recent:
        at = recent[-1]
        engine._fire(rt, index, {"at": at, "late": round(now - at, 3)})
        trace = rt.traces[-1] if rt.traces else None
        if trace is not None and not trace.message:
            trace.message = f"caught up after restart ({now - at:.0f}s late)"


def _note(engine: Engine, rt: RuleRuntime, trigger: dict[str, Any], outcome: str, message: str) -> None:
    trace = Trace(rt.rule.id, engine.next_run_id(), engine.ctx.clock.now(), -1, trigger, rt)
    engine._end(trace, outcome, message)
    rt.remember(trace)
    engine.touched(rt.rule.id)


def _local(engine: Engine, when: float) -> str:
    return dt.datetime.fromtimestamp(when, engine.ctx.tz).strftime("%Y-%m-%d %H:%M:%S")
