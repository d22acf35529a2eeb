"""Real photographs (scikit-image's samples) and real video made from them, for the perception tests."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import pytest
from skimage import data

from hearth.perception import Scene, compose

Image = np.ndarray[Any, np.dtype[np.uint8]]


async def inline(fn: Any, *args: Any) -> Any:
    """Run blocking work in the loop's thread, so a fake clock's `run_for` sees it finish."""
    return fn(*args)


@pytest.fixture(scope="session")
def astronaut() -> Image:
    """A real photograph with one person and one face (BGR)."""
    return np.ascontiguousarray(cv2.cvtColor(data.astronaut(), cv2.COLOR_RGB2BGR))


@pytest.fixture(scope="session")
def coffee() -> Image:
    """A real photograph without people, 640×400 (BGR)."""
    return np.ascontiguousarray(cv2.cvtColor(data.coffee(), cv2.COLOR_RGB2BGR))


@pytest.fixture(scope="session")
def empty_room() -> Image:
    """The twin's empty entrance at 640×480."""
    return compose(Scene(), 640)[0]


@pytest.fixture(scope="session")
def visitor() -> Image:
    """The twin's entrance with one person standing in the middle."""
    return compose(Scene((("visitor", 0.5),)), 640)[0]


def write_video(path: Path, frames: Sequence[Image], fps: float = 10.0) -> Path:
    """Write frames to a real MJPG .avi with OpenCV."""
    h, w = frames[0].shape[:2]
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter.fourcc(*"MJPG"), fps, (w, h))
    assert writer.isOpened(), "OpenCV cannot write MJPG video here"
    for frame in frames:
        writer.write(frame)
    writer.release()
    return path
