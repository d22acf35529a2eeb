"""Rooms of the twin: temperature and humidity, covers that move, and the sensors that watch them."""

from __future__ import annotations

import random
from collections.abc import Iterable

from hearth.adapters.simulator._appliances import COVER_SPEED
from hearth.adapters.simulator._people import PersonSim
from hearth.adapters.simulator._physics import Climate, humidity_step, room_step
from hearth.adapters.simulator._reports import Reports
from hearth.model import Home, Value
from hearth.model._sun import sun

_MOTION_HOLD_S = 120.0  # a motion sensor reads "motion" this long after it last saw someone
_MOTION_EVENT_GAP_S = 60.0  # and emits at most one motion-detected event per minute


class Rooms:
    """Every room with a thermometer or an AC, plus covers, motion, occupancy and light levels."""

    def __init__(self, home: Home, io: Reports, rng: random.Random) -> None:
        self.home, self.io, self.rng = home, io, rng
        self.climate: dict[str, tuple[float, float]] = {}
        self.covers: dict[str, float] = {}
        self._motion_last: dict[str, float] = {}
        for dev in io.devices.values():
            if dev.area is None:
                continue
            if dev.type == "temperature-humidity-sensor":
                self.climate[dev.area] = (io.num(dev.id, "environment", "temperature", 22),
                                          io.num(dev.id, "environment", "relative-humidity", 50))
            elif dev.type == "air-conditioner" and dev.area not in self.climate:
                self.climate[dev.area] = (io.num(dev.id, "environment", "temperature", 24), 50.0)

    def step(self, step: float, outside: float, people: Iterable[PersonSim]) -> None:
        """Warm or cool each room toward the outside, driven by its AC."""
        occupants: dict[str, int] = {}
        for p in people:
            if p.at_home:
                occupants[p.area] = occupants.get(p.area, 0) + 1
        for area, (temp, humidity) in self.climate.items():
            climate = self._drivers(area, outside, occupants.get(area, 0))
            noise = self.rng.uniform(-0.02, 0.02)
            self.climate[area] = (room_step(temp, climate, step), humidity_step(humidity, climate, step, noise))

    def _drivers(self, area: str, outside: float, occupants: int) -> Climate:
        for dev in self.io.of_type("air-conditioner", area):
            g = self.io.getter(dev, "air-conditioner")
            return Climate(outside, g("on") is True, str(g("mode")), self.io.num(dev, "air-conditioner",
                           "target-temperature", 24), str(self.io.get(dev, "fan-control", "fan-level")), occupants)
        return Climate(outside, occupants=occupants)

    def move_covers(self, step: float) -> None:
        """Move curtains, garage doors and window openers toward their targets."""
        io = self.io
        for dev in io.devices.values():
            speed = COVER_SPEED.get(dev.type)
            if speed is None:
                continue
            svc = dev.type
            current = self.covers.get(dev.id, io.num(dev.id, svc, "current-position", 0))
            target = io.num(dev.id, svc, "target-position", current)
            moved = current + max(-speed * step, min(speed * step, target - current))
            self.covers[dev.id] = moved
            status = "Stopped" if moved == target else "Opening" if target > moved else "Closing"
            io.set(dev.id, svc, "current-position", round(moved))
            io.set(dev.id, svc, "status", status)
            if moved == target and io.get(dev.id, svc, "motor-control") != "Pause":
                io.set(dev.id, svc, "motor-control", "Pause")

    def command_cover(self, dev: str, svc: str, prop: str, value: Value, cause: str) -> None:
        """Apply a cover command: a target position, or Open/Close/Pause."""
        current = self.covers.get(dev, self.io.num(dev, svc, "current-position", 0))
        self.io.set(dev, svc, prop, value, cause)
        if prop == "motor-control":
            target = {"Open": 100, "Close": 0}.get(str(value), round(current))
            self.io.set(dev, svc, "target-position", target, cause)
        self.move_covers(0.0)

    def sense(self, now: float, people: Iterable[PersonSim]) -> None:
        """Report thermometers, AC sensors, motion, occupancy and light levels."""
        io = self.io
        for area, (temp, humidity) in self.climate.items():
            for dev in io.of_type("temperature-humidity-sensor", area):
                io.set(dev, "environment", "temperature", round(temp, 1))
                io.set(dev, "environment", "relative-humidity", float(round(humidity)))
            for dev in io.of_type("air-conditioner", area):
                io.set(dev, "environment", "temperature", round(temp, 1))
        awake: set[str] = set()
        present: set[str] = set()
        for p in people:
            if p.at_home:
                present.add(p.area)
                if not p.asleep:
                    awake.add(p.area)
        daylight = max(0.0, sun(self.home.location, self.home.timezone, now).elevation) / 90 * 900
        for sensor in io.devices.values():
            if sensor.type == "motion-sensor" and sensor.area:
                if sensor.area in awake and self.rng.random() < 0.35:
                    self.motion(sensor.area, now)
                elif now - self._motion_last.get(sensor.id, -1e12) > _MOTION_HOLD_S:
                    io.set(sensor.id, "motion-sensor", "motion-state", False)
                io.set(sensor.id, "motion-sensor", "illumination", self._lux(sensor.area, daylight))
            elif sensor.type == "occupancy-sensor" and sensor.area:
                io.set(sensor.id, "occupancy-sensor", "occupancy-status", sensor.area in present)

    def motion(self, area: str, now: float) -> None:
        """Someone moved in this area: its motion sensors fire."""
        for dev in self.io.of_type("motion-sensor", area):
            if now - self._motion_last.get(dev, -1e12) >= _MOTION_EVENT_GAP_S:
                self.io.event(dev, "motion-sensor", "motion-detected")
                self._motion_last[dev] = now
            self.io.set(dev, "motion-sensor", "motion-state", True)

    def _lux(self, area: str, daylight: float) -> float:
        lamps = sum(3.0 * self.io.num(d, "light", "brightness", 80)
                    for d in self.io.of_type("light", area) if self.io.get(d, "light", "on") is True)
        return float(round(daylight + lamps, -1))
