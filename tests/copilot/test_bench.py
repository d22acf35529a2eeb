"""The copilot benchmark runs and reports its figures (speed targets live in `hearth bench`, not here)."""

from __future__ import annotations

from hearth.copilot._bench import bench_copilot, big_home


def test_bench_reports_figures() -> None:
    figures = bench_copilot(20, devices=100)
    assert figures["utterances"] == 20
    assert figures["utterances_per_s"] > 0 and figures["p99_ms"] >= figures["p50_ms"] > 0


def test_big_home_has_the_devices_asked_for() -> None:
    home = big_home(120)
    assert sum(1 for d in home.devices.values() if d.type != "person") == 120
