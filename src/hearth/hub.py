"""The composition root: build a hub from a home and own every task it starts."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Coroutine
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from hearth.core import (
    Actor,
    Bus,
    Clock,
    Command,
    CommandPath,
    CommandResult,
    DefaultPolicy,
    DirectAdapter,
    HubStarted,
    HubStopping,
    StateStore,
    SystemClock,
)
from hearth.model import Home, load_home, parse_home


def demo_home_text() -> str:
    """The YAML of the built-in digital-twin household."""
    return resources.files("hearth").joinpath("data/demo_home.yaml").read_text(encoding="utf-8")


def load_home_or_demo(path: str | Path | None) -> Home:
    """Load a home file, or the demo household when no path is given."""
    if path is None:
        return parse_home(demo_home_text(), "demo_home.yaml")
    return load_home(path)


@dataclass
class HubConfig:
    """How to start a hub."""

    home: Home
    clock: Clock | None = None
    database: Path | None = None
    simulate: bool = True
    speed: float = 1.0
    seed: int = 1
    history_len: int = 256
    rules: Path | None = None
    data_dir: Path | None = None
    http_host: str | None = None
    http_port: int = 8480


@dataclass
class Hub:
    """A running hub: the narrow parts each subsystem needs, plus the task group that owns its tasks."""

    home: Home
    bus: Bus
    clock: Clock
    state: StateStore
    commands: CommandPath
    tasks: asyncio.TaskGroup
    services: dict[str, Any] = field(default_factory=dict)
    _spawned: list[asyncio.Task[Any]] = field(default_factory=list)

    def spawn(self, coro: Coroutine[Any, Any, Any], name: str) -> asyncio.Task[Any]:
        """Start a long-running task owned by the hub; it is cancelled when the hub stops."""
        task = self.tasks.create_task(coro, name=name)
        self._spawned.append(task)
        return task

    async def execute(self, command: Command, actor: Actor) -> CommandResult:
        """Run one command through the command path."""
        return await self.commands.execute(command, actor)


def build_core(home: Home, clock: Clock, history_len: int = 256, audit_len: int = 1000
               ) -> tuple[Bus, StateStore, CommandPath]:
    """Wire bus, state and command path for a home, with initial state loaded and the direct adapter."""
    bus = Bus()
    state = StateStore(bus, clock, history_len)
    state.load(home.initial_state())
    commands = CommandPath(home, bus, clock, {"default": DirectAdapter(state)}, DefaultPolicy(), audit_len)
    return bus, state, commands


Starter = Callable[[Hub, HubConfig, AsyncExitStack], Any]
_starters: list[tuple[int, Starter]] = []


def register_subsystem(order: int) -> Callable[[Starter], Starter]:
    """Register a subsystem starter, run in `order` when a hub opens (lower first)."""

    def wrap(starter: Starter) -> Starter:
        _starters.append((order, starter))
        _starters.sort(key=lambda item: item[0])
        return starter

    return wrap


@asynccontextmanager
async def open_hub(config: HubConfig) -> AsyncIterator[Hub]:
    """Start a hub and its subsystems; everything stops when the block exits."""
    clock = config.clock or SystemClock(config.speed)
    bus, state, commands = build_core(config.home, clock, config.history_len)
    load_subsystems()
    async with asyncio.TaskGroup() as tasks, AsyncExitStack() as stack:
        hub = Hub(config.home, bus, clock, state, commands, tasks)
        for _, starter in list(_starters):
            result = starter(hub, config, stack)
            if asyncio.iscoroutine(result):
                await result
        bus.publish(HubStarted(clock.now()))
        try:
            yield hub
        finally:
            bus.publish(HubStopping(clock.now()))
            await stack.aclose()
            await _stop_tasks(hub._spawned)


async def _stop_tasks(tasks: list[asyncio.Task[Any]]) -> None:
    """Cancel the hub's tasks and wait for them; a task that swallowed its cancellation is told again."""
    for task in tasks:
        task.cancel()
    for _ in range(100):
        pending = [t for t in tasks if not t.done()]
        if not pending:
            return
        await asyncio.wait(pending, timeout=0.1)
        for task in pending:
            task.cancel()


def load_subsystems() -> None:
    """Import every subsystem so its starter is registered (absent optional parts are simply skipped)."""
    import importlib

    for name in ("hearth.store.hub", "hearth.adapters.simulator.hub", "hearth.adapters.miio.hub",
                 "hearth.adapters.kuksa.hub", "hearth.adapters.mqtt.hub", "hearth.adapters.phone.hub",
                 "hearth.adapters.vss_mqtt.hub", "hearth.automation.hub", "hearth.perception.hub",
                 "hearth.copilot.hub", "hearth.api.hub"):
        try:
            importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name is None or not name.startswith(exc.name):
                raise
