"""Privacy masks and the motion gate: the cheap stages every frame passes through."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import cv2
import numpy as np

from hearth.perception._frames import Image
from hearth.perception._settings import Region, region_mask

Box = tuple[int, int, int, int]
_GATE_WIDTH = 160  # motion is judged on a small grey copy: 1/16 of the pixels of a 640×480 frame


class PrivacyMask:
    """Blacks out regions of every frame; applied before anything else sees, stores or sends it."""

    def __init__(self, regions: Sequence[Region]) -> None:
        self.regions = tuple(regions)
        self._keep: dict[tuple[int, int], np.ndarray[Any, np.dtype[np.uint8]] | None] = {}

    def apply(self, image: Image) -> Image:
        """The frame with the masked regions black (the input is not changed)."""
        if not self.regions:
            return image
        h, w = image.shape[:2]
        keep = self._keep.get((w, h))
        if (w, h) not in self._keep:
            hidden = region_mask(self.regions, w, h)
            keep = None if hidden is None else np.asarray(cv2.merge([cv2.bitwise_not(hidden)] * image.shape[2]),
                                                          dtype=np.uint8)
            self._keep[(w, h)] = keep
        return image if keep is None else np.asarray(cv2.bitwise_and(image, keep), dtype=np.uint8)


@dataclass(frozen=True, slots=True)
class GateResult:
    """What the gate made of one frame."""

    open: bool
    motion: bool
    changed: float
    regions: tuple[Box, ...] = ()
    opened: bool = False
    closed: bool = False


def thresholds(sensitivity: float) -> tuple[int, float]:
    """Pixel difference and changed-area share that count as motion at a sensitivity in [0, 1]."""
    s = min(1.0, max(0.0, sensitivity))
    return round(8 + (1 - s) * 40), 0.001 + (1 - s) ** 2 * 0.03


class MotionGate:
    """Opens when a frame differs from the learned background, and stays open `hold` seconds after.

    The background is a running average of small, blurred grey copies that forgets with a time constant
    of `settle` seconds; ignore-masks (a TV, a window with trees) never count as change. Only while the
    gate is open does anything costlier look at frames.
    """

    def __init__(self, sensitivity: float = 0.5, masks: Sequence[Region] = (), hold: float = 2.0,
                 settle: float = 4.0) -> None:
        self.pixel_threshold, self.min_share = thresholds(sensitivity)
        self.masks = tuple(masks)
        self.hold = hold
        self.settle = settle
        self._last_time: float | None = None
        self._background: np.ndarray[Any, np.dtype[np.float32]] | None = None
        self._ignore: np.ndarray[Any, np.dtype[np.uint8]] | None = None
        self._active_pixels = 1
        self._small_size = (0, 0)
        self._scale = 1.0
        self._open_until = float("-inf")
        self._was_open = False
        self.frames = 0
        self.open_frames = 0

    @property
    def is_open(self) -> bool:
        """Whether the last frame left the gate open."""
        return self._was_open

    def reset(self) -> None:
        """Forget the background (after a reconnect the picture may have moved)."""
        self._background = None
        self._last_time = None
        self._open_until = float("-inf")
        self._was_open = False

    def update(self, image: Image, now: float) -> GateResult:
        """Judge one frame taken at `now`."""
        self.frames += 1
        small = self._small(image)
        elapsed = now - self._last_time if self._last_time is not None else 0.0
        self._last_time = now
        if self._background is None or self._background.shape != small.shape:
            self._start(image, small)
            return GateResult(False, False, 0.0)
        assert self._background is not None
        diff = cv2.absdiff(small, cv2.convertScaleAbs(self._background))
        _, changed_px = cv2.threshold(diff, self.pixel_threshold, 255, cv2.THRESH_BINARY)
        if self._ignore is not None:
            changed_px = cv2.bitwise_and(changed_px, self._ignore)
        share = cv2.countNonZero(changed_px) / self._active_pixels
        motion = share >= self.min_share
        # Learn in time, not frames: whatever stops changing joins the background within a few `settle`
        # seconds at any frame rate, so a person who sits still closes the gate again.
        rate = 1.0 - math.exp(-max(elapsed, 1e-3) / self.settle) if self.settle > 0 else 1.0
        cv2.accumulateWeighted(small, self._background, min(1.0, rate))
        if motion:
            self._open_until = now + self.hold
        is_open = motion or now <= self._open_until
        opened, closed = is_open and not self._was_open, self._was_open and not is_open
        self._was_open = is_open
        if is_open:
            self.open_frames += 1
        regions = self._regions(np.asarray(changed_px, dtype=np.uint8)) if motion else ()
        return GateResult(is_open, motion, share, regions, opened, closed)

    def _small(self, image: Image) -> np.ndarray[Any, np.dtype[np.uint8]]:
        h, w = image.shape[:2]
        if (w, h) != self._small_size:
            self._small_size = (w, h)
            self._scale = w / _GATE_WIDTH if w > _GATE_WIDTH else 1.0
        sw, sh = round(w / self._scale), round(h / self._scale)
        small = cv2.resize(image, (sw, sh), interpolation=cv2.INTER_AREA) if self._scale != 1.0 else image
        grey = cv2.cvtColor(small, cv2.COLOR_BGR2GRAY) if small.ndim == 3 else small
        return np.asarray(cv2.GaussianBlur(grey, (5, 5), 0), dtype=np.uint8)

    def _start(self, image: Image, small: np.ndarray[Any, np.dtype[np.uint8]]) -> None:
        self._background = small.astype(np.float32)
        h, w = image.shape[:2]
        full = region_mask(self.masks, w, h)
        if full is None:
            self._ignore = None
            self._active_pixels = small.size
            return
        hidden = cv2.resize(full, (small.shape[1], small.shape[0]), interpolation=cv2.INTER_NEAREST)
        self._ignore = np.asarray(cv2.bitwise_not(hidden), dtype=np.uint8)
        self._active_pixels = max(1, cv2.countNonZero(self._ignore))

    def _regions(self, changed_px: np.ndarray[Any, np.dtype[np.uint8]]) -> tuple[Box, ...]:
        grown = cv2.dilate(changed_px, np.ones((3, 3), np.uint8), iterations=2)
        contours, _ = cv2.findContours(grown, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
        boxes = []
        for contour in contours:
            x, y, w, h = cv2.boundingRect(contour)
            if w * h >= 12:
                s = self._scale
                boxes.append((round(x * s), round(y * s), round(w * s), round(h * s)))
        boxes.sort(key=lambda b: b[2] * b[3], reverse=True)
        return tuple(boxes[:8])
