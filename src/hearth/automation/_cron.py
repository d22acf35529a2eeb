"""Cron expressions: 5 fields (minute hour day month weekday), or 6 with seconds first."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from hearth.errors import RuleError

_FIELDS = (("second", 0, 59), ("minute", 0, 59), ("hour", 0, 23), ("day", 1, 31), ("month", 1, 12),
           ("weekday", 0, 7))
_NAMES = {"sun": 0, "mon": 1, "tue": 2, "wed": 3, "thu": 4, "fri": 5, "sat": 6,
          "jan": 1, "feb": 2, "mar": 3, "apr": 4, "may": 5, "jun": 6, "jul": 7, "aug": 8, "sep": 9, "oct": 10,
          "nov": 11, "dec": 12}


def _number(text: str, name: str) -> int:
    low = text.lower()
    if low in _NAMES:
        return _NAMES[low]
    if not text.isdigit():
        raise RuleError(f"cron {name}: {text!r} is not a number")
    return int(text)


def _field(text: str, name: str, low: int, high: int) -> frozenset[int]:
    values: set[int] = set()
    for part in text.split(","):
        body, _, step_text = part.partition("/")
        step = _number(step_text, name) if step_text else 1
        if step < 1:
            raise RuleError(f"cron {name}: step must be at least 1")
        if body in ("*", ""):
            start, end = low, high
        elif "-" in body:
            a, b = body.split("-", 1)
            start, end = _number(a, name), _number(b, name)
        else:
            start = _number(body, name)
            end = high if step_text else start
        if not (low <= start <= high and low <= end <= high) or start > end:
            raise RuleError(f"cron {name}: {part!r} is outside {low}–{high}")
        values.update(range(start, end + 1, step))
    return frozenset(values)


@dataclass(frozen=True, slots=True)
class Cron:
    """A parsed cron schedule."""

    seconds: frozenset[int]
    minutes: frozenset[int]
    hours: frozenset[int]
    days: frozenset[int]
    months: frozenset[int]
    weekdays: frozenset[int]  # 0 = Sunday
    any_day: bool
    any_weekday: bool

    @classmethod
    def parse(cls, text: str) -> Cron:
        """Parse '*/5 * * * *' (or with a leading seconds field)."""
        parts = text.split()
        if len(parts) == 5:
            parts = ["0", *parts]
        if len(parts) != 6:
            raise RuleError(f"cron {text!r}: expected 5 fields (minute hour day month weekday) or 6 with seconds")
        sets = [_field(p, name, low, high) for p, (name, low, high) in zip(parts, _FIELDS, strict=True)]
        weekdays = frozenset(d % 7 for d in sets[5])
        return cls(sets[0], sets[1], sets[2], sets[3], sets[4], weekdays, parts[3] == "*", parts[5] == "*")

    def _day_ok(self, day: dt.date) -> bool:
        if day.month not in self.months:
            return False
        dom = day.day in self.days
        dow = (day.isoweekday() % 7) in self.weekdays
        if self.any_day or self.any_weekday:
            return dom and dow
        return dom or dow  # classic cron: either field may match when both are restricted

    def next_after(self, after: float, timezone: str) -> float | None:
        """The first matching moment strictly after `after` (epoch seconds), within about 5 years."""
        tz = ZoneInfo(timezone)
        start = dt.datetime.fromtimestamp(int(after) + 1, tz)
        day = start.date()
        for _ in range(366 * 5):
            if self._day_ok(day):
                found = self._first_in_day(day, start, tz)
                if found is not None:
                    return found
            day += dt.timedelta(days=1)
        return None

    def _first_in_day(self, day: dt.date, start: dt.datetime, tz: ZoneInfo) -> float | None:
        same_day = day == start.date()
        for hour in sorted(self.hours):
            if same_day and hour < start.hour:
                continue
            for minute in sorted(self.minutes):
                if same_day and (hour, minute) < (start.hour, start.minute):
                    continue
                for second in sorted(self.seconds):
                    moment = dt.datetime(day.year, day.month, day.day, hour, minute, second, tzinfo=tz)
                    if moment.timestamp() >= start.timestamp():
                        return moment.timestamp()
        return None
