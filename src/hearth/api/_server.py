"""Serve the API with uvicorn inside the hub's task group, with readiness as a handshake."""

from __future__ import annotations

import asyncio
import logging
import socket
from typing import Any

import uvicorn

from hearth.errors import HearthError

log = logging.getLogger(__name__)


class HttpServer:
    """A uvicorn server bound to one address; `started` is set once it accepts connections."""

    def __init__(self, app: Any, host: str, port: int) -> None:
        self.host = host
        self.port = port
        config = uvicorn.Config(app, host=host, port=port, log_level="warning", lifespan="off", ws="websockets-sansio")
        self._server = uvicorn.Server(config)
        self._socket: socket.socket | None = None

    def bind(self) -> None:
        """Bind now so a taken port is a clear error at start, and port 0 picks a free one."""
        family = socket.AF_INET6 if ":" in self.host else socket.AF_INET
        # Name the protocol: asyncio sets TCP_NODELAY only on sockets whose proto is IPPROTO_TCP, and without
        # it every response waits ~40 ms for the client's delayed ACK (headers and body are separate writes).
        sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((self.host, self.port))
        except OSError as exc:
            sock.close()
            raise HearthError(f"cannot listen on {self.host}:{self.port}: {exc.strerror}") from None
        sock.listen(128)
        sock.setblocking(False)
        self.port = sock.getsockname()[1]
        self._socket = sock

    @property
    def url(self) -> str:
        """Where the dashboard is."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    async def serve(self, started: asyncio.Event) -> None:
        """Run until cancelled."""
        if self._socket is None:
            self.bind()
        assert self._socket is not None

        async def announce() -> None:
            # uvicorn exposes readiness only as a flag, so poll it briefly at start.
            while not self._server.started:  # noqa: ASYNC110
                await asyncio.sleep(0.01)
            started.set()

        waiter = asyncio.create_task(announce())
        try:
            await self._server.serve(sockets=[self._socket])
        finally:
            waiter.cancel()

    def stop(self) -> None:
        """Ask uvicorn to exit."""
        self._server.should_exit = True
