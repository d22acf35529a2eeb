"""A simulated household on a fake clock, for the twin's tests."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

import pytest

from hearth.adapters.simulator import Twin
from hearth.core import Bus, CommandPath, FakeClock, StateChanged, StateStore
from hearth.hub import build_core
from hearth.model import Home, Value


@dataclass
class World:
    """Home, core and twin on a fake clock, with every state change recorded."""

    home: Home
    clock: FakeClock
    bus: Bus
    state: StateStore
    commands: CommandPath
    twin: Twin
    changes: list[StateChanged] = field(default_factory=list)

    def get(self, device: str, service: str, prop: str) -> Value:
        """Current value."""
        return self.state.get(device, service, prop)

    def series(self, device: str, service: str, prop: str) -> list[tuple[float, Value]]:
        """Every recorded (time, value) of one property."""
        return [(c.time, c.new) for c in self.changes
                if (c.device, c.service, c.property) == (device, service, prop)]

    def local(self, when: float | None = None) -> dt.datetime:
        """Local time at the home."""
        return dt.datetime.fromtimestamp(self.clock.now() if when is None else when, ZoneInfo(self.home.timezone))

    def advance_to(self, hhmm: str) -> None:
        """Run the clock to the next local HH:MM."""
        now = self.local()
        hour, minute = map(int, hhmm.split(":"))
        target = now.replace(hour=hour, minute=minute, second=0, microsecond=0)
        if target <= now:
            target += dt.timedelta(days=1)
        self.clock.advance(target.timestamp() - now.timestamp())


def make_world(home: Home, seed: int = 1, start: float = 1_767_225_600.0) -> World:
    """Build a world and start its twin (2026-01-01 08:00 in Shanghai by default)."""
    clock = FakeClock(start)
    bus, state, commands = build_core(home, clock)
    twin = Twin(home, state, bus, clock, seed=seed)
    commands.add_adapter(twin)
    world = World(home, clock, bus, state, commands, twin)
    bus.subscribe(StateChanged, world.changes.append)
    twin.start()
    return world


@pytest.fixture
def world(demo_home: Home) -> World:
    """A fresh demo household at 08:00 local time."""
    return make_world(demo_home)


@pytest.fixture(scope="module")
def day(demo_home: Home) -> World:
    """The demo household after one whole simulated day."""
    w = make_world(demo_home)
    w.clock.advance(24 * 3600)
    return w
