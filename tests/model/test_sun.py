"""The sun helper: sunrise, sunset and darkness for a place and a moment."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from hearth.model import Location
from hearth.model._sun import sun

SHANGHAI = Location(31.2304, 121.4737, 4)
TZ = "Asia/Shanghai"


def at(day: str, hhmm: str, tz: str = TZ) -> float:
    return dt.datetime.fromisoformat(f"{day}T{hhmm}").replace(tzinfo=ZoneInfo(tz)).timestamp()


def local(ts: float | None) -> str:
    assert ts is not None
    return dt.datetime.fromtimestamp(ts, ZoneInfo(TZ)).strftime("%H:%M")


def test_shanghai_winter_day() -> None:
    noon = sun(SHANGHAI, TZ, at("2026-01-01", "12:00"))
    assert "06:45" <= local(noon.sunrise) <= "06:58"
    assert "16:55" <= local(noon.sunset) <= "17:10"
    assert noon.is_dark is False and noon.elevation > 30
    assert sun(SHANGHAI, TZ, at("2026-01-01", "20:00")).is_dark is True
    assert sun(SHANGHAI, TZ, at("2026-01-01", "05:00")).is_dark is True


def test_summer_days_are_longer() -> None:
    summer = sun(SHANGHAI, TZ, at("2026-06-21", "12:00"))
    winter = sun(SHANGHAI, TZ, at("2026-12-21", "12:00"))
    assert summer.sunset and summer.sunrise and winter.sunset and winter.sunrise
    assert summer.sunset - summer.sunrise > winter.sunset - winter.sunrise + 3 * 3600


def test_same_day_same_times_and_dusk_after_sunset() -> None:
    morning = sun(SHANGHAI, TZ, at("2026-03-10", "07:00"))
    evening = sun(SHANGHAI, TZ, at("2026-03-10", "22:00"))
    assert (morning.sunrise, morning.sunset) == (evening.sunrise, evening.sunset)
    assert evening.dusk is not None and evening.sunset is not None and evening.dusk > evening.sunset


def test_polar_night_has_no_sunrise() -> None:
    tromso = Location(69.65, 18.96, 0)
    info = sun(tromso, "Europe/Oslo", at("2026-12-21", "12:00", "Europe/Oslo"))
    assert info.sunrise is None and info.sunset is None and info.is_dark is True
    summer = sun(tromso, "Europe/Oslo", at("2026-06-21", "00:30", "Europe/Oslo"))
    assert summer.sunrise is None and summer.is_dark is False
