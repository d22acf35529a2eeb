"""A worker's pull consumers, one per partition it owns, read through one inbox subscription.

Pull requests are sent ahead so the next messages arrive while the worker handles the current ones; a
callback appends them to one buffer. The buffer is bounded by what was asked for: a partition asks for more
only while fewer than its share of `batch` are buffered or still owed by the server, so a slow worker holds
at most about two batches in memory and the rest waits in the stream.

Requests expire after `expires` seconds (the server answers 408 then), so an idle partition asks again once
a second; a 409 (consumer deleted, too many waiting requests) drops the books and asks afresh. (One consumer
over many filter subjects would need fewer requests, but costs the server far more CPU per message.)
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from nats.aio.client import Client
from nats.js import JetStreamContext
from nats.js import api as js_api
from nats.js.errors import NotFoundError
from nats.protocol.parser import AWAITING_CONTROL_LINE, Parser

from hearth.fleet._subjects import INGRESS_STREAM, partition_subject


@dataclass(slots=True)
class Delivered:
    """One stored ingress message: its stream sequence, partition, home and payload."""

    seq: int
    partition: int
    home: str
    data: bytes


def stream_seq(reply: bytes) -> int:
    """The stream sequence of a delivered message, read from its reply subject (without building metadata)."""
    tokens = reply.split(b".")
    if len(tokens) == 9:  # $JS.ACK.<stream>.<consumer>.<delivered>.<sseq>.<cseq>.<ts>.<pending>
        return int(tokens[5])
    # $JS.ACK.<domain>.<account hash>.<stream>.<consumer>.<delivered>.<sseq>.<cseq>.<ts>.<pending>[.<token>]
    return int(tokens[7])


RawHandler = Callable[[bytes, bytes, bytes, bytes | None], None]


_UNSAFE = str.maketrans({" ": "_", "\t": "_", "\r": "_", "\n": "_"})


def hpub(subject: str, reply: str, msg_id: str, payload: bytes) -> bytes:
    """One publish frame with a `Nats-Msg-Id` header (whitespace in the subject or id, which would break the
    frame, becomes `_`)."""
    header = b"NATS/1.0\r\nNats-Msg-Id: %s\r\n\r\n" % msg_id.translate(_UNSAFE).encode()
    return b"HPUB %s %s %d %d\r\n%s%s\r\n" % (subject.translate(_UNSAFE).encode(), reply.encode(), len(header),
                                              len(header) + len(payload), header, payload)


_CONTROL = (b"PING", b"PONG", b"+OK", b"-ERR", b"INFO ")


class _FastParser(Parser):
    """nats-py's protocol parser with a fast path: `MSG`/`HMSG` lines are read with `find` and `split` instead of
    regular expressions, raw subscriptions are called without a coroutine, and a message split across reads
    simply waits for the rest. PING, PONG, INFO and errors go to the client as nats-py's parser sends them;
    anything else is left to nats-py's parser (which reports a protocol error)."""

    async def parse(self, data: bytes = b"") -> None:
        buf, nc = self.buf, self.nc
        buf.extend(data)
        if self.state != AWAITING_CONTROL_LINE:  # only nats-py's own parser leaves this state
            await super().parse()
            return
        raw: dict[int, RawHandler] = nc._raw
        pos, size = 0, len(buf)
        while pos < size:
            end = buf.find(b"\r\n", pos)
            if end < 0:
                break
            headers = buf.startswith(b"HMSG ", pos)
            if headers or buf.startswith(b"MSG ", pos):
                args = bytes(buf[pos + (5 if headers else 4):end]).split()
                total = int(args[-1])
                start = end + 2
                if start + total + 2 > size:
                    break  # the payload has not all arrived
                subject, sid = args[0], int(args[1])
                if headers:
                    split = int(args[-2])
                    reply = args[2] if len(args) == 5 else b""
                    head, payload = bytes(buf[start:start + split]), bytes(buf[start + split:start + total])
                else:
                    reply = args[2] if len(args) == 4 else b""
                    head, payload = None, bytes(buf[start:start + total])
                pos = start + total + 2
                handler = raw.get(sid)
                if handler is not None:
                    nc.stats["in_msgs"] += 1
                    handler(subject, reply, payload, head)
                else:
                    await nc._process_msg(sid, subject, reply, payload, head)
                    if self.buf is not buf:
                        return  # the connection was reset meanwhile: what is left belongs to the old one
                continue
            line = bytes(buf[pos:end])
            if not line.startswith(_CONTROL):
                del buf[:pos]
                await super().parse()  # not NATS protocol: nats-py's parser says so
                return
            pos = end + 2
            if line.startswith(b"PING"):
                await nc._process_ping()
            elif line.startswith(b"PONG"):
                await nc._process_pong()
            elif line.startswith(b"-ERR"):
                await nc._process_err(line[4:].strip().decode(errors="replace").lower())
            elif line.startswith(b"INFO "):
                await nc._process_info(json.loads(line[5:]))
            if self.buf is not buf:
                return  # the connection was reset meanwhile
        if pos:
            del buf[:pos]


class RawClient(Client):
    """nats-py's client with one shortcut: messages of a subscription made with `raw_subscribe` go straight to
    a plain function as bytes (subject, reply, payload, header block), without a message object, a queue or a
    task per message. A worker's ingress inbox receives every event of its partitions this way."""

    def __init__(self) -> None:
        super().__init__()
        self._raw: dict[int, RawHandler] = {}
        self._ps = _FastParser(self)

    async def raw_subscribe(self, subject: str, handler: RawHandler) -> Any:
        """Subscribe with a raw handler; returns the subscription (unsubscribe it as usual)."""
        sub = await self.subscribe(subject)
        self._raw[sub._id] = handler  # the subscription id is what the protocol parser hands over
        return sub

    async def send_frames(self, frames: bytes, count: int) -> None:
        """Send ready-made protocol frames (see `hpub`) as one write."""
        self.stats["out_msgs"] += count
        await self._send_command(frames)
        if self._flush_queue is not None and self._flush_queue.empty():
            await self._flush_pending()

    async def _process_msg(self, sid: int, subject: bytes, reply: bytes, data: bytes, headers: bytes | None
                           ) -> None:
        handler = self._raw.get(sid)
        if handler is None:
            await super()._process_msg(sid, subject, reply, data, headers)  # type: ignore[arg-type]
            return
        self.stats["in_msgs"] += 1
        handler(subject, reply, data, headers)


class IngressConsumer:
    """Pull messages of the owned partitions from their offsets on; `take` hands over what has arrived."""

    def __init__(self, nc: RawClient, js: JetStreamContext, batch: int = 2000, expires: float = 1.0) -> None:
        self._nc = nc
        self._js = js
        self.batch = batch
        self.expires = expires
        self._buffer: list[Delivered] = []
        self._held: dict[int, int] = {}  # per partition: messages buffered
        self._owed: dict[int, deque[int]] = {}  # per partition, per open request: messages still to come
        self._arrived = asyncio.Event()
        self._asks: set[asyncio.Task[None]] = set()
        self._heard: dict[int, float] = {}  # per partition: when the server last answered (or was last asked)
        self._sub: Any = None
        self._inbox = ""

    @property
    def partitions(self) -> set[int]:
        """The partitions being read."""
        return set(self._owed)

    def _share(self) -> int:
        return max(50, self.batch // max(1, len(self._owed)))

    async def open(self, offsets: Mapping[int, int]) -> None:
        """Read exactly these partitions, each resuming after its given committed offset."""
        if self._sub is None:
            self._inbox = self._nc.new_inbox()
            self._sub = await self._nc.raw_subscribe(self._inbox + ".*", self._on_msg)
        for p in [p for p in self._owed if p not in offsets]:
            await self._drop(p)
        for p, offset in offsets.items():
            if p not in self._owed:
                await self._add(p, offset)

    async def close(self) -> None:
        """Stop pulling and delete the consumers; buffered messages are dropped (they are re-read from offsets)."""
        for p in list(self._owed):
            await self._drop(p)
        if self._sub is not None:
            with contextlib.suppress(Exception):  # the connection may already be gone
                await self._sub.unsubscribe()
            self._sub = None

    async def _add(self, partition: int, offset: int) -> None:
        name = f"part-{partition}"
        with contextlib.suppress(NotFoundError):
            await self._js.delete_consumer(INGRESS_STREAM, name)  # a previous owner's position means nothing now
        start = ({"deliver_policy": js_api.DeliverPolicy.BY_START_SEQUENCE, "opt_start_seq": offset + 1}
                 if offset > 0 else {"deliver_policy": js_api.DeliverPolicy.ALL})
        await self._js.add_consumer(INGRESS_STREAM, js_api.ConsumerConfig(
            durable_name=name, filter_subject=partition_subject(partition), ack_policy=js_api.AckPolicy.NONE,
            max_waiting=16, **start))
        self._owed[partition] = deque()
        self._held[partition] = 0
        await self._ask(partition)

    async def _drop(self, partition: int) -> None:
        del self._owed[partition]
        self._held.pop(partition, None)
        self._buffer = [d for d in self._buffer if d.partition != partition]

    async def take(self, wait: float) -> list[Delivered]:
        """Messages that arrived (each partition's in stream order); waits up to `wait` s for the first one."""
        if not self._buffer and self._owed:
            self._arrived.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._arrived.wait(), wait)
        out, self._buffer = self._buffer, []
        for p in self._held:
            self._held[p] = 0
        now = time.monotonic()
        for p, owed in list(self._owed.items()):
            if owed and now - self._heard.get(p, now) > 3 * self.expires:
                owed.clear()  # no answer, not even the expiry status: the requests were lost (NATS reconnected)
                self._heard[p] = now
            await self._ask(p)
        return out

    async def _ask(self, partition: int) -> None:
        owed, share = self._owed.get(partition), self._share()
        if owed is None:
            return
        while self._held[partition] + sum(owed) < share and len(owed) < 3:
            if not owed:
                self._heard[partition] = time.monotonic()  # an answer is due within `expires` from now
            owed.append(share)
            await self._nc.publish(f"$JS.API.CONSUMER.MSG.NEXT.{INGRESS_STREAM}.part-{partition}",
                                   b'{"batch":%d,"expires":%d}' % (share, int(self.expires * 1e9)),
                                   reply=f"{self._inbox}.{partition}")

    def _on_msg(self, subject: bytes, reply: bytes, data: bytes, headers: bytes | None) -> None:
        if reply:  # a stored message: its subject is `in.<partition>.<home>`
            _, number, home = subject.split(b".", 2)
            partition = int(number)
            owed = self._owed.get(partition)
            if owed is None:
                return  # a partition just given up
            self._heard[partition] = time.monotonic()
            self._buffer.append(Delivered(stream_seq(reply), partition, home.decode(), data))
            self._held[partition] += 1
            if owed:
                owed[0] -= 1
                if owed[0] <= 0:
                    owed.popleft()
            self._arrived.set()
            return
        partition = int(subject.rsplit(b".", 1)[1])  # a status on our inbox: `<inbox>.<partition>`
        owed = self._owed.get(partition)
        if owed is None:
            return
        self._heard[partition] = time.monotonic()
        status = headers[9:12] if headers and headers.startswith(b"NATS/1.0 ") else b""
        if status in (b"404", b"408"):  # the oldest open request ended
            if owed:
                owed.popleft()
        elif status == b"409":
            owed.clear()
        else:
            return  # heartbeats and other notices
        task = asyncio.get_running_loop().create_task(self._ask(partition))  # a few per second at most
        self._asks.add(task)
        task.add_done_callback(self._asks.discard)
