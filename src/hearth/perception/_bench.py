"""Perception figures for `hearth bench`: gate throughput, how little reaches the costly stages, detector latency."""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any
from zoneinfo import ZoneInfo

import cv2
import numpy as np

from hearth.core import Bus, FakeClock
from hearth.perception._camera import Camera
from hearth.perception._detectors import Detectors
from hearth.perception._frames import Image
from hearth.perception._gate import MotionGate, PrivacyMask
from hearth.perception._rules import CameraRule
from hearth.perception._settings import CameraSettings, Region
from hearth.perception._snapshots import EventLog
from hearth.perception._twin_camera import Scene, compose
from hearth.perception._vlm import Answer

FPS = 5.0
ASK_EVERY = 5.0
FIXED_CADENCE = 2.0  # the model cost without a gate: one question every 2 seconds


class _ListSource:
    paced = True

    def __init__(self, frames: list[Image]) -> None:
        self.frames, self.index = frames, 0

    async def open(self) -> None:
        """Nothing to connect."""

    async def read(self) -> Image | None:
        """The next frame, None at the end."""
        if self.index >= len(self.frames):
            return None
        self.index += 1
        return self.frames[self.index - 1]

    async def close(self) -> None:
        """Nothing to release."""


class _CountingAsker:
    def __init__(self) -> None:
        self.calls = 0

    async def ask(self, question: str, jpeg: bytes) -> Answer:
        self.calls += 1
        return Answer(True, "someone is there")


async def _inline(fn: Any, *args: Any) -> Any:
    return fn(*args)


def _scene_frames(seconds: float) -> list[Image]:
    """A mostly still entrance at FPS: one visitor comes, stays 20 s and goes, in the middle."""
    empty = compose(Scene(), 640)
    visitor = compose(Scene((("visitor", 0.4),)), 640)
    total, arrive = int(seconds * FPS), int(seconds * FPS / 2)
    stay = int(20 * FPS)
    return [(visitor if arrive <= i < arrive + stay else empty)[i % len(empty)] for i in range(total)]


def _gate_fps(frames: list[Image], repeats: int) -> float:
    gate, privacy = MotionGate(), PrivacyMask([Region.parse([0, 0, 80, 60])])
    started = time.perf_counter()
    n = 0
    for r in range(repeats):
        for i, frame in enumerate(frames):
            gate.update(privacy.apply(frame), (r * len(frames) + i) / FPS)
            n += 1
    return n / (time.perf_counter() - started)


async def _pipeline(frames: list[Image]) -> tuple[Camera, _CountingAsker]:
    clock, bus = FakeClock(), Bus()
    settings = CameraSettings.parse("bench", {"source": "twin", "fps": FPS, "vlm": True})
    rule = CameraRule.model_validate({"id": "visitor", "camera": "bench", "ask": "Is someone at the door?",
                                      "ask_every": ASK_EVERY})
    asker = _CountingAsker()
    camera = Camera(settings, bus, clock, lambda: _ListSource(frames), [rule], ZoneInfo("UTC"), EventLog(keep=50),
                    asker, offload=_inline)
    quiet = logging.getLogger("hearth.perception._camera")
    level = quiet.level
    quiet.setLevel(logging.ERROR)  # the scene's end is expected here, not worth a warning
    try:
        task = asyncio.ensure_future(camera.run())
        await clock.run_for(len(frames) / FPS + 5)
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
    finally:
        quiet.setLevel(level)
    return camera, asker


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))] * 1000 if ordered else 0.0


def bench_perception(quick: bool = False, seconds: float | None = None) -> dict[str, Any]:
    """Measure the perception pipeline on one core with 640×480 frames made from real photographs.

    The scene lasts `seconds` (600, or 300 when quick) at 5 frames/s; a visitor stays 20 s in its middle.
    """
    threads = cv2.getNumThreads()
    cv2.setNumThreads(1)
    try:
        seconds = seconds or (300.0 if quick else 600.0)
        frames = _scene_frames(seconds)
        gate_fps = _gate_fps(frames[: int(60 * FPS)], 1 if quick else 4)
        camera, asker = asyncio.run(_pipeline(frames))
        detectors = Detectors()
        people = compose(Scene((("a", 0.1), ("b", 0.7))), 640)[0]
        latencies = [detectors.detect(people if i % 2 else frames[0]).seconds for i in range(6 if quick else 40)]
    finally:
        cv2.setNumThreads(threads)
    status = camera.status
    fixed = seconds / FIXED_CADENCE
    return {
        "frame_size": "640x480",
        "gate_fps": round(gate_fps, 1),
        "frames": status.frames,
        "gate_share": round(status.gate_frames / max(1, status.frames), 4),
        "detector_share": round(status.detector_runs / max(1, status.frames), 4),
        "vlm_share": round(asker.calls / max(1, status.frames), 4),
        "vlm_calls": asker.calls,
        "vlm_calls_fixed_2s": int(fixed),
        "vlm_reduction": round(fixed / max(1, asker.calls), 1),
        "detector_p50_ms": round(_percentile(latencies, 0.5), 1),
        "detector_p99_ms": round(_percentile(latencies, 0.99), 1),
        "scene_seconds": seconds,
        "numpy": np.__version__,
        "opencv": cv2.__version__,
    }


if __name__ == "__main__":
    import json

    print(json.dumps(bench_perception(), indent=1))
