"""The WebSocket stream: state changes, audit, notifications and rule runs, filtered per client.

Fan-out: one bus subscription per kind serves every socket. Each event becomes JSON once, into a shared
ring (`_Feed`); every client reads the ring from its own cursor, keeps what its filter lets through and sends
what has piled up as one frame: a single message as itself, several as `{"type": "batch", "messages": [...]}`.

Slow-client policy: a client may fall at most `BUFFER` events behind the hub's stream. One that falls further
(its socket cannot take the frames fast enough) is closed with code 1013 ("try again later") instead of
blocking the hub or growing memory; it reconnects and receives a fresh snapshot, so it never shows stale state
silently. The ring is shared, so the bound costs the same memory however many clients there are.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections import deque
from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, WebSocket, WebSocketDisconnect
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from hearth.api._access import can_see, visible_devices
from hearth.api._app import SESSION_COOKIE
from hearth.api._users import User, UserStore
from hearth.api._views import device_view, event_view
from hearth.core import AuditRecorded, Event, Notification, RuleFired, StateChanged
from hearth.hub import Hub

BUFFER = 16384  # shared by all clients: ~1.6 s of slack at 10k changes/s, a few MB
MAX_BATCH = 1024
KINDS = frozenset({"state", "audit", "notification", "rule"})
_TYPES: dict[str, type[Event]] = {
    "state": StateChanged, "audit": AuditRecorded, "notification": Notification, "rule": RuleFired,
}
_CHECK_EVERY = 128  # events between checks for clients that fell more than BUFFER behind


class Subscribe(BaseModel):
    """A client's filter: which kinds of messages, and for state, which devices (empty = all visible)."""

    model_config = ConfigDict(extra="forbid")
    type: str = Field(pattern="^subscribe$")
    kinds: list[str] = Field(default_factory=lambda: sorted(KINDS))
    devices: list[str] = Field(default_factory=list)


def _encode(message: dict[str, Any]) -> str:
    return json.dumps(message, ensure_ascii=False, separators=(",", ":"), default=str)


class _Client:
    """One connected socket: its filter, its cursor into the feed and the messages meant for it alone."""

    def __init__(self, user: User, hub: Hub, cursor: int) -> None:
        self.user = user
        self.hub = hub
        self.cursor = cursor
        self.own: deque[str] = deque()
        self.wake = asyncio.Event()
        self.overflowed = asyncio.Event()
        self.kinds: frozenset[str] = KINDS
        self.devices: frozenset[str] = frozenset()
        self._refilter()

    def subscribe(self, sub: Subscribe, cursor: int) -> None:
        """Change the filter; the stream restarts at `cursor` (the caller sends a fresh snapshot)."""
        self.kinds, self.devices = frozenset(sub.kinds), frozenset(sub.devices)
        self.cursor = cursor
        self._refilter()

    def _refilter(self) -> None:
        home = self.hub.home
        seen = {d.id for d in home.devices.values() if can_see(self.user, d, home)}
        self.states = frozenset(seen & self.devices if self.devices else seen) if "state" in self.kinds else frozenset()
        others = self.kinds - {"state"}
        if self.user.role not in ("admin", "adult"):
            others -= {"audit"}
        self.others = frozenset(others)

    def keep(self, entries: list[tuple[str, str | None, str]]) -> list[str]:
        """The entries this client's filter lets through."""
        states, others = self.states, self.others
        return [text for kind, device, text in entries
                if (device in states if kind == "state" else kind in others)]

    def post(self, text: str) -> None:
        """Queue a message for this client alone (a snapshot or an error)."""
        self.own.append(text)
        self.wake.set()


class _Feed:
    """The hub's stream as a ring of pre-serialised events, shared by every connected client."""

    def __init__(self, hub: Hub) -> None:
        self.hub = hub
        self.entries: list[tuple[str, str | None, str]] = []
        self.base = 0  # sequence number of entries[0]
        self.seq = 0  # sequence number of the next event
        self.clients: set[_Client] = set()
        self.waiting: set[asyncio.Event] = set()
        self._removers: list[Callable[[], None]] = []

    def join(self, client: _Client) -> None:
        """Start feeding a client (the first one subscribes the feed to the bus)."""
        if not self.clients:
            self._removers = [self.hub.bus.subscribe(t, self._on_event) for t in _TYPES.values()]
        self.clients.add(client)

    def leave(self, client: _Client) -> None:
        """Stop feeding a client (the last one unsubscribes the feed)."""
        self.clients.discard(client)
        self.waiting.discard(client.wake)
        if not self.clients:
            for remove in self._removers:
                remove()
            self._removers = []
            self.entries.clear()
            self.base = self.seq

    def _on_event(self, event: Event) -> None:
        message = event_view(event)
        if message is None:
            return
        self.entries.append((message["type"], getattr(event, "device", None), _encode(message)))
        self.seq += 1
        if len(self.entries) > 2 * BUFFER:
            drop = len(self.entries) - BUFFER
            del self.entries[:drop]
            self.base += drop
        if self.waiting:
            for wake in self.waiting:
                wake.set()
            self.waiting.clear()
        if self.seq % _CHECK_EVERY == 0:
            for client in self.clients:
                if self.seq - client.cursor > BUFFER:
                    client.overflowed.set()

    def read(self, client: _Client) -> list[str] | None:
        """The next batch for a client (advancing its cursor), or None when it fell too far behind."""
        if self.seq - client.cursor > BUFFER or client.cursor < self.base:
            return None
        start = client.cursor - self.base
        chunk = self.entries[start:start + MAX_BATCH]
        client.cursor += len(chunk)
        return client.keep(chunk)

    async def wait(self, client: _Client) -> None:
        """Wait until there is something new for a client."""
        client.wake.clear()
        if client.own or client.cursor < self.seq:
            return
        self.waiting.add(client.wake)
        await client.wake.wait()


def _frame(texts: list[str]) -> str:
    return texts[0] if len(texts) == 1 else '{"type":"batch","messages":[' + ",".join(texts) + "]}"


def router(hub: Hub, users: UserStore) -> APIRouter:
    """The /api/ws endpoint."""
    api = APIRouter()
    feed = _Feed(hub)

    @api.websocket("/api/ws")
    async def stream(socket: WebSocket) -> None:
        secret = socket.cookies.get(SESSION_COOKIE) or socket.query_params.get("token", "")
        user = users.authenticate(secret)
        if user is None:
            await socket.close(code=1008, reason="login required")
            return
        await socket.accept()
        client = _Client(user, hub, feed.seq)
        feed.join(client)
        try:
            await socket.send_text(_encode(_snapshot(client)))
            await _pump(socket, client, feed)
        except WebSocketDisconnect:
            pass
        finally:
            feed.leave(client)

    return api


def _snapshot(client: _Client) -> dict[str, Any]:
    devices = [d for d in visible_devices(client.user, client.hub.home)
               if not client.devices or d.id in client.devices]
    return {"type": "snapshot", "time": client.hub.clock.now(),
            "states": {d.id: device_view(d, client.hub.state)["state"] for d in devices}}


async def _pump(socket: WebSocket, client: _Client, feed: _Feed) -> None:
    async def send() -> None:
        while True:
            while client.own:
                await socket.send_text(client.own.popleft())
            if client.cursor < feed.seq:
                texts = feed.read(client)
                if texts is None:
                    client.overflowed.set()
                    return
                if texts:
                    await socket.send_text(_frame(texts))
                continue
            await feed.wait(client)

    async def receive() -> None:
        while True:
            raw = await socket.receive_json()
            try:
                sub = Subscribe.model_validate(raw)
            except ValidationError as exc:
                client.post(_encode({"type": "error", "error": exc.errors()[0]["msg"]}))
                continue
            unknown = set(sub.kinds) - KINDS
            if unknown:
                client.post(_encode({"type": "error", "error": f"unknown kinds {sorted(unknown)}"}))
                continue
            client.subscribe(sub, feed.seq)
            client.post(_encode(_snapshot(client)))

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
