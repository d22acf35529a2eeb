"""`hearth fleet status`: partitions with owners, lag and commands awaiting the command stream, workers with hot
homes and rates."""

from __future__ import annotations

import time
from typing import Any

from nats.js.errors import NotFoundError

from hearth.fleet._db import open_db
from hearth.fleet._nats import connect
from hearth.fleet._subjects import INGRESS_STREAM


async def fleet_status(nats_url: str, pg_url: str) -> dict[str, Any]:
    """A snapshot of the fleet; rates are measured over a one-second window."""
    nc = await connect(nats_url, "hearth-status")
    try:
        js = nc.jetstream()
        async with open_db(pg_url, size=2) as db:
            first = {w["id"]: (w["stats"].get("events", 0), time.perf_counter()) for w in await db.workers()}
            parts = await db.leases()
            unpublished = await db.unpublished_counts()
            lag_total = 0
            for row in parts:
                try:
                    info = await js.consumer_info(INGRESS_STREAM, f"part-{row['partition']}")
                    row["lag"] = int(info.num_pending or 0)
                except NotFoundError:
                    row["lag"] = 0
                lag_total += row["lag"]
                row["unpublished"] = unpublished.get(row["partition"], 0)
            await _pause(1.0)
            workers = []
            for w in await db.workers():
                stats = w["stats"]
                before, at = first.get(w["id"], (stats.get("events", 0), time.perf_counter()))
                elapsed = max(1e-3, time.perf_counter() - at)
                workers.append({"id": w["id"], "pid": w["pid"], "host": w["host"], "age": float(w["age"]),
                                "partitions": stats.get("partitions", []), "homes": stats.get("homes", 0),
                                "events": stats.get("events", 0), "commands": stats.get("commands", 0),
                                "rate": max(0.0, (stats.get("events", 0) - before) / elapsed)})
            return {"homes": await db.home_count(), "partitions": len(parts), "lag": lag_total,
                    "unpublished": sum(unpublished.values()), "workers": workers, "partition_rows": parts}
    finally:
        await nc.close()


async def _pause(seconds: float) -> None:
    import asyncio

    await asyncio.sleep(seconds)  # the rate window: two samples one second apart
