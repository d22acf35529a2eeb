"""The digital twin's camera: real photographs composed into frames that change when the twin's people move."""

from __future__ import annotations

import asyncio
import zlib
from dataclasses import dataclass
from functools import cache
from importlib import resources

import cv2
import numpy as np

from hearth.core import Bus, Clock, Remove, StateChanged, StateStore
from hearth.errors import AdapterError
from hearth.model import Home
from hearth.perception._frames import Image, decode_jpeg
from hearth.perception._sources import Offload

_NOISE_FRAMES = 4  # a camera's sensor is never perfectly still; these variants repeat in turn


@cache
def twin_pictures() -> tuple[Image, Image]:
    """The background and the person photograph the twin's frames are made of."""
    folder = resources.files("hearth.perception").joinpath("data")
    try:
        background = decode_jpeg(folder.joinpath("twin_background.jpg").read_bytes())
        person = decode_jpeg(folder.joinpath("twin_person.jpg").read_bytes())
    except (OSError, FileNotFoundError) as exc:
        raise AdapterError(f"the twin camera's pictures are missing from the installation: {exc}") from exc
    return background, person


@dataclass(frozen=True, slots=True)
class Scene:
    """What a twin camera sees: who stands where (0..1 across the picture) and whether the lights are on."""

    people: tuple[tuple[str, float], ...] = ()
    lit: bool = True


def compose(scene: Scene, width: int, seed: int = 0) -> list[Image]:
    """Render a scene at `width` (4:3) as a few frames that differ only by sensor noise."""
    background, person = twin_pictures()
    height = width * 3 // 4
    canvas = cv2.resize(background, (width, height), interpolation=cv2.INTER_AREA).astype(np.float32)
    ph = round(height * 0.7)
    pw = round(person.shape[1] * ph / person.shape[0])
    cutout = cv2.resize(person, (pw, ph), interpolation=cv2.INTER_AREA).astype(np.float32)
    alpha = _oval(pw, ph)
    for _, x in scene.people:
        left = round(x * (width - pw))
        top = height - ph - round(height * 0.04)
        region = canvas[top:top + ph, left:left + pw]
        region[:] = region * (1 - alpha) + cutout * alpha
    if not scene.lit:
        canvas *= 0.55
    noise = _noise(height, width)
    turn = seed % _NOISE_FRAMES
    return [np.clip(canvas + noise[(turn + i) % _NOISE_FRAMES], 0, 255).astype(np.uint8) for i in range(_NOISE_FRAMES)]


@cache
def _noise(height: int, width: int) -> tuple[np.ndarray[tuple[int, int, int], np.dtype[np.float32]], ...]:
    rng = np.random.default_rng(height * 7919 + width)
    return tuple(rng.normal(0, 2.0, (height, width, 3)).astype(np.float32) for _ in range(_NOISE_FRAMES))


@cache
def _oval(width: int, height: int) -> np.ndarray[tuple[int, int, int], np.dtype[np.float32]]:
    mask = np.zeros((height, width), np.float32)
    cv2.ellipse(mask, (width // 2, height // 2), (int(width * 0.46), int(height * 0.49)), 0, 0, 360, 1.0, -1)
    soft = cv2.GaussianBlur(mask, (0, 0), max(1.0, width * 0.03))
    return np.asarray(soft[:, :, None], dtype=np.float32)


class TwinCamera:
    """A camera in the twin: people whose `presence.area` is the camera's area appear in its picture.

    A person's spot in the picture is derived from who they are and how often the area's motion sensors
    fired since they came in, so the picture changes when the twin's people move and stays still otherwise.
    Frames come `fps` times a second while the picture changes; while it does not, one frame every
    `idle` seconds (the gate would find nothing in the others, and a simulated day stays cheap).
    """

    paced = False

    def __init__(self, camera: str, area: str | None, home: Home, bus: Bus, state: StateStore, clock: Clock,
                 fps: float = 1.0, width: int = 640, idle: float = 30.0, offload: Offload = asyncio.to_thread) -> None:
        self.camera, self.area, self.width = camera, area, width
        self.home, self.bus, self.state, self.clock = home, bus, state, clock
        self.period, self.idle = 1.0 / fps, idle
        self._offload = offload
        self._changed = asyncio.Event()
        self._busy_until = float("-inf")
        self._last = float("-inf")
        self._people = [p for p in home.people if p in home.devices]
        self._motion = [d.id for d in home.devices.values() if d.type == "motion-sensor" and d.area == area]
        self._lights = [d.id for d in home.devices.values() if d.type == "light" and d.area == area]
        self._moves: dict[str, int] = {}
        self._removers: list[Remove] = []
        self._frames: list[Image] = []
        self._scene: Scene | None = None
        self._turn = 0

    def scene(self) -> Scene:
        """What the camera sees now, from the state store."""
        here = sorted(p for p in self._people if self.area and self.state.get(p, "presence", "area") == self.area)
        people = tuple((p, _spot(p, i, len(here), self._moves.get(p, 0))) for i, p in enumerate(here))
        lit = not self._lights or any(self.state.get(d, "light", "on") is True for d in self._lights)
        return Scene(people, lit)

    async def open(self) -> None:
        """Follow the people, motion sensors and lights that change the picture."""
        for person in self._people:
            self._removers.append(self.bus.subscribe_state(self._moved, person, "presence", "area"))
        for sensor in self._motion:
            self._removers.append(self.bus.subscribe_state(self._motion_seen, sensor, "motion-sensor",
                                                           "motion-state"))

        for light in self._lights:
            self._removers.append(self.bus.subscribe_state(self._light, light, "light", "on"))

    def _moved(self, ev: StateChanged) -> None:
        self._moves[ev.device] = self._moves.get(ev.device, 0) + 1
        self._changed.set()

    def _motion_seen(self, ev: StateChanged) -> None:
        if ev.new is True:
            for person in self._people:
                self._moves[person] = self._moves.get(person, 0) + 1
            self._changed.set()

    def _light(self, _: StateChanged) -> None:
        self._changed.set()

    async def _wait(self) -> None:
        now = self.clock.now()
        if self._last != float("-inf"):
            await self.clock.sleep(max(0.0, self._last + self.period - now))
        if self.clock.now() < self._busy_until or self._changed.is_set():
            return
        sleeping = asyncio.ensure_future(self.clock.sleep(max(0.0, self._last + self.idle - self.clock.now())))
        changed = asyncio.ensure_future(self._changed.wait())
        try:
            await asyncio.wait({sleeping, changed}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            sleeping.cancel()
            changed.cancel()

    async def read(self) -> Image | None:
        """The next picture (re-rendered off the event loop only when the scene changed)."""
        await self._wait()
        if self._changed.is_set():
            self._changed.clear()
            self._busy_until = self.clock.now() + 10.0  # full rate for a while: people keep moving
        self._last = self.clock.now()
        scene = self.scene()
        if scene != self._scene or not self._frames:
            seed = zlib.crc32(repr(scene).encode())
            self._frames = await self._offload(compose, scene, self.width, seed)
            self._scene = scene
        self._turn = (self._turn + 1) % len(self._frames)
        return self._frames[self._turn]

    async def close(self) -> None:
        """Stop following the twin."""
        for remove in self._removers:
            remove()
        self._removers.clear()


def _spot(person: str, index: int, count: int, moves: int) -> float:
    """Where across the picture a person stands: their own slot, nudged each time they move."""
    slot = (index + 0.5) / max(1, count)
    nudge = ((zlib.crc32(f"{person}:{moves}".encode()) % 1000) / 1000 - 0.5) * (0.6 / max(1, count))
    return min(1.0, max(0.0, slot + nudge))

