"""Pending delays, waits and `for:` durations in a small SQLite table, so they survive a restart.

The engine uses its own connection and tables in the hub's database file (WAL, autocommit): a row is written
when a timer starts and deleted when it ends or is cancelled. A kill -9 leaves the row behind; the next start
resumes it (see `_resume` for the late policy). Traces of recent runs are kept in the same file so
`hearth rules trace` can show them after the hub has stopped, and so is the last moment the engine saw on its
clock, from which time triggers missed while the hub was down are caught up.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from hearth.errors import StoreError

TimerKind = Literal["delay", "wait", "for"]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS automation_timers (
    key TEXT PRIMARY KEY, rule TEXT NOT NULL, kind TEXT NOT NULL, due REAL NOT NULL, digest TEXT NOT NULL,
    path TEXT NOT NULL, vars TEXT NOT NULL, started REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS automation_traces (
    rule TEXT NOT NULL, run INTEGER NOT NULL, started REAL NOT NULL, body TEXT NOT NULL, PRIMARY KEY (rule, run)
);
CREATE TABLE IF NOT EXISTS automation_clock (id INTEGER PRIMARY KEY CHECK (id = 0), seen REAL NOT NULL);
"""


@dataclass(frozen=True, slots=True)
class TimerRow:
    """A pending timer: whose, what kind, when it is due, where in the rule, and the run's variables."""

    key: str
    rule: str
    kind: TimerKind
    due: float
    digest: str
    path: str
    vars: dict[str, Any]
    started: float


class TimerStore:
    """The automation tables of one SQLite file."""

    # The clock mark's connection; a subclass that keeps its rows elsewhere has none and keeps no mark.
    _marks: sqlite3.Connection | None = None

    def __init__(self, path: str | Path) -> None:
        try:
            self._db = sqlite3.connect(str(path), isolation_level=None, check_same_thread=False)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA busy_timeout=5000")
            self._db.executescript(_SCHEMA)
        except sqlite3.Error as exc:
            raise StoreError(f"{path}: cannot open the automation tables ({exc})") from exc
        self._marks = self._db

    def put(self, row: TimerRow) -> None:
        """Record (or replace) a pending timer."""
        self._run("INSERT OR REPLACE INTO automation_timers VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                  (row.key, row.rule, row.kind, row.due, row.digest, row.path, json.dumps(row.vars, default=str),
                   row.started))

    def drop(self, key: str) -> None:
        """Forget a timer (it ended or was cancelled)."""
        self._run("DELETE FROM automation_timers WHERE key = ?", (key,))

    def pending(self) -> list[TimerRow]:
        """Every timer left behind, soonest first."""
        rows = self._db.execute("SELECT key, rule, kind, due, digest, path, vars, started FROM automation_timers "
                                "ORDER BY due").fetchall()
        return [TimerRow(k, r, kind, due, d, p, json.loads(v), st) for k, r, kind, due, d, p, v, st in rows]

    def save_traces(self, rule: str, traces: Iterable[dict[str, Any]], keep: int) -> None:
        """Store a rule's latest traces, keeping the newest `keep`."""
        items = [(rule, t["run"], t["started"], json.dumps(t, default=str)) for t in traces]
        try:
            with self._db:
                self._db.executemany("INSERT OR REPLACE INTO automation_traces VALUES (?, ?, ?, ?)", items)
                self._db.execute(
                    "DELETE FROM automation_traces WHERE rule = ? AND run NOT IN "
                    "(SELECT run FROM automation_traces WHERE rule = ? ORDER BY started DESC, run DESC LIMIT ?)",
                    (rule, rule, keep))
        except sqlite3.Error as exc:
            raise StoreError(f"cannot save traces ({exc})") from exc

    def traces(self, rule: str, limit: int = 20) -> list[dict[str, Any]]:
        """A rule's stored traces, oldest first."""
        rows = self._db.execute("SELECT body FROM automation_traces WHERE rule = ? ORDER BY started DESC, run DESC "
                                "LIMIT ?", (rule, limit)).fetchall()
        return [json.loads(body) for (body,) in reversed(rows)]

    def mark_seen(self, when: float) -> None:
        """Remember that every moment up to `when` has been handled."""
        if self._marks is not None:
            try:
                self._marks.execute("INSERT OR REPLACE INTO automation_clock VALUES (0, ?)", (when,))
            except sqlite3.Error as exc:
                raise StoreError(f"automation clock: {exc}") from exc

    def last_seen(self) -> float | None:
        """The last moment marked (None when none was)."""
        if self._marks is None:
            return None
        row = self._marks.execute("SELECT seen FROM automation_clock WHERE id = 0").fetchone()
        return None if row is None else float(row[0])

    def close(self) -> None:
        """Close the connection."""
        self._db.close()

    def _run(self, sql: str, params: tuple[Any, ...]) -> None:
        try:
            self._db.execute(sql, params)
        except sqlite3.Error as exc:
            raise StoreError(f"automation timers: {exc}") from exc
