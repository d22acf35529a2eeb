"""The fleet's system of record in PostgreSQL (asyncpg): homes, rules, state, history, audit, timers,
partition leases and committed offsets, written in one batched transaction per partition batch."""

from __future__ import annotations

import contextlib
import hashlib
import logging
import secrets
from collections.abc import AsyncIterator, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import asyncpg  # type: ignore[import-untyped]  # asyncpg ships no type information
import orjson

from hearth.fleet._nats import FleetError
from hearth.fleet._runtime import Change, IssuedCommand
from hearth.fleet._schema import migrate


class Fenced(FleetError):
    """The partition's lease moved to another worker; this worker must stop writing for it."""


@dataclass(frozen=True, slots=True)
class HomeRow:
    """What a worker needs to run a home: its definition, rules, clock, timers and stored state."""

    id: str
    template: str | None
    home_yaml: str | None
    rules_yaml: str | None
    clock: float | None
    timers: list[dict[str, Any]]
    state: dict[tuple[str, str, str], Any]


@dataclass(frozen=True, slots=True)
class PartitionMark:
    """Where a partition stands after a batch: the offset, watermark and event count to commit under a lease."""

    partition: int
    epoch: int
    offset: int
    watermark: float
    events: int


@dataclass(frozen=True, slots=True)
class RuntimeRow:
    """A home's clock and pending timers at a commit."""

    home: str
    clock: float
    timers: list[dict[str, Any]] | str | None  # as rows or JSON text; None: unchanged since the last commit


# Errors that end when PostgreSQL is back (a restart, a dropped connection): a worker waits and reloads.
# A connection closed under a running query can also leave asyncpg's protocol in a state it then refuses
# (InternalClientError): the pool's connections are replaced before going on (`FleetDb.renew_connections`).
TRANSIENT: tuple[type[BaseException], ...] = (OSError, asyncpg.PostgresConnectionError, asyncpg.InterfaceError,
                                              asyncpg.exceptions.OperatorInterventionError,
                                              asyncpg.exceptions.InternalClientError)
_RETRY = ("40P01", "40001")  # deadlock detected, serialization failure: the transaction was rolled back
log = logging.getLogger(__name__)


def token_hash(token: str) -> str:
    """How an ingress token is stored."""
    return hashlib.sha256(token.encode()).hexdigest()


def _jsonb_out(value: Any) -> bytes:
    return b"\x01" + orjson.dumps(value, default=str, option=orjson.OPT_NON_STR_KEYS)  # binary jsonb: version 1


def _jsonb_in(data: bytes) -> Any:
    return orjson.loads(data[1:])


async def _init(conn: Any) -> None:
    await conn.set_type_codec("jsonb", encoder=_jsonb_out, decoder=_jsonb_in, schema="pg_catalog", format="binary")


async def _keep(conn: Any) -> None:
    # Hearth's queries leave no session state behind (no SET, LISTEN or session locks; transactions are closed
    # by their context managers), so a connection goes back to the pool without asyncpg's reset round trip.
    return None


@contextlib.asynccontextmanager
async def open_db(url: str, size: int = 8) -> AsyncIterator[FleetDb]:
    """Connect a pool, bring the schema up to date, and close the pool on exit."""
    try:
        # Fleet queries are short and many: compiling them (JIT) costs more than it saves.
        pool = await asyncpg.create_pool(url, min_size=1, max_size=size, init=_init, reset=_keep,
                                         command_timeout=60, server_settings={"jit": "off"})
    except (OSError, asyncpg.PostgresError) as exc:
        raise FleetError(f"cannot connect to PostgreSQL at {url}: {exc}") from exc
    try:
        async with pool.acquire() as conn:
            await migrate(conn)
        yield FleetDb(pool)
    finally:
        await pool.close()


async def _lock_in_order(conn: Any, partitions: Sequence[int]) -> None:
    # The same order as `hearth_commit`: writers of partition rows never wait on each other in a cycle.
    await conn.execute("SELECT 1 FROM fleet_partitions WHERE partition = ANY($1::integer[]) ORDER BY partition "
                       "FOR UPDATE", list(partitions))


class FleetDb:
    """Queries of the fleet; every query about a home's data names the home or its partition."""

    def __init__(self, pool: Any) -> None:
        self.pool = pool

    def renew_connections(self) -> None:
        """Replace every pooled connection (each as it is next released or acquired), after connections broke."""
        self.pool.expire_connections()

    async def setup_partitions(self, partitions: int) -> int:
        """Record the partition count (fixed once set) and create the lease rows; returns the count in force."""
        async with self.pool.acquire() as conn, conn.transaction():
            await conn.execute("INSERT INTO fleet_meta VALUES ('partitions', $1) ON CONFLICT DO NOTHING",
                               str(partitions))
            count = int(await conn.fetchval("SELECT value FROM fleet_meta WHERE key = 'partitions'"))
            await conn.execute("INSERT INTO fleet_partitions (partition) SELECT generate_series(0, $1 - 1) "
                               "ON CONFLICT DO NOTHING", count)
            return count

    async def partitions(self) -> int | None:
        """The partition count, if the fleet has been set up."""
        value = await self.pool.fetchval("SELECT value FROM fleet_meta WHERE key = 'partitions'")
        return None if value is None else int(value)

    # ---- homes and rules ----

    async def put_template(self, name: str, home_yaml: str, rules_yaml: str) -> None:
        """Create or replace a home template (a home file and its rules shared by many homes)."""
        await self.pool.execute("INSERT INTO home_templates VALUES ($1, $2, $3) ON CONFLICT (name) DO UPDATE "
                                "SET home_yaml = EXCLUDED.home_yaml, rules_yaml = EXCLUDED.rules_yaml",
                                name, home_yaml, rules_yaml)

    async def add_homes(self, ids: Sequence[str], template: str) -> None:
        """Register homes that use a template (existing ids are left alone)."""
        await self.pool.execute("INSERT INTO homes (id, template) SELECT unnest($1::text[]), $2 "
                                "ON CONFLICT DO NOTHING", list(ids), template)

    async def add_home(self, home: str, home_yaml: str, rules_yaml: str) -> None:
        """Register a home with its own home file and rules."""
        async with self.pool.acquire() as conn, conn.transaction():
            await conn.execute("INSERT INTO homes (id, home_yaml) VALUES ($1, $2) ON CONFLICT (id) DO UPDATE "
                               "SET home_yaml = EXCLUDED.home_yaml, template = NULL", home, home_yaml)
            await conn.execute("INSERT INTO rules (home, rules_yaml) VALUES ($1, $2) ON CONFLICT (home) DO UPDATE "
                               "SET rules_yaml = EXCLUDED.rules_yaml, updated = now()", home, rules_yaml)

    async def add_token(self, home: str, label: str = "") -> str:
        """A new ingress token for a registered home's devices (returned once; only its hash is stored)."""
        token = secrets.token_urlsafe(32)
        try:
            await self.pool.execute("INSERT INTO home_tokens (home, token_hash, label) VALUES ($1, $2, $3)",
                                    home, token_hash(token), label)
        except asyncpg.ForeignKeyViolationError:
            raise FleetError(f"no home {home!r}") from None
        return token

    async def token_valid(self, home: str, token: str) -> bool:
        """Whether a token belongs to this home."""
        return bool(await self.pool.fetchval("SELECT 1 FROM home_tokens WHERE home = $1 AND token_hash = $2",
                                             home, token_hash(token)))

    async def set_rules(self, home: str, rules_yaml: str) -> None:
        """Give a registered home its own rules (over its template's, if it has one)."""
        await self.pool.execute("INSERT INTO rules (home, rules_yaml) VALUES ($1, $2) ON CONFLICT (home) DO UPDATE "
                                "SET rules_yaml = EXCLUDED.rules_yaml, updated = now()", home, rules_yaml)

    async def template(self, name: str) -> tuple[str, str]:
        """A template's (home_yaml, rules_yaml)."""
        row = await self.pool.fetchrow("SELECT home_yaml, rules_yaml FROM home_templates WHERE name = $1", name)
        if row is None:
            raise FleetError(f"no home template {name!r}")
        return row["home_yaml"], row["rules_yaml"]

    async def load_homes(self, ids: Sequence[str]) -> list[HomeRow]:
        """Definitions, clocks, timers and stored state of the given homes (unknown ids are left out)."""
        async with self.pool.acquire() as conn:
            rows = await conn.fetch(
                "SELECT h.id, h.template, h.home_yaml, r.rules_yaml, rt.clock, rt.timers FROM homes h "
                "LEFT JOIN rules r ON r.home = h.id LEFT JOIN home_runtime rt ON rt.home = h.id "
                "WHERE h.id = ANY($1::text[])", list(ids))
            states = await conn.fetch("SELECT home, device, service, prop, value FROM state "
                                      "WHERE home = ANY($1::text[])", list(ids))
        by_home: dict[str, dict[tuple[str, str, str], Any]] = {}
        for s in states:
            by_home.setdefault(s["home"], {})[(s["device"], s["service"], s["prop"])] = s["value"]
        return [HomeRow(r["id"], r["template"], r["home_yaml"], r["rules_yaml"], r["clock"],
                        orjson.loads(r["timers"]) if r["timers"] else [],
                        by_home.get(r["id"], {})) for r in rows]

    async def homes_with_timers(self, partition: int) -> list[str]:
        """Homes of a partition that have pending timers (loaded when a worker takes the partition over)."""
        rows = await self.pool.fetch("SELECT home FROM home_runtime WHERE partition = $1 AND has_timers", partition)
        return [r["home"] for r in rows]

    # ---- the batch commit ----

    async def commit(self, partition: int, owner: str, epoch: int, offset: int, watermark: float, events: int,
                     runtimes: Iterable[RuntimeRow], changes: Sequence[tuple[str, Change]],
                     commands: Sequence[IssuedCommand]) -> None:
        """Write one partition's batch atomically with its offset; raise Fenced if the lease moved."""
        await self.commit_batch(owner, [PartitionMark(partition, epoch, offset, watermark, events)],
                                [(r, partition) for r in runtimes], changes, [(c, partition, offset) for c in commands])

    async def commit_batch(self, owner: str, marks: Sequence[PartitionMark],
                           runtimes: Sequence[tuple[RuntimeRow, int]], changes: Sequence[tuple[str, Change]],
                           commands: Sequence[tuple[IssuedCommand, int, int]],
                           published: Mapping[int, int] | None = None) -> None:
        """Write a worker batch over several partitions in one round trip, all or nothing; raise Fenced if any of
        their leases moved. Commands come with their partition and the offset they were committed at; runtime
        rows whose timers did not change (None) are not written; `published` moves partitions' published offsets
        (every command committed at or below it has been acknowledged by the command stream)."""
        latest: dict[tuple[str, str, str, str], int] = {}  # each property's last change: its position from 1
        for n, (home, ch) in enumerate(changes, 1):
            latest[(home, ch.device, ch.service, ch.property)] = n
        timers = [r.timers if isinstance(r.timers, str) else orjson.dumps(r.timers, default=str).decode()
                  for r, _ in runtimes if r.timers is not None]
        doc = {
            "m": [(m.partition, m.epoch, m.offset, m.watermark, m.events) for m in marks],
            "s": list(latest.values()),
            "h": [(h, c.device, c.service, c.property, c.time, c.value) for h, c in changes],
            "a": [(c.home, c.id, c.time, c.actor, c.device, c.service, c.target, c.value, p, seq)
                  for c, p, seq in commands],
            "r": [(r.home, p, r.clock, r.timers not in ([], "[]")) for r, p in runtimes if r.timers is not None],
            "p": list((published or {}).items()),
        }
        for attempt in range(3):
            try:
                await self.pool.execute("SELECT hearth_commit($1, $2, $3)", owner, doc, timers)
                return
            except asyncpg.PostgresError as exc:
                state = getattr(exc, "sqlstate", None)
                if state == "HF001":
                    raise Fenced(f"a partition lease of {owner} moved "
                                 f"(partitions {sorted(m.partition for m in marks)})") from exc
                if state not in _RETRY or attempt == 2:
                    raise
                log.warning("commit of %s retried after %s", owner, exc)  # rolled back whole: safe to repeat

    async def unpublished(self, partition: int) -> list[tuple[IssuedCommand, int]]:
        """Committed commands of a partition beyond its published offset, with the offset each was committed at."""
        rows = await self.pool.fetch(
            "SELECT a.home, a.command_id, a.time, a.device, a.service, a.target, a.value, a.actor, a.seq "
            "FROM audit a JOIN fleet_partitions f ON f.partition = a.partition "
            "WHERE a.partition = $1 AND a.seq > f.published ORDER BY a.ord", partition)
        return [(IssuedCommand(r["command_id"], r["home"], r["time"], r["device"], r["service"], r["target"],
                               r["value"], r["actor"]), r["seq"]) for r in rows]

    # ---- leases ----

    async def heartbeat(self, worker: str, host: str, pid: int, stats: dict[str, Any]) -> None:
        """Say this worker is alive."""
        await self.pool.execute(
            "INSERT INTO fleet_workers (id, host, pid, stats) VALUES ($1, $2, $3, $4) ON CONFLICT (id) DO UPDATE "
            "SET heartbeat = now(), stats = EXCLUDED.stats", worker, host, pid, stats)

    async def live_workers(self, ttl: float) -> list[str]:
        """Workers whose heartbeat is younger than `ttl` seconds, by id."""
        rows = await self.pool.fetch("SELECT id FROM fleet_workers WHERE heartbeat > now() - make_interval("
                                     "secs => $1) ORDER BY id", ttl)
        return [r["id"] for r in rows]

    async def leave(self, worker: str) -> None:
        """Remove a stopping worker from the roster."""
        await self.pool.execute("DELETE FROM fleet_workers WHERE id = $1", worker)

    async def claim(self, partitions: Sequence[int], worker: str, ttl: float) -> list[tuple[int, int, int, float]]:
        """Take free or expired partitions; returns (partition, epoch, committed offset, watermark) of each won."""
        async with self.pool.acquire() as conn, conn.transaction():
            await _lock_in_order(conn, partitions)
            rows = await conn.fetch(
                "UPDATE fleet_partitions SET owner = $2, epoch = epoch + 1, lease_until = now() + make_interval("
                "secs => $3) WHERE partition = ANY($1::integer[]) AND (owner IS NULL OR lease_until < now()) "
                "RETURNING partition, epoch, committed, watermark", list(partitions), worker, ttl)
        return [(r["partition"], r["epoch"], r["committed"], r["watermark"]) for r in rows]

    async def renew(self, worker: str, owned: dict[int, int], ttl: float) -> set[int]:
        """Extend this worker's leases; returns the partitions it still holds."""
        async with self.pool.acquire() as conn, conn.transaction():
            await _lock_in_order(conn, list(owned))
            rows = await conn.fetch(
                "UPDATE fleet_partitions p SET lease_until = now() + make_interval(secs => $2) "
                "FROM unnest($3::integer[], $4::bigint[]) AS x(part, ep) "
                "WHERE p.partition = x.part AND p.epoch = x.ep AND p.owner = $1 RETURNING p.partition",
                worker, ttl, list(owned), list(owned.values()))
        return {r["partition"] for r in rows}

    async def release(self, partition: int, worker: str, epoch: int) -> None:
        """Give a partition up so another worker can take it at once."""
        await self.pool.execute("UPDATE fleet_partitions SET owner = NULL, lease_until = '-infinity' "
                                "WHERE partition = $1 AND owner = $2 AND epoch = $3", partition, worker, epoch)

    async def owned(self, worker: str) -> dict[int, tuple[int, int, float]]:
        """Partitions recorded as this worker's: partition → (epoch, committed offset, watermark)."""
        rows = await self.pool.fetch("SELECT partition, epoch, committed, watermark FROM fleet_partitions "
                                     "WHERE owner = $1", worker)
        return {r["partition"]: (r["epoch"], r["committed"], r["watermark"]) for r in rows}

    async def free_partitions(self) -> list[int]:
        """Partitions nobody holds a live lease on."""
        rows = await self.pool.fetch("SELECT partition FROM fleet_partitions WHERE owner IS NULL OR "
                                     "lease_until < now() ORDER BY partition")
        return [r["partition"] for r in rows]

    async def leases(self) -> list[dict[str, Any]]:
        """Every partition's owner, epoch, offset, watermark and event count."""
        rows = await self.pool.fetch(
            "SELECT partition, CASE WHEN lease_until > now() THEN owner END AS owner, epoch, committed, watermark, "
            "events FROM fleet_partitions ORDER BY partition")
        return [dict(r) for r in rows]

    async def unpublished_counts(self) -> dict[int, int]:
        """Per partition: committed commands the command stream has not yet acknowledged (beyond `published`)."""
        rows = await self.pool.fetch(
            "SELECT a.partition, count(*) AS n FROM fleet_partitions f JOIN audit a ON a.partition = f.partition "
            "AND a.seq > f.published GROUP BY a.partition")
        return {r["partition"]: int(r["n"]) for r in rows}

    async def workers(self) -> list[dict[str, Any]]:
        """The worker roster with heartbeat ages and stats."""
        rows = await self.pool.fetch("SELECT id, host, pid, extract(epoch FROM now() - heartbeat) AS age, stats "
                                     "FROM fleet_workers ORDER BY id")
        return [dict(r) for r in rows]

    async def home_count(self) -> int:
        """How many homes are registered."""
        return int(await self.pool.fetchval("SELECT count(*) FROM homes"))

    async def commands_by_home(self, homes: Sequence[str] | None = None) -> dict[str, list[IssuedCommand]]:
        """Audited rule commands per home in command order (for the oracle check)."""
        sql = ("SELECT home, command_id, time, device, service, target, value, actor FROM audit "
               + ("WHERE home = ANY($1::text[]) " if homes is not None else "") + "ORDER BY home, ord")
        rows = await self.pool.fetch(sql, *([list(homes)] if homes is not None else []))
        out: dict[str, list[IssuedCommand]] = {}
        for r in rows:
            out.setdefault(r["home"], []).append(IssuedCommand(r["command_id"], r["home"], r["time"], r["device"],
                                                               r["service"], r["target"], r["value"], r["actor"]))
        return out

