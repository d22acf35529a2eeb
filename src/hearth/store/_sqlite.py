"""SqliteStore: current state, history with retention and the audit log in one SQLite file (WAL mode)."""

from __future__ import annotations

import asyncio
import os
import sqlite3
import threading
from collections.abc import Callable
from pathlib import Path
from types import TracebackType
from typing import Any, Self, cast

from hearth.core import Actor, AuditRecorded, Bus, StateChanged
from hearth.core._events import ActorKind
from hearth.errors import StoreError
from hearth.model import Value
from hearth.store import _schema
from hearth.store._codec import decode, decode_json
from hearth.store._writer import StateKey, Writer, WriterStats

Remove = Callable[[], None]
DAY = 86_400.0
DATA_DIR_ENV = "HEARTH_DATA_DIR"


def default_database(home_id: str, data_dir: str | Path | None = None) -> Path:
    """Where a home's database lives: `data_dir`, else $HEARTH_DATA_DIR, else ./.hearth; file `<home id>.db`."""
    return Path(data_dir or os.environ.get(DATA_DIR_ENV) or ".hearth") / f"{home_id}.db"


class SqliteStore:
    """Persists what happens on a bus; a change is acknowledged once `flush()` (or `wait_durable()`) returns.

    Writes are queued by the bus listeners and committed by one writer thread in large batches; reads
    (`restore`, `history`, `audit`) use their own connection and first wait for queued writes, so they see
    every change published before the call. At most `max_pending` events wait (65,536 by default, a few MB);
    a publisher that finds the queue full blocks until the writer has caught up (see `_writer.py`).
    `synchronous="NORMAL"` keeps acknowledged data through crashes of the process (kill -9); "FULL" also
    through power loss, at an fsync per commit.
    """

    def __init__(
        self,
        path: str | Path,
        *,
        history_retention_days: float | None = 30.0,
        audit_retention_days: float | None = None,
        synchronous: str = "NORMAL",
        max_pending: int = 65_536,
        batch_size: int = 16_384,
        flush_interval: float = 0.05,
    ) -> None:
        if synchronous.upper() not in ("NORMAL", "FULL", "EXTRA"):
            raise ValueError("synchronous must be NORMAL, FULL or EXTRA")
        self.path = Path(path)
        self.history_retention_days = history_retention_days
        self.audit_retention_days = audit_retention_days
        self._synchronous = synchronous.upper()
        self._limits = (max_pending, batch_size, flush_interval)
        self._writer: Writer | None = None
        self._reader: sqlite3.Connection | None = None
        self._read_lock = threading.Lock()
        self._detach: list[Remove] = []

    # lifecycle

    def open(self) -> Self:
        """Create or open the database, bring its schema up to date and start the writer."""
        if self._writer is not None:
            return self
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StoreError(f"{self.path}: cannot create its folder: {exc}") from exc
        name = str(self.path)
        conn = _schema.connect(name, synchronous=self._synchronous)
        try:
            _schema.migrate(conn, name)
            ids = {(d, s, p): i for i, d, s, p in conn.execute("SELECT id, device, service, prop FROM keys")}
            self._reader = _schema.connect(name, synchronous=self._synchronous, readonly=True)
        except (StoreError, sqlite3.Error) as exc:
            conn.close()
            if isinstance(exc, StoreError):
                raise
            raise StoreError(f"{name}: {exc}") from exc
        max_pending, batch_size, interval = self._limits
        self._writer = Writer(conn, name, ids, max_pending=max_pending, batch_size=batch_size, interval=interval)
        self._writer.start()
        return self

    def close(self) -> None:
        """Detach from buses, commit everything queued and close the database."""
        for remove in self._detach:
            remove()
        self._detach.clear()
        writer, self._writer = self._writer, None
        if writer is not None:
            writer.close()
        if self._reader is not None:
            with self._read_lock:
                self._reader.close()
            self._reader = None
        if writer is not None and writer.stats().failed:
            raise StoreError(writer.stats().failed or "")

    def __enter__(self) -> Self:
        return self.open()

    def __exit__(self, *exc: object) -> None:
        self.close()

    async def __aenter__(self) -> Self:
        return await asyncio.to_thread(self.open)

    async def __aexit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await asyncio.to_thread(self.close)

    # writing

    def attach(self, bus: Bus) -> Remove:
        """Persist every StateChanged and AuditRecorded published on `bus`; returns the undo."""
        enqueue = self._open_writer().listener()
        removers = [bus.subscribe(StateChanged, enqueue), bus.subscribe(AuditRecorded, enqueue)]

        def remove() -> None:
            for undo in removers:
                undo()

        self._detach.append(remove)
        return remove

    def flush(self, timeout: float | None = None) -> None:
        """Block until every change and audit record published so far has committed (is acknowledged)."""
        self._open_writer().flush(timeout)

    async def wait_durable(self) -> None:
        """Like `flush()`, but awaitable: the event loop keeps running while the batch commits."""
        await self._open_writer().wait_durable()

    def prune(self, now: float, *, wait: bool = True) -> int:
        """Delete history (and audit, if it has a retention) older than the retention; returns rows deleted."""
        history_cutoff = None if self.history_retention_days is None else now - self.history_retention_days * DAY
        audit_cutoff = None if self.audit_retention_days is None else now - self.audit_retention_days * DAY

        def op(conn: sqlite3.Connection) -> int:
            deleted = 0
            conn.execute("BEGIN")
            if history_cutoff is not None:
                deleted += conn.execute(
                    "DELETE FROM history WHERE key IN (SELECT id FROM keys) AND time < ?", (history_cutoff,)
                ).rowcount
            if audit_cutoff is not None:
                deleted += conn.execute("DELETE FROM audit WHERE time < ?", (audit_cutoff,)).rowcount
            conn.execute("COMMIT")
            return deleted

        writer = self._open_writer()
        if not wait:
            writer.submit(op)
            return 0
        return int(writer.run(op))

    def stats(self) -> WriterStats:
        """The writer's counters (pending items, commits, back-pressure waits, failure)."""
        return self._open_writer().stats()

    # reading

    def restore(self) -> tuple[dict[StateKey, Value], dict[StateKey, float]]:
        """The last persisted value of every property and when it changed."""
        rows = self._read(
            "SELECT k.device, k.service, k.prop, s.value, s.kind, s.time FROM state s JOIN keys k ON k.id = s.key"
        )
        values = {(d, s, p): decode(v, kind) for d, s, p, v, kind, _ in rows}
        changed = {(d, s, p): t for d, s, p, _, _, t in rows}
        return values, changed

    def history(
        self, device: str, service: str, prop: str, since: float = 0.0, until: float | None = None, limit: int = 1000
    ) -> list[tuple[float, Value]]:
        """Up to `limit` most recent (time, value) pairs with since <= time <= until, oldest first."""
        rows = self._read(
            "SELECT h.time, h.value, h.kind FROM history h JOIN keys k ON k.id = h.key"
            " WHERE k.device = ? AND k.service = ? AND k.prop = ? AND h.time >= ? AND h.time <= ?"
            " ORDER BY h.time DESC, h.rowid DESC LIMIT ?",
            (device, service, prop, since, float("inf") if until is None else until, limit),
        )
        return [(t, decode(v, kind)) for t, v, kind in reversed(rows)]

    def audit(self, limit: int = 100, actor: Actor | str | None = None) -> list[AuditRecorded]:
        """The most recent audit records, newest first; `actor` filters by Actor, 'kind:id' or bare id."""
        where, params = "", cast(tuple[str, ...], ())
        if isinstance(actor, Actor):
            where, params = " WHERE actor_id = ? AND actor_kind = ?", (actor.id, actor.kind)
        elif actor is not None:
            kind, sep, ident = actor.partition(":")
            where, params = ((" WHERE actor_id = ? AND actor_kind = ?", (ident, kind)) if sep
                             else (" WHERE actor_id = ?", (actor,)))
        rows = self._read(
            "SELECT time, command_id, actor_kind, actor_id, actor_role, device, service, target, value, ok, message"
            f" FROM audit{where} ORDER BY id DESC LIMIT ?",
            (*params, limit),
        )
        return [
            AuditRecorded(t, cid, Actor(cast(ActorKind, kind), ident, role), dev, svc, target, decode_json(value),
                          bool(ok), msg)
            for t, cid, kind, ident, role, dev, svc, target, value, ok, msg in rows
        ]

    def check(self) -> str:
        """Run SQLite's integrity check; 'ok' when the file is sound."""
        return "; ".join(str(row[0]) for row in self._read("PRAGMA integrity_check", flush=False))

    def _open_writer(self) -> Writer:
        if self._writer is None:
            raise StoreError(f"{self.path}: the store is not open")
        return self._writer

    def _read(self, sql: str, params: tuple[Any, ...] = (), *, flush: bool = True) -> list[Any]:
        if flush:
            self.flush()
        if self._reader is None:
            raise StoreError(f"{self.path}: the store is not open")
        try:
            with self._read_lock:
                return self._reader.execute(sql, params).fetchall()
        except sqlite3.Error as exc:
            raise StoreError(f"{self.path}: reading failed: {exc}") from exc
