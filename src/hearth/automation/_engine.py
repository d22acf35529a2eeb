"""The automation engine: attaches rules' triggers, checks conditions, runs actions under each rule's mode,
keeps traces and persists pending timers (restart policy: see `_resume`).
"""

from __future__ import annotations

import asyncio
import itertools
import logging
from collections.abc import Callable
from functools import partial
from time import perf_counter
from types import TracebackType
from typing import Any
from zoneinfo import ZoneInfo

from hearth.automation._actions import Executor, Stopped
from hearth.automation._conditions import Check, Context, compile_condition
from hearth.automation._eager import finish, step
from hearth.automation._model import CommandSpec, Rule, RuleSet, SunTrigger, TimeTrigger
from hearth.automation._resume import PersistedHolds, catch_up, resume_timers
from hearth.automation._run import RuleRuntime, Run
from hearth.automation._timers import TimerStore
from hearth.automation._trace import Step, Trace
from hearth.automation._triggers import Wiring, attach
from hearth.core import Bus, Clock, Command, CommandPath, Remove, RuleFired, StateStore
from hearth.errors import HearthError, RuleError
from hearth.model import Home

log = logging.getLogger(__name__)
_MAX_DEPTH = 32


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
        self.rules: dict[str, RuleRuntime] = {}
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
        if self.timers is not None:
            resume_timers(self)
            since, now = self.timers.last_seen(), self.ctx.clock.now()
            if since is not None and since < now:
                catch_up(self, since, now)
            self.timers.mark_seen(now)
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
        if self.timers is not None:
            self.timers.mark_seen(self.ctx.clock.now())

    def load(self, ruleset: RuleSet, enabled: dict[str, bool] | None = None) -> None:
        """Replace the rules (attached at once when the engine is running); `enabled` overrides the file."""
        for rt in self.rules.values():
            self._detach(rt)
        self.rules = {}
        self.scenes = dict(ruleset.scenes)
        for rule in ruleset.rules:
            rt = RuleRuntime(rule, tuple(compile_condition(c, self.ctx) for c in rule.conditions), self.trace_len)
            if enabled and rule.id in enabled:
                rt.enabled = enabled[rule.id]
            self.rules[rule.id] = rt
            if self._tasks is not None and rt.enabled:
                self._attach(rt)

    def add(self, rule: Rule) -> None:
        """Add one rule at run time (rules from a sentence, the API, MCP); its id must be new."""
        if rule.id in self.rules:
            raise RuleError(f"a rule {rule.id!r} exists already")
        rt = RuleRuntime(rule, tuple(compile_condition(c, self.ctx) for c in rule.conditions), self.trace_len)
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

    def _runtime(self, rule_id: str) -> RuleRuntime:
        rt = self.rules.get(rule_id)
        if rt is None:
            raise RuleError(f"no rule {rule_id!r} (rules: {', '.join(self.rules) or 'none'})")
        return rt

    def _attach(self, rt: RuleRuntime) -> None:
        fire = partial(self._fire, rt)
        # A time or sun trigger marks the clock before firing, so a restart never fires its moment again.
        timed = partial(self._fire_timed, rt) if self.timers is not None else fire
        holds = PersistedHolds(self, rt.rule) if any(getattr(t, "hold", 0) for t in rt.rule.triggers) else None
        rt.attached = [attach(t, i, self.wiring, timed if isinstance(t, TimeTrigger | SunTrigger) else fire, holds)
                       for i, t in enumerate(rt.rule.triggers)]

    def _detach(self, rt: RuleRuntime) -> None:
        for item in rt.attached:
            item.remove()
        rt.attached = []

    # ---- firing ----

    def _fire_timed(self, rt: RuleRuntime, index: int, payload: object) -> None:
        if self.timers is not None and isinstance(payload, dict):
            self.timers.mark_seen(float(payload.get("at", self.ctx.clock.now())))
        self._fire(rt, index, payload)

    def _fire(self, rt: RuleRuntime, index: int, payload: object) -> None:
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
            if self.bus.wants(RuleFired):
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
        if self.bus.wants(RuleFired):
            self.bus.publish(RuleFired(self.ctx.clock.now(), run.rule.id, str(run.id), _trigger_kind(run),
                                       run.trace.outcome))
        rt = run.rt
        if run in rt.active:
            rt.active.remove(run)
        if rt.queue and not rt.active and not self.stopping:
            self._start(rt.queue.pop(0), None)

    # ---- trace persistence ----

    def _schedule_flush(self) -> None:
        clock = self.ctx.clock
        self._cancel_flush = clock.call_at(clock.now() + self.flush_every, self._flush_tick)

    def _flush_tick(self) -> None:
        self.flush_traces()
        if self.timers is not None and not self.stopping:
            self.timers.mark_seen(self.ctx.clock.now())
        if not self.stopping:
            self._schedule_flush()

    def next_run_id(self) -> int:
        """A fresh run id (ids grow with time, so they stay unique across restarts)."""
        return next(self._ids)

    def touched(self, rule_id: str) -> None:
        """Note that a rule has new traces to save at the next flush."""
        if self.timers is not None:
            self._dirty.add(rule_id)

    def flush_traces(self) -> None:
        """Write the traces of rules that ran since the last flush to the database."""
        if self.timers is None or not self._dirty:
            return
        dirty, self._dirty = self._dirty, set()
        for rule_id in dirty:
            rt = self.rules.get(rule_id)
            if rt is not None:
                self.timers.save_traces(rule_id, [t.to_dict() for t in rt.traces], self.trace_len)

    def mqtt_topics(self) -> frozenset[str]:
        """The MQTT topic filters the rules' triggers (and pending waits) listen to."""
        return self.wiring.mqtt_topics()

    def watch_mqtt_topics(self, listener: Callable[[frozenset[str]], None]) -> Remove:
        """Call `listener` with all topic filters whenever rules start or stop listening to one; returns the undo."""
        return self.wiring.watch_mqtt_topics(listener)

    def stats(self) -> dict[str, int]:
        """Counts for status displays."""
        return {"rules": len(self.rules), "enabled": sum(rt.enabled for rt in self.rules.values()),
                "running": sum(len(rt.active) for rt in self.rules.values())}


def _trigger_kind(run: Run) -> str:
    index = run.trace.trigger_index
    return run.rt.kinds[index] if index >= 0 else "resumed"


