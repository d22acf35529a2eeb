"""People of the twin: daily routines, where each person is, walking, sleep stages and heart rate."""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal
from zoneinfo import ZoneInfo

from hearth.adapters.simulator._physics import LatLon, Route
from hearth.model import Home, Person

StepKind = Literal["room", "go", "drive", "sleep", "wake", "chore"]
Mode = Literal["home", "zone", "walk", "car"]
WALK_SPEED_MPS = 1.3


@dataclass(frozen=True, slots=True)
class Step:
    """One thing a person does at a local time of day: move to a room, go or drive to a zone, sleep, wake."""

    at: str  # "HH:MM" local time
    kind: StepKind
    target: str = ""  # an area id (room, sleep), a zone id (go, drive) or what to do (chore)
    jitter: float = 5.0  # minutes either way, drawn per day

    @property
    def minute(self) -> int:
        """Minutes after local midnight."""
        hours, minutes = self.at.split(":")
        return int(hours) * 60 + int(minutes)


def _r(at: str, area: str) -> Step:
    return Step(at, "room", area)


# The demo household's days. Alice walks Mia to school and back; Bob drives the car to the office.
DEMO_ROUTINES: Mapping[str, tuple[Step, ...]] = {
    "alice": (
        Step("06:45", "wake", jitter=8), _r("06:55", "bathroom"), _r("07:10", "kitchen"),
        Step("07:30", "go", "school", 3), Step("08:05", "go", "home", 3), _r("08:45", "study"),
        _r("10:30", "living_room"), _r("11:45", "kitchen"), _r("13:00", "study"), Step("15:25", "go", "school", 3),
        Step("16:00", "go", "home", 3), _r("16:40", "kitchen"), _r("18:30", "dining_room"),
        _r("19:30", "living_room"), _r("22:15", "bathroom"), Step("22:45", "sleep", "master_bedroom", 10),
    ),
    "mia": (
        Step("07:00", "wake", jitter=5), _r("07:10", "dining_room"), Step("07:30", "go", "school", 3),
        Step("16:00", "go", "home", 3), _r("16:40", "kids_room"), _r("18:30", "dining_room"),
        _r("19:15", "living_room"), _r("20:30", "bathroom"), Step("20:50", "sleep", "kids_room", 8),
    ),
    "bob": (
        Step("06:50", "wake", jitter=8), _r("07:00", "bathroom"), _r("07:20", "dining_room"),
        Step("08:20", "drive", "office", 6), Step("17:40", "drive", "home", 8), _r("18:30", "dining_room"),
        _r("19:30", "living_room"), _r("21:30", "study"), _r("22:50", "bathroom"),
        Step("23:10", "sleep", "master_bedroom", 10),
    ),
}

# What happens in the home whoever is there: the robot vacuum's daily run, showers, a delivery at the door.
HOUSEHOLD = "household"
CHORES = (
    Step("07:05", "chore", "shower", 5), Step("10:00", "chore", "vacuum", 10),
    Step("14:00", "chore", "doorbell", 180), Step("21:10", "chore", "shower", 15),
)

_HOME_DAY = (
    Step("07:00", "wake", jitter=10), _r("07:15", "kitchen"), _r("09:00", "living_room"), _r("12:00", "kitchen"),
    _r("13:00", "living_room"), _r("18:30", "dining_room"), _r("19:30", "living_room"), Step("23:00", "sleep", ""),
)


def routine_for(person: Person, home: Home) -> tuple[Step, ...]:
    """A person's day, keeping only steps whose rooms and zones this home has."""
    steps = DEMO_ROUTINES.get(person.id, _HOME_DAY)
    has_car = any(d.type == "car" and d.adapter == "simulator" for d in home.devices.values())
    kept: list[Step] = []
    for step in steps:
        if step.kind == "room" and step.target not in home.areas:
            continue
        if step.kind in ("go", "drive") and step.target not in home.zones:
            continue
        if step.kind == "drive" and not has_car:
            step = Step(step.at, "go", step.target, step.jitter)
        kept.append(step)
    return tuple(kept)


def sleep_area(person: Person, home: Home) -> str:
    """Where a person sleeps: the room of their sleep step, or a bedroom-like area, or the first area."""
    for step in routine_for(person, home):
        if step.kind == "sleep" and step.target in home.areas:
            return step.target
    for area in home.areas.values():
        if "bed" in area.id or "bed" in area.name.lower():
            return area.id
    return next(iter(home.areas), "")


@dataclass(frozen=True, slots=True)
class Due:
    """A routine step due at an exact time."""

    time: float
    person: str
    step: Step


def agenda(home: Home, seed: int, day: dt.date, routines: Mapping[str, tuple[Step, ...]]) -> list[Due]:
    """Every person's steps on one local day, at times jittered the same way for the same seed and day."""
    tz = ZoneInfo(home.timezone)
    midnight = dt.datetime.combine(day, dt.time(), tz).timestamp()
    items: list[Due] = []
    for person_id, steps in routines.items():
        for step in steps:
            # Jitter is keyed by the step itself, so people who leave together (Alice and Mia) stay together.
            rng = random.Random(f"{seed}:{day.isoformat()}:{step.at}:{step.kind}:{step.target}")
            offset = rng.uniform(-step.jitter, step.jitter) * 60
            items.append(Due(midnight + step.minute * 60 + round(offset), person_id, step))
    items.sort(key=lambda d: (d.time, d.person))
    return items


@dataclass(slots=True)
class PersonSim:
    """Where one person is and what they are doing, as the twin knows it."""

    id: str
    phone: str | None
    watch: str | None
    bed: str
    mode: Mode = "home"
    area: str = ""
    zone: str = "home"
    position: LatLon = (0.0, 0.0)
    route: Route | None = None
    travelled: float = 0.0
    destination: str = "home"
    pending: Step | None = None  # a trip that came due while still travelling
    asleep: bool = True
    slept_at: float = 0.0
    cycle_s: float = 5400.0
    heart_rate: int = 60
    phone_battery: float = 80.0
    watch_battery: float = 60.0
    companions: list[str] = field(default_factory=list)

    @property
    def at_home(self) -> bool:
        """Whether the person is inside the home."""
        return self.mode == "home"

    def walk_step(self, dt_s: float) -> bool:
        """Walk on along the route; True when arrived."""
        if self.route is None:
            return True
        self.travelled = min(self.route.length, self.travelled + WALK_SPEED_MPS * dt_s)
        self.position, _ = self.route.at(self.travelled)
        return self.travelled >= self.route.length


def sleep_stage(asleep_for_s: float, cycle_s: float) -> str:
    """The sleep stage after sleeping this long: ~90-minute cycles, deep sleep early, more REM late."""
    if asleep_for_s < 0:
        return "Awake"
    cycle = int(asleep_for_s // cycle_s)
    f = (asleep_for_s % cycle_s) / cycle_s
    deep_end = max(0.2, 0.6 - 0.1 * cycle)  # deep sleep shrinks as the night goes on
    if f < 0.2:
        return "Light Sleep"
    if f < deep_end:
        return "Deep Sleep"
    if f < 0.78:
        return "Light Sleep"
    return "REM"


def heart_rate(person: PersonSim, stage: str, rng: random.Random) -> int:
    """A plausible pulse for what the person is doing."""
    if person.asleep:
        base = {"Deep Sleep": 52, "REM": 62}.get(stage, 57)
    elif person.mode == "walk":
        base = 96
    elif person.mode == "car":
        base = 74
    else:
        base = 68
    return base + rng.randint(-3, 3)
