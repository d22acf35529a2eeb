from __future__ import annotations

import asyncio
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np
import pytest

from hearth.core import Bus, FakeClock, PerceptionDetected, StateStore
from hearth.errors import AdapterError, RuleError
from hearth.model import parse_home
from hearth.perception import (
    Answer,
    Camera,
    CameraRule,
    CameraSettings,
    CameraStatus,
    EventLog,
    VideoSource,
    decode_jpeg,
)
from tests.perception.conftest import inline, write_video

UTC = ZoneInfo("UTC")


class ListSource:
    """Frames from a list, paced by the camera; can fail to open a few times first."""

    paced = True

    def __init__(self, frames: list[np.ndarray], fail_opens: int = 0, hang_after: int | None = None,
                 clock: FakeClock | None = None) -> None:
        self.frames, self.fail_opens, self.hang_after, self.clock = frames, fail_opens, hang_after, clock
        self.opens = 0
        self.index = 0

    async def open(self) -> None:
        self.opens += 1
        if self.opens <= self.fail_opens:
            raise AdapterError("connection refused")

    async def read(self) -> np.ndarray | None:
        if self.hang_after is not None and self.index >= self.hang_after:
            assert self.clock is not None
            await self.clock.sleep(1e9)
        frame = self.frames[min(self.index, len(self.frames) - 1)]
        self.index += 1
        return frame

    async def close(self) -> None:
        return None


class CountingAsker:
    def __init__(self) -> None:
        self.times: list[float] = []
        self.clock: FakeClock | None = None

    async def ask(self, question: str, jpeg: bytes) -> Answer:
        assert self.clock is not None and decode_jpeg(jpeg).shape[1] <= 640
        self.times.append(self.clock.now())
        return Answer(True, "a person is at the door", 0.2, 700, 12)


def _rule(**kw: object) -> CameraRule:
    return CameraRule.model_validate({"id": "visitor", "camera": "door", **kw})


async def _run_for(camera: Camera, clock: FakeClock, seconds: float) -> None:
    task = asyncio.ensure_future(camera.run())
    await clock.run_for(seconds)
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)


async def test_a_visitor_in_a_video_fires_the_rule_and_keeps_a_masked_snapshot(
        tmp_path: Path, empty_room: np.ndarray, visitor: np.ndarray) -> None:
    video = write_video(tmp_path / "door.avi", [empty_room] * 10 + [visitor] * 24 + [empty_room] * 16, fps=2)
    settings = CameraSettings.parse("door", {"source": str(video), "fps": 2, "loop": False, "width": 400,
                                             "detect_fps": 1, "privacy_masks": [[0, 0, 60, 60]]})
    clock, bus = FakeClock(), Bus()
    seen: list[PerceptionDetected] = []
    bus.subscribe(PerceptionDetected, seen.append)
    events = EventLog(tmp_path / "events")
    rules = [_rule(detect="person", confirm={"seconds": 3, "share": 0.6}),
             _rule(id="occupied", detect="person", mode="state", confirm={"seconds": 2, "share": 0.6})]
    camera = Camera(settings, bus, clock, lambda: VideoSource(str(video), 2, 400, False, offload=inline), rules,
                    UTC, events, offload=inline)
    start = clock.now()
    await _run_for(camera, clock, 60)
    kinds = [(e.kind, e.label) for e in seen]
    assert ("motion", "") in kinds and ("person", "") in kinds
    assert kinds.count(("rule", "visitor")) == 1
    assert kinds.count(("rule", "occupied")) == 1 and kinds.count(("rule-exit", "occupied")) == 1
    fired = next(e for e in seen if e.label == "visitor")
    assert fired.count == 1 and start + 5 + 0.6 * 3 <= fired.time <= start + 5 + 3  # the visitor came at 5 s
    status = camera.status
    assert status.frames == 50 and not status.available and status.error == "the source ended"
    # detectors ran only on frames that passed the gate (plus the first and each closing frame)
    assert 0 < status.detector_runs <= status.gate_frames + 3 and status.detector_runs < status.frames / 2
    stored = next(e for e in events.recent() if e.label == "visitor")
    snapshot = events.snapshot(stored.id)
    assert snapshot is not None and decode_jpeg(snapshot)[:60, :60].max() < 30  # blacked out, JPEG noise aside
    assert camera.latest is not None and camera.latest.image[:60, :60].max() == 0


async def test_an_unreachable_camera_is_unavailable_and_retried_with_backoff(empty_room: np.ndarray) -> None:
    clock, bus = FakeClock(), Bus()
    source = ListSource([empty_room], fail_opens=3)
    reports: list[tuple[bool, str]] = []
    settings = CameraSettings.parse("door", {"source": "http://cam/snapshot.jpg", "fps": 1})
    camera = Camera(settings, bus, clock, lambda: source, [], UTC, EventLog(), offload=inline,
                    on_status=lambda s: reports.append((s.available, s.error)))
    task = asyncio.ensure_future(camera.run())
    await clock.run_for(2.5)  # failed at 0, 1 and 3 s: backoff 1 s, then 2 s
    assert source.opens == 2 and not camera.status.available
    assert reports[0] == (False, "connection refused")
    await clock.run_for(5)
    assert source.opens == 4 and camera.status.available and camera.status.reconnects == 3
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)


async def test_a_camera_that_stops_sending_is_marked_unavailable(empty_room: np.ndarray) -> None:
    clock, bus = FakeClock(), Bus()
    sources: list[ListSource] = []

    def make() -> ListSource:
        sources.append(ListSource([empty_room], hang_after=3, clock=clock))
        return sources[-1]

    settings = CameraSettings.parse("door", {"source": "rtsp://cam/1", "fps": 1, "stall_after": 5})
    camera = Camera(settings, bus, clock, make, [], UTC, EventLog(), offload=inline)
    task = asyncio.ensure_future(camera.run())
    await clock.run_for(4)
    assert camera.status.available
    await clock.run_for(3.5)  # the last frame came at 2 s: silent since, given up at 7 s, retried at 8 s
    assert not camera.status.available and "no frame for 5 s" in camera.status.error
    await clock.run_for(1)
    assert len(sources) == 2 and camera.status.available
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)


async def test_the_vision_model_is_asked_only_while_something_moves(empty_room: np.ndarray,
                                                                    visitor: np.ndarray) -> None:
    clock, bus = FakeClock(), Bus()
    asker = CountingAsker()
    asker.clock = clock
    frames = [empty_room] * 30 + [visitor] * 10 + [empty_room] * 100
    rule = _rule(ask="Is someone at the door?", ask_every=2)
    seen: list[PerceptionDetected] = []
    bus.subscribe(PerceptionDetected, seen.append)
    start = clock.now()
    for vlm in (True, False):
        settings = CameraSettings.parse("door", {"source": "twin", "fps": 1, "vlm": vlm, "detect": []})
        camera = Camera(settings, bus, clock, lambda: ListSource(frames), [rule], UTC, EventLog(), asker,
                        offload=inline)
        await _run_for(camera, clock, 140)
        if vlm:
            asked = list(asker.times)
            assert 1 <= len(asked) <= 12  # a fixed 2 s cadence would have asked 70 times
            # once on connecting (nothing known yet), then only around the visitor's coming and going
            assert asked[0] == start and all(30 <= t - start <= 60 for t in asked[1:])
            assert any(e.kind == "rule" and e.label == "visitor" for e in seen)
            assert camera.status.vlm_asks == len(asked)
    assert asker.times == asked  # with binding.vlm false no frame left the camera


async def test_status_as_plain_data() -> None:
    status = CameraStatus("door", "snapshot", detector_seconds=[0.1, 0.3, 0.2])
    assert status.as_dict()["detector_p50_ms"] == 200.0


async def test_a_fault_in_a_source_is_reported_and_retried_not_raised(empty_room: np.ndarray) -> None:
    clock, bus = FakeClock(), Bus()

    class Broken(ListSource):
        async def read(self) -> np.ndarray | None:
            raise KeyError("bug")

    settings = CameraSettings.parse("door", {"source": "rtsp://cam/1", "fps": 1})
    camera = Camera(settings, bus, clock, lambda: Broken([empty_room]), [], UTC, EventLog(), offload=inline)
    task = asyncio.ensure_future(camera.run())
    await clock.run_for(10)
    assert not task.done() and camera.status.reconnects >= 3
    assert camera.status.error.startswith("internal error")
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)


def test_detector_events_announce_arrivals_not_flicker(empty_room: np.ndarray) -> None:
    from hearth.perception import Detection

    settings = CameraSettings.parse("door", {"source": "twin", "detect": []})
    camera = Camera(settings, Bus(), FakeClock(), lambda: ListSource([empty_room]), [], UTC, EventLog())
    one, two = Detection("person", 1), Detection("person", 2)
    news = [camera._newsworthy(t, found, before) for t, found, before in
            [(0, one, 0), (2, one, 0), (4, two, 1), (5, one, 2), (30, one, 0)]]
    assert news == [True, False, True, False, True]  # a missed frame at 2 s is not a second arrival


async def test_a_rule_added_while_running_is_judged_and_can_be_removed(empty_room: np.ndarray,
                                                                      visitor: np.ndarray) -> None:
    from hearth.perception import PerceptionService

    clock, bus = FakeClock(), Bus()
    home = parse_home("devices: [{id: door, name: Door, type: camera}]")
    settings = {"door": CameraSettings.parse("door", {"source": "twin", "fps": 1, "detect": []})}
    service = PerceptionService(home, bus, clock, StateStore(bus, clock), offload=inline, settings=settings)
    service.cameras["door"]._make_source = lambda: ListSource([empty_room] * 5 + [visitor] * 100)
    seen: list[PerceptionDetected] = []
    bus.subscribe(PerceptionDetected, seen.append)
    remove = service.add_rule(_rule(detect="motion", cooldown=0))
    with pytest.raises(RuleError, match="already"):
        service.add_rule(_rule(detect="motion"))
    with pytest.raises(RuleError, match="no source"):
        service.add_rule(_rule(id="other", camera="garden", detect="motion"))
    task = asyncio.ensure_future(service.cameras["door"].run())
    await clock.run_for(8)
    assert [e.label for e in seen if e.kind == "rule"] == ["visitor"]
    remove()
    assert service.rules == [] and service.cameras["door"].rules == []
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)
