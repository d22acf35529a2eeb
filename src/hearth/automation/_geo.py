"""Where people and cars are: coordinates from their properties, distances and zones."""

from __future__ import annotations

from collections.abc import Mapping

from hearth.errors import RuleError
from hearth.model import Device, Home, Value, Zone, distance_m

StateKey = tuple[str, str, str]


def distance_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in kilometres (the model's haversine)."""
    return distance_m(lat1, lon1, lat2, lon2) / 1000.0


def location_keys(device: Device) -> tuple[StateKey, StateKey]:
    """The (latitude, longitude) property addresses of a person, phone or car; RuleError if it has none."""
    spec = device.spec.services
    if "location" in spec and {"latitude", "longitude"} <= set(spec["location"].properties):
        return (device.id, "location", "latitude"), (device.id, "location", "longitude")
    vehicle = spec.get("vehicle")
    if vehicle is not None and "Vehicle.CurrentLocation.Latitude" in vehicle.properties:
        return ((device.id, "vehicle", "Vehicle.CurrentLocation.Latitude"),
                (device.id, "vehicle", "Vehicle.CurrentLocation.Longitude"))
    raise RuleError(f"{device.id} has no location (people, phones and cars do)")


def position(values: Mapping[StateKey, Value], keys: tuple[StateKey, StateKey]) -> tuple[float, float] | None:
    """Current (lat, lon), or None when unknown or not numeric."""
    lat, lon = values.get(keys[0]), values.get(keys[1])
    if isinstance(lat, int | float) and isinstance(lon, int | float) and not isinstance(lat, bool):
        return float(lat), float(lon)
    return None


def zone_distance(values: Mapping[StateKey, Value], keys: tuple[StateKey, StateKey], zone: Zone) -> float | None:
    """Kilometres from a device to a zone's centre, or None when its position is unknown."""
    where = position(values, keys)
    if where is None:
        return None
    return distance_km(where[0], where[1], zone.latitude, zone.longitude)


def in_zone(values: Mapping[StateKey, Value], keys: tuple[StateKey, StateKey], zone: Zone) -> bool:
    """Whether a device is inside a zone's circle."""
    km = zone_distance(values, keys, zone)
    return km is not None and km * 1000.0 <= zone.radius


def zone_of(home: Home, zone_id: str) -> Zone:
    """A zone by id, or RuleError listing the zones."""
    zone = home.zones.get(zone_id)
    if zone is None:
        raise RuleError(f"unknown zone {zone_id!r} (zones: {', '.join(home.zones)})")
    return zone
