"""The WebSocket stream: state changes, audit, notifications and rule runs, filtered per client.

Slow-client policy: every client has a bounded buffer of `BUFFER` messages. When a client falls that far
behind, Hearth closes its socket with code 1013 ("try again later") instead of blocking the hub or growing
memory; the client reconnects and receives a fresh snapshot, so it never shows stale state silently.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, WebSocket, WebSocketDisconnect
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from hearth.api._access import can_see, visible_devices
from hearth.api._app import SESSION_COOKIE
from hearth.api._routes_camera import may_watch
from hearth.api._users import User, UserStore
from hearth.api._views import device_view, event_view
from hearth.core import AuditRecorded, Event, Notification, PerceptionDetected, RuleFired, StateChanged
from hearth.hub import Hub

BUFFER = 1024
KINDS = frozenset({"state", "audit", "notification", "rule", "perception"})
_TYPES: dict[str, type[Event]] = {
    "state": StateChanged, "audit": AuditRecorded, "notification": Notification, "rule": RuleFired,
    "perception": PerceptionDetected,
}


class Subscribe(BaseModel):
    """A client's filter: which kinds of messages, and for state, which devices (empty = all visible)."""

    model_config = ConfigDict(extra="forbid")
    type: str = Field(pattern="^subscribe$")
    kinds: list[str] = Field(default_factory=lambda: sorted(KINDS))
    devices: list[str] = Field(default_factory=list)


class _Client:
    """One connected socket: its filter and bounded outbox."""

    def __init__(self, user: User, hub: Hub) -> None:
        self.user = user
        self.hub = hub
        self.outbox: asyncio.Queue[dict[str, Any]] = asyncio.Queue(BUFFER)
        self.kinds: frozenset[str] = KINDS
        self.devices: frozenset[str] = frozenset()
        self.overflowed = asyncio.Event()

    def wants(self, event: Event) -> bool:
        if isinstance(event, StateChanged):
            if self.devices and event.device not in self.devices:
                return False
            device = self.hub.home.devices.get(event.device)
            return device is not None and can_see(self.user, device, self.hub.home)
        if isinstance(event, AuditRecorded):
            return self.user.role in ("admin", "adult")
        if isinstance(event, PerceptionDetected):
            camera = self.hub.home.devices.get(event.camera)
            return camera is not None and may_watch(self.user, camera, self.hub.home)
        return True

    def offer(self, event: Event) -> None:
        if self.overflowed.is_set() or not self.wants(event):
            return
        message = event_view(event)
        if message is None:
            return
        try:
            self.outbox.put_nowait(message)
        except asyncio.QueueFull:
            self.overflowed.set()


def router(hub: Hub, users: UserStore) -> APIRouter:
    """The /api/ws endpoint."""
    api = APIRouter()

    @api.websocket("/api/ws")
    async def stream(socket: WebSocket) -> None:
        secret = socket.cookies.get(SESSION_COOKIE) or socket.query_params.get("token", "")
        user = users.authenticate(secret)
        if user is None:
            await socket.close(code=1008, reason="login required")
            return
        await socket.accept()
        client = _Client(user, hub)
        removers: list[Callable[[], None]] = []
        try:
            _resubscribe(client, hub, removers)
            await socket.send_json(_snapshot(client))
            await _pump(socket, client, hub, removers)
        except WebSocketDisconnect:
            pass
        finally:
            for remove in removers:
                remove()

    return api


def _snapshot(client: _Client) -> dict[str, Any]:
    devices = [d for d in visible_devices(client.user, client.hub.home)
               if not client.devices or d.id in client.devices]
    return {"type": "snapshot", "time": client.hub.clock.now(),
            "states": {d.id: device_view(d, client.hub.state)["state"] for d in devices}}


def _resubscribe(client: _Client, hub: Hub, removers: list[Callable[[], None]]) -> None:
    for remove in removers:
        remove()
    removers.clear()
    for kind in client.kinds:
        removers.append(hub.bus.subscribe(_TYPES[kind], client.offer))


async def _pump(socket: WebSocket, client: _Client, hub: Hub, removers: list[Callable[[], None]]) -> None:
    async def send() -> None:
        while True:
            message = await client.outbox.get()
            await socket.send_json(message)

    async def receive() -> None:
        while True:
            raw = await socket.receive_json()
            try:
                sub = Subscribe.model_validate(raw)
            except ValidationError as exc:
                await client.outbox.put({"type": "error", "error": exc.errors()[0]["msg"]})
                continue
            unknown = set(sub.kinds) - KINDS
            if unknown:
                await client.outbox.put({"type": "error", "error": f"unknown kinds {sorted(unknown)}"})
                continue
            client.kinds, client.devices = frozenset(sub.kinds), frozenset(sub.devices)
            _resubscribe(client, hub, removers)
            await client.outbox.put(_snapshot(client))

    sender = asyncio.create_task(send())

    async def watch_overflow() -> None:
        await client.overflowed.wait()
        # Stop sending first, so the close frame is the next thing the client gets and nothing races it.
        sender.cancel()
        with contextlib.suppress(BaseException):
            await sender
        await socket.close(code=1013, reason="client too slow; reconnect to resync")

    watcher = asyncio.create_task(watch_overflow())
    tasks = [sender, asyncio.create_task(receive()), watcher]
    try:
        done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
        if client.overflowed.is_set():
            with contextlib.suppress(BaseException):
                await asyncio.wait_for(watcher, 5)
        for task in done:
            if task.cancelled() or client.overflowed.is_set():
                continue
            exc = task.exception()
            if exc is not None and not isinstance(exc, WebSocketDisconnect):
                raise exc
    finally:
        for task in tasks:
            task.cancel()
        with contextlib.suppress(BaseException):
            await asyncio.gather(*tasks, return_exceptions=True)
