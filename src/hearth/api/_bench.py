"""API speed: REST command round trip and WebSocket fan-out, against a real hub serving on loopback.

`bench_api()` starts the demo hub with its HTTP server on a free loopback port. The round trip is measured
by a client in a thread of its own (keep-alive, after a warm-up); fan-out by 100 WebSocket subscribers in
separate processes (`python -m hearth.api._bench clients …`) while the hub applies state changes at a target
rate, so the clients' own parsing does not compete with the hub for one interpreter.
"""

from __future__ import annotations

import asyncio
import json
import socket
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
import websockets

from hearth.hub import Hub, HubConfig, load_home_or_demo, open_hub

SUBSCRIBERS = 100
RATE = 10_000.0
END = ("kitchen_light", "light", "on")  # the change that tells the clients the run is over
CHANGING = ("living_climate", "environment", "temperature")


def _percentile(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def _round_trips(url: str, token: str, n: int, warmup: int) -> list[float]:
    headers = {"Authorization": f"Bearer {token}"}
    samples = []
    # Without TCP_NODELAY the body waits behind the headers for the server's delayed ACK (~40 ms on Linux).
    transport = httpx.HTTPTransport(socket_options=[(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)])
    with httpx.Client(base_url=url, headers=headers, timeout=10, transport=transport) as client:
        for i in range(warmup + n):
            body = {"device": "living_floor_lamp", "service": "light", "property": "brightness",
                    "value": 1 + i % 100}
            started = time.perf_counter()
            response = client.post("/api/commands", json=body)
            elapsed = time.perf_counter() - started
            if response.status_code != 200:
                raise RuntimeError(f"command failed: {response.status_code} {response.text[:200]}")
            if i >= warmup:
                samples.append(elapsed * 1000)
    return samples


async def _publish(hub: Hub, rate: float, seconds: float) -> tuple[int, float]:
    """Apply changes at `rate` per second for `seconds`, in small steps; returns (changes, elapsed)."""
    device, service, prop = CHANGING
    apply = hub.state.apply
    done = 0
    started = time.perf_counter()
    while True:
        elapsed = time.perf_counter() - started
        if elapsed >= seconds:
            break
        due = min(int(elapsed * rate) + 1, int(seconds * rate))
        while done < due:
            done += 1
            apply(device, service, prop, 10 + (done % 2000) / 100)
        await asyncio.sleep(0.001)
    return done, time.perf_counter() - started


async def _fan_out(hub: Hub, url: str, token: str, clients: int, rate: float, seconds: float) -> dict[str, Any]:
    ws_url = url.replace("http://", "ws://") + f"/api/ws?token={token}"
    procs = []
    per_proc = [clients // 2 + clients % 2, clients // 2] if clients > 1 else [clients]
    for count in per_proc:
        procs.append(await asyncio.create_subprocess_exec(
            sys.executable, "-m", "hearth.api._bench", "clients", ws_url, str(count),
            stdout=asyncio.subprocess.PIPE))
    for proc in procs:
        assert proc.stdout is not None
        ready = await asyncio.wait_for(proc.stdout.readline(), 60)
        if not ready.startswith(b"ready"):
            raise RuntimeError(f"subscribers did not start: {ready!r}")
    changes, elapsed = await _publish(hub, rate, seconds)
    await asyncio.sleep(0.05)
    hub.state.apply(*END, not hub.state.get(*END))
    results: list[dict[str, Any]] = []
    for proc in procs:
        assert proc.stdout is not None
        out, _ = await asyncio.wait_for(proc.communicate(), 120)
        results.extend(json.loads(out.decode().strip().splitlines()[-1]))
    received = [r["received"] for r in results]
    rates = [r["received"] / r["seconds"] for r in results if r["seconds"] > 0]
    return {
        "subscribers": clients,
        "target_changes_per_s": rate,
        "changes": changes,
        "applied_changes_per_s": round(changes / elapsed),
        "delivered_min": min(received),
        "delivered_mean": round(statistics.fmean(received)),
        "delivered_per_s_per_client_min": round(min(rates)) if rates else 0,
        "delivered_per_s_per_client_mean": round(statistics.fmean(rates)) if rates else 0,
        "delivered_per_s_total": round(sum(rates)),
        "complete_clients": sum(1 for r in received if r >= changes),
        "dropped": sum(1 for r in results if r["closed"] == 1013),
        "disconnected": sum(1 for r in results if r["closed"] not in (None, 1013)),
    }


async def _bench(requests: int, seconds: float, clients: int, rate: float) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="hearth-bench-api-") as tmp:
        config = HubConfig(load_home_or_demo(None), simulate=False, http_host="127.0.0.1", http_port=0,
                           data_dir=Path(tmp))
        async with open_hub(config) as hub:
            users = hub.services["users"]
            users.add("bench", "bench password", "admin")
            token = users.new_token("bench", "bench")
            url = hub.services["http"].url
            samples = await asyncio.to_thread(_round_trips, url, token, requests, max(50, requests // 10))
            fan_out = await _fan_out(hub, url, token, clients, rate, seconds)
    return {
        "requests": requests,
        "command_p50_ms": round(_percentile(samples, 0.50), 3),
        "command_p99_ms": round(_percentile(samples, 0.99), 3),
        "command_mean_ms": round(statistics.fmean(samples), 3),
        **{f"ws_{k}": v for k, v in fan_out.items()},
    }


def bench_api(quick: bool = False) -> dict[str, Any]:
    """REST command round trip p50/p99 (ms) and WebSocket fan-out to 100 subscribers at 10k changes/s."""
    requests, seconds = (200, 0.5) if quick else (2000, 3.0)
    return asyncio.run(_bench(requests, seconds, SUBSCRIBERS, RATE))


# ---- the subscriber processes ----


async def _subscriber(url: str, ready: asyncio.Event) -> dict[str, Any]:
    received, first, last, closed = 0, 0.0, 0.0, None
    async with websockets.connect(url, max_size=None, max_queue=None) as ws:
        json.loads(await ws.recv())  # the snapshot
        await ws.send(json.dumps({"type": "subscribe", "kinds": ["state"]}))
        json.loads(await ws.recv())
        ready.set()
        end = f'"device":"{END[0]}"'
        try:
            # Count by scanning the text (C speed): the clients must not be the bottleneck being measured.
            async for raw in ws:
                text = raw if isinstance(raw, str) else raw.decode()
                now = time.perf_counter()
                if end in text:
                    return {"received": received, "seconds": last - first, "closed": None}
                count = text.count('"type":"state"')
                if count and not received:
                    first = now
                received += count
                last = now
        except websockets.ConnectionClosed as exc:
            closed = exc.rcvd.code if exc.rcvd else -1
    return {"received": received, "seconds": last - first, "closed": closed}


async def _clients(url: str, count: int) -> None:
    ready = [asyncio.Event() for _ in range(count)]
    tasks = [asyncio.create_task(_subscriber(url, r)) for r in ready]
    await asyncio.gather(*(r.wait() for r in ready))
    print("ready", flush=True)
    results = await asyncio.gather(*tasks, return_exceptions=True)
    print(json.dumps([r if isinstance(r, dict) else {"received": 0, "seconds": 0.0, "closed": -1}
                      for r in results]), flush=True)


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "clients":
        asyncio.run(_clients(sys.argv[2], int(sys.argv[3])))
    else:
        print(json.dumps(bench_api("--quick" in sys.argv)))
