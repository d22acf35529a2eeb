"""Triggers at moments: times of day, cron expressions and sunrise/sunset, each armed on the clock for its
next moment and re-armed as it fires."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from functools import partial

from hearth.automation._conditions import Context
from hearth.automation._cron import Cron
from hearth.automation._model import CronTrigger, SunTrigger, TimeTrigger
from hearth.automation._sun import next_sun_event
from hearth.automation._wiring import Fire, Remove


def _nothing() -> None:
    return None


class Schedule:
    """Calls `on_due(when)` at each moment `next_after` yields, re-arming itself first."""

    def __init__(self, ctx: Context, next_after: Callable[[float], float | None],
                 on_due: Callable[[float], None]) -> None:
        self.clock, self.next_after, self.on_due = ctx.clock, next_after, on_due
        self.cancel: Remove = _nothing

    def start(self) -> Remove:
        self.arm(self.clock.now())
        return lambda: self.cancel()

    def arm(self, after: float) -> None:
        when = self.next_after(after)
        if when is not None:
            self.cancel = self.clock.call_at(when, partial(self.due, when))

    def due(self, when: float) -> None:
        self.arm(when)
        self.on_due(when)


def next_moment(trigger: TimeTrigger | CronTrigger | SunTrigger, ctx: Context) -> Callable[[float], float | None]:
    home, tz = ctx.home, ctx.tz
    if isinstance(trigger, SunTrigger):
        return lambda after: next_sun_event(home.location, home.timezone, trigger.event, trigger.offset, after)
    if isinstance(trigger, CronTrigger):
        cron = Cron.parse(trigger.expression)
        return lambda after: cron.next_after(after, home.timezone)
    ats = trigger.at

    def next_time(after: float) -> float:
        today = dt.datetime.fromtimestamp(after, tz).date()
        best = []
        for offset in (0, 1, 2):
            day = today + dt.timedelta(days=offset)
            for seconds in ats:
                moment = dt.datetime(day.year, day.month, day.day, seconds // 3600, seconds % 3600 // 60,
                                     seconds % 60, tzinfo=tz).timestamp()
                if moment > after:
                    best.append(moment)
            if best:
                return min(best)
        return after + 86400.0

    return next_time


def attach_timed(trigger: TimeTrigger | CronTrigger | SunTrigger, index: int, ctx: Context, fire: Fire) -> Remove:
    """Arm a trigger for its next moment; `fire(index, {"at": moment})` at each one."""
    return Schedule(ctx, next_moment(trigger, ctx), partial(_timed, fire, index)).start()


def _timed(fire: Fire, index: int, when: float) -> None:
    fire(index, {"at": when})
