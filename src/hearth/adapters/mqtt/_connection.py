"""One broker connection kept alive: reconnect with backoff, resubscribe, and an outbox that survives outages."""

from __future__ import annotations

import asyncio
import logging
import ssl
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

import aiomqtt

from hearth.core import Clock, SystemClock
from hearth.errors import AdapterError

log = logging.getLogger(__name__)

Handler = Callable[[str, bytes, bool], None]  # (topic, payload, retained)
Remove = Callable[[], None]


@dataclass(frozen=True, slots=True)
class MqttSettings:
    """Where the broker is and how to talk to it."""

    host: str = "localhost"
    port: int = 1883
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    tls: bool = False
    ca_file: str | None = None
    client_id: str | None = None
    keepalive: int = 30
    status_topic: str | None = None  # birth "online" / last will "offline", retained
    backoff_min: float = 0.5
    backoff_max: float = 30.0
    publish_timeout: float = 10.0
    outbox_size: int = 10_000

    def __post_init__(self) -> None:
        if not 0 < self.port < 65536:
            raise AdapterError(f"mqtt: bad broker port {self.port}")
        if self.backoff_min <= 0 or self.backoff_max < self.backoff_min:
            raise AdapterError("mqtt: backoff must satisfy 0 < backoff_min <= backoff_max")


@dataclass(frozen=True, slots=True)
class Outgoing:
    """A message waiting to be published."""

    topic: str
    payload: bytes
    qos: int = 0
    retain: bool = False


class MqttConnection:
    """Owns the broker connection; `run()` keeps it up until cancelled.

    Handlers are plain callbacks run on the event loop as each message is read from the socket (no inbound
    buffer: TCP is the backpressure), so they must be quick. Outgoing messages go through a
    bounded outbox of `outbox_size`: QoS ≥ 1 messages wait there across outages (oldest dropped, with a
    warning, if it overflows); QoS 0 messages published while disconnected are dropped.
    """

    def __init__(self, settings: MqttSettings, clock: Clock | None = None) -> None:
        self.settings = settings
        self._clock = clock or SystemClock()
        self._exact: dict[str, list[Handler]] = {}
        self._wild: dict[str, list[Handler]] = {}
        self._qos: dict[str, int] = {}
        self._outbox: deque[Outgoing] = deque()
        self._changes: deque[tuple[str, bool]] = deque()  # (filter, subscribe?) not yet sent to the broker
        self._wake = asyncio.Event()
        self._client: aiomqtt.Client | None = None
        self.connected = asyncio.Event()
        self.disconnected = asyncio.Event()
        self.disconnected.set()
        self.connections = 0
        self._was_up = False

    def subscribe(self, topic_filter: str, handler: Handler, qos: int = 1) -> Remove:
        """Call `handler` for messages matching the filter (resubscribed after every reconnect)."""
        table = self._wild if ("+" in topic_filter or "#" in topic_filter) else self._exact
        handlers = table.setdefault(topic_filter, [])
        new = topic_filter not in self._qos
        handlers.append(handler)
        self._qos[topic_filter] = max(qos, self._qos.get(topic_filter, 0))
        if new:
            self._changes.append((topic_filter, True))
            self._wake.set()

        def remove() -> None:
            if handler in handlers:
                handlers.remove(handler)
            if not handlers and table.get(topic_filter) is handlers:
                del table[topic_filter]
                self._qos.pop(topic_filter, None)
                self._changes.append((topic_filter, False))
                self._wake.set()

        return remove

    def publish(self, topic: str, payload: bytes | str, qos: int = 0, retain: bool = False) -> None:
        """Queue a message; QoS ≥ 1 survives a broker outage, QoS 0 is dropped while disconnected."""
        data = payload.encode() if isinstance(payload, str) else payload
        if qos == 0 and not self.connected.is_set():
            return
        if len(self._outbox) >= self.settings.outbox_size:
            dropped = self._outbox.popleft()
            log.warning("mqtt outbox full: dropped the oldest message (to %s)", dropped.topic)
        self._outbox.append(Outgoing(topic, data, qos, retain))
        self._wake.set()

    @property
    def pending(self) -> int:
        """Messages waiting in the outbox."""
        return len(self._outbox)

    def take_outbox(self) -> list[Outgoing]:
        """Remove and return every waiting message (tests, and shutting down with a report of what was unsent)."""
        items = list(self._outbox)
        self._outbox.clear()
        return items

    async def wait_connected(self) -> None:
        """Return once connected and subscribed (the readiness handshake)."""
        await self.connected.wait()

    async def run(self) -> None:
        """Connect, and reconnect with exponential backoff, until cancelled."""
        delay = self.settings.backoff_min
        while True:
            try:
                await self._session()
            except* aiomqtt.MqttError as group:
                reason = group.exceptions[0]
                what = "connection lost" if self._was_up else "cannot connect"
                log.warning("mqtt %s:%d: %s (%s); retrying in %.1fs", self.settings.host, self.settings.port, what,
                            reason, self.settings.backoff_min if self._was_up else delay)
            finally:
                self.connected.clear()
                self.disconnected.set()
                self._client = None
            current = asyncio.current_task()
            if current is not None and current.cancelling():
                # aiomqtt can turn a cancellation into an MqttError on the way out; stopping must still stop.
                raise asyncio.CancelledError
            if self._was_up:
                delay = self.settings.backoff_min
            await self._clock.sleep(delay)
            delay = min(delay * 2, self.settings.backoff_max)

    def will(self) -> aiomqtt.Will | None:
        """The last will: `offline` on the status topic, retained, sent by the broker if Hearth vanishes."""
        topic = self.settings.status_topic
        return aiomqtt.Will(topic, b"offline", qos=1, retain=True) if topic else None

    def _client_for(self) -> aiomqtt.Client:
        s = self.settings
        will = self.will()
        tls_context = None
        if s.tls:
            tls_context = ssl.create_default_context(cafile=s.ca_file)
        return aiomqtt.Client(s.host, s.port, username=s.username, password=s.password, identifier=s.client_id,
                              will=will, keepalive=s.keepalive, tls_context=tls_context, timeout=10,
                              queue_type=self._inline_queue())

    def _inline_queue(self) -> type[asyncio.Queue[aiomqtt.Message]]:
        # aiomqtt hands every message to its queue's put_nowait; dispatching right there skips a task and a
        # queue hop per message. Nothing is buffered: handlers are quick callbacks and TCP is the backpressure.
        deliver = self.deliver

        class Inline(asyncio.Queue[aiomqtt.Message]):
            def put_nowait(self, item: aiomqtt.Message) -> None:
                deliver(str(item.topic), _payload(item.payload), bool(item.retain))

        return Inline

    async def _session(self) -> None:
        self._was_up = False
        async with self._client_for() as client:
            self._client = client
            self._changes.clear()  # a new session subscribes everything current below
            for topic_filter, qos in list(self._qos.items()):
                await client.subscribe(topic_filter, qos=qos)
            if self.settings.status_topic:
                await client.publish(self.settings.status_topic, b"online", qos=1, retain=True)
            self.connections += 1
            self._was_up = True
            log.info("mqtt %s:%d: connected", self.settings.host, self.settings.port)
            self.disconnected.clear()
            self.connected.set()
            async with asyncio.TaskGroup() as tasks:
                stop: list[bool] = []
                sender = tasks.create_task(self._send_loop(client, stop))
                try:
                    async for _ in client.messages:  # messages arrive inline; this only ends on disconnect
                        pass
                finally:
                    # Seen on a busy machine: the sender's cancellation can be lost while it waits, which would
                    # hold this task group (and the hub's shutdown) forever; a flag and a wake-up end it anyway.
                    stop.append(True)
                    self._wake.set()
                    sender.cancel()

    async def _send_loop(self, client: aiomqtt.Client, stop: list[bool]) -> None:
        # Subscription changes go first, so a handler added before a publish hears its answer.
        while not stop:
            while self._changes:
                topic_filter, subscribe = self._changes[0]
                if subscribe and topic_filter in self._qos:
                    await client.subscribe(topic_filter, qos=self._qos[topic_filter])
                elif not subscribe and topic_filter not in self._qos:
                    await client.unsubscribe(topic_filter)
                self._changes.popleft()
            if self._outbox:
                await self._send_head(client)
                continue
            self._wake.clear()
            await self._wake.wait()

    async def _send_head(self, client: aiomqtt.Client) -> None:
        item = self._outbox[0]
        try:
            async with asyncio.timeout(self.settings.publish_timeout):
                await client.publish(item.topic, item.payload, qos=item.qos, retain=item.retain)
        except (aiomqtt.MqttError, TimeoutError) as exc:
            # Left at the head of the outbox: the next connection sends it (at least once).
            raise aiomqtt.MqttError(f"publish to {item.topic} failed: {exc}") from exc
        if self._outbox and self._outbox[0] is item:
            self._outbox.popleft()

    def deliver(self, topic: str, payload: bytes, retained: bool = False) -> None:
        """Hand a message to the matching handlers, as if it came from the broker (also the in-memory seam)."""
        for handler in tuple(self._exact.get(topic, ())):
            _call(handler, topic, payload, retained)
        if self._wild:
            for topic_filter, handlers in tuple(self._wild.items()):
                if matches(topic_filter, topic):
                    for handler in tuple(handlers):
                        _call(handler, topic, payload, retained)


def matches(topic_filter: str, topic: str) -> bool:
    """MQTT topic filter matching with `+` and `#`."""
    f_parts = topic_filter.split("/")
    t_parts = topic.split("/")
    for i, part in enumerate(f_parts):
        if part == "#":
            return True
        if i >= len(t_parts):
            return False
        if part != "+" and part != t_parts[i]:
            return False
    return len(f_parts) == len(t_parts)


def _payload(raw: object) -> bytes:
    if isinstance(raw, bytes | bytearray):
        return bytes(raw)
    if raw is None:
        return b""
    return str(raw).encode()


def _call(handler: Handler, topic: str, payload: bytes, retained: bool) -> None:
    try:
        handler(topic, payload, retained)
    except Exception:  # one bad handler must not stop the connection
        log.exception("mqtt handler for %s failed", topic)
