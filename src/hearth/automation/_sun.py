"""Sunrise and sunset at the home's location (astral), in epoch seconds."""

from __future__ import annotations

import datetime as dt
from functools import lru_cache
from zoneinfo import ZoneInfo

from astral import Observer
from astral.sun import sunrise, sunset

from hearth.model import Location


@lru_cache(maxsize=512)
def sun_times(latitude: float, longitude: float, elevation: float, timezone: str,
              day: dt.date) -> tuple[float | None, float | None]:
    """(sunrise, sunset) of a local calendar day; None where the sun does not rise or set (polar days)."""
    observer = Observer(latitude, longitude, elevation)
    tz = ZoneInfo(timezone)
    times: list[float | None] = []
    for fn in (sunrise, sunset):
        try:
            times.append(fn(observer, day, tzinfo=tz).timestamp())
        except ValueError:
            times.append(None)
    return times[0], times[1]


def sun_event(location: Location, timezone: str, day: dt.date, event: str) -> float | None:
    """Epoch seconds of `event` ('sunrise' or 'sunset') on a local day."""
    rise, set_ = sun_times(location.latitude, location.longitude, location.elevation, timezone, day)
    return rise if event == "sunrise" else set_


def next_sun_event(location: Location, timezone: str, event: str, offset: float, after: float) -> float | None:
    """The first `event` + `offset` strictly after `after`, looking up to a year ahead."""
    day = dt.datetime.fromtimestamp(after, ZoneInfo(timezone)).date() - dt.timedelta(days=1)
    for _ in range(370):
        when = sun_event(location, timezone, day, event)
        if when is not None and when + offset > after:
            return when + offset
        day += dt.timedelta(days=1)
    return None
