"""Where a point on the map is: great-circle distance and the home zone it falls in."""

from __future__ import annotations

import math
from collections.abc import Iterable

from hearth.model._home import Zone

EARTH_RADIUS_M = 6_371_000.0
AWAY = "away"


def distance_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in metres (haversine)."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(h)))


def zone_at(zones: Iterable[Zone], latitude: float, longitude: float) -> str:
    """The id of the first zone (the home's own comes first) whose circle holds the point, else `away`."""
    for zone in zones:
        if distance_m(latitude, longitude, zone.latitude, zone.longitude) <= zone.radius:
            return zone.id
    return AWAY
