"""The MQTT ingest benchmark runs end to end on a small load (speed targets live in `hearth bench`)."""

from __future__ import annotations

from hearth.adapters.mqtt import bench_mqtt_ingest


async def test_ingest_benchmark_counts_every_message() -> None:
    figures = await bench_mqtt_ingest(messages=400, sensors=5)
    assert figures["mqtt_ingest_messages"] == 400 and figures["mqtt_ingest_dropped"] == 0
    assert figures["mqtt_ingest_msgs_per_s"] > 0
