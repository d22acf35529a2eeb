"""A camera's settings, read from its device `binding` in the home file and validated with clear errors."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import cv2
import numpy as np
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from hearth.errors import HomeFileError
from hearth.model import Device, Home

SourceKind = Literal["stream", "snapshot", "mjpeg", "file", "folder", "twin"]
DetectorKind = Literal["person", "face"]
Point = tuple[float, float]
IMAGE_SUFFIXES = frozenset({".jpg", ".jpeg", ".png", ".bmp", ".webp"})


@dataclass(frozen=True, slots=True)
class Region:
    """A polygon on the picture; coordinates are pixels, or fractions of the size when all are ≤ 1."""

    points: tuple[Point, ...]

    @classmethod
    def parse(cls, raw: Sequence[Any]) -> Region:
        """Read `[x, y, w, h]` (a rectangle) or `[[x, y], [x, y], [x, y], ...]` (a polygon)."""
        if len(raw) == 4 and all(isinstance(v, int | float) for v in raw):
            x, y, w, h = (float(v) for v in raw)
            if w <= 0 or h <= 0:
                raise ValueError(f"rectangle {list(raw)} needs a positive width and height")
            return cls(((x, y), (x + w, y), (x + w, y + h), (x, y + h)))
        points = []
        for p in raw:
            if not (isinstance(p, Sequence) and len(p) == 2 and all(isinstance(v, int | float) for v in p)):
                raise ValueError(f"a mask is [x, y, w, h] or a list of [x, y] points, got {list(raw)!r}")
            points.append((float(p[0]), float(p[1])))
        if len(points) < 3:
            raise ValueError("a polygon mask needs at least 3 points")
        return cls(tuple(points))

    def pixels(self, width: int, height: int) -> np.ndarray[Any, np.dtype[np.int32]]:
        """The polygon in pixels for a picture of this size."""
        relative = all(0.0 <= x <= 1.0 and 0.0 <= y <= 1.0 for x, y in self.points)
        sx, sy = (width, height) if relative else (1, 1)
        return np.array([[round(x * sx), round(y * sy)] for x, y in self.points], dtype=np.int32)


def region_mask(regions: Sequence[Region], width: int, height: int) -> np.ndarray[Any, np.dtype[np.uint8]] | None:
    """A uint8 mask, 255 inside any region, for a picture of this size; None when there are none."""
    if not regions:
        return None
    mask = np.zeros((height, width), dtype=np.uint8)
    cv2.fillPoly(mask, [r.pixels(width, height) for r in regions], 255)
    return mask


class _Binding(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)

    source: str = Field(min_length=1)
    kind: SourceKind | None = None
    fps: float = Field(2.0, gt=0, le=60)
    width: int = Field(640, ge=64, le=4096)
    masks: list[list[Any]] = Field(default_factory=list)
    privacy_masks: list[list[Any]] = Field(default_factory=list)
    sensitivity: float = Field(0.5, ge=0, le=1)
    hold: float = Field(2.0, ge=0)
    detect: list[DetectorKind] = Field(default_factory=lambda: list[DetectorKind](["person", "face"]))
    detect_fps: float = Field(2.0, gt=0)
    vlm: bool = False
    loop: bool = True
    stall_after: float = Field(15.0, gt=0)

    @field_validator("masks", "privacy_masks")
    @classmethod
    def _regions(cls, value: list[list[Any]]) -> list[list[Any]]:
        for raw in value:
            Region.parse(raw)
        return value


@dataclass(frozen=True, slots=True)
class CameraSettings:
    """How to read one camera and how closely to watch it."""

    camera: str
    source: str
    kind: SourceKind
    fps: float = 2.0
    width: int = 640
    masks: tuple[Region, ...] = ()
    privacy_masks: tuple[Region, ...] = ()
    sensitivity: float = 0.5
    hold: float = 2.0
    detect: tuple[DetectorKind, ...] = ("person", "face")
    detect_fps: float = 2.0
    vlm: bool = False
    loop: bool = True
    stall_after: float = 15.0
    area: str | None = None

    @classmethod
    def parse(cls, camera: str, binding: Mapping[str, Any], area: str | None = None) -> CameraSettings:
        """Validate a binding mapping; raises HomeFileError naming the camera and the field."""
        try:
            raw = _Binding.model_validate(dict(binding))
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(p) for p in first["loc"])
            raise HomeFileError(f"camera {camera!r}: binding.{where}: {first['msg']}") from None
        except ValueError as exc:
            raise HomeFileError(f"camera {camera!r}: binding: {exc}") from None
        return cls(
            camera=camera, source=raw.source, kind=raw.kind or source_kind(raw.source), fps=raw.fps,
            width=raw.width, masks=tuple(Region.parse(m) for m in raw.masks),
            privacy_masks=tuple(Region.parse(m) for m in raw.privacy_masks), sensitivity=raw.sensitivity,
            hold=raw.hold, detect=tuple(dict.fromkeys(raw.detect)), detect_fps=raw.detect_fps, vlm=raw.vlm,
            loop=raw.loop, stall_after=raw.stall_after, area=area,
        )


def source_kind(source: str) -> SourceKind:
    """Guess how to read a source from its address."""
    lower = source.lower()
    if lower == "twin":
        return "twin"
    if lower.startswith(("rtsp://", "rtsps://", "rtmp://")):
        return "stream"
    if lower.startswith(("http://", "https://")):
        path = lower.split("?", 1)[0]
        if path.endswith((".mjpg", ".mjpeg")) or "mjpeg" in lower or "mjpg" in lower:
            return "mjpeg"
        if path.endswith((".jpg", ".jpeg", ".png")) or "snapshot" in lower:
            return "snapshot"
        return "stream"
    if Path(local_path(source)).is_dir():
        return "folder"
    return "file"


def local_path(source: str) -> str:
    """A `file://` address or a plain path as a filesystem path."""
    return source[len("file://"):] if source.startswith("file://") else source


def camera_settings(home: Home, simulate: bool = True) -> dict[str, CameraSettings]:
    """Settings of every camera in the home that has a source: its binding's, or the twin's when simulated."""
    found: dict[str, CameraSettings] = {}
    for device in home.devices.values():
        settings = settings_for(device, simulate)
        if settings is not None:
            found[device.id] = settings
    return found


def settings_for(device: Device, simulate: bool = True) -> CameraSettings | None:
    """One device's camera settings, or None when it is not a camera or has nothing to read."""
    if device.type != "camera":
        return None
    binding = dict(device.binding)
    if "source" not in binding:
        if not (simulate and device.adapter == "simulator"):
            return None
        # The twin's pictures are simple: a small frame is enough, and keeps simulated days cheap.
        binding = {"source": "twin", "fps": 1.0, "width": 320, "stall_after": 180.0, **binding}
    elif str(binding["source"]).lower() == "twin" and not simulate:
        return None
    return CameraSettings.parse(device.id, binding, device.area)
