"""The fleet's PostgreSQL schema, brought up to date by numbered migrations recorded in `schema_version`.

Every table that holds a home's data has `home` as the first column of its key, and every query in
`hearth.fleet` names the home (or the partition it belongs to): one home's rows are never read for another.
"""

from __future__ import annotations

from typing import Any

MIGRATIONS: tuple[tuple[int, str], ...] = (
    (1, """
CREATE TABLE home_templates (
    name       text PRIMARY KEY,
    home_yaml  text NOT NULL,
    rules_yaml text NOT NULL
);
CREATE TABLE homes (
    id        text PRIMARY KEY,
    name      text NOT NULL DEFAULT '',
    template  text REFERENCES home_templates (name),
    home_yaml text,
    created   timestamptz NOT NULL DEFAULT now(),
    CHECK ((template IS NULL) <> (home_yaml IS NULL))
);
CREATE TABLE rules (
    home       text PRIMARY KEY REFERENCES homes (id) ON DELETE CASCADE,
    rules_yaml text NOT NULL,
    updated    timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE users (
    home       text NOT NULL REFERENCES homes (id) ON DELETE CASCADE,
    id         text NOT NULL,
    name       text NOT NULL,
    role       text NOT NULL,
    token_hash text,
    PRIMARY KEY (home, id)
);
CREATE TABLE state (
    home    text NOT NULL,
    device  text NOT NULL,
    service text NOT NULL,
    prop    text NOT NULL,
    value   jsonb NOT NULL,
    time    double precision NOT NULL,
    PRIMARY KEY (home, device, service, prop)
);
CREATE TABLE history (
    home    text NOT NULL,
    device  text NOT NULL,
    service text NOT NULL,
    prop    text NOT NULL,
    time    double precision NOT NULL,
    value   jsonb NOT NULL
);
CREATE INDEX history_by_key ON history (home, device, service, prop, time);
CREATE TABLE audit (
    home       text NOT NULL,
    command_id text NOT NULL,
    time       double precision NOT NULL,
    actor      text NOT NULL,
    device     text NOT NULL,
    service    text NOT NULL,
    target     text NOT NULL,
    value      jsonb NOT NULL,
    partition  integer NOT NULL,
    published  boolean NOT NULL DEFAULT false,
    ord        bigserial,  -- commit order: a home's commands in the order its worker issued them
    PRIMARY KEY (home, command_id)
);
CREATE INDEX audit_unpublished ON audit (partition) WHERE NOT published;
CREATE TABLE home_runtime (
    home      text PRIMARY KEY,
    partition integer NOT NULL,
    clock     double precision NOT NULL,
    timers    jsonb NOT NULL,
    has_timers boolean NOT NULL
);
CREATE INDEX home_runtime_timers ON home_runtime (partition) WHERE has_timers;
CREATE TABLE fleet_meta (
    key   text PRIMARY KEY,
    value text NOT NULL
);
CREATE TABLE fleet_partitions (
    partition   integer PRIMARY KEY,
    owner       text,
    epoch       bigint NOT NULL DEFAULT 0,
    lease_until timestamptz NOT NULL DEFAULT '-infinity',
    committed   bigint NOT NULL DEFAULT 0,
    watermark   double precision NOT NULL DEFAULT 0,
    events      bigint NOT NULL DEFAULT 0,
    updated     timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE fleet_workers (
    id        text PRIMARY KEY,
    host      text NOT NULL,
    pid       integer NOT NULL,
    started   timestamptz NOT NULL DEFAULT now(),
    heartbeat timestamptz NOT NULL DEFAULT now(),
    stats     jsonb NOT NULL DEFAULT '{}'
);
"""),
)

VERSION = MIGRATIONS[-1][0]
_LOCK = 0x4845415254  # advisory lock id ("HEART") held while migrating, so workers starting together take turns


async def migrate(conn: Any) -> int:
    """Apply missing migrations in one transaction; returns the schema version."""
    async with conn.transaction():
        await conn.execute("SELECT pg_advisory_xact_lock($1)", _LOCK)
        await conn.execute("CREATE TABLE IF NOT EXISTS schema_version ("
                           "version integer PRIMARY KEY, applied timestamptz NOT NULL DEFAULT now())")
        current = await conn.fetchval("SELECT coalesce(max(version), 0) FROM schema_version")
        for version, ddl in MIGRATIONS:
            if version > current:
                await conn.execute(ddl)
                await conn.execute("INSERT INTO schema_version (version) VALUES ($1)", version)
        return int(await conn.fetchval("SELECT max(version) FROM schema_version"))
