"""`bench_fleet`: end-to-end events/s with 1 and 2 workers, latency under a paced load, lag, worker CPU and
memory per active home, and failover time, on a private NATS server and a throwaway PostgreSQL database.

Each run first loads its homes into the workers (one tick per home; `homes_loaded_per_s` is that cold start),
then times the steady state a long-running fleet is in: its active homes are hot."""

from __future__ import annotations

import asyncio
import functools
import os
import time
from typing import Any

from hearth.fleet._db import open_db
from hearth.fleet._local import local_workers
from hearth.fleet._nats import run_nats_server
from hearth.fleet._pgtest import throwaway_database
from hearth.fleet._simulate import SimulationConfig, simulate


def _cpu_s(pid: int) -> float:
    with open(f"/proc/{pid}/stat", encoding="ascii") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _snapshot(pids: list[int], into: list[float]) -> None:
    into[:] = [_cpu_s(p) for p in pids]


def _rss_bytes(pid: int) -> int:
    with open(f"/proc/{pid}/status", encoding="ascii") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    return 0


async def bench_fleet_async(homes: int = 10_000, events: int = 60_000, rate: float = 100_000.0,
                            partitions: int = 32, workers: tuple[int, ...] = (1, 2), latency_rate: float = 2_000.0,
                            check: bool = False, failover: bool = True, devices_per_home: int = 9,
                            rounds: int = 3) -> dict[str, Any]:
    """Measure the fleet; every server and worker it starts is stopped before it returns. Throughput is the best
    of `rounds` timed runs per worker count (each with its own freshly warmed homes); all are in `rounds`."""
    report: dict[str, Any] = {"homes": homes, "devices_per_home": devices_per_home, "events": events,
                              "partitions": partitions}
    for count in workers:
        async with run_nats_server() as server, throwaway_database() as pg, \
                local_workers(server.url, pg, partitions, count) as pool:
            pids = [w.pid for w in pool.workers]
            rss = [_rss_bytes(p) for p in pids]
            runs = []
            for _ in range(max(1, rounds)):
                cpu: list[float] = []
                run = await simulate(server.url, pg, SimulationConfig(
                    homes, devices_per_home, rate, events, 1, partitions, check, warm=True, latency=False),
                    on_start=functools.partial(_snapshot, pids, cpu))
                used = sum(_cpu_s(p) - c for p, c in zip(pids, cpu, strict=True))
                run["worker_cpu_s"] = round(used, 2)
                run["events_per_worker_cpu_s"] = round(run["events"] / used) if used else None
                runs.append(run)
            figures = dict(max(runs, key=lambda r: r["events_per_s"]))
            figures["rounds"] = [r["events_per_s"] for r in runs]
            loaded = homes * len(runs)
            figures["bytes_per_home"] = round(sum(_rss_bytes(p) - r for p, r in zip(pids, rss, strict=True)) / loaded)
            if count == 1 and latency_rate:
                paced = await simulate(server.url, pg, SimulationConfig(
                    homes, devices_per_home, latency_rate, int(latency_rate * 10), 2, partitions, False, warm=True))
                figures["paced"] = {k: paced[k] for k in ("events", "events_per_s", "max_lag_events",
                                                          "p50_latency_ms", "p99_latency_ms")}
                figures["paced"]["rate"] = latency_rate
            report[f"workers_{count}"] = figures
    one, two = report.get("workers_1"), report.get("workers_2")
    if one and two:
        report["speedup_2_workers"] = round(two["events_per_s"] / one["events_per_s"], 2)
    if failover:
        report["failover_s"] = await measure_failover(partitions)
    return report


async def measure_failover(partitions: int = 16, lease_ttl: float = 2.0, heartbeat: float = 0.25,
                           limit: float = 60.0) -> float:
    """Seconds from SIGKILL of one of two workers until every partition has a live owner again."""
    async with run_nats_server() as server, throwaway_database() as pg, \
            local_workers(server.url, pg, partitions, 2, lease_ttl, heartbeat) as pool, open_db(pg, size=2) as db, \
            asyncio.timeout(limit):
        while len({r["owner"] for r in await db.leases() if r["owner"]}) < 2:  # noqa: ASYNC110
            await asyncio.sleep(0.05)  # the lease table is the only signal of who holds what
        victim = pool.workers[0]
        killed = time.perf_counter()
        victim.kill()
        while True:
            owners = [r["owner"] for r in await db.leases()]
            if all(o is not None and o != victim.id for o in owners):
                return round(time.perf_counter() - killed, 2)
            await asyncio.sleep(0.02)


def bench_fleet(**options: Any) -> dict[str, Any]:
    """Run the fleet bench (blocking); see `bench_fleet_async` for the options."""
    return asyncio.run(bench_fleet_async(**options))
