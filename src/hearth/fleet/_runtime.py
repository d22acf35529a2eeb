"""One home's live engine inside a fleet worker: the single-box core and automation engine on a clock that
moves with the home's message timestamps, plus what changed since the last commit.

Commands get ids that do not depend on which worker runs the home: `<cause>.<actor>.<n>`, where the cause is
the id of the message being handled or `t<time>` for a timer that came due. A worker that replays messages
after a failover therefore produces the same ids, and the database keeps each command once.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import orjson

from hearth.automation import Engine, RuleSet, TimerStore
from hearth.automation._timers import TimerRow
from hearth.core import CommandIssued, FakeClock, StateChanged, StateKey
from hearth.errors import SpecError
from hearth.fleet._messages import CommandRequest, Message, Reading
from hearth.hub import build_core
from hearth.model import Home, Value

ROUNDS = 3  # event-loop rounds a woken run needs to reach its next wait (the oracle checks this)
_FAR = 1e11  # beyond this a queued callback is the engine's idle trace flush, not a rule timer


@dataclass(slots=True)  # not frozen: made for every command, and a frozen dataclass is slower to build
class IssuedCommand:
    """A command a rule sent to a device, with its replay-stable id."""

    id: str
    home: str
    time: float
    device: str
    service: str
    target: str
    value: Any
    actor: str


@dataclass(slots=True)  # not frozen: made for every change
class Change:
    """A property's new value (for the state table and history)."""

    time: float
    device: str
    service: str
    property: str
    value: Value


def _row_json(r: TimerRow) -> dict[str, Any]:
    return {"key": r.key, "rule": r.rule, "kind": r.kind, "due": r.due, "digest": r.digest, "path": r.path,
            "vars": r.vars, "started": r.started}


class MemoryTimers(TimerStore):
    """The engine's pending delays, waits and `for:` holds kept in memory; the worker persists them per commit."""

    def __init__(self, rows: Iterable[TimerRow] = ()) -> None:  # no SQLite file: rows live in the dict
        self.rows: dict[str, TimerRow] = {}
        self._text: dict[str, bytes] = {}  # each row's JSON, made once when it is put
        for row in rows:
            self.put(row)
        self.changed = False

    def put(self, row: TimerRow) -> None:
        """Record a pending timer."""
        self.rows[row.key] = row
        self._text[row.key] = orjson.dumps(_row_json(row), default=str)
        self.changed = True

    def drop(self, key: str) -> None:
        """Forget a timer."""
        if self.rows.pop(key, None) is not None:
            del self._text[key]
            self.changed = True

    def take_json(self) -> str | None:
        """The rows as JSON text if they changed since the last call, else None."""
        if not self.changed:
            return None
        self.changed = False
        return (b"[" + b",".join(self._text.values()) + b"]").decode()

    def pending(self) -> list[TimerRow]:
        """Every pending timer, soonest first."""
        return sorted(self.rows.values(), key=lambda row: row.due)

    def save_traces(self, rule: str, traces: Iterable[dict[str, Any]], keep: int) -> None:
        """Traces are not kept in the fleet (the audit table records every command)."""

    def traces(self, rule: str, limit: int = 20) -> list[dict[str, Any]]:
        """No stored traces."""
        return []

    def close(self) -> None:
        """Nothing to close."""

    def to_json(self) -> list[dict[str, Any]]:
        """The rows as JSON-ready dicts."""
        return [_row_json(r) for r in self.rows.values()]

    @staticmethod
    def rows_from_json(items: Iterable[Mapping[str, Any]]) -> list[TimerRow]:
        """Rows back from `to_json`."""
        return [TimerRow(i["key"], i["rule"], i["kind"], i["due"], i["digest"], i["path"], dict(i["vars"]),
                         i["started"]) for i in items]


class HomeRuntime:
    """A home's core + engine on a FakeClock driven by message time; collects changes and commands."""

    def __init__(self, home_id: str, home: Home, rules: RuleSet, start: float, partition: int, *,
                 state: Mapping[StateKey, Value] | None = None, timers: Iterable[TimerRow] = ()) -> None:
        self.id = home_id
        self.home = home
        self.partition = partition
        self.clock = FakeClock(start)
        # The fleet's audit lives in PostgreSQL: the command path keeps none in memory (it would grow per home).
        self.bus, self.state, self.commands = build_core(home, self.clock, history_len=4, audit_len=0)
        if state:
            self.state.load(state)
        self.timers = MemoryTimers(timers)
        self.engine = Engine(home, self.bus, self.clock, self.state, self.commands, timers=self.timers,
                             trace_len=2, flush_every=1e12)
        self.engine.load(rules)
        self.changes: list[Change] = []
        self.issued: list[IssuedCommand] = []
        self._cause = "start"
        self.watched: float | None = None  # the due time its partition's timer heap lists it under
        self._counts: dict[str, int] = {}
        self.bus.subscribe(StateChanged, self._on_change)
        self.bus.subscribe(CommandIssued, self._on_command)

    async def start(self) -> None:
        """Start the engine (resuming persisted timers)."""
        await self.engine.__aenter__()

    async def stop(self) -> None:
        """Stop the engine; pending timers stay in `timers` (the engine does not drop them while stopping)."""
        await self.engine.__aexit__(None, None, None)

    def next_due(self) -> float | None:
        """When the next rule timer of this home is due."""
        due = self.clock.next_due()
        return due if due is not None and due < _FAR else None

    async def advance_to(self, when: float) -> None:
        """Move the home's clock forward to `when`, running timers that come due on the way."""
        while self.step_due(when):
            await settle(ROUNDS)  # a woken rule run continues to its next wait or its end
        self.clock.advance(max(0.0, when - self.clock.now()))

    def feed_now(self, message: Message) -> bool:
        """Handle a reading at once if no timer of the home comes due before it; False leaves it to `feed`."""
        if type(message) is not Reading:
            return False
        clock = self.clock
        delta = message.time - clock.now()
        if delta > 0:
            due = clock.next_due()
            if due is not None and due <= message.time:
                return False
            clock.advance(delta)
        if message.device:
            self._apply(message)
        return True

    def step_due(self, until: float) -> bool:
        """If a timer is due by `until`, move the clock to the next due instant and run what is due there (the
        woken rule runs then need `settle(ROUNDS)`); False when nothing is due by then."""
        clock = self.clock
        due = clock.next_due()
        if due is None or due > until:
            return False
        self._cause = "t"
        clock.advance(max(0.0, due - clock.now()))
        return True

    async def run_command(self, request: CommandRequest) -> None:
        """Run a command request through the home's command path at its time (no timer may be due before it)."""
        self.clock.advance(max(0.0, request.time - self.clock.now()))
        self._cause = request.id
        await self.commands.execute(request.to_command(), request.actor)

    async def feed(self, message: Message) -> None:
        """Handle one message on its own (a worker moves many homes in lock-step with `step_due` and `feed_now`
        instead): move time to its timestamp, then apply the reading or run the command (a reload only moves
        time here: rebuilding the home is `HomeCache.reload`)."""
        await self.advance_to(message.time)
        if isinstance(message, CommandRequest):
            await self.run_command(message)
        elif isinstance(message, Reading):
            self.feed_now(message)

    def _apply(self, reading: Reading) -> None:
        self._cause = reading.id
        device = self.home.devices.get(reading.device)
        if device is None:
            raise SpecError(f"home {self.id}: no device {reading.device!r}")
        value = device.spec.property(reading.service, reading.property).validate(reading.value)
        self.state.apply(reading.device, reading.service, reading.property, value, cause=reading.id)

    def adopt_pending(self, old: HomeRuntime) -> None:
        """Take over what a previous runtime of this home collected and not yet handed over (a reload)."""
        self.changes, self.issued, self._counts, self._cause = old.changes, old.issued, old._counts, old._cause
        self.timers.changed = self.timers.changed or old.timers.changed

    def take(self) -> tuple[list[Change], list[IssuedCommand]]:
        """Changes and commands since the last call."""
        changes, issued = self.changes, self.issued
        self.changes, self.issued = [], []
        self._counts.clear()
        return changes, issued

    def _on_change(self, event: StateChanged) -> None:
        self.changes.append(Change(event.time, event.device, event.service, event.property, event.new))

    def _on_command(self, event: CommandIssued) -> None:
        cause = self._cause if self._cause != "t" else f"t{event.time:.3f}"
        stem = f"{cause}.{event.actor.id}"
        n = self._counts.get(stem, 0)
        self._counts[stem] = n + 1
        self.issued.append(IssuedCommand(f"{stem}.{n}", self.id, event.time, event.device, event.service,
                                         event.target, event.value, str(event.actor)))


async def settle(rounds: int = 4) -> None:
    """Let cancelled rule runs finish unwinding (they drop their timers) before timers are saved."""
    for _ in range(rounds):
        await asyncio.sleep(0)
