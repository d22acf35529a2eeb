"""How many state changes per second reach the database: apply through StateStore, then flush."""

from __future__ import annotations

import tempfile
import time
from pathlib import Path
from typing import Any

from hearth.core import Bus, StateStore, SystemClock
from hearth.model import Value
from hearth.store._sqlite import SqliteStore

KEYS = 2000


def _values(n: int) -> list[tuple[str, str, str, Value]]:
    """n changes over KEYS properties of mixed types; consecutive values of one property always differ."""
    out: list[tuple[str, str, str, Value]] = []
    for i in range(n):
        k = i % KEYS
        device, lap = f"dev{k // 4}", i // KEYS
        kind = k % 4
        value: Value = (lap % 2 == 0 if kind == 0 else lap if kind == 1 else lap + 0.5 if kind == 2 else f"mode-{lap}")
        out.append((device, "svc", f"p{kind}", value))
    return out


def bench_persistence(n: int) -> dict[str, Any]:
    """Persisted changes per second for n changes applied through the state store, flush included."""
    changes = _values(n)
    with tempfile.TemporaryDirectory(prefix="hearth-bench-") as tmp:
        path = Path(tmp) / "bench.db"
        bus = Bus()
        state = StateStore(bus, SystemClock(), history_len=16)
        with SqliteStore(path) as store:
            store.attach(bus)
            apply = state.apply
            start, cpu_start = time.perf_counter(), time.process_time()
            for device, service, prop, value in changes:
                apply(device, service, prop, value)
            applied = time.perf_counter() - start
            store.flush()
            elapsed = time.perf_counter() - start
            cpu = time.process_time() - cpu_start
            stats = store.stats()
        size = path.stat().st_size + sum(p.stat().st_size for p in Path(tmp).glob("bench.db-*"))
    return {
        "changes": n,
        "changes_per_s": round(n / elapsed),
        # CPU seconds of all threads: on a busy machine this says more about the code than wall time does
        "cpu_changes_per_s": round(n / cpu) if cpu > 0 else None,
        "apply_s": round(applied, 4),
        "total_s": round(elapsed, 4),
        "batches": stats.batches,
        "backpressure_waits": stats.backpressure_waits,
        "db_bytes": size,
    }
