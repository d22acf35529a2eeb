"""A local HTTP camera for the tests: `/snapshot.jpg` and a multipart MJPEG stream at `/video.mjpg`."""

from __future__ import annotations

import asyncio
from types import TracebackType


class CameraServer:
    """Serves the JPEGs in `frames` (snapshot: the current one; MJPEG: all, in order); an async context manager."""

    def __init__(self, frames: list[bytes]) -> None:
        self.frames = frames
        self.current = 0
        self.fail_with: int | None = None
        self.requests = 0
        self.port = 0
        self._server: asyncio.Server | None = None
        self._handlers: set[asyncio.Task[None]] = set()

    @property
    def url(self) -> str:
        """Base URL."""
        return f"http://127.0.0.1:{self.port}"

    async def __aenter__(self) -> CameraServer:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def __aexit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                        tb: TracebackType | None) -> None:
        assert self._server is not None
        self._server.close()
        for task in list(self._handlers):
            task.cancel()
        await asyncio.gather(*self._handlers, return_exceptions=True)
        await self._server.wait_closed()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._handlers.add(task)
        try:
            head = await reader.readuntil(b"\r\n\r\n")
            path = head.split(b" ", 2)[1].decode()
            self.requests += 1
            if self.fail_with is not None:
                writer.write(f"HTTP/1.1 {self.fail_with} Error\r\nContent-Length: 0\r\n\r\n".encode())
            elif path.startswith("/snapshot.jpg"):
                body = self.frames[self.current % len(self.frames)]
                writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: image/jpeg\r\nContent-Length: "
                             + str(len(body)).encode() + b"\r\n\r\n" + body)
            elif path.startswith("/video.mjpg"):
                writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: multipart/x-mixed-replace; boundary=frame\r\n\r\n")
                for jpeg in self.frames:
                    writer.write(b"--frame\r\nContent-Type: image/jpeg\r\nContent-Length: "
                                 + str(len(jpeg)).encode() + b"\r\n\r\n" + jpeg + b"\r\n")
                    await writer.drain()
            else:
                writer.write(b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n")
            await writer.drain()
        except (ConnectionError, asyncio.IncompleteReadError):
            pass  # the client went away: nothing left to serve
        finally:
            writer.close()
            self._handlers.discard(task)
