"""Publish to JetStream without awaiting each acknowledgement: acks come back on one inbox subscription, and at
most `window` messages are unacknowledged at a time (the publisher waits for room, never queues without bound).

Each message carries a tag; `acked` collects the tags of confirmed messages and `last_seq` the highest stream
sequence confirmed per integer tag (the simulator tags readings with their partition to know when workers are
done; a worker tags commands with their partition and commit offset to move published offsets).
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import orjson
from nats.aio.client import Client
from nats.aio.msg import Msg

from hearth.fleet._consumer import RawClient, hpub
from hearth.fleet._nats import FleetError

log = logging.getLogger(__name__)


@dataclass(slots=True)
class _Out:
    """A message waiting for its acknowledgement: enough to send it again."""

    tag: Any
    subject: str
    payload: bytes
    msg_id: str | None
    sent: float


class Publisher:
    """Windowed JetStream publishing over one NATS connection (an async context manager).

    A message with an id that has no answer after `resend_after` seconds (its request or answer was lost, as
    when the connection to NATS is re-established) is sent again under the same id: JetStream stores it once."""

    def __init__(self, nc: Client, window: int = 8192, timeout: float = 30.0, resend_after: float = 5.0) -> None:
        self._nc = nc
        self.window = window
        self.timeout = timeout
        self.resend_after = resend_after
        self._prefix = ""
        self._sub: Any = None
        self._ids = itertools.count()
        self._pending: dict[str, _Out] = {}  # by reply subject, oldest first
        self._room = asyncio.Event()
        self._room.set()
        self._idle = asyncio.Event()
        self._idle.set()
        self.acked: list[Any] = []
        self.last_seq: dict[int, int] = {}
        self.errors: list[str] = []
        self.resent = 0

    async def __aenter__(self) -> Publisher:
        self._prefix = self._nc.new_inbox()
        if isinstance(self._nc, RawClient):  # acknowledgements as raw bytes: no message object or task each
            self._sub = await self._nc.raw_subscribe(self._prefix + ".*", self._on_raw_ack)
        else:
            self._sub = await self._nc.subscribe(self._prefix + ".*", cb=self._on_ack, pending_msgs_limit=1 << 20)
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._sub is not None:
            await self._sub.unsubscribe()
            self._sub = None

    @property
    def pending(self) -> int:
        """Messages published and not yet acknowledged."""
        return len(self._pending)

    async def publish(self, subject: str, payload: bytes, tag: Any, msg_id: str | None = None) -> None:
        """Publish one message (de-duplicated by `msg_id` when given); waits only while the window is full."""
        if len(self._pending) >= self.window:
            await self._wait(self._room, "room in the publish window")
        token = self._track(_Out(tag, subject, payload, msg_id, time.monotonic()))
        await self._nc.publish(subject, payload, reply=token,
                               headers={"Nats-Msg-Id": msg_id} if msg_id is not None else None)

    async def publish_many(self, messages: Sequence[tuple[str, bytes, Any, str]]) -> None:
        """Publish (subject, payload, tag, msg_id) messages, de-duplicated by msg_id; on a `RawClient` they go
        out as ready-made protocol frames in one write per window's worth."""
        nc = self._nc
        if not isinstance(nc, RawClient):
            for subject, payload, tag, msg_id in messages:
                await self.publish(subject, payload, tag, msg_id)
            return
        start, now = 0, time.monotonic()
        while start < len(messages):
            if len(self._pending) >= self.window:
                await self._wait(self._room, "room in the publish window")
            end = min(len(messages), start + self.window - len(self._pending))
            frames = [hpub(subject, self._track(_Out(tag, subject, payload, msg_id, now)), msg_id, payload)
                      for subject, payload, tag, msg_id in messages[start:end]]
            await nc.send_frames(b"".join(frames), end - start)
            start = end

    def _track(self, out: _Out) -> str:
        token = f"{self._prefix}.{next(self._ids)}"
        self._pending[token] = out
        self._idle.clear()
        if len(self._pending) >= self.window:
            self._room.clear()
        return token

    async def resend_stale(self) -> int:
        """Send again, under their ids, messages that had no answer for `resend_after` s; returns how many."""
        if not self._pending:
            return 0
        horizon = time.monotonic() - self.resend_after
        stale: list[tuple[str, _Out]] = []
        for token, out in self._pending.items():
            if out.sent > horizon:
                break
            if out.msg_id is not None:  # without an id a second copy would be stored twice: left to time out
                stale.append((token, out))
        for token, out in stale:
            del self._pending[token]
            self.resent += 1
            await self.publish(out.subject, out.payload, out.tag, out.msg_id)
        return len(stale)

    async def flush(self) -> None:
        """Wait until every published message is acknowledged (or failed), resending what went unanswered."""
        await self._nc.flush()
        deadline = time.monotonic() + self.timeout
        while not self._idle.is_set():
            left = deadline - time.monotonic()
            if left <= 0:
                raise FleetError(f"JetStream did not acknowledge {self.pending} messages within {self.timeout:g}s")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._idle.wait(), min(left, self.resend_after))
            await self.resend_stale()

    async def _wait(self, event: asyncio.Event, what: str) -> None:
        try:
            await asyncio.wait_for(event.wait(), self.timeout)
        except TimeoutError as exc:
            raise FleetError(f"JetStream did not acknowledge {self.pending} messages within {self.timeout:g}s "
                             f"(waiting for {what})") from exc

    def _on_raw_ack(self, subject: bytes, reply: bytes, data: bytes, headers: bytes | None) -> None:
        status = headers[9:12].decode() if headers and headers.startswith(b"NATS/1.0 ") else None
        self._acked(subject.decode(), data, status)

    async def _on_ack(self, msg: Msg) -> None:
        self._acked(msg.subject, msg.data, msg.headers.get("Status") if msg.headers else None)

    def _acked(self, subject: str, data: bytes, status: str | None) -> None:
        out = self._pending.pop(subject, None)
        if out is None:
            return
        tag = out.tag
        try:
            ack = orjson.loads(data) if data else {}
        except ValueError:
            ack = {}
        if "seq" in ack and "error" not in ack:
            self.acked.append(tag)
            if isinstance(tag, int):
                seq = int(ack["seq"])
                if seq > self.last_seq.get(tag, 0):
                    self.last_seq[tag] = seq
        else:  # an error ack or a status (no stream listening): the message was not stored
            self.errors.append(str(ack.get("error") or status or "no acknowledgement"))
            log.warning("JetStream refused a message: %s", self.errors[-1])
        if len(self._pending) < self.window:
            self._room.set()
        if not self._pending:
            self._idle.set()

    def take_acked(self) -> list[Any]:
        """Tags confirmed since the last call."""
        acked, self.acked = self.acked, []
        return acked
