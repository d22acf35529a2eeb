"""What phones send, validated: OwnTracks JSON (`location`, `transition`, `waypoint(s)`) and a location webhook.

Pure functions from decoded JSON to frozen value objects; anything malformed raises PayloadError saying which
field is wrong, so a bad payload never reaches the state.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from hearth.errors import AdapterError

# OwnTracks message types Hearth reads; the others (card, lwt, status, steps, cmd, …) are acknowledged and skipped.
OWNTRACKS_TYPES = frozenset({"location", "transition", "waypoint", "waypoints"})


class PayloadError(AdapterError):
    """A phone sent something Hearth cannot use; the message says what."""


@dataclass(frozen=True, slots=True)
class Fix:
    """One position report: where, when (epoch s, None if the sender gave none), how precise, and the battery."""

    latitude: float
    longitude: float
    time: float | None = None
    accuracy: float | None = None
    battery: int | None = None
    charging: bool | None = None
    regions: tuple[str, ...] | None = None  # OwnTracks `inregions`: the phone's own geofences it is inside

    def __post_init__(self) -> None:
        if not -90 <= self.latitude <= 90:
            raise PayloadError(f"latitude {self.latitude} is outside -90…90")
        if not -180 <= self.longitude <= 180:
            raise PayloadError(f"longitude {self.longitude} is outside -180…180")
        if self.accuracy is not None and self.accuracy < 0:
            raise PayloadError(f"accuracy {self.accuracy} is negative")
        if self.battery is not None and not 0 <= self.battery <= 100:
            raise PayloadError(f"battery {self.battery} is outside 0…100")


@dataclass(frozen=True, slots=True)
class Transition:
    """The phone entered or left one of its regions (OwnTracks `transition`)."""

    event: Literal["enter", "leave"]
    region: str
    time: float
    fix: Fix | None = None


@dataclass(frozen=True, slots=True)
class Region:
    """A geofence the phone knows (OwnTracks `waypoint`)."""

    name: str
    latitude: float
    longitude: float
    radius: float


@dataclass(frozen=True, slots=True)
class Regions:
    """The phone's list of geofences (OwnTracks `waypoint` / `waypoints`)."""

    regions: tuple[Region, ...]


@dataclass(frozen=True, slots=True)
class Skipped:
    """A well-formed OwnTracks message of a type Hearth does not use."""

    kind: str


Message = Fix | Transition | Regions | Skipped


def parse_owntracks(data: Any) -> Message:
    """Read one decoded OwnTracks JSON message."""
    if not isinstance(data, Mapping):
        raise PayloadError("an OwnTracks message is a JSON object")
    kind = data.get("_type")
    if not isinstance(kind, str) or not kind:
        raise PayloadError("an OwnTracks message needs `_type`")
    if kind == "encrypted":
        raise PayloadError("encrypted OwnTracks payloads are not supported: turn encryption off for Hearth")
    if kind not in OWNTRACKS_TYPES:
        return Skipped(kind)
    if kind == "location":
        return _location(data)
    if kind == "transition":
        return _transition(data)
    if kind == "waypoint":
        return Regions((_region(data),))
    items = data.get("waypoints")
    if not isinstance(items, list):
        raise PayloadError("`waypoints` must be a list")
    return Regions(tuple(_region(item) for item in items))


def parse_webhook(data: Any) -> Fix:
    """Read a location webhook: `{latitude, longitude, accuracy?, battery?, charging?, timestamp?}`,
    or the Home Assistant mobile app's `{"type": "update_location", "data": {gps, gps_accuracy, battery}}`."""
    if not isinstance(data, Mapping):
        raise PayloadError("the body must be a JSON object")
    if "type" in data:
        if data.get("type") != "update_location":
            raise PayloadError(f"unsupported webhook type {data.get('type')!r} (expected update_location)")
        inner = data.get("data")
        if not isinstance(inner, Mapping):
            raise PayloadError("update_location needs a `data` object")
        gps = inner.get("gps")
        if not isinstance(gps, list | tuple) or len(gps) != 2:
            raise PayloadError("`data.gps` must be [latitude, longitude]")
        return Fix(_number(gps[0], "gps[0]"), _number(gps[1], "gps[1]"), None,
                   _optional_number(inner, "gps_accuracy"), _optional_int(inner, "battery"))
    _only(data, {"latitude", "longitude", "accuracy", "battery", "charging", "timestamp"})
    charging = data.get("charging")
    if charging is not None and not isinstance(charging, bool):
        raise PayloadError("`charging` must be true or false")
    return Fix(_number(data.get("latitude"), "latitude"), _number(data.get("longitude"), "longitude"),
               _optional_number(data, "timestamp"), _optional_number(data, "accuracy"),
               _optional_int(data, "battery"), charging)


def owntracks_identity(topic: str, prefix: str = "owntracks") -> str | None:
    """`user/device` from an OwnTracks topic (`owntracks/alice/pixel[/event]`), None if it is not one."""
    parts = topic.split("/")
    if len(parts) < 3 or parts[0] != prefix or not parts[1] or not parts[2]:
        return None
    return f"{parts[1]}/{parts[2]}"


def _location(data: Mapping[str, Any]) -> Fix:
    regions = data.get("inregions")
    if regions is not None and (not isinstance(regions, list) or not all(isinstance(r, str) for r in regions)):
        raise PayloadError("`inregions` must be a list of region names")
    status = data.get("bs")  # 0 unknown, 1 unplugged, 2 charging, 3 full
    charging = None if status not in (1, 2, 3) else status == 2
    return Fix(_number(data.get("lat"), "lat"), _number(data.get("lon"), "lon"), _number(data.get("tst"), "tst"),
               _optional_number(data, "acc"), _optional_int(data, "batt"), charging,
               tuple(regions) if regions is not None else None)


def _transition(data: Mapping[str, Any]) -> Transition:
    event = data.get("event")
    if event not in ("enter", "leave"):
        raise PayloadError("a transition's `event` must be enter or leave")
    region = data.get("desc")
    if not isinstance(region, str) or not region:
        raise PayloadError("a transition needs `desc`, the region's name")
    when = _number(data.get("tst"), "tst")
    fix = None
    if data.get("lat") is not None and data.get("lon") is not None:
        fix = Fix(_number(data["lat"], "lat"), _number(data["lon"], "lon"), when, _optional_number(data, "acc"))
    return Transition("enter" if event == "enter" else "leave", region, when, fix)


def _region(data: Any) -> Region:
    if not isinstance(data, Mapping):
        raise PayloadError("a waypoint is a JSON object")
    name = data.get("desc")
    if not isinstance(name, str) or not name:
        raise PayloadError("a waypoint needs `desc`, the region's name")
    radius = _number(data.get("rad", 0), "rad")
    return Region(name, _number(data.get("lat"), "lat"), _number(data.get("lon"), "lon"), radius)


def _only(data: Mapping[str, Any], allowed: set[str]) -> None:
    extra = sorted(set(data) - allowed)
    if extra:
        raise PayloadError(f"unknown field {extra[0]!r} (fields: {', '.join(sorted(allowed))})")


def _number(raw: Any, name: str) -> float:
    if isinstance(raw, bool) or not isinstance(raw, int | float):
        raise PayloadError(f"`{name}` must be a number" if raw is not None else f"`{name}` is required")
    if not math.isfinite(raw):
        raise PayloadError(f"`{name}` must be a finite number")
    return float(raw)


def _optional_number(data: Mapping[str, Any], name: str) -> float | None:
    return None if data.get(name) is None else _number(data[name], name)


def _optional_int(data: Mapping[str, Any], name: str) -> int | None:
    number = _optional_number(data, name)
    if number is None:
        return None
    if not number.is_integer():
        raise PayloadError(f"`{name}` must be a whole number")
    return int(number)
