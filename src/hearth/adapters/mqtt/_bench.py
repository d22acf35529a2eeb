"""MQTT ingest throughput: messages per second from a real broker into the state store."""

from __future__ import annotations

import asyncio
import json
import os
import tempfile
import time
from pathlib import Path
from typing import Any

import aiomqtt

from hearth.adapters.mqtt._adapter import MqttAdapter
from hearth.adapters.mqtt._broker import LocalMosquitto
from hearth.adapters.mqtt._connection import MqttConnection, MqttSettings
from hearth.core import StateChanged, SystemClock
from hearth.hub import build_core
from hearth.model import parse_home

_MOSQUITTO_PUB = os.environ.get("HEARTH_MOSQUITTO_PUB", "/usr/bin/mosquitto_pub")


async def bench_mqtt_ingest(messages: int = 20_000, sensors: int = 100) -> dict[str, Any]:
    """Start a private Mosquitto, discover `sensors` HA sensors, publish `messages` readings; report msgs/s."""
    with tempfile.TemporaryDirectory() as folder:
        broker = LocalMosquitto(Path(folder))
        broker.start()
        try:
            return await _measure(broker.port, messages, sensors)
        finally:
            broker.stop()


async def _measure(port: int, messages: int, sensors: int) -> dict[str, Any]:
    clock = SystemClock()
    bus, state, _ = build_core(parse_home("{}"), clock)
    conn = MqttConnection(MqttSettings(host="127.0.0.1", port=port))
    adapter = MqttAdapter(conn, state, clock, bus, z2m_base=None)
    adapter.start()
    applied = [0]
    done = asyncio.Event()

    def count(_: StateChanged) -> None:
        applied[0] += 1
        if applied[0] >= messages:
            done.set()

    ready = asyncio.Event()
    adapter.listen(lambda devices: ready.set() if len(devices) >= sensors else None)
    async with asyncio.TaskGroup() as tasks:
        runner = tasks.create_task(conn.run())
        async with aiomqtt.Client("127.0.0.1", port) as outside:
            for i in range(sensors):
                config = {"uniq_id": f"s{i}", "stat_t": f"bench/s{i}", "unit_of_meas": "W"}
                await outside.publish(f"homeassistant/sensor/s{i}/config", json.dumps(config), qos=1, retain=True)
            async with asyncio.timeout(30):
                await ready.wait()
            await conn.wait_connected()
            # Wait until the last state topic is subscribed: a retained marker comes back through it.
            marker = asyncio.Event()
            conn.subscribe(f"bench/s{sensors - 1}", lambda t, p, r: marker.set())
            await outside.publish(f"bench/s{sensors - 1}", "-1", qos=1, retain=True)
            async with asyncio.timeout(30):
                await marker.wait()
            bus.subscribe(StateChanged, count)
            # Separate publisher processes, so the figure is Hearth's ingest and not this loop's publishing.
            writers = min(sensors, 4)
            start = time.perf_counter()
            procs = [await asyncio.create_subprocess_exec(
                _MOSQUITTO_PUB, "-h", "127.0.0.1", "-p", str(port), "-t", f"bench/s{k}", "-l",
                stdin=asyncio.subprocess.PIPE) for k in range(writers)]
            for k, proc in enumerate(procs):
                assert proc.stdin is not None
                proc.stdin.write("".join(f"{i}\n" for i in range(k, messages, writers)).encode())
                await proc.stdin.drain()
                proc.stdin.close()
            async with asyncio.timeout(60):
                await done.wait()
            for proc in procs:
                await proc.wait()
            elapsed = time.perf_counter() - start
        runner.cancel()
    return {"mqtt_ingest_msgs_per_s": round(messages / elapsed), "mqtt_ingest_messages": messages,
            "mqtt_ingest_dropped": adapter.registry.dropped}
