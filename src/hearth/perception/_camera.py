"""One camera's life: connect, read frames into a bounded queue, gate them, detect, ask, judge rules, report."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

import cv2

from hearth.core import Bus, Clock, PerceptionDetected
from hearth.errors import AdapterError
from hearth.perception._detectors import Detection, Detectors, Findings
from hearth.perception._frames import Frame, FrameQueue, encode_jpeg, fit_width
from hearth.perception._gate import GateResult, MotionGate, PrivacyMask
from hearth.perception._rules import CameraRule, RuleEvaluator, Verdict
from hearth.perception._settings import CameraSettings
from hearth.perception._snapshots import CameraEvent, EventLog, new_event_id
from hearth.perception._sources import Offload, Source
from hearth.perception._vlm import Asker

log = logging.getLogger(__name__)
MAX_BACKOFF = 60.0
QUEUE_FRAMES = 2
SNAPSHOT_EVERY = 10.0  # seconds between stored snapshots of one detector's findings on one camera
NEWS_EVERY = 10.0  # a detector's "more people" event repeats at the same count only after this many seconds


@dataclass(slots=True)
class CameraStatus:
    """A camera's health and what its pipeline has done so far."""

    camera: str
    kind: str
    available: bool = False
    error: str = ""
    last_frame: float | None = None
    frames: int = 0
    gate_frames: int = 0
    detector_runs: int = 0
    vlm_asks: int = 0
    dropped: int = 0
    reconnects: int = 0
    detector_seconds: list[float] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        """Plain values for the CLI and the API."""
        ordered = sorted(self.detector_seconds)
        p50 = ordered[len(ordered) // 2] * 1000 if ordered else 0.0
        return {"camera": self.camera, "kind": self.kind, "available": self.available, "error": self.error,
                "last_frame": self.last_frame, "frames": self.frames, "gate_frames": self.gate_frames,
                "detector_runs": self.detector_runs, "vlm_asks": self.vlm_asks, "dropped": self.dropped,
                "reconnects": self.reconnects, "detector_p50_ms": round(p50, 1)}


class Camera:
    """Runs one camera until cancelled; reconnects with backoff and reports itself unavailable meanwhile."""

    def __init__(self, settings: CameraSettings, bus: Bus, clock: Clock, make_source: Callable[[], Source],
                 rules: list[CameraRule], tz: ZoneInfo, events: EventLog, asker: Asker | None = None,
                 offload: Offload = asyncio.to_thread, on_status: Callable[[CameraStatus], None] | None = None,
                 detectors: Detectors | None = None) -> None:
        self.settings, self.bus, self.clock, self.events = settings, bus, clock, events
        self._make_source = make_source
        self._offload = offload
        self._on_status = on_status
        self.asker = asker if settings.vlm else None
        self.status = CameraStatus(settings.camera, settings.kind)
        self.privacy = PrivacyMask(settings.privacy_masks)
        self.gate = MotionGate(settings.sensitivity, settings.masks, settings.hold)
        self.detectors = detectors or Detectors(settings.detect)
        self._tz = tz
        self.rules = [RuleEvaluator(r, tz) for r in rules]
        self.latest: Frame | None = None
        self.findings = Findings(())
        self._last_detect = float("-inf")
        self._last_snapshot: dict[str, float] = {}
        self._last_news: dict[str, tuple[float, int]] = {}
        self._answers: dict[str, tuple[bool, str]] = {}
        self._asked: dict[str, float] = {}
        self._asking: set[str] = set()
        self._first_frame = True

    def add_rule(self, rule: CameraRule) -> RuleEvaluator:
        """Judge one more rule from the next frame on."""
        evaluator = RuleEvaluator(rule, self._tz)
        self.rules.append(evaluator)
        return evaluator

    # ---- connection ----

    async def run(self) -> None:
        """Read the camera until cancelled (or a finite source ends)."""
        backoff = 1.0
        while True:
            source = self._make_source()
            ended = False
            try:
                await source.open()
                ended = await self._session(source)
                backoff = 1.0
            except* (AdapterError, OSError, ValueError, RuntimeError, cv2.error) as group:
                self._unavailable(_first_message(group))
            except* Exception as group:  # a fault in one camera must not stop the hub: report it, retry
                log.error("camera %s failed", self.settings.camera, exc_info=group)
                self._unavailable(f"internal error: {_first_message(group)}")
            finally:
                await _close(source)
            if ended:
                self._unavailable("the source ended")
                return
            self.status.reconnects += 1
            await self.clock.sleep(backoff)
            backoff = min(backoff * 2, MAX_BACKOFF)

    async def _session(self, source: Source) -> bool:
        queue = FrameQueue(QUEUE_FRAMES)
        self.gate.reset()
        for evaluator in self.rules:
            evaluator.reset()
        self._first_frame = True
        async with asyncio.TaskGroup() as tasks:
            reader = tasks.create_task(self._produce(source, queue))
            try:
                while (frame := await self._next(queue)) is not None:
                    await self._process(frame, tasks)
            finally:
                self.status.dropped += queue.dropped
                reader.cancel()
        return True

    async def _produce(self, source: Source, queue: FrameQueue) -> None:
        period = 1.0 / self.settings.fps
        while True:
            image = await source.read()
            if image is None:
                queue.close()
                return
            if self.privacy.regions:
                image = await self._offload(self.privacy.apply, image)
            queue.put(Frame(self.settings.camera, self.clock.now(), image))
            if source.paced:
                await self.clock.sleep(period)

    async def _next(self, queue: FrameQueue) -> Frame | None:
        """The next frame, or AdapterError when the camera is silent for `stall_after` seconds."""
        getting = asyncio.ensure_future(queue.get())
        timer = asyncio.ensure_future(self.clock.sleep(self.settings.stall_after))
        try:
            await asyncio.wait({getting, timer}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            timer.cancel()
            if not getting.done():
                getting.cancel()
        if not getting.done() or getting.cancelled():
            raise AdapterError(f"no frame for {self.settings.stall_after:g} s")
        return getting.result()

    def _unavailable(self, reason: str) -> None:
        was = self.status.available
        self.status.available, self.status.error = False, reason
        if was or self.status.reconnects == 0:
            log.warning("camera %s unavailable: %s", self.settings.camera, reason)
        if self._on_status is not None:
            self._on_status(self.status)

    # ---- pipeline ----

    async def _process(self, frame: Frame, tasks: asyncio.TaskGroup) -> None:
        status = self.status
        if not status.available:
            status.available, status.error = True, ""
            if self._on_status is not None:
                self._on_status(status)
        status.frames += 1
        status.last_frame = frame.time
        self.latest = frame
        gate = self.gate.update(frame.image, frame.time)
        look = gate.open or gate.closed or self._first_frame
        if gate.open:
            status.gate_frames += 1
        if gate.opened:
            self._publish(frame, "motion", len(gate.regions), gate.regions, min(1.0, gate.changed * 10))
        due = frame.time - self._last_detect >= 1.0 / self.settings.detect_fps
        if look and (due or gate.closed or self._first_frame):
            await self._detect(frame)
        if look and self.asker is not None:
            self._ask_due(frame, tasks)
        self._first_frame = False
        for evaluator in list(self.rules):
            verdict = evaluator.observe(frame.time, self._holds(evaluator.rule, gate))
            if verdict is not None:
                await self._announce(frame, evaluator.rule, verdict)

    async def _detect(self, frame: Frame) -> None:
        self._last_detect = frame.time
        before = self.findings
        self.findings = await self._offload(self.detectors.detect, frame.image)
        self.status.detector_runs += 1
        self.status.detector_seconds.append(self.findings.seconds)
        del self.status.detector_seconds[:-500]
        for found in self.findings.detections:
            if self._newsworthy(frame.time, found, before.count(found.kind)):
                self._publish(frame, found.kind, found.count, found.boxes, found.confidence)
                await self._keep(frame, found)

    def _newsworthy(self, now: float, found: Detection, before: int) -> bool:
        """More people or faces than a moment ago; a detector that missed one frame does not count twice."""
        if found.count <= before:
            return False
        last_time, last_count = self._last_news.get(found.kind, (float("-inf"), 0))
        if now - last_time < NEWS_EVERY and found.count <= last_count:
            return False
        self._last_news[found.kind] = (now, found.count)
        return True

    async def _keep(self, frame: Frame, found: Detection) -> None:
        if frame.time - self._last_snapshot.get(found.kind, float("-inf")) < SNAPSHOT_EVERY:
            return
        self._last_snapshot[found.kind] = frame.time
        event = CameraEvent(new_event_id(frame.time, frame.camera), frame.time, frame.camera, found.kind,
                            count=found.count, confidence=found.confidence, boxes=found.boxes, snapshot=True)
        await self._offload(self._store, event, frame)

    def _store(self, event: CameraEvent, frame: Frame) -> None:
        self.events.add(event, encode_jpeg(frame.image))

    def _holds(self, rule: CameraRule, gate: GateResult) -> bool:
        if rule.detect == "motion":
            return gate.motion
        if rule.detect is not None:
            return self.findings.count(rule.detect) >= rule.min_count
        return self._answers.get(rule.id, (False, ""))[0]

    def _ask_due(self, frame: Frame, tasks: asyncio.TaskGroup) -> None:
        for evaluator in list(self.rules):
            rule = evaluator.rule
            if rule.ask is None or rule.id in self._asking:
                continue
            if frame.time - self._asked.get(rule.id, float("-inf")) < rule.ask_every:
                continue
            self._asked[rule.id] = frame.time
            self._asking.add(rule.id)
            tasks.create_task(self._ask(rule, rule.ask, frame))

    async def _ask(self, rule: CameraRule, question: str, frame: Frame) -> None:
        assert self.asker is not None
        try:
            jpeg = await self._offload(_vlm_jpeg, frame)
            self.status.vlm_asks += 1
            answer = await self.asker.ask(question, jpeg)
            self._answers[rule.id] = (answer.yes, answer.reason)
        except AdapterError as exc:
            log.warning("camera %s, rule %s: vision model failed: %s", frame.camera, rule.id, exc)
        finally:
            self._asking.discard(rule.id)

    async def _announce(self, frame: Frame, rule: CameraRule, verdict: Verdict) -> None:
        kind = "rule-exit" if verdict.outcome == "exit" else "rule"
        detection = self.findings.by_kind.get(rule.detect or "person")
        count = detection.count if detection is not None and rule.detect != "motion" else 0
        boxes = detection.boxes if detection is not None and rule.detect != "motion" else ()
        self._publish(frame, kind, count, boxes, round(verdict.share, 3), rule.id)
        reason = self._answers.get(rule.id, (False, ""))[1] if rule.ask else ""
        event = CameraEvent(new_event_id(frame.time, frame.camera), frame.time, frame.camera, kind, rule.id,
                            count, round(verdict.share, 3), boxes, reason, snapshot=verdict.outcome != "exit")
        if event.snapshot:
            await self._offload(self._store, event, frame)
        else:
            await self._offload(self.events.add, event, None)

    def _publish(self, frame: Frame, kind: str, count: int, boxes: tuple[tuple[int, int, int, int], ...],
                 confidence: float, label: str = "") -> None:
        self.bus.publish(PerceptionDetected(frame.time, frame.camera, kind, count, boxes, confidence, label))


def _vlm_jpeg(frame: Frame) -> bytes:
    return encode_jpeg(fit_width(frame.image, 640), 80)


def _first_message(group: BaseExceptionGroup[Any]) -> str:
    first: BaseException = group
    while isinstance(first, BaseExceptionGroup):
        first = first.exceptions[0]
    return str(first) or type(first).__name__


async def _close(source: Source) -> None:
    try:
        await source.close()
    except (AdapterError, OSError, RuntimeError) as exc:
        log.debug("closing a camera source failed: %s", exc)
