"""A rule's runtime parts: `RuleRuntime` (a loaded rule's attachments, checks, runs and traces) and `Run`
(one run: its trace, variables and task; also the scope expressions and conditions read)."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

from hearth.automation._conditions import Check, describe_condition
from hearth.automation._geo import location_keys, zone_distance
from hearth.automation._model import CommandAction, CommandSpec, Rule, SceneAction
from hearth.automation._timers import TimerKind, TimerRow
from hearth.automation._trace import Trace
from hearth.automation._triggers import Attached, trigger_vars
from hearth.core import Actor

if TYPE_CHECKING:
    from hearth.automation._engine import Engine

Plain = tuple[tuple[str, str, tuple[CommandSpec, ...]], ...]


class Run:
    """One run of a rule: its trace, variables and (if it had to wait) its task; also the expression scope."""

    __slots__ = ("_vars", "actor", "cancel_reason", "engine", "id", "resume_due", "rt", "task", "trace",
                 "trigger_id")

    def __init__(self, engine: Engine, rt: RuleRuntime, trace: Trace, trigger_id: str) -> None:
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


class RuleRuntime:
    """A loaded rule's live parts: attachments, compiled conditions, active runs, queue and traces."""

    __slots__ = ("active", "actor", "attached", "checks", "enabled", "keep", "kinds", "plain", "queue", "rule",
                 "traces")

    def __init__(self, rule: Rule, checks: tuple[Check, ...], keep: int) -> None:
        self.rule = rule
        self.kinds = tuple(type(t).__name__ for t in rule.triggers)
        # Plain rules only issue commands: they take a flat path with no per-action coroutines.
        self.plain: Plain | None = None
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
