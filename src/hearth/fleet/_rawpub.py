"""Core NATS publishing for the load generator: pre-encoded `PUB` frames written in chunks on a connection of
its own, the way a crowd of devices reaches the server, without a client library's per-message work.

`flush()` is a PING answered by a PONG: the server answers only after it has taken in every frame written
before, so messages published on another connection afterwards are stored after them.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections import deque
from urllib.parse import unquote, urlsplit

from hearth.fleet._nats import FleetError


def frame(subject: str, payload: bytes) -> bytes:
    """One core publish, ready to write."""
    return b"PUB %s %d\r\n%s\r\n" % (subject.encode(), len(payload), payload)


class RawPublisher:
    """A plain `nats://` connection (user and password or token from the URL) that only publishes."""

    def __init__(self, url: str, name: str = "hearth-loadgen") -> None:
        parts = urlsplit(url)
        if parts.scheme not in ("nats", ""):
            raise FleetError(f"the load generator speaks plain nats:// only, not {parts.scheme}://")
        self._host, self._port = parts.hostname or "127.0.0.1", parts.port or 4222
        self._connect: dict[str, object] = {"verbose": False, "pedantic": False, "headers": False, "name": name,
                                            "lang": "python", "version": "hearth", "protocol": 1}
        if parts.username and parts.password is not None:
            self._connect.update(user=unquote(parts.username), **{"pass": unquote(parts.password)})
        elif parts.username:
            self._connect["auth_token"] = unquote(parts.username)
        self._reader: asyncio.StreamReader | None = None
        self._writer: asyncio.StreamWriter | None = None
        self._pongs: deque[asyncio.Future[None]] = deque()
        self._task: asyncio.Task[None] | None = None
        self.error = ""
        self.timeout = 30.0

    async def __aenter__(self) -> RawPublisher:
        try:
            self._reader, self._writer = await asyncio.open_connection(self._host, self._port)
            info = await asyncio.wait_for(self._reader.readline(), 5.0)
        except (OSError, TimeoutError) as exc:
            raise FleetError(f"cannot connect to NATS at {self._host}:{self._port}: {exc}") from exc
        if not info.startswith(b"INFO "):
            raise FleetError(f"not a NATS server at {self._host}:{self._port}: {info[:80]!r}")
        self._writer.write(b"CONNECT " + json.dumps(self._connect).encode() + b"\r\n")
        self._task = asyncio.create_task(self._read(), name="load generator connection")
        await self.flush()
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._writer is not None:
            self._writer.close()
            with contextlib.suppress(OSError):
                await self._writer.wait_closed()
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    def write(self, frames: bytes) -> None:
        """Queue frames for sending (see `drain`)."""
        if self.error:
            raise FleetError(f"NATS refused the load generator: {self.error}")
        assert self._writer is not None
        self._writer.write(frames)

    async def drain(self) -> None:
        """Wait until the socket has room again."""
        assert self._writer is not None
        await self._writer.drain()

    async def flush(self) -> None:
        """Return once the server has taken in everything written before (within `self.timeout` seconds)."""
        assert self._writer is not None
        pong: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._pongs.append(pong)
        self._writer.write(b"PING\r\n")
        try:
            await asyncio.wait_for(asyncio.shield(pong), self.timeout)
        except TimeoutError as exc:
            raise FleetError(f"NATS did not answer a PING within {self.timeout:g}s") from exc
        if self.error:
            raise FleetError(f"NATS refused the load generator: {self.error}")

    async def _read(self) -> None:
        assert self._reader is not None and self._writer is not None
        try:
            while line := await self._reader.readline():
                if line.startswith(b"PING"):
                    self._writer.write(b"PONG\r\n")
                elif line.startswith(b"PONG"):
                    if self._pongs:
                        self._pongs.popleft().set_result(None)
                elif line.startswith(b"-ERR"):
                    self.error = line[5:].strip().decode(errors="replace")
        except OSError as exc:
            self.error = self.error or str(exc)
        self.error = self.error or "connection closed"
        while self._pongs:  # wake anyone waiting: the error says what happened
            self._pongs.popleft().set_result(None)
