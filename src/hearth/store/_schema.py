"""The SQLite schema and connection settings, and how a database file is brought up to date."""

from __future__ import annotations

import sqlite3

from hearth.errors import StoreError

VERSION = 1

# `value` columns are declared without a type so SQLite keeps each value's own storage class (INTEGER,
# REAL, TEXT) instead of coercing it; `kind` says how to read it back (see _codec.py).
_DDL = """
CREATE TABLE IF NOT EXISTS keys (
    id      INTEGER PRIMARY KEY,
    device  TEXT NOT NULL,
    service TEXT NOT NULL,
    prop    TEXT NOT NULL,
    UNIQUE (device, service, prop)
);
CREATE TABLE IF NOT EXISTS state (
    key   INTEGER PRIMARY KEY REFERENCES keys (id),
    time  REAL NOT NULL,
    value,
    kind  INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS history (
    key   INTEGER NOT NULL,
    time  REAL NOT NULL,
    value,
    kind  INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS history_by_key ON history (key, time);
CREATE TABLE IF NOT EXISTS audit (
    id          INTEGER PRIMARY KEY,
    time        REAL NOT NULL,
    command_id  TEXT NOT NULL,
    actor_kind  TEXT NOT NULL,
    actor_id    TEXT NOT NULL,
    actor_role  TEXT NOT NULL,
    device      TEXT NOT NULL,
    service     TEXT NOT NULL,
    target      TEXT NOT NULL,
    value       TEXT NOT NULL,
    ok          INTEGER NOT NULL,
    message     TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS audit_by_actor ON audit (actor_id, id);
CREATE INDEX IF NOT EXISTS audit_by_time ON audit (time);
"""

INSERT_KEY = "INSERT INTO keys (device, service, prop) VALUES (?, ?, ?) ON CONFLICT DO NOTHING"
SELECT_KEY = "SELECT id FROM keys WHERE device = ? AND service = ? AND prop = ?"
INSERT_HISTORY = "INSERT INTO history (key, time, value, kind) VALUES (?, ?, ?, ?)"
# The fast path hands a whole batch to SQLite as one JSON array of [key, time, value] rows, so the insert
# runs inside SQLite with the GIL released instead of one Python round trip per row. `kind` is worked out
# in SQL; a value JSON cannot carry exactly (an int past 64 bits turns REAL, null, arrays, objects) yields
# NULL, which the NOT NULL constraint turns into an error, and the writer retries that batch row by row.
INSERT_HISTORY_JSON = """
WITH batch (n, key, time, value, type) AS (
    SELECT key, json_extract(value, '$[0]'), json_extract(value, '$[1]'), json_extract(value, '$[2]'),
           json_type(value, '$[2]')
    FROM json_each(?)
)
INSERT INTO history (key, time, value, kind)
SELECT key, time, value,
       CASE type WHEN 'true' THEN 1 WHEN 'false' THEN 1 WHEN 'real' THEN 0 WHEN 'text' THEN 0
                 WHEN 'integer' THEN iif(typeof(value) = 'integer', 0, NULL) END
FROM batch ORDER BY key, n
"""
# Current state from the history rows just written (rowid > the largest before): the last row per key wins.
UPSERT_STATE_SINCE = (
    "INSERT INTO state (key, time, value, kind) SELECT key, time, value, kind FROM history"
    " WHERE rowid IN (SELECT max(rowid) FROM history NOT INDEXED WHERE rowid > ? GROUP BY key)"
    " ON CONFLICT (key) DO UPDATE SET time = excluded.time, value = excluded.value, kind = excluded.kind"
)
INSERT_AUDIT = (
    "INSERT INTO audit (time, command_id, actor_kind, actor_id, actor_role, device, service, target, value, ok,"
    " message) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)


def connect(path: str, *, synchronous: str, readonly: bool = False) -> sqlite3.Connection:
    """Open a connection with Hearth's settings; autocommit mode, transactions are explicit."""
    try:
        conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False, timeout=30.0)
        conn.execute("PRAGMA busy_timeout = 30000")
        if not readonly:
            # Only takes effect when the file is created. Big pages mean fewer pages touched and written to the
            # WAL per batch of history inserts (measured: ~1.4x fewer CPU seconds per change than 4 KiB pages).
            conn.execute("PRAGMA page_size = 16384")
            mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
            if str(mode).lower() != "wal":
                raise StoreError(f"{path}: cannot switch the database to WAL mode (got {mode!r})")
        # In WAL mode with synchronous=NORMAL a commit is appended to the WAL file with a write() that the
        # kernel keeps even if this process is killed, so every committed (acknowledged) change survives
        # kill -9 and crashes of Hearth itself. Only an OS crash or power cut can lose the last commits
        # (never corrupting the file); pass synchronous="FULL" to fsync each commit and survive those too.
        conn.execute(f"PRAGMA synchronous = {synchronous}")
        conn.execute("PRAGMA cache_size = -32000")
        conn.execute("PRAGMA temp_store = MEMORY")
        conn.execute("PRAGMA journal_size_limit = 67108864")
    except sqlite3.Error as exc:
        raise StoreError(f"{path}: cannot open the database: {exc}") from exc
    return conn


def migrate(conn: sqlite3.Connection, path: str) -> None:
    """Create the tables, or check that an existing file has a schema this version understands."""
    try:
        version = int(conn.execute("PRAGMA user_version").fetchone()[0])
        if version > VERSION:
            raise StoreError(f"{path}: database schema v{version} is newer than this Hearth (v{VERSION}); upgrade")
        if version < VERSION:
            conn.execute("BEGIN IMMEDIATE")
            _run_ddl(conn)
            conn.execute(f"PRAGMA user_version = {VERSION}")
            conn.execute("COMMIT")
    except sqlite3.DatabaseError as exc:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise StoreError(f"{path}: not a usable Hearth database: {exc}") from exc


def _run_ddl(conn: sqlite3.Connection) -> None:
    # executescript() would commit the open transaction first; run the statements one by one inside it.
    for statement in _DDL.split(";"):
        if statement.strip():
            conn.execute(statement)
