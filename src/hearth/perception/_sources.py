"""Camera sources: RTSP/HTTP streams and video files (OpenCV), HTTP snapshots, MJPEG over HTTP, image folders.

A source is opened, read one frame at a time and closed. Blocking work (OpenCV capture, decoding) runs
through `offload`, asyncio.to_thread by default, so the event loop never waits on a camera. `paced`
sources deliver a frame whenever asked (the camera asks `fps` times a second); the others block until
the camera sends one and drop frames that come faster than `fps`.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, Protocol, TypeVar

import cv2
import httpx
import numpy as np

from hearth.errors import AdapterError
from hearth.perception._frames import Image, decode_jpeg, fit_width
from hearth.perception._settings import IMAGE_SUFFIXES, CameraSettings, local_path

T = TypeVar("T")
Offload = Callable[..., Awaitable[Any]]
_MAX_JPEG = 16 * 1024 * 1024


async def run_inline(fn: Callable[..., T], *args: Any) -> T:
    """An offload that runs the work right here: for virtual time, where a thread's real time would not pass."""
    return fn(*args)


class Source(Protocol):
    """Where a camera's frames come from."""

    paced: bool

    async def open(self) -> None:
        """Connect; raises AdapterError when the camera cannot be reached."""
        ...

    async def read(self) -> Image | None:
        """The next frame; None when a finite source has ended. Raises AdapterError on failure."""
        ...

    async def close(self) -> None:
        """Release the connection."""
        ...


class VideoSource:
    """A video file or a network stream (RTSP, HTTP) read by OpenCV's FFmpeg backend."""

    def __init__(self, address: str, fps: float, width: int, loop: bool = True, live: bool = False,
                 offload: Offload = asyncio.to_thread) -> None:
        self.address, self.fps, self.width, self.loop, self.live = address, fps, width, loop, live
        self.paced = not live
        self._offload = offload
        self._capture: cv2.VideoCapture | None = None
        self._step = 1
        self._last = 0.0

    async def open(self) -> None:
        """Open the file or connect to the stream."""
        self._capture = await self._offload(self._open)

    def _open(self) -> cv2.VideoCapture:
        if not self.live and not Path(self.address).is_file():
            raise AdapterError(f"no video file {self.address}")
        capture = cv2.VideoCapture(self.address, cv2.CAP_FFMPEG) if self.live else cv2.VideoCapture(self.address)
        if not capture.isOpened():
            capture.release()
            raise AdapterError(f"OpenCV cannot open {self.address}")
        native = capture.get(cv2.CAP_PROP_FPS) or 0.0
        self._step = max(1, round(native / self.fps)) if not self.live and native > 0 else 1
        return capture

    async def read(self) -> Image | None:
        """Decode the next frame due at this source's rate."""
        if self._capture is None:
            raise AdapterError(f"{self.address} is not open")
        image: Image | None = await self._offload(self._read, self._capture)
        return image

    def _read(self, capture: cv2.VideoCapture) -> Image | None:
        if self.live:  # skip, without decoding, the frames that come faster than our rate
            while time.monotonic() - self._last < 1.0 / self.fps:
                if not capture.grab():
                    raise AdapterError(f"{self.address} stopped sending frames")
            self._last = time.monotonic()
            ok, image = capture.read()
            if not ok:
                raise AdapterError(f"{self.address} stopped sending frames")
            return fit_width(np.asarray(image, dtype=np.uint8), self.width)
        for _ in range(self._step - 1):
            capture.grab()
        ok, image = capture.read()
        if not ok and self.loop:
            capture.set(cv2.CAP_PROP_POS_FRAMES, 0)
            ok, image = capture.read()
        return fit_width(np.asarray(image, dtype=np.uint8), self.width) if ok else None

    async def close(self) -> None:
        """Release the capture."""
        if self._capture is not None:
            capture, self._capture = self._capture, None
            await self._offload(capture.release)


class SnapshotSource:
    """An HTTP URL that returns one JPEG per request, polled at the camera's rate."""

    paced = True

    def __init__(self, url: str, width: int, timeout: float = 10.0, offload: Offload = asyncio.to_thread,
                 http: httpx.AsyncClient | None = None) -> None:
        self.url, self.width, self.timeout = url, width, timeout
        self._offload = offload
        self._own = http is None
        self._http = http

    async def open(self) -> None:
        """Prepare the HTTP client and check the camera answers."""
        if self._http is None:
            self._http = httpx.AsyncClient(timeout=self.timeout, follow_redirects=True)

    async def read(self) -> Image | None:
        """Fetch and decode one snapshot."""
        assert self._http is not None, "open() first"
        try:
            response = await self._http.get(self.url)
        except httpx.HTTPError as exc:
            raise AdapterError(f"snapshot {self.url}: {type(exc).__name__}: {exc}") from exc
        if response.status_code != 200:
            raise AdapterError(f"snapshot {self.url}: HTTP {response.status_code}")
        image: Image = await self._offload(_decode_fit, response.content, self.width)
        return image

    async def close(self) -> None:
        """Close the HTTP client if this source made it."""
        if self._own and self._http is not None:
            await self._http.aclose()
            self._http = None


class MjpegSource:
    """A multipart MJPEG stream over HTTP (`multipart/x-mixed-replace`), split on JPEG markers."""

    paced = False

    def __init__(self, url: str, fps: float, width: int, now: Callable[[], float], timeout: float = 10.0,
                 offload: Offload = asyncio.to_thread) -> None:
        self.url, self.fps, self.width, self.timeout = url, fps, width, timeout
        self._now = now
        self._offload = offload
        self._http: httpx.AsyncClient | None = None
        self._response: httpx.Response | None = None
        self._chunks: Any = None
        self._buffer = bytearray()
        self._last = float("-inf")

    async def open(self) -> None:
        """Connect and start streaming."""
        self._http = httpx.AsyncClient(timeout=httpx.Timeout(self.timeout, read=self.timeout))
        try:
            request = self._http.build_request("GET", self.url)
            self._response = await self._http.send(request, stream=True)
        except httpx.HTTPError as exc:
            await self.close()
            raise AdapterError(f"MJPEG {self.url}: {type(exc).__name__}: {exc}") from exc
        if self._response.status_code != 200:
            status = self._response.status_code
            await self.close()
            raise AdapterError(f"MJPEG {self.url}: HTTP {status}")
        self._chunks = self._response.aiter_bytes()

    async def read(self) -> Image | None:
        """The next JPEG in the stream that is due at this source's rate."""
        while True:
            jpeg = await self._next_jpeg()
            if jpeg is None:
                return None
            now = self._now()
            if now - self._last >= 1.0 / self.fps * 0.999:
                self._last = now
                image: Image = await self._offload(_decode_fit, jpeg, self.width)
                return image

    async def _next_jpeg(self) -> bytes | None:
        while True:
            start = self._buffer.find(b"\xff\xd8")
            end = self._buffer.find(b"\xff\xd9", start + 2) if start >= 0 else -1
            if start >= 0 and end >= 0:
                jpeg = bytes(self._buffer[start:end + 2])
                del self._buffer[:end + 2]
                return jpeg
            if len(self._buffer) > _MAX_JPEG:
                raise AdapterError(f"MJPEG {self.url}: no complete JPEG in {_MAX_JPEG} bytes")
            try:
                chunk = await anext(self._chunks)
            except StopAsyncIteration:
                return None
            except httpx.HTTPError as exc:
                raise AdapterError(f"MJPEG {self.url}: {type(exc).__name__}: {exc}") from exc
            self._buffer += chunk

    async def close(self) -> None:
        """Stop streaming."""
        if self._response is not None:
            await self._response.aclose()
            self._response = None
        if self._http is not None:
            await self._http.aclose()
            self._http = None


class FolderSource:
    """Images in a folder, in name order, one per frame; loops unless told not to."""

    paced = True

    def __init__(self, folder: str, width: int, loop: bool = True, offload: Offload = asyncio.to_thread) -> None:
        self.folder, self.width, self.loop = Path(folder), width, loop
        self._offload = offload
        self._files: list[Path] = []
        self._next = 0

    async def open(self) -> None:
        """List the images."""
        if not self.folder.is_dir():
            raise AdapterError(f"no image folder {self.folder}")
        self._files = sorted(p for p in self.folder.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)
        if not self._files:
            raise AdapterError(f"no images ({', '.join(sorted(IMAGE_SUFFIXES))}) in {self.folder}")

    async def read(self) -> Image | None:
        """Read and decode the next image."""
        if self._next >= len(self._files):
            if not self.loop:
                return None
            self._next = 0
        path = self._files[self._next]
        self._next += 1
        image: Image = await self._offload(_read_file, path, self.width)
        return image

    async def close(self) -> None:
        """Nothing to release."""


def _decode_fit(data: bytes, width: int) -> Image:
    return fit_width(decode_jpeg(data), width)


def _read_file(path: Path, width: int) -> Image:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise AdapterError(f"cannot read {path}: {exc.strerror}") from exc
    return _decode_fit(data, width)


def open_source(settings: CameraSettings, now: Callable[[], float], offload: Offload = asyncio.to_thread) -> Source:
    """The source for a camera's settings (not yet opened); twin cameras are built by the perception service."""
    kind, address = settings.kind, settings.source
    if kind == "snapshot":
        return SnapshotSource(address, settings.width, offload=offload)
    if kind == "mjpeg":
        return MjpegSource(address, settings.fps, settings.width, now, offload=offload)
    if kind == "folder":
        return FolderSource(local_path(address), settings.width, settings.loop, offload=offload)
    if kind == "file":
        return VideoSource(local_path(address), settings.fps, settings.width, settings.loop, offload=offload)
    if kind == "stream":
        return VideoSource(address, settings.fps, settings.width, live=True, offload=offload)
    raise AdapterError(f"camera {settings.camera}: a {kind!r} source is made by the perception service")
