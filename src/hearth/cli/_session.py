"""A one-shot CLI session: the home, its core and its database (state, history and audit persist)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated

import typer

from hearth.core import Actor, AuditRecorded, Bus, Command, CommandPath, CommandResult, StateStore, SystemClock
from hearth.hub import build_core, load_home_or_demo
from hearth.model import Home, Value
from hearth.store import SqliteStore, default_database, restorable

HomeOption = Annotated[
    Path | None, typer.Option("--home", help="home file (YAML); the demo household when omitted")
]
DbOption = Annotated[
    Path | None,
    typer.Option("--db", help="database file; default $HEARTH_DATA_DIR/<home id>.db or .hearth/<home id>.db"),
]


@dataclass
class Session:
    """What a CLI command works on."""

    home: Home
    bus: Bus
    state: StateStore
    commands: CommandPath
    store: SqliteStore | None = None

    async def execute(self, command: Command, actor: Actor) -> CommandResult:
        """Run a command through the command path."""
        return await self.commands.execute(command, actor)

    def history(self, device: str, service: str, prop: str, limit: int) -> list[tuple[float, Value]]:
        """Recorded history (from the database when there is one), newest last."""
        if self.store is not None:
            return self.store.history(device, service, prop, limit=limit)
        return self.state.history(device, service, prop)[-limit:]

    def audit(self, limit: int = 100, actor: str | None = None) -> list[AuditRecorded]:
        """Recorded commands, newest first."""
        if self.store is not None:
            return self.store.audit(limit, actor)
        records = [r for r in reversed(self.commands.audit) if actor in (None, r.actor.id, str(r.actor))]
        return records[:limit]


@contextmanager
def session(home_path: Path | None, db: Path | None = None, *, persist: bool = True) -> Iterator[Session]:
    """Open a session on a home file (or the demo household) with its state restored from the database.

    Changes and audit records made during the session are committed before it closes. With
    `persist=False` the session starts from the home file's initial state and writes nothing.
    """
    home = load_home_or_demo(home_path)
    bus, state, commands = build_core(home, SystemClock())
    if not persist:
        yield Session(home, bus, state, commands)
        return
    with SqliteStore(db or default_database(home.id)) as store:
        state.load(*restorable(home, *store.restore()))
        store.attach(bus)
        yield Session(home, bus, state, commands, store)


def run(coro: object) -> object:
    """Run a coroutine to completion from synchronous CLI code."""
    return asyncio.run(coro)  # type: ignore[arg-type]
