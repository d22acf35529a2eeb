"""The next sunrise or sunset after a moment, for sun triggers (the sun itself is `hearth.model.sun_event`)."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from hearth.model import Location, sun_event


def next_sun_event(location: Location, timezone: str, event: str, offset: float, after: float) -> float | None:
    """The first `event` + `offset` strictly after `after`, looking up to a year ahead."""
    day = dt.datetime.fromtimestamp(after, ZoneInfo(timezone)).date() - dt.timedelta(days=1)
    for _ in range(370):
        when = sun_event(location, timezone, day, event)
        if when is not None and when + offset > after:
            return when + offset
        day += dt.timedelta(days=1)
    return None
