"""The sun for a place and a moment: sunrise, sunset and whether it is dark (a pure function)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import lru_cache
from typing import Protocol
from zoneinfo import ZoneInfo

from astral import Observer
from astral import sun as astral_sun

_HORIZON = -0.833  # degrees: the sun's upper limb touches the horizon (refraction included)


class Place(Protocol):
    """Anything with a latitude, longitude and elevation (a home's `Location`)."""

    @property
    def latitude(self) -> float: ...
    @property
    def longitude(self) -> float: ...
    @property
    def elevation(self) -> float: ...


@dataclass(frozen=True, slots=True)
class SunTimes:
    """The sun on the local day of a moment; times are epoch seconds, None when the sun does not rise or set."""

    dawn: float | None
    sunrise: float | None
    noon: float
    sunset: float | None
    dusk: float | None
    elevation: float
    is_dark: bool

    @property
    def is_day(self) -> bool:
        """Whether the sun is above the horizon."""
        return not self.is_dark


def sun(location: Place, timezone: str, when: float) -> SunTimes:
    """Sunrise, sunset, dawn, dusk and darkness at `when` (epoch seconds) for a place in a time zone."""
    tz = ZoneInfo(timezone)
    day = dt.datetime.fromtimestamp(when, tz).date()
    dawn, sunrise, noon, sunset, dusk = _day_times(location.latitude, location.longitude, location.elevation,
                                                   timezone, day)
    observer = Observer(location.latitude, location.longitude, location.elevation)
    elevation = float(astral_sun.elevation(observer, dt.datetime.fromtimestamp(when, dt.UTC)))
    # Between sunrise and sunset it is day; where the sun neither rises nor sets today, its elevation decides.
    has_both = sunrise is not None and sunset is not None
    is_dark = not (sunrise <= when < sunset) if has_both else elevation < _HORIZON  # type: ignore[operator]
    return SunTimes(dawn, sunrise, noon, sunset, dusk, round(elevation, 3), is_dark)


_EVENTS = ("dawn", "sunrise", "noon", "sunset", "dusk")


def sun_event(location: Place, timezone: str, day: dt.date, event: str) -> float | None:
    """Epoch seconds of `event` (dawn, sunrise, noon, sunset or dusk) on a local calendar day; None where the sun
    does not cross that elevation that day (polar days and nights)."""
    times = _day_times(location.latitude, location.longitude, location.elevation, timezone, day)
    return times[_EVENTS.index(event)]


@lru_cache(maxsize=512)
def _day_times(
    lat: float, lon: float, elev: float, timezone: str, day: dt.date
) -> tuple[float | None, float | None, float, float | None, float | None]:
    # Cached per place and local day: the twin and the rules ask many times a day (a rule looking for the next
    # sunset may walk a polar winter day by day); astral's solution is the costly part.
    observer = Observer(lat, lon, elev)
    tz = ZoneInfo(timezone)

    def at(fn: str) -> float | None:
        try:
            return float(getattr(astral_sun, fn)(observer, day, tzinfo=tz).timestamp())
        except ValueError:  # polar day or night: the sun never crosses that elevation today
            return None

    noon = float(astral_sun.noon(observer, day, tzinfo=tz).timestamp())
    return at("dawn"), at("sunrise"), noon, at("sunset"), at("dusk")
