"""A one-shot CLI session: the home, its core and (when available) its database."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated

import typer

from hearth.core import Actor, Bus, Command, CommandPath, CommandResult, StateStore, SystemClock
from hearth.hub import build_core, load_home_or_demo
from hearth.model import Home, Value

HomeOption = Annotated[
    Path | None, typer.Option("--home", help="home file (YAML); the demo household when omitted")
]


@dataclass
class Session:
    """What a CLI command works on."""

    home: Home
    bus: Bus
    state: StateStore
    commands: CommandPath

    async def execute(self, command: Command, actor: Actor) -> CommandResult:
        """Run a command through the command path."""
        return await self.commands.execute(command, actor)

    def history(self, device: str, service: str, prop: str, limit: int) -> list[tuple[float, Value]]:
        """Recorded history, newest last."""
        return self.state.history(device, service, prop)[-limit:]


@contextmanager
def session(home_path: Path | None) -> Iterator[Session]:
    """Open a session on a home file (or the demo household)."""
    home = load_home_or_demo(home_path)
    bus, state, commands = build_core(home, SystemClock())
    yield Session(home, bus, state, commands)


def run(coro: object) -> object:
    """Run a coroutine to completion from synchronous CLI code."""
    return asyncio.run(coro)  # type: ignore[arg-type]
