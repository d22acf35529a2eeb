"""The writer thread: takes state changes and audit records off the hot path and commits them in batches.

Publishing threads only append the event to a deque (a bus listener costs one append and one length
check). The writer wakes every `interval` seconds, or at once when `batch_size` items wait or someone
flushes, and commits up to `batch_size` items per transaction: the changes go to SQLite as one JSON array
and are inserted by a single statement (history, then the current-state upsert from those rows), so the
work runs inside SQLite with the GIL released; values JSON cannot carry exactly take a row-by-row path.

Bound and overflow policy: at most `max_pending` items wait. A publisher that finds the queue full waits
until the writer has committed everything queued so far (back-pressure: the hub slows to disk speed
instead of growing memory). Nothing is dropped while the store is healthy. If a write fails, the store
stops accepting writes: every waiting and later `flush()` raises StoreError, so nothing unwritten is
ever acknowledged.
"""

from __future__ import annotations

import asyncio
import json
import logging
import math
import random
import sqlite3
import struct
import threading
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from operator import attrgetter
from typing import Any

from hearth.core import AuditRecorded, Event, StateChanged
from hearth.errors import StoreError
from hearth.model import Value
from hearth.store import _schema
from hearth.store._codec import encode, encode_json

log = logging.getLogger(__name__)

StateKey = tuple[str, str, str]
Op = Callable[[sqlite3.Connection], Any]
Row = tuple[Any, ...]

_address = attrgetter("device", "service", "property")
_time = attrgetter("time")
_new = attrgetter("new")
_batch_json = json.JSONEncoder(ensure_ascii=False, allow_nan=False, check_circular=False, separators=(",", ":")).encode


@dataclass(frozen=True, slots=True)
class WriterStats:
    """Counters of what the writer has done so far."""

    pending: int
    committed_changes: int
    committed_audits: int
    batches: int
    careful_batches: int
    backpressure_waits: int
    failed: str | None


class _Mark:
    """A point in the queue: finished once everything queued before it has committed (and `op` has run)."""

    __slots__ = ("callback", "done", "error", "op", "result")

    def __init__(self, op: Op | None = None, callback: Callable[[_Mark], None] | None = None) -> None:
        self.op = op
        self.callback = callback
        self.done = threading.Event()
        self.result: Any = None
        self.error: StoreError | None = None

    def finish(self, error: StoreError | None) -> None:
        self.error = error
        self.done.set()
        if self.callback is not None:
            self.callback(self)

    def outcome(self) -> Any:
        if self.error is not None:
            raise self.error
        return self.result


class Writer:
    """Owns the write connection and the thread that commits queued events."""

    def __init__(
        self,
        conn: sqlite3.Connection,
        path: str,
        ids: dict[StateKey, int],
        *,
        max_pending: int,
        batch_size: int,
        interval: float,
    ) -> None:
        if max_pending < 1 or batch_size < 1:
            raise ValueError("max_pending and batch_size must be positive")
        self._conn = conn
        self._path = path
        self._ids = ids
        self._json = _has_json(conn)
        self._queue: deque[Event | _Mark] = deque()
        self._wake = threading.Event()
        self._max_pending = max_pending
        self._batch_size = batch_size
        self._wake_at = min(batch_size, max_pending)
        self._interval = interval
        self._stopping = False
        self._error: StoreError | None = None
        self._changes = self._audits = self._batches = self._careful = self._waits = 0
        self._thread = threading.Thread(target=self._run, name=f"hearth-store-writer:{path}", daemon=True)

    def start(self) -> None:
        """Start the writer thread."""
        self._thread.start()

    def close(self) -> None:
        """Commit everything queued, end the thread and close the write connection."""
        self._stopping = True
        self._wake.set()
        if self._thread.is_alive():
            self._thread.join()
        self._discard(StoreError(f"{self._path}: the store is closed"))  # marks that raced with the last drain
        self._conn.close()

    def listener(self) -> Callable[[Event], None]:
        """The bus listener: append and return; only a full queue or a due batch costs more."""
        queue = self._queue
        append = queue.append
        wake_at = self._wake_at
        slow = self._crowded

        def enqueue(event: Event) -> None:
            append(event)
            if len(queue) >= wake_at:
                slow()

        return enqueue

    def _crowded(self) -> None:
        if self._error is not None:
            self._wake.set()  # the failed writer drains the queue, failing every waiting flush
            raise self._error
        if self._stopping:
            raise StoreError(f"{self._path}: the store is closed")
        if len(self._queue) >= self._max_pending:
            self._waits += 1
            self.flush()
        elif not self._wake.is_set():
            self._wake.set()

    def submit(self, op: Op | None = None, callback: Callable[[_Mark], None] | None = None) -> _Mark:
        """Queue a mark (optionally running `op` on the write connection) and wake the writer."""
        if self._error is not None:
            raise self._error
        if self._stopping and not self._thread.is_alive():
            raise StoreError(f"{self._path}: the store is closed")
        mark = _Mark(op, callback)
        self._queue.append(mark)
        self._wake.set()
        return mark

    def flush(self, timeout: float | None = None) -> None:
        """Block until everything queued before this call has committed; raise StoreError if it cannot."""
        if threading.current_thread() is self._thread:
            raise StoreError("flush() from the store's own writer thread would wait forever")
        mark = self.submit()
        if not mark.done.wait(timeout):
            raise StoreError(f"{self._path}: writes not committed within {timeout} s")
        mark.outcome()

    def run(self, op: Op) -> Any:
        """Run `op` on the write connection after everything queued so far; return its result."""
        mark = self.submit(op)
        mark.done.wait()
        return mark.outcome()

    async def wait_durable(self) -> None:
        """Wait, without blocking the event loop, until everything queued so far has committed."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[None] = loop.create_future()

        def settle(mark: _Mark) -> None:
            if not future.done():
                if mark.error is None:
                    future.set_result(None)
                else:
                    future.set_exception(mark.error)

        def from_writer(mark: _Mark) -> None:
            loop.call_soon_threadsafe(settle, mark)

        self.submit(callback=from_writer)
        await future

    def _discard(self, error: StoreError) -> None:
        # Only once the writer thread has ended: it is the queue's one consumer.
        queue = self._queue
        while queue:
            item = queue.popleft()
            if type(item) is _Mark:
                item.finish(error)

    def stats(self) -> WriterStats:
        """Current counters."""
        error = None if self._error is None else str(self._error)
        return WriterStats(len(self._queue), self._changes, self._audits, self._batches, self._careful, self._waits,
                           error)

    def _run(self) -> None:
        queue = self._queue
        while True:
            self._wake.wait(self._interval)
            self._wake.clear()
            while queue:
                try:
                    self._write_chunk()
                except Exception as exc:  # the thread must outlive any failure, or flushes would wait forever
                    self._fail(exc)
            if self._stopping and not queue:
                return

    def _write_chunk(self) -> None:
        queue = self._queue
        items = [queue.popleft() for _ in range(min(len(queue), self._batch_size))]
        changes = [e for e in items if type(e) is StateChanged]
        audits: list[AuditRecorded] = []
        marks: list[_Mark] = []
        if len(changes) < len(items):
            audits = [e for e in items if type(e) is AuditRecorded]
            marks = [e for e in items if type(e) is _Mark]
        if self._error is None and (changes or audits):
            try:
                self._commit(changes, audits)
            except Exception as exc:  # any failure here must reach the waiting callers, not vanish
                self._fail(exc)
        for mark in marks:
            self._finish(mark)

    def _finish(self, mark: _Mark) -> None:
        error = self._error
        if error is None and mark.op is not None:
            try:
                mark.result = mark.op(self._conn)
            except sqlite3.Error as exc:
                error = StoreError(f"{self._path}: {exc}")
                self._rollback()
        try:
            mark.finish(error)
        except Exception:  # a waiter's callback must not stop the writer
            log.exception("store acknowledgement callback failed")

    def _rollback(self) -> None:
        try:
            if self._conn.in_transaction:
                self._conn.execute("ROLLBACK")
        except sqlite3.Error:
            log.exception("%s: rollback failed", self._path)

    def _fail(self, exc: Exception) -> None:
        log.error("%s: writing failed, the store stops accepting writes: %s", self._path, exc)
        error = StoreError(f"{self._path}: writing failed: {exc}")
        error.__cause__ = exc
        self._error = error
        self._rollback()

    def _commit(self, changes: list[StateChanged], audits: list[AuditRecorded]) -> None:
        keys = list(map(_address, changes))
        try:
            if not self._json:
                raise ValueError("this SQLite has no JSON functions")
            self._transaction(keys, changes, audits, fast=True)
        except (ValueError, TypeError, OverflowError, sqlite3.IntegrityError, sqlite3.InterfaceError,
                sqlite3.ProgrammingError):
            # NaN/inf, NUL or lone surrogates in text, ints past 64 bits, a value of the wrong type: row by row.
            self._transaction(keys, changes, audits, fast=False)
            self._careful += 1
        self._changes += len(changes)
        self._audits += len(audits)
        self._batches += 1

    def _transaction(
        self, keys: list[StateKey], changes: list[StateChanged], audits: list[AuditRecorded], *, fast: bool
    ) -> None:
        conn = self._conn
        # IMMEDIATE takes the write lock first, so key ids stay right when another process shares the file.
        conn.execute("BEGIN IMMEDIATE")
        added: list[StateKey] = []
        try:
            self._resolve_ids(keys, added)
            if changes:
                before = conn.execute("SELECT coalesce(max(rowid), 0) FROM history").fetchone()[0]
                if fast:
                    conn.execute(_schema.INSERT_HISTORY_JSON, (self._payload(keys, changes),))
                else:
                    conn.executemany(_schema.INSERT_HISTORY, self._careful_rows(changes))
                conn.execute(_schema.UPSERT_STATE_SINCE, (before,))
            if audits:
                conn.executemany(_schema.INSERT_AUDIT, [_audit_row(a) for a in audits])
            conn.execute("COMMIT")
        except BaseException:
            self._rollback()
            for key in added:  # their rows are gone with the rollback
                del self._ids[key]
            raise

    def _resolve_ids(self, keys: list[StateKey], added: list[StateKey]) -> None:
        ids = self._ids
        if all(map(ids.__contains__, keys)):
            return
        for key in dict.fromkeys(keys):
            if key not in ids:
                self._conn.execute(_schema.INSERT_KEY, key)
                ids[key] = self._conn.execute(_schema.SELECT_KEY, key).fetchone()[0]
                added.append(key)

    def _payload(self, keys: list[StateKey], changes: list[StateChanged]) -> str:
        # All in C: map/zip/json build the batch; SQLite then inserts it with the GIL released.
        rows = zip(map(self._ids.__getitem__, keys), map(_time, changes), map(_new, changes), strict=True)
        payload = _batch_json(list(rows))
        if "\\u0000" in payload:
            raise ValueError("SQLite's JSON functions cut text at NUL")
        return payload

    def _careful_rows(self, changes: list[StateChanged]) -> list[Row]:
        rows: list[Row] = []
        for e in changes:
            try:
                stored, kind = encode(e.new)
            except StoreError as exc:
                log.error("%s: skipping %s.%s.%s: %s", self._path, e.device, e.service, e.property, exc)
                continue
            rows.append((self._ids[(e.device, e.service, e.property)], e.time, stored, kind))
        return rows


def _has_json(conn: sqlite3.Connection) -> bool:
    """Whether this SQLite has JSON functions that read numbers back bit for bit (checked on a sample)."""
    rng = random.Random(1)
    sample: list[Value] = [0.1, 0.3, 1 / 3, 2.2250738585072014e-308, 5e-324, 1.7976931348623157e308, -0.0,
                           1_767_225_600.123456, 2**63 - 1, -(2**63), 2**53 + 1]
    sample += [struct.unpack("<d", rng.randbytes(8))[0] for _ in range(600)]
    sample += [rng.uniform(1e9, 2e9) for _ in range(600)]
    sample = [x for x in sample if not isinstance(x, float) or math.isfinite(x)]
    try:
        rows = conn.execute("SELECT json_extract(value, '$[0]') FROM json_each(?)",
                            (_batch_json([[x] for x in sample]),)).fetchall()
    except sqlite3.OperationalError:
        log.warning("SQLite was built without JSON functions; writing row by row (slower)")
        return False
    if [repr(r[0]) for r in rows] != [repr(x) for x in sample]:
        log.warning("this SQLite's JSON functions round numbers; writing row by row (slower)")
        return False
    return True


def _audit_row(a: AuditRecorded) -> tuple[Any, ...]:
    return (a.time, a.command_id, a.actor.kind, a.actor.id, a.actor.role, a.device, a.service, a.target,
            encode_json(a.value), a.ok, a.message)
