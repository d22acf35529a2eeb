"""A fleet worker: holds leases on a share of the partitions, serves each one, and answers copilot requests.

Partitions are shared out by the live roster in PostgreSQL: with workers w0 < w1 < … (by id) alive, worker k
wants the partitions p with p mod n == k. A worker gives up (after its current commit) the partitions it no
longer wants and claims the ones it wants as soon as their lease is free or expired, so adding a worker moves
partitions to it and a worker that dies has its partitions taken over one lease time later.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import os
import socket
import uuid
from dataclasses import dataclass
from typing import Any

from hearth.fleet._consumer import IngressConsumer, RawClient
from hearth.fleet._db import TRANSIENT, Fenced, FleetDb, open_db
from hearth.fleet._homes import HomeCache
from hearth.fleet._nats import connect, ensure_streams
from hearth.fleet._partition import Partition, adopt, commit_prepared, note_published, published_marks, run_batch
from hearth.fleet._publisher import Publisher
from hearth.fleet._subjects import DEFAULT_PARTITIONS

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class WorkerConfig:
    """How to run a worker."""

    nats_url: str
    pg_url: str
    worker_id: str = ""
    partitions: int = DEFAULT_PARTITIONS
    lease_ttl: float = 3.0
    heartbeat: float = 0.5
    batch: int = 2000
    copilot: bool = True


class Worker:
    """Runs until cancelled: `await Worker(config).run()`."""

    def __init__(self, config: WorkerConfig) -> None:
        self.config = config
        self.id = config.worker_id or f"w-{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:6]}"
        self.parts: dict[int, Partition] = {}
        self.started = asyncio.Event()
        self._wanted: set[int] | None = None
        self._changed = asyncio.Event()
        self._consuming: frozenset[int] = frozenset()
        self._homes: HomeCache | None = None

    async def run(self) -> None:
        """Connect, then keep leases and the partitions' consumer in step with the roster until cancelled."""
        gc.set_threshold(50_000, 50, 100)  # many long-lived rule objects: fewer, cheaper collections
        cfg = self.config
        nc = RawClient()
        await connect(cfg.nats_url, f"hearth-worker {self.id}", nc)
        try:
            async with open_db(cfg.pg_url) as db, Publisher(nc) as publisher, asyncio.TaskGroup() as tasks:
                count = await db.setup_partitions(cfg.partitions)
                js = nc.jetstream()
                await ensure_streams(js, count)
                homes = self._homes = HomeCache(db)
                consumer = IngressConsumer(nc, js, cfg.batch)
                if cfg.copilot:
                    from hearth.fleet._copilot import serve_copilot

                    tasks.create_task(serve_copilot(nc, db), name="copilot")
                leases = tasks.create_task(self._lease_loop(db, count), name="leases")
                try:
                    await self._serve(consumer, db, homes, publisher)
                finally:
                    leases.cancel()
                    with contextlib.suppress(Exception):
                        await consumer.close()
                    with contextlib.suppress(Exception):  # best effort: unreleased leases lapse on their own
                        for part in self.parts.values():
                            await db.release(part.number, self.id, part.epoch)
                        await db.leave(self.id)
        finally:
            await nc.close()

    async def _lease_loop(self, db: FleetDb, count: int) -> None:
        cfg = self.config
        while True:
            try:
                await self._keep_leases(db, count)
            except TRANSIENT as exc:  # PostgreSQL restarting: leases may lapse; commits then say so (Fenced)
                log.warning("%s could not renew its leases: %s", self.id, exc)
                db.renew_connections()
            await asyncio.sleep(cfg.heartbeat)

    async def _keep_leases(self, db: FleetDb, count: int) -> None:
        """Heartbeat, renew held leases, give up unwanted partitions and claim wanted free ones."""
        cfg = self.config
        await db.heartbeat(self.id, socket.gethostname(), os.getpid(), self.stats())
        held = await db.renew(self.id, {p: part.epoch for p, part in self.parts.items() if not part.lost},
                              cfg.lease_ttl)
        for p, part in self.parts.items():
            if not part.lost and p not in held:
                log.warning("%s lost the lease on partition %d", self.id, p)
                part.lost = True
                self._changed.set()
        live = await db.live_workers(cfg.lease_ttl)
        if self.id not in live:
            live = sorted([*live, self.id])
        index, n = live.index(self.id), len(live)
        wanted = {p for p in range(count) if p % n == index}
        for p, part in self.parts.items():
            if part.unwanted != (p not in wanted):
                part.unwanted = p not in wanted  # given up after the batch in hand is committed
                self._changed.set()
        missing = [p for p in wanted if p not in self.parts]
        for number, epoch, offset, watermark in await db.claim(missing, self.id, cfg.lease_ttl) if missing else []:
            self.parts[number] = Partition(number, epoch, offset, watermark)
            self._changed.set()
        if wanted != self._wanted:
            self._wanted = wanted
            self._changed.set()

    async def _serve(self, consumer: IngressConsumer, db: FleetDb, homes: HomeCache, publisher: Publisher) -> None:
        """Serve until cancelled; while PostgreSQL is unreachable, wait and then reload from what it committed."""
        pause = 0.25
        while True:
            try:
                await self._serve_batches(consumer, db, homes, publisher)
            except TRANSIENT as exc:
                log.warning("%s lost PostgreSQL (%s); reloading from the last commit in %.1fs", self.id, exc, pause)
                db.renew_connections()
                await asyncio.sleep(pause)
                pause = min(pause * 2, 5.0)
                with contextlib.suppress(Exception):
                    await consumer.close()
                with contextlib.suppress(*TRANSIENT):
                    await self._reload(db, homes)
                    pause = 0.25

    async def _serve_batches(self, consumer: IngressConsumer, db: FleetDb, homes: HomeCache,
                             publisher: Publisher) -> None:
        """Read, run and commit batches; a batch runs while the one before it is being committed."""
        commit: asyncio.Task[int] | None = None
        try:
            while True:
                await publisher.resend_stale()  # commands whose acknowledgement was lost go again, same ids
                if self._changed.is_set():
                    if commit is not None:
                        await self._committed(commit, consumer, db, homes)
                        commit = None
                    await self._reconfigure(consumer, db, homes, publisher)
                if not self._consuming:
                    await self._idle(db, publisher)
                    continue
                delivered = await consumer.take(0.05)
                prepared = await run_batch(delivered, self.parts, homes, publisher) if delivered else None
                if commit is not None:
                    ok = await self._committed(commit, consumer, db, homes)
                    commit = None
                    if not ok:
                        continue  # refused: `prepared` ran on homes that were just reloaded; it is dropped
                if prepared is None:
                    await self._idle(db, publisher, wait=False)
                else:
                    commit = asyncio.create_task(commit_prepared(prepared, self.parts, self.id, db, publisher))
        finally:
            if commit is not None:
                with contextlib.suppress(Exception):
                    await commit  # a stopping worker still stores the batch it has run

    async def _committed(self, commit: asyncio.Task[int], consumer: IngressConsumer, db: FleetDb,
                         homes: HomeCache) -> bool:
        """Wait for a commit; False if a lease had moved (the worker then reloads what it still owns)."""
        try:
            await commit
            return True
        except Fenced as exc:
            log.warning("%s", exc)
            await consumer.close()
            await self._reload(db, homes)
            return False

    async def _idle(self, db: FleetDb, publisher: Publisher, wait: bool = True) -> None:
        marks = published_marks(self.parts, publisher.take_acked())
        if marks:
            await db.commit_batch(self.id, [], [], [], [], marks)
            note_published(self.parts, marks)
        if wait:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._changed.wait(), self.config.heartbeat)

    async def _reconfigure(self, consumer: IngressConsumer, db: FleetDb, homes: HomeCache,
                           publisher: Publisher) -> None:
        """Between batches: drop lost partitions, release unwanted ones, adopt new ones, re-open the consumer."""
        self._changed.clear()
        for p, part in list(self.parts.items()):
            if part.lost or part.unwanted:
                if not part.lost:
                    await db.release(p, self.id, part.epoch)
                del self.parts[p]
                await homes.evict(p)
            elif not part.adopted:
                await adopt(part, db, homes, publisher)
        serving = frozenset(p for p, part in self.parts.items() if part.serving)
        if serving != self._consuming:
            await consumer.open({p: self.parts[p].offset for p in serving})
            self._consuming = serving
        if self._wanted is not None and self._wanted <= serving:
            self.started.set()

    async def _reload(self, db: FleetDb, homes: HomeCache) -> None:
        """After a refused commit: every home in memory is ahead of the database; reload what is still ours."""
        owned = await db.owned(self.id)
        for p, part in list(self.parts.items()):
            await homes.evict(p)
            row = owned.get(p)
            if row is None or row[0] != part.epoch:
                del self.parts[p]
                continue
            part.rewind(row[1], row[2])
            part.adopted = False
        self._consuming = frozenset()
        self._changed.set()

    def stats(self) -> dict[str, Any]:
        """Counters for `hearth fleet status`."""
        parts = list(self.parts.values())
        homes = self._homes
        return {"partitions": sorted(p.number for p in parts), "homes": len(homes.runtimes) if homes else 0,
                "events": sum(p.stats.events for p in parts), "commands": sum(p.stats.commands for p in parts),
                "bad": sum(p.stats.bad for p in parts), "unknown_homes": homes.unknown if homes else 0}
