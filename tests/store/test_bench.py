from __future__ import annotations

from hearth.store._bench import bench_persistence


def test_bench_reports_a_rate_for_every_change_it_persisted() -> None:
    result = bench_persistence(2_000)
    assert result["changes"] == 2_000 and result["changes_per_s"] > 0
    assert result["batches"] >= 1 and result["db_bytes"] > 0
