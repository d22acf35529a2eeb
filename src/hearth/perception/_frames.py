"""Frames, the bounded drop-oldest queue that carries them, and JPEG in and out."""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import AsyncIterator
from dataclasses import dataclass

import cv2
import numpy as np
import numpy.typing as npt

from hearth.errors import AdapterError

Image = npt.NDArray[np.uint8]


@dataclass(frozen=True, slots=True, eq=False)
class Frame:
    """One picture from a camera (BGR, uint8) and when it was taken, in the hub clock's seconds."""

    camera: str
    time: float
    image: Image

    @property
    def size(self) -> tuple[int, int]:
        """Width and height in pixels."""
        return int(self.image.shape[1]), int(self.image.shape[0])


def decode_jpeg(data: bytes) -> Image:
    """Decode a JPEG or PNG into a BGR image; raises AdapterError when the bytes are not an image."""
    buffer = np.frombuffer(data, dtype=np.uint8)
    image = cv2.imdecode(buffer, cv2.IMREAD_COLOR) if buffer.size else None
    if image is None:
        raise AdapterError(f"camera sent {len(data)} bytes that are not a JPEG/PNG image")
    return np.asarray(image, dtype=np.uint8)


def encode_jpeg(image: Image, quality: int = 85) -> bytes:
    """Encode a BGR image as JPEG bytes."""
    ok, buffer = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, quality])
    if not ok:
        raise AdapterError("could not encode a frame as JPEG")
    return bytes(buffer.tobytes())


def fit_width(image: Image, width: int) -> Image:
    """Scale an image down (never up) so it is at most `width` pixels wide."""
    h, w = image.shape[:2]
    if w <= width:
        return image
    scaled = cv2.resize(image, (width, max(1, round(h * width / w))), interpolation=cv2.INTER_AREA)
    return np.asarray(scaled, dtype=np.uint8)


class FrameQueue:
    """A bounded frame buffer between a camera's reader and its pipeline, iterated asynchronously.

    Overflow policy: drop the *oldest* frame. A live camera is only useful now; when the pipeline falls
    behind (a slow detector, a busy box), stale frames are discarded so latency stays bounded by
    `maxsize / fps` instead of growing without limit. `dropped` counts what was discarded.
    """

    def __init__(self, maxsize: int = 2) -> None:
        if maxsize < 1:
            raise ValueError("maxsize must be at least 1")
        self.maxsize = maxsize
        self._items: deque[Frame] = deque()
        self._ready = asyncio.Event()
        self._closed = False
        self.dropped = 0

    def __len__(self) -> int:
        return len(self._items)

    def put(self, frame: Frame) -> None:
        """Add a frame, discarding the oldest one when full; never blocks."""
        if self._closed:
            return
        if len(self._items) >= self.maxsize:
            self._items.popleft()
            self.dropped += 1
        self._items.append(frame)
        self._ready.set()

    def close(self) -> None:
        """End the iteration once the buffered frames are consumed."""
        self._closed = True
        self._ready.set()

    async def get(self) -> Frame | None:
        """The oldest buffered frame, waiting for one; None once closed and empty."""
        while not self._items:
            if self._closed:
                return None
            self._ready.clear()
            await self._ready.wait()
        return self._items.popleft()

    def __aiter__(self) -> AsyncIterator[Frame]:
        return self._iterate()

    async def _iterate(self) -> AsyncIterator[Frame]:
        while (frame := await self.get()) is not None:
            yield frame
