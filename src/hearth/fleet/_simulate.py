"""`hearth fleet simulate`: register synthetic homes, publish their readings at a paced rate, wait until the
workers have committed everything, then check every home's commands against the single-process oracle."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import orjson

from hearth.automation import parse_rules
from hearth.fleet._consumer import RawClient
from hearth.fleet._db import FleetDb, open_db
from hearth.fleet._messages import Reading, encode
from hearth.fleet._nats import FleetError, connect, ensure_streams
from hearth.fleet._oracle import command_key, compare, run_oracle
from hearth.fleet._publisher import Publisher
from hearth.fleet._rawpub import RawPublisher, frame
from hearth.fleet._subjects import DEFAULT_PARTITIONS, INGRESS_STREAM, ingress_subject, partition_of
from hearth.fleet._synthetic import RULES_YAML, TEMPLATE, SyntheticFleet, home_yaml
from hearth.model import parse_home

Progress = Callable[[int, int], Awaitable[None] | None]


@dataclass(frozen=True, slots=True)
class SimulationConfig:
    """What to simulate."""

    homes: int = 100
    devices_per_home: int = 5
    rate: float = 1000.0
    events: int = 10_000
    seed: int = 1
    partitions: int = DEFAULT_PARTITIONS
    check: bool = True
    timeout: float = 120.0
    warm: bool = False  # load every home into a worker first; the timed run is then the steady state
    latency: bool = True  # subscribe to the commands to time them (a throughput run can leave that out)


async def simulate(nats_url: str, pg_url: str, config: SimulationConfig, progress: Progress | None = None,
                   on_start: Callable[[], None] | None = None) -> dict[str, Any]:
    """Run one simulation against running workers; returns figures and the oracle verdict. `on_start` is called
    just before the timed part (after the warm-up)."""
    prefix = f"s{uuid.uuid4().hex[:6]}-"
    fleet = SyntheticFleet(config.homes, config.devices_per_home, config.seed, prefix=prefix)
    warm = fleet.warm_up() if config.warm else []
    readings = list(fleet.readings(config.events))
    nc = RawClient()
    await connect(nats_url, "hearth-simulate", nc)
    try:
        async with open_db(pg_url) as db:
            count = await db.setup_partitions(config.partitions)
            js = nc.jetstream()
            await ensure_streams(js, count)
            await db.put_template(TEMPLATE, home_yaml(fleet.devices_per_home), RULES_YAML)
            await db.add_homes(fleet.homes, TEMPLATE)
            baseline = {row["partition"]: row["events"] for row in await db.leases()}
            sent_at: dict[str, float] = {}
            latencies: list[float] = []

            def on_command(subject: bytes, reply: bytes, data: bytes, headers: bytes | None) -> None:
                start = sent_at.get(orjson.loads(data)["id"].split(".", 1)[0])
                if start is not None:
                    latencies.append(time.perf_counter() - start)

            figures: dict[str, Any] = {"homes": config.homes}
            if warm:
                began = time.perf_counter()
                marks, _ = await _publish(nats_url, nc, warm, config.rate, count, {}, None, {}, None)
                await _wait_committed(db, marks, config.timeout)
                figures["warm_s"] = round(time.perf_counter() - began, 3)
                figures["homes_loaded_per_s"] = round(len(warm) / (time.perf_counter() - began), 1)
                baseline = {row["partition"]: row["events"] for row in await db.leases()}
            sub = await nc.raw_subscribe("hearth.*.cmd.>", on_command) if config.latency else None
            if on_start is not None:
                on_start()
            began = time.perf_counter()
            last_seq, lag = await _publish(nats_url, nc, readings, config.rate, count, sent_at, db, baseline,
                                           progress)
            published = time.perf_counter()
            await _wait_committed(db, last_seq, config.timeout)
            done = time.perf_counter()
            if sub is not None:
                await sub.unsubscribe()
            figures.update({
                "events": len(readings), "partitions": count,
                "publish_s": round(published - began, 3), "total_s": round(done - began, 3),
                "events_per_s": round(len(readings) / (done - began), 1),
                "max_lag_events": max(lag, default=0),
                "p50_latency_ms": _percentile(latencies, 0.50), "p99_latency_ms": _percentile(latencies, 0.99),
            })
            if config.check:
                figures["oracle"] = (await check_against_oracle(db, fleet, warm + readings)).to_json()
            return figures
    finally:
        await nc.close()


async def check_against_oracle(db: FleetDb, fleet: SyntheticFleet, readings: list[Reading]) -> Any:
    """Compare the audited commands of the fleet's homes with the single-process engine's."""
    home = parse_home(home_yaml(fleet.devices_per_home), "synthetic")
    expected = await run_oracle(readings, home, parse_rules(RULES_YAML, home, "synthetic rules"))
    stored = await db.commands_by_home(fleet.homes)
    actual = {h: [command_key(c.time, c.device, c.service, c.target, c.value) for c in cs] for h, cs in stored.items()}
    return compare(expected, actual)


async def _publish(nats_url: str, nc: Any, readings: list[Reading], rate: float, partitions: int,
                   sent_at: dict[str, float], db: FleetDb | None, baseline: dict[int, int],
                   progress: Progress | None) -> tuple[dict[int, int], list[int]]:
    """Send readings as devices do: core publishes written in paced chunks on a connection of their own. The last
    message of each partition goes last, asking for an acknowledgement: its stream sequence tells when the
    workers are done (a PING answered first makes sure it is stored after the rest). Then every message is
    checked to have been stored."""
    # Devices bring their own bytes: encoding happens before the clock starts, so the publisher measures NATS.
    parts = [partition_of(r.home, partitions) for r in readings]
    finals = sorted({part: n for n, part in enumerate(parts)}.values())
    last = set(finals)
    frames = [b"" if n in last else frame(ingress_subject(r.home), encode(r)) for n, r in enumerate(readings)]
    js = nc.jetstream()
    before = (await js.stream_info(INGRESS_STREAM)).state.last_seq
    lag: list[int] = []
    chunk = max(1, min(2000, int(rate / 50)))
    async with RawPublisher(nats_url) as raw, Publisher(nc) as publisher:
        began = time.perf_counter()
        next_sample = began
        for start in range(0, len(readings), chunk):
            end = min(start + chunk, len(readings))
            now = time.perf_counter()
            raw.write(b"".join(frames[start:end]))
            for n in range(start, end):
                sent_at[readings[n].id] = now
            await raw.drain()
            if progress is not None:
                result = progress(end, len(readings))
                if result is not None:
                    await result
            now = time.perf_counter()
            if db is not None and now >= next_sample:
                next_sample = now + 0.25
                processed = sum(r["events"] - baseline.get(r["partition"], 0) for r in await db.leases())
                lag.append(max(0, end - processed))
            await asyncio.sleep(max(0.0, began + end / rate - now))
        await raw.flush()
        for n in finals:
            sent_at[readings[n].id] = time.perf_counter()
            await publisher.publish(ingress_subject(readings[n].home), encode(readings[n]), parts[n],
                                    f"{readings[n].home}/{readings[n].id}")
        await publisher.flush()
    if publisher.errors:
        raise FleetError(f"{len(publisher.errors)} readings were not stored: {publisher.errors[0]}")
    stored = (await js.stream_info(INGRESS_STREAM)).state.last_seq - before
    if stored < len(readings):
        raise FleetError(f"JetStream stored {stored} of {len(readings)} readings")
    return publisher.last_seq, lag


async def _wait_committed(db: FleetDb, last_seq: dict[int, int], limit: float) -> None:
    deadline = time.perf_counter() + limit
    while True:
        rows = {r["partition"]: r["committed"] for r in await db.leases()}
        behind = {p: seq - rows.get(p, 0) for p, seq in last_seq.items() if rows.get(p, 0) < seq}
        if not behind:
            return
        if time.perf_counter() > deadline:
            raise FleetError(f"workers did not catch up within {limit:g}s (partitions behind: {sorted(behind)[:8]})")
        await asyncio.sleep(0.05)  # polling the committed offsets in the database: the workers' only signal


def _percentile(values: list[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000, 2)
