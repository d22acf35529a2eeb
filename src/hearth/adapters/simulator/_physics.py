"""Pure physics of the twin: weather, rooms, covers, water and geography. No state, no clock."""

from __future__ import annotations

import itertools
import math
import random
from collections.abc import Sequence
from dataclasses import dataclass

LatLon = tuple[float, float]
EARTH_RADIUS_M = 6_371_000.0


def outdoor_temperature(latitude: float, day_of_year: float, hour: float, weather: float = 0.0) -> float:
    """Outside air temperature (°C): a seasonal mean plus a daily curve peaking mid-afternoon."""
    peak_day = 200 if latitude >= 0 else 17  # the warmest day is about a month after the solstice
    mean = 27.0 - 0.35 * abs(latitude)
    seasonal = min(15.0, 0.4 * abs(latitude)) * math.cos(2 * math.pi * (day_of_year - peak_day) / 365.25)
    daily = 4.0 * math.cos(2 * math.pi * (hour - 14.5) / 24)
    return mean + seasonal + daily + weather


def weather_offset(seed: int, ordinal: int) -> float:
    """A day's deviation from the climate (°C), the same for the same seed and day."""
    return random.Random(f"{seed}:weather:{ordinal}").uniform(-2.5, 2.5)


@dataclass(frozen=True, slots=True)
class Climate:
    """What drives one room's temperature during a step."""

    outside: float
    ac_on: bool = False
    ac_mode: str = "Auto"
    ac_target: float = 24.0
    ac_fan: str = "Auto"
    occupants: int = 0


_LEAK_TAU_S = 10 * 3600.0  # time constant of heat leaking through walls and windows
_GAIN_C = 8.0  # appliances, sun and neighbours keep a room this much above outside at equilibrium
_AC_TAU_S = 900.0  # an AC closes the gap to its target with this time constant
_AC_MAX_C_PER_S = 8.0 / 3600.0  # most an AC can move a room per second
_FAN_FACTOR = {"Low": 0.6, "Medium": 0.85, "High": 1.1, "Auto": 1.0}


def ac_drive(climate: Climate, room: float) -> float:
    """The AC's heating (+) or cooling (-) rate in °C per second at the current room temperature."""
    if not climate.ac_on or climate.ac_mode == "Fan":
        return 0.0
    gap = climate.ac_target - room
    rate = gap / _AC_TAU_S
    if climate.ac_mode in ("Cool", "Dry"):
        rate = min(rate, 0.0)
    elif climate.ac_mode == "Heat":
        rate = max(rate, 0.0)
    capacity = _AC_MAX_C_PER_S * _FAN_FACTOR.get(climate.ac_fan, 1.0)
    if climate.ac_mode in ("Eco", "Dry"):
        capacity *= 0.5
    return max(-capacity, min(capacity, rate))


def room_step(room: float, climate: Climate, dt: float) -> float:
    """Advance a room's temperature by `dt` seconds."""
    equilibrium = climate.outside + _GAIN_C + 0.5 * climate.occupants
    leak = (equilibrium - room) / _LEAK_TAU_S
    return room + (leak + ac_drive(climate, room)) * dt


def humidity_step(humidity: float, climate: Climate, dt: float, noise: float) -> float:
    """Advance relative humidity: drifts to 55 %, drier when the AC dries or cools."""
    drying = 0.0
    if climate.ac_on and climate.ac_mode in ("Dry", "Cool"):
        drying = (4.0 if climate.ac_mode == "Dry" else 1.5) / 3600.0
    value = humidity + ((55.0 - humidity) / (6 * 3600.0) - drying) * dt + noise
    return min(95.0, max(15.0, value))


def cover_step(position: float, target: float, speed: float, dt: float) -> float:
    """Move a cover (curtain, garage door, window) toward its target at `speed` percent per second."""
    step = speed * dt
    if abs(target - position) <= step:
        return target
    return position + math.copysign(step, target - position)


def water_step(temperature: float, target: float, on: bool, mode: str, ambient: float, dt: float) -> float:
    """Advance a water heater's tank temperature by `dt` seconds."""
    loss = (ambient - temperature) / (30 * 3600.0)  # a well-insulated tank
    heat = 0.0
    if on and temperature < target:
        heat = {"Eco": 8.0, "Boost": 25.0}.get(mode, 15.0) / 3600.0
    value = temperature + (heat + loss) * dt
    return min(value, target) if heat and value > target else value


def distance_m(a: LatLon, b: LatLon) -> float:
    """Great-circle distance in metres."""
    lat1, lon1, lat2, lon2 = map(math.radians, (a[0], a[1], b[0], b[1]))
    h = math.sin((lat2 - lat1) / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(h)))


def bearing_deg(a: LatLon, b: LatLon) -> float:
    """Initial compass bearing from a to b, 0–360°."""
    lat1, lat2 = math.radians(a[0]), math.radians(b[0])
    dlon = math.radians(b[1] - a[1])
    x = math.sin(dlon) * math.cos(lat2)
    y = math.cos(lat1) * math.sin(lat2) - math.sin(lat1) * math.cos(lat2) * math.cos(dlon)
    return (math.degrees(math.atan2(x, y)) + 360.0) % 360.0


@dataclass(frozen=True, slots=True)
class Route:
    """A polyline of lat/lon points with cumulative distances, walked or driven from start to end."""

    points: tuple[LatLon, ...]
    cumulative: tuple[float, ...]

    @classmethod
    def through(cls, points: Sequence[LatLon]) -> Route:
        """Build a route through the points in order."""
        if len(points) < 2:
            raise ValueError("a route needs at least two points")
        total, cum = 0.0, [0.0]
        for a, b in itertools.pairwise(points):
            total += distance_m(a, b)
            cum.append(total)
        return cls(tuple(points), tuple(cum))

    @property
    def length(self) -> float:
        """Length in metres."""
        return self.cumulative[-1]

    @property
    def end(self) -> LatLon:
        """The last point."""
        return self.points[-1]

    def reversed(self) -> Route:
        """The same roads the other way."""
        return Route.through(self.points[::-1])

    def segment(self, travelled: float) -> int:
        """Index of the segment that contains the point `travelled` metres along."""
        travelled = min(max(travelled, 0.0), self.length)
        for i in range(1, len(self.cumulative)):
            if travelled <= self.cumulative[i]:
                return i - 1
        return len(self.points) - 2

    def at(self, travelled: float) -> tuple[LatLon, float]:
        """The point `travelled` metres along the route and the heading there."""
        travelled = min(max(travelled, 0.0), self.length)
        i = self.segment(travelled)
        a, b = self.points[i], self.points[i + 1]
        span = self.cumulative[i + 1] - self.cumulative[i]
        f = 0.0 if span == 0 else (travelled - self.cumulative[i]) / span
        return (a[0] + (b[0] - a[0]) * f, a[1] + (b[1] - a[1]) * f), bearing_deg(a, b)


def street_route(start: LatLon, end: LatLon, rng: random.Random, legs: int = 3) -> Route:
    """A city-block route: alternate north-south and east-west stretches, as streets run."""
    lat_cuts = sorted(rng.uniform(0.15, 0.85) for _ in range(legs - 1))
    lon_cuts = sorted(rng.uniform(0.15, 0.85) for _ in range(legs - 1))
    lat_f = [0.0, *lat_cuts, 1.0]
    lon_f = [0.0, *lon_cuts, 1.0]
    dlat, dlon = end[0] - start[0], end[1] - start[1]
    points: list[LatLon] = [start]
    for i in range(1, legs + 1):
        points.append((start[0] + dlat * lat_f[i - 1], start[1] + dlon * lon_f[i]))
        points.append((start[0] + dlat * lat_f[i], start[1] + dlon * lon_f[i]))
    deduped = [p for i, p in enumerate(points) if i == 0 or distance_m(p, points[i - 1]) > 0.5]
    if len(deduped) < 2:
        deduped = [start, end]
    return Route.through(deduped)
