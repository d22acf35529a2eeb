"""Running a rule's actions: commands through the command path, scenes, delays, waits, branches, loops,
parallel branches, notifications and stop. Each action leaves a step in the run's trace.

A position in a rule is a dotted path: `2` is the third top-level action, `3.then.0` the first action of
the `then` branch of action 3, `4.choose1.0` / `4.default.0` inside `choose`, `5.repeat.0`, `6.parallel1.0`.
Delays and waits record their path so a restarted hub can resume the run right there.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from hearth.automation._conditions import Check, compile_condition
from hearth.automation._model import (
    Action,
    ChooseAction,
    CommandAction,
    CommandSpec,
    Condition,
    DelayAction,
    IfAction,
    NotifyAction,
    ParallelAction,
    RepeatAction,
    SceneAction,
    StopAction,
    WaitAction,
)
from hearth.automation._trace import Step
from hearth.automation._triggers import attach, trigger_vars
from hearth.core import Command, Notification
from hearth.errors import RuleError

if TYPE_CHECKING:
    from hearth.automation._engine import Engine
    from hearth.automation._run import Run

_MAX_LOOPS = 10_000
_KIND = {CommandAction: "command", SceneAction: "scene", DelayAction: "delay", WaitAction: "wait_for_trigger",
         ChooseAction: "choose", IfAction: "if", RepeatAction: "repeat", ParallelAction: "parallel",
         NotifyAction: "notify", StopAction: "stop"}


class Stopped(Exception):
    """A `stop` action (or a wait that timed out without `continue_on_timeout`) ended the run."""

    def __init__(self, reason: str, error: bool = False) -> None:
        super().__init__(reason)
        self.reason = reason
        self.error = error


class Executor:
    """Carries out actions for the engine's runs."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.ctx = engine.ctx
        self._checks: dict[int, tuple[Sequence[Condition], tuple[Check, ...]]] = {}

    def checks(self, conditions: Sequence[Condition]) -> tuple[Check, ...]:
        """Compiled checks for a tuple of conditions (compiled once, cached)."""
        hit = self._checks.get(id(conditions))
        if hit is None or hit[0] is not conditions:
            hit = (conditions, tuple(compile_condition(c, self.ctx) for c in conditions))
            self._checks[id(conditions)] = hit
        return hit[1]

    def holds(self, run: Run, conditions: Sequence[Condition]) -> bool:
        """Whether all conditions hold for this run; an expression error counts as false."""
        try:
            return all(check(run) for check in self.checks(conditions))
        except RuleError as exc:
            run.trace.message = str(exc)
            return False

    async def sequence(self, run: Run, actions: Sequence[Action], prefix: str, resume: list[str] | None) -> None:
        """Run actions in order, starting at the resume point when one is given."""
        start = int(resume[0]) if resume else 0
        for index in range(start, len(actions)):
            inner = resume[1:] if resume and index == start else None
            await self.action(run, actions[index], f"{prefix}{index}", inner)

    async def action(self, run: Run, action: Action, path: str, resume: list[str] | None) -> None:
        """Run one action and record its step."""
        step = Step(path, action.alias or _KIND[type(action)], self.ctx.clock.now())
        run.trace.steps.append(step)
        began = time.perf_counter()
        try:
            await self._dispatch(run, action, path, resume, step)
        except Stopped as stop:
            step.message = stop.reason
            step.ok = not stop.error
            raise
        except RuleError as exc:
            step.ok, step.message = False, str(exc)
            raise
        finally:
            step.elapsed = time.perf_counter() - began

    async def _dispatch(self, run: Run, action: Action, path: str, resume: list[str] | None, step: Step) -> None:
        if isinstance(action, CommandAction | SceneAction):
            await self.commands(run, action.commands, step)
        elif isinstance(action, DelayAction):
            await self.delay(run, action, path, resume is not None)
        elif isinstance(action, WaitAction):
            await self.wait(run, action, path, resume is not None, step)
        elif isinstance(action, IfAction):
            branch = resume[0] if resume else ("then" if self.holds(run, action.conditions) else "else")
            step.message = branch
            await self.sequence(run, action.then if branch == "then" else action.otherwise, f"{path}.{branch}.",
                                resume[1:] if resume else None)
        elif isinstance(action, ChooseAction):
            await self.choose(run, action, path, resume, step)
        elif isinstance(action, RepeatAction):
            await self.repeat(run, action, path, step)
        elif isinstance(action, ParallelAction):
            await asyncio.gather(*(self.sequence(run, branch, f"{path}.parallel{i}.", None)
                                   for i, branch in enumerate(action.branches)))
        elif isinstance(action, NotifyAction):
            clock = self.ctx.clock
            self.engine.bus.publish(Notification(clock.now(), action.to, action.title or run.rule.name,
                                                 action.message, f"rule:{run.rule.id}"))
            step.message = f"to {', '.join(action.to)}"
        else:
            raise Stopped(action.reason, action.error)

    async def commands(self, run: Run, specs: Sequence[CommandSpec], step: Step) -> None:
        """Issue commands through the command path with the rule as the actor."""
        execute, actor = self.engine.commands.execute, run.actor
        failed: list[str] = []
        for spec in specs:
            result = await execute(Command(spec.device, spec.service, spec.property, spec.value, spec.action,
                                           spec.args), actor)
            if not result.ok:
                failed.append(f"{spec.device}: {result.message}")
        if failed:
            step.ok = False
            step.message = "; ".join(failed)
        elif len(specs) > 1:
            step.message = f"{len(specs)} devices"

    async def delay(self, run: Run, action: DelayAction, path: str, resumed: bool) -> None:
        """Sleep on the clock, with the pending delay persisted."""
        clock = self.ctx.clock
        due = run.resume_due if resumed and run.resume_due is not None else clock.now() + action.seconds
        key = run.persist("delay", due, path)
        try:
            await clock.sleep(max(0.0, due - clock.now()))
        finally:
            run.unpersist(key)

    async def wait(self, run: Run, action: WaitAction, path: str, resumed: bool, step: Step) -> None:
        """Wait for one of the triggers, up to the timeout."""
        clock = self.ctx.clock
        if resumed and run.resume_due is not None:
            due: float | None = run.resume_due
        else:
            due = clock.now() + action.timeout if action.timeout is not None else None
        fut: asyncio.Future[tuple[int, object] | None] = asyncio.get_running_loop().create_future()

        def done(index: int, payload: object) -> None:
            if not fut.done():
                fut.set_result((index, payload))

        attached = [attach(t, i, self.engine.wiring, done) for i, t in enumerate(action.triggers)]
        cancel: Callable[[], None] | None = None
        if due is not None:
            cancel = clock.call_at(due, lambda: None if fut.done() else fut.set_result(None))
        key = run.persist("wait", due if due is not None else clock.now() + 10 * 365 * 86400.0, path)
        try:
            result = await fut
        finally:
            for item in attached:
                item.remove()
            if cancel is not None:
                cancel()
            run.unpersist(key)
        if result is None:
            run.variables["wait"] = {"completed": False}
            step.message = "timed out"
            if not action.continue_on_timeout:
                raise Stopped("wait timed out")
            return
        index, payload = result
        run.variables["wait"] = {"completed": True, "trigger": trigger_vars(action.triggers[index], payload)}
        step.message = f"trigger {index}"

    async def choose(self, run: Run, action: ChooseAction, path: str, resume: list[str] | None, step: Step) -> None:
        """Run the first option whose conditions hold, or the default."""
        if resume:
            branch = resume[0]
        else:
            branch = next((f"choose{i}" for i, o in enumerate(action.options) if self.holds(run, o.conditions)),
                          "default")
        step.message = branch
        actions = action.default if branch == "default" else action.options[int(branch[6:])].actions
        await self.sequence(run, actions, f"{path}.{branch}.", resume[1:] if resume else None)

    async def repeat(self, run: Run, action: RepeatAction, path: str, step: Step) -> None:
        """Loop by count, while or until (at most 10,000 rounds)."""
        rounds = 0
        while rounds < _MAX_LOOPS:
            if action.count is not None and rounds >= action.count:
                break
            run.variables["repeat"] = {"index": rounds + 1, "first": rounds == 0}
            if action.while_ and not self.holds(run, action.while_):
                break
            await self.sequence(run, action.actions, f"{path}.repeat.", None)
            rounds += 1
            if action.until and self.holds(run, action.until):
                break
            await asyncio.sleep(0)  # a long loop must let the rest of the hub run
        step.message = f"{rounds} rounds"


def action_path(path: str) -> list[str]:
    """Split a stored path into its steps."""
    return [p for p in path.split(".") if p]


def resumable(path: str) -> bool:
    """Whether a run can resume at this path (not inside repeat or parallel)."""
    return ".repeat." not in f".{path}." and ".parallel" not in f".{path}"
