"""The automation engine: attaches rules' triggers, checks conditions, runs actions under each rule's mode,
keeps traces and persists pending timers.

Restart policy: a delay, wait or `for:` hold found in the timer table at start is resumed where it stopped.
If its moment passed while the hub was down, it still runs when it is late by at most `grace` seconds
(default 300); later than that the run is recorded as `missed` in the rule's trace and nothing is done. A
resumed delay or wait continues with the actions after it and never repeats the ones before it; the row is
removed before the next action runs, so a crash at that instant loses the action rather than doubling it.
Runs paused inside `repeat` or `parallel` cannot be resumed and are recorded as `interrupted`. Rules whose
definition changed since the timer was written are not resumed either.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
from functools import partial
from time import perf_counter
from types import TracebackType
from typing import Any
from zoneinfo import ZoneInfo

from hearth.automation._actions import Executor, Stopped, action_path, resumable
from hearth.automation._conditions import Check, Context, compile_condition, describe_condition
from hearth.automation._eager import finish, step
from hearth.automation._geo import location_keys, zone_distance
from hearth.automation._model import CommandAction, CommandSpec, Rule, RuleSet, SceneAction
from hearth.automation._timers import TimerKind, TimerRow, TimerStore
from hearth.automation._trace import Step, Trace
from hearth.automation._triggers import Attached, Wiring, attach, trigger_vars
from hearth.core import Actor, Bus, Clock, Command, CommandPath, RuleFired, StateStore
from hearth.errors import HearthError, RuleError
from hearth.model import Home

log = logging.getLogger(__name__)
_MAX_DEPTH = 32


class Run:
    """One run of a rule: its trace, variables and (if it had to wait) its task; also the expression scope."""

    __slots__ = ("_vars", "actor", "cancel_reason", "engine", "id", "resume_due", "rt", "task", "trace",
                 "trigger_id")

    def __init__(self, engine: Engine, rt: _RuleRuntime, trace: Trace, trigger_id: str) -> None:
        self.engine = engine
        self.rt = rt
        self.trace = trace
        self.id = trace.run
        self.trigger_id = trigger_id
        self.actor = rt.actor
        self._vars: dict[str, Any] | None = None
        self.task: asyncio.Task[Any] | None = None
        self.resume_due: float | None = None
        self.cancel_reason = ""

    @property
    def rule(self) -> Rule:
        """The rule being run."""
        return self.rt.rule

    @property
    def variables(self) -> dict[str, Any]:
        """`trigger`, the rule's variables, and what actions add (`wait`, `repeat`)."""
        if self._vars is None:
            self._vars = {**self.rt.rule.variables, "trigger": self.trace.trigger}
        return self._vars

    def value(self, key: tuple[str, str, str]) -> Any:
        """A property's current value."""
        return self.engine.state.values.get(key)

    def variable(self, name: str) -> Any:
        """A variable by name."""
        return self.variables[name]

    def distance_km(self, device: str, zone: str) -> float | None:
        """Kilometres from a device to a zone centre."""
        home = self.engine.ctx.home
        return zone_distance(self.engine.state.values, location_keys(home.devices[device]), home.zones[zone])

    def local_time(self) -> tuple[int, int, int]:
        """(hour, minute, weekday) at the home."""
        local = self.engine.ctx.local()
        return local.hour, local.minute, local.weekday()

    def now(self) -> float:
        """Epoch seconds."""
        return self.engine.ctx.clock.now()

    def persist(self, kind: TimerKind, due: float, path: str) -> str:
        """Record a pending delay or wait; returns its key."""
        key = f"{self.rule.id}:{self.id}:{path}"
        timers = self.engine.timers
        if timers is not None:
            extra = {k: v for k, v in self.variables.items() if k not in self.rule.variables and k != "trigger"}
            timers.put(TimerRow(key, self.rule.id, kind, due, self.rule.digest, path,
                                {"trigger": self.trace.trigger, "trigger_id": self.trigger_id, "extra": extra},
                                self.trace.started))
        return key

    def unpersist(self, key: str) -> None:
        """Forget a pending timer, unless the hub is stopping (then it is resumed at the next start)."""
        if self.engine.timers is not None and not self.engine.stopping:
            self.engine.timers.drop(key)


class _RuleRuntime:
    """A loaded rule's live parts: attachments, compiled conditions, active runs, queue and traces."""

    __slots__ = ("active", "actor", "attached", "checks", "enabled", "keep", "kinds", "plain", "queue", "rule",
                 "traces")

    def __init__(self, rule: Rule, checks: tuple[Check, ...], keep: int) -> None:
        self.rule = rule
        self.kinds = tuple(type(t).__name__ for t in rule.triggers)
        # Plain rules only issue commands: they take a flat path with no per-action coroutines.
        self.plain: tuple[tuple[str, str, tuple[CommandSpec, ...]], ...] | None = None
        if all(isinstance(a, CommandAction | SceneAction) for a in rule.actions):
            self.plain = tuple(
                (str(i), a.alias or ("command" if isinstance(a, CommandAction) else "scene"), a.commands)
                for i, a in enumerate(rule.actions) if isinstance(a, CommandAction | SceneAction)
            )
        self.enabled = rule.enabled
        self.actor = Actor("rule", rule.id, "admin")
        self.checks = checks
        self.keep = keep
        self.attached: list[Attached] = []
        self.active: list[Run] = []
        self.queue: list[Run] = []
        self.traces: list[Trace] = []  # a list trimmed by hand: much smaller than a deque for 10,000 rules

    @property
    def labels(self) -> tuple[str, ...]:
        """Labels of the top-level conditions (for traces)."""
        return tuple(describe_condition(c) for c in self.rule.conditions)

    def describe(self, index: int, payload: object) -> dict[str, Any]:
        """Trigger variables of a run."""
        if index >= 0:
            return trigger_vars(self.rule.triggers[index], payload)
        return dict(payload) if isinstance(payload, dict) else {}

    def remember(self, trace: Trace) -> None:
        """Keep a trace, dropping the oldest beyond the limit."""
        traces = self.traces
        traces.append(trace)
        if len(traces) > self.keep:
            del traces[0]


class _Holds:
    """Persists a rule's `for:` holds."""

    __slots__ = ("engine", "rule")

    def __init__(self, engine: Engine, rule: Rule) -> None:
        self.engine, self.rule = engine, rule

    def started(self, key: str, due: float, payload: dict[str, Any]) -> None:
        if self.engine.timers is not None:
            self.engine.timers.put(TimerRow(f"{self.rule.id}:{key}", self.rule.id, "for", due, self.rule.digest,
                                            key, payload, self.engine.ctx.clock.now()))

    def ended(self, key: str) -> None:
        if self.engine.timers is not None and not self.engine.stopping:
            self.engine.timers.drop(f"{self.rule.id}:{key}")


class Engine:
    """Runs a set of rules against one home; use as `async with Engine(...) as engine`."""

    def __init__(self, home: Home, bus: Bus, clock: Clock, state: StateStore, commands: CommandPath, *,
                 timers: TimerStore | None = None, trace_len: int = 20, grace: float = 300.0,
                 flush_every: float = 5.0) -> None:
        self.ctx = Context(home, state, clock, ZoneInfo(home.timezone))
        self.bus, self.state, self.commands = bus, state, commands
        self.timers = timers
        self.trace_len, self.grace, self.flush_every = trace_len, grace, flush_every
        self.wiring = Wiring(self.ctx, bus)
        self.executor = Executor(self)
        self.rules: dict[str, _RuleRuntime] = {}
        self.scenes: dict[str, Any] = {}
        self.stopping = False
        self._ids = itertools.count(int(clock.now() * 1000))
        self._tasks: asyncio.TaskGroup | None = None
        self._depth = 0
        self._dirty: set[str] = set()
        self._cancel_flush: Any = None

    # ---- lifecycle ----

    async def __aenter__(self) -> Engine:
        self._tasks = asyncio.TaskGroup()
        await self._tasks.__aenter__()
        self.stopping = False
        for rt in self.rules.values():
            if rt.enabled:
                self._attach(rt)
        self._resume_timers()
        if self.timers is not None:
            self._schedule_flush()
        return self

    async def __aexit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                        tb: TracebackType | None) -> None:
        self.stopping = True
        if self._cancel_flush is not None:
            self._cancel_flush()
        for rt in self.rules.values():
            self._detach(rt)
            for run in (*rt.active, *rt.queue):
                run.cancel_reason = "hub stopping"
                if run.task is not None:
                    run.task.cancel()
        self.wiring.close()
        if self._tasks is not None:
            # The runs were cancelled above; the block's own exception (if any) propagates unchanged.
            await self._tasks.__aexit__(None, None, None)
            self._tasks = None
        self.flush_traces()

    def load(self, ruleset: RuleSet, enabled: dict[str, bool] | None = None) -> None:
        """Replace the rules (attached at once when the engine is running); `enabled` overrides the file."""
        for rt in self.rules.values():
            self._detach(rt)
        self.rules = {}
        self.scenes = dict(ruleset.scenes)
        for rule in ruleset.rules:
            rt = _RuleRuntime(rule, tuple(compile_condition(c, self.ctx) for c in rule.conditions), self.trace_len)
            if enabled and rule.id in enabled:
                rt.enabled = enabled[rule.id]
            self.rules[rule.id] = rt
            if self._tasks is not None and rt.enabled:
                self._attach(rt)

    def add(self, rule: Rule) -> None:
        """Add one rule at run time (rules from a sentence, the API, MCP); its id must be new."""
        if rule.id in self.rules:
            raise RuleError(f"a rule {rule.id!r} exists already")
        rt = _RuleRuntime(rule, tuple(compile_condition(c, self.ctx) for c in rule.conditions), self.trace_len)
        self.rules[rule.id] = rt
        if self._tasks is not None and rt.enabled:
            self._attach(rt)

    def remove(self, rule_id: str) -> None:
        """Remove a rule at run time; its pending runs are cancelled."""
        rt = self._runtime(rule_id)
        self._detach(rt)
        for run in (*rt.active, *rt.queue):
            run.cancel_reason = "rule removed"
            if run.task is not None:
                run.task.cancel()
        del self.rules[rule_id]

    def set_enabled(self, rule_id: str, enabled: bool) -> None:
        """Enable or disable a rule at run time."""
        rt = self._runtime(rule_id)
        if rt.enabled == enabled:
            return
        rt.enabled = enabled
        if self._tasks is None:
            return
        if enabled:
            self._attach(rt)
        else:
            self._detach(rt)

    def traces(self, rule_id: str) -> list[Trace]:
        """The last runs of a rule, oldest first."""
        return list(self._runtime(rule_id).traces)

    def trigger(self, rule_id: str, variables: dict[str, Any] | None = None) -> Trace:
        """Run a rule now as if it had fired (conditions are still checked)."""
        rt = self._runtime(rule_id)
        self._fire(rt, -1, {"kind": "manual", "id": "", **(variables or {})})
        return rt.traces[-1]

    def _runtime(self, rule_id: str) -> _RuleRuntime:
        rt = self.rules.get(rule_id)
        if rt is None:
            raise RuleError(f"no rule {rule_id!r} (rules: {', '.join(self.rules) or 'none'})")
        return rt

    def _attach(self, rt: _RuleRuntime) -> None:
        fire = partial(self._fire, rt)
        holds = _Holds(self, rt.rule) if any(getattr(t, "hold", 0) for t in rt.rule.triggers) else None
        rt.attached = [attach(t, i, self.wiring, fire, holds) for i, t in enumerate(rt.rule.triggers)]

    def _detach(self, rt: _RuleRuntime) -> None:
        for item in rt.attached:
            item.remove()
        rt.attached = []

    # ---- firing ----

    def _fire(self, rt: _RuleRuntime, index: int, payload: object) -> None:
        if not rt.enabled or self.stopping:
            return
        trace = Trace(rt.rule.id, next(self._ids), self.ctx.clock.now(), index, payload, rt)
        rt.remember(trace)
        if self.timers is not None:
            self._dirty.add(rt.rule.id)
        if index >= 0:
            trigger_id = rt.rule.triggers[index].id
        else:
            trigger_id = str(payload.get("id", "")) if isinstance(payload, dict) else ""
        run = Run(self, rt, trace, trigger_id)
        if rt.checks and not self._conditions_hold(run, rt.checks):
            return
        if rt.active or rt.queue:
            mode = rt.rule.mode
            if mode == "single":
                return self._end(trace, "skipped", "already running")
            if mode == "restart":
                for other in (*rt.active, *rt.queue):
                    other.cancel_reason = "restarted"
                    if other.task is not None:
                        other.task.cancel()
                rt.queue.clear()
            elif mode == "queued":
                if len(rt.queue) + len(rt.active) >= rt.rule.max:
                    return self._end(trace, "skipped", f"queue full ({rt.rule.max})")
                trace.outcome = "queued"
                rt.queue.append(run)
                return None
            elif len(rt.active) >= rt.rule.max:
                return self._end(trace, "skipped", f"already {rt.rule.max} runs")
        self._start(run, None)
        return None

    def _conditions_hold(self, run: Run, checks: tuple[Check, ...]) -> bool:
        results = run.trace.conditions
        for check in checks:
            try:
                ok = check(run)
            except RuleError as exc:
                ok = False
                run.trace.message = str(exc)
            results.append(ok)
            if not ok:
                self._end(run.trace, "condition", run.trace.message or "conditions not met")
                return False
        return True

    def _end(self, trace: Trace, outcome: str, message: str) -> None:
        trace.outcome = outcome
        trace.message = message
        trace.ended = self.ctx.clock.now()

    def _start(self, run: Run, resume: list[str] | None) -> None:
        if self._depth >= _MAX_DEPTH:
            return self._end(run.trace, "error", "rules triggering each other too deeply (loop?)")
        run.trace.outcome = "running"
        plain = run.rt.plain
        if plain is not None and resume is None:
            coro = self._execute_plain(run, plain)
        else:
            self.bus.publish(RuleFired(run.trace.started, run.rule.id, str(run.id), _trigger_kind(run)))
            coro = self._execute(run, resume)
        self._depth += 1
        try:
            finished, awaited = step(coro)
        finally:
            self._depth -= 1
        if finished:
            return None
        if self._tasks is None:
            coro.close()
            return self._end(run.trace, "error", "the engine is not running")
        run.rt.active.append(run)
        run.task = self._tasks.create_task(finish(coro, awaited), name=f"rule {run.rule.id} #{run.id}")
        return None

    async def _execute(self, run: Run, resume: list[str] | None) -> None:
        trace = run.trace
        try:
            await self.executor.sequence(run, run.rule.actions, "", resume)
            outcome, message = "done", trace.message
        except Stopped as stop:
            outcome, message = ("error" if stop.error else "stopped"), stop.reason
        except asyncio.CancelledError:
            self._end(trace, "cancelled", run.cancel_reason or "cancelled")
            self._finished(run)
            raise
        except HearthError as exc:
            outcome, message = "error", str(exc)
        except Exception as exc:  # a bug in one rule must not stop the others; it is in the trace and the log
            log.exception("rule %s failed", run.rule.id)
            outcome, message = "error", f"{type(exc).__name__}: {exc}"
        if any(not s.ok for s in trace.steps) and outcome == "done":
            outcome = "error"
            message = message or "a step failed"
        self._end(trace, outcome, message)
        self._finished(run)

    async def _execute_plain(self, run: Run, plain: tuple[tuple[str, str, tuple[CommandSpec, ...]], ...]) -> None:
        """Run a rule made only of commands: one flat coroutine, usually finished without ever waiting."""
        trace, execute, actor = run.trace, self.commands.execute, run.actor
        steps, started, outcome = trace.steps, trace.started, "done"
        try:
            for path, kind, specs in plain:
                step_ = Step(path, kind, started)
                steps.append(step_)
                began = perf_counter()
                for spec in specs:
                    result = await execute(Command(spec.device, spec.service, spec.property, spec.value, spec.action,
                                                   spec.args), actor)
                    if not result.ok:
                        step_.ok, outcome = False, "error"
                        step_.message = f"{step_.message}; {spec.device}: {result.message}".lstrip("; ")
                step_.elapsed = perf_counter() - began
                started = self.ctx.clock.now() if len(plain) > 1 else started
        except asyncio.CancelledError:
            self._end(trace, "cancelled", run.cancel_reason or "cancelled")
            self._finished(run)
            raise
        except Exception as exc:  # an adapter bug must not stop other rules; it is in the trace and the log
            log.exception("rule %s failed", run.rule.id)
            outcome, trace.message = "error", f"{type(exc).__name__}: {exc}"
        trace.outcome, trace.ended = outcome, self.ctx.clock.now()
        self._finished(run)

    def _finished(self, run: Run) -> None:
        if self.timers is not None:
            self._dirty.add(run.rule.id)
        self.bus.publish(RuleFired(self.ctx.clock.now(), run.rule.id, str(run.id), _trigger_kind(run),
                                   run.trace.outcome))
        rt = run.rt
        if run in rt.active:
            rt.active.remove(run)
        if rt.queue and not rt.active and not self.stopping:
            self._start(rt.queue.pop(0), None)

    # ---- restart safety ----

    def _resume_timers(self) -> None:
        if self.timers is None:
            return
        now = self.ctx.clock.now()
        for row in self.timers.pending():
            rt = self.rules.get(row.rule)
            if rt is None or not rt.enabled or row.digest != rt.rule.digest:
                self.timers.drop(row.key)
                continue
            late = now - row.due
            if late > self.grace:
                self.timers.drop(row.key)
                self._record(rt, row, "missed", f"due {late:.0f}s ago while the hub was down (grace {self.grace:g}s)")
            elif row.kind == "for":
                self._resume_hold(rt, row, now)
            else:
                self._resume_run(rt, row, late)

    def _resume_hold(self, rt: _RuleRuntime, row: TimerRow, now: float) -> None:
        _, index_text, device = row.path.split(":", 2)
        index = int(index_text)
        self.timers.drop(row.key) if self.timers else None
        if index >= len(rt.attached) or not rt.attached[index].resume_hold(device, max(row.due, now), row.vars):
            self._record(rt, row, "missed", "the held state changed while the hub was down")

    def _resume_run(self, rt: _RuleRuntime, row: TimerRow, late: float) -> None:
        if self.timers is not None:
            self.timers.drop(row.key)
        if not resumable(row.path):
            return self._record(rt, row, "interrupted", f"stopped at {row.path} inside repeat/parallel by a restart")
        trigger = dict(row.vars.get("trigger", {}))
        trace = Trace(rt.rule.id, next(self._ids), self.ctx.clock.now(), -1, trigger, rt)
        trace.message = "resumed after restart" + (f" ({late:.0f}s late)" if late > 0 else "")
        rt.remember(trace)
        run = Run(self, rt, trace, str(row.vars.get("trigger_id", "")))
        run.variables.update(row.vars.get("extra", {}))
        run.resume_due = row.due
        self._start(run, action_path(row.path))
        return None

    def _record(self, rt: _RuleRuntime, row: TimerRow, outcome: str, message: str) -> None:
        trace = Trace(rt.rule.id, next(self._ids), self.ctx.clock.now(), -1, dict(row.vars.get("trigger", row.vars)),
                      rt)
        self._end(trace, outcome, f"{row.kind} at {row.path}: {message}")
        rt.remember(trace)
        self._dirty.add(rt.rule.id)

    # ---- trace persistence ----

    def _schedule_flush(self) -> None:
        clock = self.ctx.clock
        self._cancel_flush = clock.call_at(clock.now() + self.flush_every, self._flush_tick)

    def _flush_tick(self) -> None:
        self.flush_traces()
        if not self.stopping:
            self._schedule_flush()

    def flush_traces(self) -> None:
        """Write the traces of rules that ran since the last flush to the database."""
        if self.timers is None or not self._dirty:
            return
        dirty, self._dirty = self._dirty, set()
        for rule_id in dirty:
            rt = self.rules.get(rule_id)
            if rt is not None:
                self.timers.save_traces(rule_id, [t.to_dict() for t in rt.traces], self.trace_len)

    def stats(self) -> dict[str, int]:
        """Counts for status displays."""
        return {"rules": len(self.rules), "enabled": sum(rt.enabled for rt in self.rules.values()),
                "running": sum(len(rt.active) for rt in self.rules.values())}


def _trigger_kind(run: Run) -> str:
    index = run.trace.trigger_index
    return run.rt.kinds[index] if index >= 0 else "resumed"


