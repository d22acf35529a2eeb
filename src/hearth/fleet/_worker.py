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

from hearth.fleet._db import Fenced, FleetDb, open_db
from hearth.fleet._homes import HomeCache
from hearth.fleet._nats import connect, ensure_streams
from hearth.fleet._partition import Partition, run_partition
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
    batch: int = 500
    copilot: bool = True


class Worker:
    """Runs until cancelled: `await Worker(config).run()`."""

    def __init__(self, config: WorkerConfig) -> None:
        self.config = config
        self.id = config.worker_id or f"w-{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:6]}"
        self.parts: dict[int, tuple[Partition, asyncio.Task[None]]] = {}
        self.started = asyncio.Event()

    async def run(self) -> None:
        """Connect, then keep leases and partitions in step with the roster until cancelled."""
        gc.set_threshold(50_000, 50, 100)  # many long-lived rule objects: fewer, cheaper collections
        cfg = self.config
        nc = await connect(cfg.nats_url, f"hearth-worker {self.id}")
        try:
            async with open_db(cfg.pg_url) as db, asyncio.TaskGroup() as tasks:
                count = await db.setup_partitions(cfg.partitions)
                js = nc.jetstream()
                await ensure_streams(js, count)
                homes = HomeCache(db)
                if cfg.copilot:
                    from hearth.fleet._copilot import serve_copilot

                    tasks.create_task(serve_copilot(nc, db), name="copilot")
                try:
                    await self._lease_loop(db, js, homes, tasks, count)
                finally:
                    for part, task in self.parts.values():
                        task.cancel()
                        await db.release(part.number, self.id, part.epoch)
                    with contextlib.suppress(Exception):
                        await db.leave(self.id)
        finally:
            await nc.close()

    async def _lease_loop(self, db: FleetDb, js: Any, homes: HomeCache, tasks: asyncio.TaskGroup, count: int) -> None:
        cfg = self.config
        while True:
            await db.heartbeat(self.id, socket.gethostname(), os.getpid(), self.stats(homes))
            self._reap()
            held = await db.renew(self.id, {p: part.epoch for p, (part, _) in self.parts.items()}, cfg.lease_ttl)
            for p in [p for p in self.parts if p not in held]:
                log.warning("%s lost the lease on partition %d", self.id, p)
                self.parts.pop(p)[1].cancel()
            live = await db.live_workers(cfg.lease_ttl)
            if self.id not in live:
                live = sorted([*live, self.id])
            index, n = live.index(self.id), len(live)
            wanted = {p for p in range(count) if p % n == index}
            for p in [p for p in self.parts if p not in wanted]:
                part, _task = self.parts[p]
                part.stopping = True  # let it finish its batch and commit; released once it has stopped
            missing = [p for p in wanted if p not in self.parts]
            for number, epoch, offset, watermark in await db.claim(missing, self.id, cfg.lease_ttl) if missing else []:
                part = Partition(number, epoch, offset, watermark)
                task = tasks.create_task(self._serve(part, js, db, homes), name=f"partition {number}")
                self.parts[number] = (part, task)
            if len(self.parts) == len(wanted) and all(p in self.parts for p in wanted):
                self.started.set()
            await asyncio.sleep(cfg.heartbeat)

    async def _serve(self, part: Partition, js: Any, db: FleetDb, homes: HomeCache) -> None:
        try:
            await run_partition(part, self.id, js, db, homes, self.config.batch)
        except Fenced as exc:
            log.warning("%s", exc)
            return
        except Exception:  # a failing partition is released and retried, never takes the worker down
            log.exception("partition %d failed", part.number)
        await db.release(part.number, self.id, part.epoch)

    def _reap(self) -> None:
        for p in [p for p, (_, task) in self.parts.items() if task.done()]:
            self.parts.pop(p)

    def stats(self, homes: HomeCache) -> dict[str, Any]:
        """Counters for `hearth fleet status`."""
        parts = [part for part, _ in self.parts.values()]
        return {"partitions": sorted(p.number for p in parts), "homes": len(homes.runtimes),
                "events": sum(p.stats.events for p in parts), "commands": sum(p.stats.commands for p in parts),
                "bad": sum(p.stats.bad for p in parts), "unknown_homes": homes.unknown}
