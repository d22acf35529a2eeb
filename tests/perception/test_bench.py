from __future__ import annotations

from hearth.perception._bench import bench_perception


def test_quick_bench_reports_every_figure() -> None:
    result = bench_perception(quick=True, seconds=60)
    assert result["frames"] == 300 and result["gate_fps"] > 0
    assert 0 < result["vlm_calls"] < result["vlm_calls_fixed_2s"]
    assert result["vlm_share"] < result["detector_share"] <= result["gate_share"] < 1
    assert 0 < result["detector_p50_ms"] <= result["detector_p99_ms"]
