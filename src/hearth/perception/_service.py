"""The perception service: every camera of a home, its rules, its events and the vision model."""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import Callable, Coroutine, Sequence
from dataclasses import replace
from importlib import resources
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import yaml

from hearth.core import Bus, Clock, StateStore
from hearth.errors import RuleError
from hearth.model import Home
from hearth.perception._camera import Camera, CameraStatus
from hearth.perception._frames import encode_jpeg
from hearth.perception._rules import CameraRule, load_camera_rules, parse_camera_rules, rules_by_camera
from hearth.perception._settings import CameraSettings, camera_settings
from hearth.perception._snapshots import EventLog
from hearth.perception._sources import Offload, Source, open_source
from hearth.perception._twin_camera import TwinCamera
from hearth.perception._vlm import Asker, VisionClient, VLMConfig

log = logging.getLogger(__name__)
Spawn = Callable[[Coroutine[Any, Any, Any], str], Any]
TWIN_REAL_FPS = 4.0  # a sped-up demo clock must not make the twin's cameras render faster than this


class PerceptionService:
    """Builds a `Camera` per configured camera and hands their tasks to the owner's `spawn`."""

    def __init__(self, home: Home, bus: Bus, clock: Clock, state: StateStore, rules: Sequence[CameraRule] = (),
                 data_dir: Path | None = None, vlm: VLMConfig | Asker | None = None, simulate: bool = True,
                 offload: Offload = asyncio.to_thread, settings: dict[str, CameraSettings] | None = None) -> None:
        self.home, self.bus, self.clock, self.state = home, bus, clock, state
        self.offload = offload
        self.settings = settings if settings is not None else camera_settings(home, simulate)
        self.rules = list(rules)
        self.events = EventLog(data_dir / "perception" if data_dir is not None else None)
        self.vlm: VisionClient | None = VisionClient(vlm) if isinstance(vlm, VLMConfig) else None
        self.asker: Asker | None = self.vlm if isinstance(vlm, VLMConfig) else vlm
        tz = ZoneInfo(home.timezone)
        grouped = rules_by_camera(self.rules)
        self.cameras: dict[str, Camera] = {}
        for camera, cam_settings in self.settings.items():
            cam_rules = grouped.get(camera, [])
            self._warn_vlm(cam_settings, cam_rules)
            self.cameras[camera] = Camera(cam_settings, bus, clock, self._source_factory(cam_settings), cam_rules,
                                          tz, self.events, self.asker, offload, self._report)
        for rule in self.rules:
            if rule.camera not in self.cameras:
                log.warning("camera rule %s: camera %s has no source; the rule will not run", rule.id, rule.camera)

    def _warn_vlm(self, settings: CameraSettings, rules: list[CameraRule]) -> None:
        asks = [r.id for r in rules if r.ask]
        if asks and (not settings.vlm or self.asker is None):
            why = "set binding.vlm: true for it" if not settings.vlm else "set HEARTH_VLM_BASE_URL and HEARTH_VLM_MODEL"
            log.warning("camera %s: rules %s ask a vision model, but frames stay on this machine (%s)",
                        settings.camera, ", ".join(asks), why)

    def _source_factory(self, settings: CameraSettings) -> Callable[[], Source]:
        if settings.kind == "twin":
            speed = float(getattr(self.clock, "speed", 1.0))
            if settings.fps * speed > TWIN_REAL_FPS:
                settings = _with_fps(settings, TWIN_REAL_FPS / speed)
                self.settings[settings.camera] = settings

            def twin() -> Source:
                return TwinCamera(settings.camera, settings.area, self.home, self.bus, self.state, self.clock,
                                  settings.fps, settings.width, min(60.0, settings.stall_after / 2), self.offload)

            return twin
        return lambda: open_source(settings, self.clock.now, self.offload)

    def _report(self, status: CameraStatus) -> None:
        device = self.home.devices.get(status.camera)
        service = device.spec.services.get("camera-control") if device is not None else None
        if service is not None and "status" in service.properties:
            self.state.apply(status.camera, "camera-control", "status", "Online" if status.available else "Offline",
                             "perception")

    def add_rule(self, rule: CameraRule) -> Callable[[], None]:
        """Start judging a camera rule on its running camera (e.g. one made from a sentence); returns the undo."""
        camera = self.cameras.get(rule.camera)
        if camera is None:
            raise RuleError(f"camera rule {rule.id!r}: camera {rule.camera!r} has no source in this hub")
        if any(r.id == rule.id for r in self.rules):
            raise RuleError(f"there is already a camera rule called {rule.id!r}")
        self._warn_vlm(camera.settings, [rule])
        evaluator = camera.add_rule(rule)
        self.rules.append(rule)

        def remove() -> None:
            if evaluator in camera.rules:
                camera.rules.remove(evaluator)
            if rule in self.rules:
                self.rules.remove(rule)

        return remove

    def start(self, spawn: Spawn) -> None:
        """Start every camera as a task owned by the caller."""
        for camera_id, camera in self.cameras.items():
            spawn(camera.run(), f"camera:{camera_id}")

    async def aclose(self) -> None:
        """Release the vision model's HTTP client."""
        if self.vlm is not None:
            await self.vlm.aclose()

    def status(self) -> list[dict[str, Any]]:
        """Every camera's health and counters."""
        return [{**c.status.as_dict(), "source": _shown(c.settings), "area": c.settings.area,
                 "fps": c.settings.fps, "vlm": c.settings.vlm and self.asker is not None,
                 "rules": [e.rule.id for e in c.rules]} for c in self.cameras.values()]

    def vlm_stats(self) -> dict[str, float | int]:
        """Calls, failures, latency and tokens of the vision model (zeros when none is configured)."""
        return self.vlm.stats.as_dict() if self.vlm is not None else {"calls": 0}

    async def live_jpeg(self, camera: str) -> bytes | None:
        """The newest frame of a camera as JPEG (privacy masks applied), or None before the first frame."""
        cam = self.cameras.get(camera)
        if cam is None or cam.latest is None:
            return None
        jpeg: bytes = await self.offload(encode_jpeg, cam.latest.image)
        return jpeg


def camera_rules_for(home: Home, data_dir: Path | None, environ: dict[str, str] | None = None) -> list[CameraRule]:
    """The camera rules a hub runs: `HEARTH_CAMERA_RULES`, else `<data dir>/camera_rules.yaml`, else the demo's;
    plus the rules added at run time (from a sentence) in `<data dir>/<home>.added_camera_rules.yaml`."""
    env = dict(os.environ) if environ is None else environ
    chosen = env.get("HEARTH_CAMERA_RULES", "").strip()
    if chosen:
        base = load_camera_rules(chosen, home)
    elif data_dir is not None and (data_dir / "camera_rules.yaml").is_file():
        base = load_camera_rules(data_dir / "camera_rules.yaml", home)
    elif home.id == "demo":
        text = resources.files("hearth.perception").joinpath("data/demo_camera_rules.yaml").read_text("utf-8")
        base = parse_camera_rules(text, "demo_camera_rules.yaml", home)
    else:
        base = []
    added = added_camera_rules_path(home, data_dir)
    return base + (load_camera_rules(added, home) if added is not None and added.is_file() else [])


def added_camera_rules_path(home: Home, data_dir: Path | None) -> Path | None:
    """Where camera rules made at run time are kept for this home (None without a data dir)."""
    return None if data_dir is None else data_dir / f"{home.id}.added_camera_rules.yaml"


def keep_camera_rules(rules: list[dict[str, object]], home: Home, data_dir: Path | None) -> list[CameraRule]:
    """Validate camera rules given as data and append them to the added-rules file; returns them parsed."""
    parsed = parse_camera_rules(yaml.safe_dump({"camera_rules": rules}, allow_unicode=True), "<new>", home)
    path = added_camera_rules_path(home, data_dir)
    if path is None:
        return parsed
    old = yaml.safe_load(path.read_text(encoding="utf-8")) if path.is_file() else None
    merged = list((old or {}).get("camera_rules", [])) + rules
    text = yaml.safe_dump({"camera_rules": merged}, allow_unicode=True, sort_keys=False)
    parse_camera_rules(text, str(path), home)  # duplicate ids and the like are refused before anything is written
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)
    return parsed


def _with_fps(settings: CameraSettings, fps: float) -> CameraSettings:
    return replace(settings, fps=fps)


def _shown(settings: CameraSettings) -> str:
    """The source address without credentials (rtsp://user:pass@host → rtsp://host)."""
    source = settings.source
    scheme, sep, rest = source.partition("://")
    if sep and "@" in rest.split("/", 1)[0]:
        return f"{scheme}://{rest.split('@', 1)[1]}"
    return source
