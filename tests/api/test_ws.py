from __future__ import annotations

import asyncio
import json

import websockets

from hearth.api._ws import BUFFER
from hearth.core import Actor, Command
from tests.api.conftest import Running


def _ws_url(served: Running, role: str) -> str:
    return served.url.replace("http://", "ws://") + f"/api/ws?token={served.tokens[role]}"


async def _next(ws: websockets.ClientConnection, kind: str) -> dict[str, object]:
    while True:
        message = json.loads(await asyncio.wait_for(ws.recv(), 5))
        for item in message["messages"] if message["type"] == "batch" else [message]:
            if item["type"] == kind:
                return item  # type: ignore[no-any-return]


async def test_stream_sends_snapshot_then_filtered_changes(served: Running) -> None:
    async with websockets.connect(_ws_url(served, "admin")) as ws:
        snapshot = await _next(ws, "snapshot")
        assert "living_floor_lamp" in snapshot["states"]  # type: ignore[operator]
        await ws.send(json.dumps({"type": "subscribe", "kinds": ["state"], "devices": ["kitchen_light"]}))
        await _next(ws, "snapshot")
        admin = Actor("person", "alice", "admin")
        await served.hub.execute(Command("living_floor_lamp", "light", "on", True), admin)
        await served.hub.execute(Command("kitchen_light", "light", "on", True), admin)
        change = await _next(ws, "state")
    assert change["device"] == "kitchen_light" and change["new"] is True


async def test_guest_stream_hides_private_devices(served: Running) -> None:
    admin = Actor("person", "alice", "admin")
    async with websockets.connect(_ws_url(served, "guest")) as ws:
        snapshot = await _next(ws, "snapshot")
        assert "master_bedside_lamp" not in snapshot["states"]  # type: ignore[operator]
        await served.hub.execute(Command("master_bedside_lamp", "light", "on", True), admin)
        await served.hub.execute(Command("living_floor_lamp", "light", "on", True), admin)
        change = await _next(ws, "state")
    assert change["device"] == "living_floor_lamp"


async def test_bad_subscription_gets_an_error_message(served: Running) -> None:
    async with websockets.connect(_ws_url(served, "admin")) as ws:
        await _next(ws, "snapshot")
        await ws.send(json.dumps({"type": "subscribe", "kinds": ["gossip"]}))
        error = await _next(ws, "error")
    assert "gossip" in str(error["error"])


async def test_unauthenticated_socket_is_closed(served: Running) -> None:
    url = served.url.replace("http://", "ws://") + "/api/ws?token=wrong"
    try:
        async with websockets.connect(url) as ws:
            await ws.recv()
    except websockets.exceptions.ConnectionClosed as closed:
        assert closed.rcvd is not None and closed.rcvd.code == 1008
    except websockets.exceptions.InvalidStatus as refused:
        assert refused.response.status_code == 403
    else:
        raise AssertionError("socket stayed open without credentials")


async def test_slow_client_is_disconnected_not_buffered_forever(served: Running) -> None:
    admin = Actor("person", "alice", "admin")
    async with websockets.connect(_ws_url(served, "admin"), max_queue=1) as ws:
        await _next(ws, "snapshot")
        # A burst far beyond the per-client bound before the client can drain anything: the hub must not
        # block or grow; it drops this client, which then reconnects and resyncs from a snapshot.
        for i in range(BUFFER + 1000):
            served.hub.state.apply("living_climate", "environment", "temperature", 20 + (i % 50) / 10)
        closed_with = None
        try:
            while True:
                await asyncio.wait_for(ws.recv(), 15)
        except websockets.exceptions.ConnectionClosed as closed:
            closed_with = closed.rcvd.code if closed.rcvd else None
    assert closed_with == 1013
    await served.hub.execute(Command("kitchen_light", "light", "on", True), admin)  # hub still fine
