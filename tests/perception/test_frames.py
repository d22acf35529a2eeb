from __future__ import annotations

import asyncio

import numpy as np
import pytest

from hearth.errors import AdapterError
from hearth.perception import Frame, FrameQueue, decode_jpeg, encode_jpeg
from hearth.perception._frames import fit_width


def _frame(i: int) -> Frame:
    return Frame("cam", float(i), np.full((4, 4, 3), i, np.uint8))


async def test_queue_drops_the_oldest_frame_when_full() -> None:
    queue = FrameQueue(2)
    for i in range(5):
        queue.put(_frame(i))
    queue.close()
    assert [f.time async for f in queue] == [3.0, 4.0]
    assert queue.dropped == 3


async def test_queue_waits_for_a_frame_and_ends_when_closed() -> None:
    queue = FrameQueue(1)
    getter = asyncio.ensure_future(queue.get())
    await asyncio.sleep(0)
    assert not getter.done()
    queue.put(_frame(7))
    assert (await getter) is not None
    queue.close()
    assert await queue.get() is None


def test_queue_needs_room_for_a_frame() -> None:
    with pytest.raises(ValueError):
        FrameQueue(0)


def test_jpeg_round_trip_keeps_a_photograph(astronaut: np.ndarray) -> None:
    back = decode_jpeg(encode_jpeg(astronaut, 90))
    assert back.shape == astronaut.shape
    assert float(np.abs(back.astype(int) - astronaut.astype(int)).mean()) < 4


def test_garbage_is_not_an_image() -> None:
    with pytest.raises(AdapterError, match="not a JPEG"):
        decode_jpeg(b"<html>login</html>")


def test_fit_width_only_shrinks(astronaut: np.ndarray) -> None:
    assert fit_width(astronaut, 256).shape == (256, 256, 3)
    assert fit_width(astronaut, 1024) is astronaut
