"""An asyncio miIO LAN client: hello handshake, encrypted requests with retries, pushes with acknowledgement."""

from __future__ import annotations

import asyncio
import itertools
import logging
from collections import deque
from collections.abc import AsyncIterator, Iterable, Sequence
from dataclasses import dataclass
from types import TracebackType
from typing import Any

from hearth.adapters.miio._codes import DeviceRefused, DeviceUnreachable, describe
from hearth.adapters.miio._packet import HELLO, PORT, Header, PacketError, Token, decode, dump_json, encode, load_json
from hearth.errors import AdapterError

log = logging.getLogger(__name__)

PUSH_METHODS = frozenset({"properties_changed", "event_occured"})


@dataclass(frozen=True, slots=True)
class Push:
    """A message the device sent on its own: `properties_changed` or `event_occured`."""

    method: str
    params: Any
    id: int


@dataclass(frozen=True, slots=True)
class PropertyResult:
    """One entry of a get/set_properties answer."""

    siid: int
    piid: int
    code: int
    value: Any = None


@dataclass(slots=True)
class _Session:
    did: int
    stamp: int
    at: float  # loop time when `stamp` was seen


class _Protocol(asyncio.DatagramProtocol):
    def __init__(self, client: MiioClient) -> None:
        self._client = client

    def datagram_received(self, data: bytes, addr: tuple[str | Any, int]) -> None:
        self._client._received(data)

    def error_received(self, exc: Exception) -> None:
        # ICMP "port unreachable" shows up here; the request's timeout and retries deal with it.
        log.debug("miio %s: socket error %s", self._client.host, exc)


class MiioClient:
    """Talks to one miIO device over UDP; use as an async context manager.

    Pushes from the device are acknowledged at once, de-duplicated by message id, and queued in a bounded
    buffer of `push_buffer` entries; when it is full the oldest push is dropped (a newer value supersedes it).
    """

    def __init__(
        self,
        host: str,
        token: Token | str,
        *,
        port: int = PORT,
        did: int | None = None,
        timeout: float = 2.0,
        retries: int = 2,
        push_buffer: int = 256,
    ) -> None:
        self.host = host
        self.port = port
        self.token = token if isinstance(token, Token) else Token.from_hex(token)
        self.timeout = timeout
        self.retries = retries
        self._did = did
        self._session: _Session | None = None
        self._transport: asyncio.DatagramTransport | None = None
        self._ids = itertools.count(1)
        self._pending: dict[int, asyncio.Future[dict[str, Any]]] = {}
        self._hello: asyncio.Future[Header] | None = None
        self._pushes: deque[Push] = deque(maxlen=push_buffer)
        self._push_ready = asyncio.Event()
        self._seen_push: deque[int] = deque(maxlen=128)
        self._lock = asyncio.Lock()

    async def __aenter__(self) -> MiioClient:
        loop = asyncio.get_running_loop()
        transport, _ = await loop.create_datagram_endpoint(lambda: _Protocol(self), remote_addr=(self.host, self.port))
        self._transport = transport
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close the socket and fail whatever is still waiting."""
        if self._transport is not None:
            self._transport.close()
            self._transport = None
        for fut in self._pending.values():
            if not fut.done():
                fut.set_exception(AdapterError(f"miio {self.host}: connection closed"))
        self._pending.clear()

    @property
    def did(self) -> int | None:
        """The device id, known from the binding or learnt from the hello reply."""
        return self._did

    async def hello(self) -> Header:
        """Handshake: learn the device id and its clock (stamp) so requests carry a fresh timestamp."""
        loop = asyncio.get_running_loop()
        for _attempt in range(self.retries + 1):
            self._hello = loop.create_future()
            self._send(HELLO)
            try:
                async with asyncio.timeout(self.timeout):
                    header = await self._hello
            except TimeoutError:
                continue
            if self._did is None:
                self._did = header.did
            self._session = _Session(header.did, header.stamp, loop.time())
            return header
        self._session = None
        raise DeviceUnreachable(f"miio device at {self.host}:{self.port} did not answer the hello handshake")

    async def send(self, method: str, params: Any) -> Any:
        """Send one request and return its `result`; raises DeviceRefused or DeviceUnreachable."""
        async with self._lock:
            return await self._request(method, params)

    async def _request(self, method: str, params: Any) -> Any:
        loop = asyncio.get_running_loop()
        ids: list[int] = []
        try:
            for _attempt in range(self.retries + 1):
                if self._session is None:
                    await self.hello()
                msg_id = next(self._ids)
                ids.append(msg_id)
                fut: asyncio.Future[dict[str, Any]] = loop.create_future()
                self._pending[msg_id] = fut
                self._send(encode(dump_json({"id": msg_id, "method": method, "params": params}), self.token,
                                  self._header_did(), self._stamp()))
                try:
                    async with asyncio.timeout(self.timeout):
                        reply = await fut
                except TimeoutError:
                    log.debug("miio %s: %s timed out (attempt %d)", self.host, method, _attempt + 1)
                    self._session = None  # the device may have restarted: handshake again
                    continue
                return _result(reply, method)
        finally:
            for msg_id in ids:
                self._pending.pop(msg_id, None)
        raise DeviceUnreachable(
            f"miio device at {self.host}:{self.port} did not answer {method} after {self.retries + 1} tries"
        )

    async def get_properties(self, addresses: Iterable[tuple[int, int]]) -> list[PropertyResult]:
        """Read properties by (siid, piid)."""
        did = str(self._did or 0)
        params = [{"did": did, "siid": s, "piid": p} for s, p in addresses]
        return _property_results(await self.send("get_properties", params))

    async def set_properties(self, values: Iterable[tuple[int, int, Any]]) -> list[PropertyResult]:
        """Write properties by (siid, piid, value)."""
        did = str(self._did or 0)
        params = [{"did": did, "siid": s, "piid": p, "value": v} for s, p, v in values]
        return _property_results(await self.send("set_properties", params))

    async def action(self, siid: int, aiid: int, inputs: Sequence[tuple[int, Any]] = ()) -> dict[str, Any]:
        """Call an action with its input (piid, value) pairs; returns the result object (code, out)."""
        params = {"did": str(self._did or 0), "siid": siid, "aiid": aiid,
                  "in": [{"piid": p, "value": v} for p, v in inputs]}
        result = await self.send("action", params)
        if not isinstance(result, dict):
            raise AdapterError(f"miio {self.host}: malformed action answer {result!r}")
        code = int(result.get("code", 0))
        if code not in (0, 1):
            raise DeviceRefused(describe(code), code)
        return result

    async def pushes(self) -> AsyncIterator[Push]:
        """Yield pushes as they arrive (each already acknowledged and de-duplicated)."""
        while True:
            while self._pushes:
                yield self._pushes.popleft()
            self._push_ready.clear()
            await self._push_ready.wait()

    def _header_did(self) -> int:
        return self._session.did if self._session else (self._did or 0)

    def _stamp(self) -> int:
        session = self._session
        if session is None:
            return 0
        return session.stamp + int(asyncio.get_running_loop().time() - session.at)

    def _send(self, data: bytes) -> None:
        if self._transport is None:
            raise AdapterError(f"miio {self.host}: client is not open")
        self._transport.sendto(data)

    def _received(self, data: bytes) -> None:
        try:
            header, payload = decode(data, self.token)
        except PacketError as exc:
            log.warning("miio %s: dropped a packet: %s", self.host, exc)
            return
        if header.is_hello:
            if self._hello is not None and not self._hello.done():
                self._hello.set_result(header)
            return
        try:
            message = load_json(payload)
        except PacketError as exc:
            log.warning("miio %s: dropped a packet: %s", self.host, exc)
            return
        if "method" in message:
            self._on_push(message, header)
            return
        msg_id = message.get("id")
        fut = self._pending.get(msg_id) if isinstance(msg_id, int) else None
        if fut is not None and not fut.done():
            fut.set_result(message)

    def _on_push(self, message: dict[str, Any], header: Header) -> None:
        msg_id = message.get("id")
        method = message.get("method")
        if not isinstance(msg_id, int) or method not in PUSH_METHODS:
            log.warning("miio %s: ignored unexpected request %r", self.host, method)
            return
        # Acknowledge every copy: the device resends until it hears back.
        self._session = self._session or _Session(header.did, header.stamp, asyncio.get_running_loop().time())
        self._send(encode(dump_json({"id": msg_id, "result": ["ok"]}), self.token, self._header_did(), self._stamp()))
        if msg_id in self._seen_push:
            return
        self._seen_push.append(msg_id)
        if len(self._pushes) == self._pushes.maxlen:
            log.warning("miio %s: push buffer full, dropping the oldest push", self.host)
        self._pushes.append(Push(str(method), message.get("params"), msg_id))
        self._push_ready.set()


def _result(reply: dict[str, Any], method: str) -> Any:
    error = reply.get("error")
    if error is not None:
        code = int(error.get("code", -1)) if isinstance(error, dict) else -1
        detail = error.get("message", "") if isinstance(error, dict) else str(error)
        suffix = f": {detail}" if detail else ""
        raise DeviceRefused(f"{method}: {describe(code)}{suffix}", code)
    return reply.get("result")


def _property_results(result: Any) -> list[PropertyResult]:
    if not isinstance(result, list):
        raise AdapterError(f"miio: malformed properties answer {result!r}")
    out: list[PropertyResult] = []
    for item in result:
        if not isinstance(item, dict) or "siid" not in item or "piid" not in item:
            raise AdapterError(f"miio: malformed property entry {item!r}")
        out.append(PropertyResult(int(item["siid"]), int(item["piid"]), int(item.get("code", 0)), item.get("value")))
    return out
