"""Local detectors on the CPU with the models OpenCV 4 ships: HOG people and a Haar face cascade."""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import cv2
import numpy as np

from hearth.errors import AdapterError
from hearth.perception._frames import Image
from hearth.perception._gate import Box
from hearth.perception._settings import DetectorKind

FACE_CASCADE = "haarcascade_frontalface_default.xml"


@dataclass(frozen=True, slots=True)
class Detection:
    """What one detector found in one frame: how many, where (frame pixels) and how sure."""

    kind: str
    count: int
    boxes: tuple[Box, ...] = ()
    confidence: float = 0.0


@dataclass(frozen=True, slots=True)
class Findings:
    """Every detector's result on one frame, and how long they took."""

    detections: tuple[Detection, ...]
    seconds: float = 0.0
    by_kind: dict[str, Detection] = field(default_factory=dict, compare=False)

    def __post_init__(self) -> None:
        self.by_kind.update({d.kind: d for d in self.detections})

    def count(self, kind: str) -> int:
        """How many of `kind` were found (0 when that detector did not run)."""
        found = self.by_kind.get(kind)
        return found.count if found is not None else 0


def _cascade(name: str) -> cv2.CascadeClassifier:
    path = str(cv2.data.haarcascades) + name  # type: ignore[attr-defined]
    cascade = cv2.CascadeClassifier(path)
    if cascade.empty():
        raise AdapterError(f"OpenCV's {name} is missing; install opencv-python-headless 4.x (5.x dropped it)")
    return cascade


class Detectors:
    """Finds people and faces; a face counts as a person too, since HOG misses people seen from the waist up.

    Not thread-safe: each camera owns one and runs it on one worker at a time.
    """

    def __init__(self, kinds: Sequence[DetectorKind] = ("person", "face"), width: int = 400,
                 min_face: int = 20) -> None:
        self.kinds = tuple(kinds)
        self.width = width
        self.min_face = min_face
        self._hog: cv2.HOGDescriptor | None = None
        self._faces: cv2.CascadeClassifier | None = None
        if "person" in self.kinds:
            self._hog = cv2.HOGDescriptor()
            self._hog.setSVMDetector(np.asarray(cv2.HOGDescriptor.getDefaultPeopleDetector(), dtype=np.float32))
        if "person" in self.kinds or "face" in self.kinds:
            self._faces = _cascade(FACE_CASCADE)

    def detect(self, image: Image) -> Findings:
        """Run the configured detectors on one frame (blocking: call it off the event loop)."""
        started = time.perf_counter()
        h, w = image.shape[:2]
        scale = w / self.width if w > self.width else 1.0
        small = np.asarray(cv2.resize(image, (round(w / scale), round(h / scale)), interpolation=cv2.INTER_AREA),
                           dtype=np.uint8) if scale != 1.0 else image
        faces = self._find_faces(small, scale) if self._faces is not None else Detection("face", 0)
        results: list[Detection] = []
        if "person" in self.kinds:
            results.append(_merge_people(self._find_people(small, scale), faces))
        if "face" in self.kinds:
            results.append(faces)
        return Findings(tuple(results), time.perf_counter() - started)

    def _find_people(self, small: Image, scale: float) -> Detection:
        assert self._hog is not None
        if small.shape[0] < 128 or small.shape[1] < 64:
            return Detection("person", 0)
        rects, weights = self._hog.detectMultiScale(small, winStride=(8, 8), padding=(8, 8), scale=1.1)
        boxes = _scaled(rects, scale)
        scores = [float(x) for x in np.asarray(weights, dtype=np.float64).ravel()]
        return Detection("person", len(boxes), boxes, _certainty(max(scores, default=0.0)))

    def _find_faces(self, small: Image, scale: float) -> Detection:
        assert self._faces is not None
        grey = cv2.cvtColor(small, cv2.COLOR_BGR2GRAY)
        rects, _levels, weights = self._faces.detectMultiScale3(
            grey, scaleFactor=1.15, minNeighbors=6, minSize=(self.min_face, self.min_face), outputRejectLevels=True)
        boxes = _scaled(rects, scale)
        scores = [float(x) for x in np.asarray(weights, dtype=np.float64).ravel()]
        return Detection("face", len(boxes), boxes, _certainty(max(scores, default=0.0) / 3))


def _scaled(rects: Any, scale: float) -> tuple[Box, ...]:
    return tuple((round(x * scale), round(y * scale), round(w * scale), round(h * scale))
                 for x, y, w, h in np.asarray(rects, dtype=np.int64).reshape(-1, 4).tolist())


def _certainty(score: float) -> float:
    # Detector margins are unbounded; squash them into (0, 1) so rules can compare them.
    return round(1.0 - math.exp(-max(0.0, score)), 3) if score > 0 else 0.0


def _inside(inner: Box, outer: Box) -> bool:
    cx, cy = inner[0] + inner[2] / 2, inner[1] + inner[3] / 2
    return outer[0] <= cx <= outer[0] + outer[2] and outer[1] <= cy <= outer[1] + outer[3]


def _merge_people(people: Detection, faces: Detection) -> Detection:
    """People from HOG plus each face that no detected body contains."""
    extra = tuple(f for f in faces.boxes if not any(_inside(f, b) for b in people.boxes))
    boxes = people.boxes + extra
    confidence = max(people.confidence, faces.confidence if extra else 0.0)
    return Detection("person", len(boxes), boxes, confidence)
