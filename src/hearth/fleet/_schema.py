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
    (2, """
-- One round trip per worker batch: check every partition's lease, move the offsets and write what the
-- messages caused, all or nothing. A moved lease raises HF001 and nothing of the batch is written.
CREATE FUNCTION hearth_commit(
    owner_ text, parts integer[], epochs bigint[], offsets bigint[], watermarks float8[], counts bigint[],
    s_home text[], s_device text[], s_service text[], s_prop text[], s_value text[], s_time float8[],
    h_home text[], h_device text[], h_service text[], h_prop text[], h_time float8[], h_value text[],
    a_home text[], a_id text[], a_time float8[], a_actor text[], a_device text[], a_service text[],
    a_target text[], a_value text[], a_part integer[],
    r_home text[], r_part integer[], r_clock float8[], r_timers text[], r_has boolean[],
    m_home text[], m_id text[]
) RETURNS void LANGUAGE plpgsql AS $fn$
DECLARE
    moved integer;
BEGIN
    -- Not waiting for the WAL flush is safe here: a batch lost in a database crash is lost whole, offsets
    -- included, and is replayed from JetStream with the same command ids.
    PERFORM set_config('synchronous_commit', 'off', true);
    UPDATE fleet_partitions f SET committed = x.o, watermark = x.w, events = f.events + x.n, updated = now()
      FROM unnest(parts, epochs, offsets, watermarks, counts) AS x(p, ep, o, w, n)
     WHERE f.partition = x.p AND f.owner = owner_ AND f.epoch = x.ep;
    GET DIAGNOSTICS moved = ROW_COUNT;
    IF moved <> coalesce(cardinality(parts), 0) THEN
        RAISE EXCEPTION 'a partition lease of % moved', owner_ USING ERRCODE = 'HF001';
    END IF;
    INSERT INTO state (home, device, service, prop, value, time)
    SELECT h, d, s, p, v::jsonb, t FROM unnest(s_home, s_device, s_service, s_prop, s_value, s_time)
        AS x(h, d, s, p, v, t)
    ON CONFLICT (home, device, service, prop) DO UPDATE SET value = EXCLUDED.value, time = EXCLUDED.time;
    INSERT INTO history (home, device, service, prop, time, value)
    SELECT h, d, s, p, t, v::jsonb FROM unnest(h_home, h_device, h_service, h_prop, h_time, h_value)
        AS x(h, d, s, p, t, v);
    INSERT INTO audit (home, command_id, time, actor, device, service, target, value, partition)
    SELECT h, c, t, a, d, s, g, v::jsonb, p
      FROM unnest(a_home, a_id, a_time, a_actor, a_device, a_service, a_target, a_value, a_part)
        AS x(h, c, t, a, d, s, g, v, p)
    ON CONFLICT DO NOTHING;
    INSERT INTO home_runtime (home, partition, clock, timers, has_timers)
    SELECT h, p, c, t::jsonb, ht FROM unnest(r_home, r_part, r_clock, r_timers, r_has) AS x(h, p, c, t, ht)
     WHERE t IS NOT NULL
    ON CONFLICT (home) DO UPDATE SET partition = EXCLUDED.partition, clock = EXCLUDED.clock,
        timers = EXCLUDED.timers, has_timers = EXCLUDED.has_timers;
    -- timers unchanged since the last commit (NULL): only the clock moves, no JSON is parsed or rewritten
    INSERT INTO home_runtime (home, partition, clock, timers, has_timers)
    SELECT h, p, c, '[]'::jsonb, false FROM unnest(r_home, r_part, r_clock, r_timers) AS x(h, p, c, t)
     WHERE t IS NULL
    ON CONFLICT (home) DO UPDATE SET partition = EXCLUDED.partition, clock = EXCLUDED.clock;
    UPDATE audit a SET published = true FROM unnest(m_home, m_id) AS x(h, c)
     WHERE a.home = x.h AND a.command_id = x.c AND NOT a.published;
END
$fn$;
"""),
    (3, """
-- A batch arrives as one JSON document (one encoder call in the worker, one parse here) instead of 34 arrays.
-- Commands carry the partition offset of the batch that committed them (`seq`); a partition's `published`
-- offset says up to where the command stream has acknowledged them all, so no audit row is rewritten when
-- its command is published. Runtime rows are written only when a home's pending timers change.
DROP FUNCTION hearth_commit;
ALTER TABLE audit ADD COLUMN seq bigint NOT NULL DEFAULT 0;
UPDATE audit SET seq = 1 WHERE NOT published;
ALTER TABLE audit DROP COLUMN published;
CREATE INDEX audit_by_seq ON audit (partition, seq);
ALTER TABLE fleet_partitions ADD COLUMN published bigint NOT NULL DEFAULT 0;
-- Pending timers are read back only by workers: kept as JSON text, they are stored without being parsed.
ALTER TABLE home_runtime ALTER COLUMN timers TYPE text USING timers::text;
-- doc: {"m": [[partition, epoch, offset, watermark, events]], "h": [[home, device, service, prop, time, value]],
--       "s": [positions (from 1) of the "h" rows that are each property's latest value],
--       "a": [[home, id, time, actor, device, service, target, value, partition, seq]],
--       "r": [[home, partition, clock, has timers]], "p": [[partition, published offset]]}
-- timers: the JSON text of each "r" row's pending timers, in the same order.
CREATE FUNCTION hearth_commit(owner_ text, doc jsonb, timers text[]) RETURNS void LANGUAGE plpgsql AS $fn$
DECLARE
    moved integer;
BEGIN
    -- Not waiting for the WAL flush is safe here: a batch lost in a database crash is lost whole, offsets
    -- included, and is replayed from JetStream with the same command ids.
    PERFORM set_config('synchronous_commit', 'off', true);
    -- Partition rows are locked in partition order here and wherever leases are renewed or claimed, so a
    -- commit and a worker's own lease renewal (or another worker's claim) never wait on each other in a cycle.
    PERFORM 1 FROM fleet_partitions
     WHERE partition IN (SELECT (e->>0)::integer FROM jsonb_array_elements(doc->'m') AS e
                         UNION SELECT (e->>0)::integer FROM jsonb_array_elements(doc->'p') AS e)
     ORDER BY partition FOR UPDATE;
    UPDATE fleet_partitions f SET committed = (e->>2)::bigint, watermark = (e->>3)::float8,
           events = f.events + (e->>4)::bigint, updated = now()
      FROM jsonb_array_elements(doc->'m') AS e
     WHERE f.partition = (e->>0)::integer AND f.owner = owner_ AND f.epoch = (e->>1)::bigint;
    GET DIAGNOSTICS moved = ROW_COUNT;
    IF moved <> jsonb_array_length(doc->'m') THEN
        RAISE EXCEPTION 'a partition lease of % moved', owner_ USING ERRCODE = 'HF001';
    END IF;
    INSERT INTO state (home, device, service, prop, value, time)
    SELECT e->>0, e->>1, e->>2, e->>3, e->5, (e->>4)::float8
      FROM jsonb_array_elements(doc->'h') WITH ORDINALITY AS x(e, i)
     WHERE i IN (SELECT jsonb_array_elements_text(doc->'s')::bigint)
    ON CONFLICT (home, device, service, prop) DO UPDATE SET value = EXCLUDED.value, time = EXCLUDED.time;
    INSERT INTO history (home, device, service, prop, time, value)
    SELECT e->>0, e->>1, e->>2, e->>3, (e->>4)::float8, e->5 FROM jsonb_array_elements(doc->'h') AS e;
    INSERT INTO audit (home, command_id, time, actor, device, service, target, value, partition, seq)
    SELECT e->>0, e->>1, (e->>2)::float8, e->>3, e->>4, e->>5, e->>6, e->7, (e->>8)::integer, (e->>9)::bigint
      FROM jsonb_array_elements(doc->'a') AS e
    ON CONFLICT DO NOTHING;
    INSERT INTO home_runtime (home, partition, clock, timers, has_timers)
    SELECT e->>0, (e->>1)::integer, (e->>2)::float8, timers[i], (e->>3)::boolean
      FROM jsonb_array_elements(doc->'r') WITH ORDINALITY AS x(e, i)
    ON CONFLICT (home) DO UPDATE SET partition = EXCLUDED.partition, clock = EXCLUDED.clock,
        timers = EXCLUDED.timers, has_timers = EXCLUDED.has_timers;
    UPDATE fleet_partitions f SET published = greatest(f.published, (e->>1)::bigint)
      FROM jsonb_array_elements(doc->'p') AS e
     WHERE f.partition = (e->>0)::integer AND f.owner = owner_;
END
$fn$;
"""),
    (4, """
-- Tokens a home's devices and gateways use at the HTTP ingress (only a SHA-256 of each is kept; tokens are
-- 256-bit random, so a fast hash is enough).
CREATE TABLE home_tokens (
    home       text NOT NULL REFERENCES homes (id) ON DELETE CASCADE,
    token_hash text NOT NULL,
    label      text NOT NULL DEFAULT '',
    created    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (home, token_hash)
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
