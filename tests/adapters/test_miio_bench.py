"""The miIO round-trip benchmark runs end to end on a small load (speed targets live in `hearth bench`)."""

from __future__ import annotations

from hearth.adapters.miio import bench_miio


async def test_round_trip_benchmark() -> None:
    figures = await bench_miio(round_trips=50)
    assert figures["miio_round_trips"] == 50 and figures["miio_round_trips_per_s"] > 0
