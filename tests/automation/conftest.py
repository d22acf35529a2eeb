"""Helpers for automation tests: the demo home on a fake clock with an engine and captured effects."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hearth.automation import Engine, TimerStore, parse_rules
from hearth.core import AuditRecorded, Bus, CommandPath, FakeClock, Notification, StateStore
from hearth.hub import build_core, load_home_or_demo
from hearth.model import Home

HOME = load_home_or_demo(None)
# 2026-01-01 12:00 in Shanghai (UTC+8): daytime; sunset is about 17:05 there in January.
NOON = 1_767_240_000.0


@dataclass
class Rig:
    """A running engine on the demo home and what the rules did."""

    home: Home
    clock: FakeClock
    bus: Bus
    state: StateStore
    commands: CommandPath
    engine: Engine
    done: list[AuditRecorded] = field(default_factory=list)
    notes: list[Notification] = field(default_factory=list)

    def set(self, device: str, prop: str, value: Any) -> None:
        """A device reports a value."""
        service, spec = self.home.devices[device].spec.find(prop)
        self.state.apply(device, service, spec.name, spec.validate(value))

    def value(self, device: str, prop: str) -> Any:
        """Current value of a property."""
        service, spec = self.home.devices[device].spec.find(prop)
        return self.state.get(device, service, spec.name)

    def issued(self) -> list[tuple[str, str, Any]]:
        """(device, property or action, value) of the commands rules issued, in order."""
        return [(a.device, a.target, a.value) for a in self.done if a.actor.kind == "rule"]

    def outcomes(self, rule: str) -> list[str]:
        """Outcomes of a rule's runs, oldest first."""
        return [t.outcome for t in self.engine.traces(rule)]


@asynccontextmanager
async def rig(text: str, *, start: float = NOON, database: Path | None = None, home: Home = HOME,
              grace: float = 300.0, restored: dict[tuple[str, str, str], Any] | None = None) -> AsyncIterator[Rig]:
    """Load rules (YAML text) into an engine on the demo home and run it (after restoring some state)."""
    clock = FakeClock(start)
    bus, state, commands = build_core(home, clock)
    state.load(restored or {})
    timers = TimerStore(database) if database is not None else None
    engine = Engine(home, bus, clock, state, commands, timers=timers, grace=grace)
    engine.load(parse_rules(text, home, "test.yaml"))
    r = Rig(home, clock, bus, state, commands, engine)
    bus.subscribe(AuditRecorded, r.done.append)
    bus.subscribe(Notification, r.notes.append)
    try:
        async with engine:
            yield r
    finally:
        if timers is not None:
            timers.close()
