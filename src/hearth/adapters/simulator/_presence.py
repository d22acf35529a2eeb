"""People's phones and watches, and the person devices that follow them."""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping

from hearth.adapters.simulator._people import PersonSim, heart_rate, sleep_stage
from hearth.adapters.simulator._physics import LatLon
from hearth.adapters.simulator._reports import CAUSE, Reports
from hearth.core import Remove, StateChanged
from hearth.model import Home, zone_at


class Presence:
    """Reports what phones and watches sense, and derives each person device from them.

    A person's location and zone follow their phone (or the twin's own knowledge when they carry none);
    sleep and heart rate follow their watch. Phone fixes arrive as two properties, so the person is
    recomputed once both are in: at the end of a tick, or right after an outside report.
    """

    def __init__(self, home: Home, io: Reports, people: Mapping[str, PersonSim], rng: random.Random) -> None:
        self.home, self.io, self.people, self.rng = home, io, people, rng
        self.home_point: LatLon = (home.location.latitude, home.location.longitude)
        self._dirty: set[str] = set()
        self._flush_cancel: Remove | None = None

    def start(self) -> list[Remove]:
        """Follow every phone and watch; returns the undos."""
        removers: list[Remove] = []
        for pid, person in self.people.items():
            if person.phone:
                for prop in ("latitude", "longitude"):
                    removers.append(self.io.bus.subscribe_state(self._phone_listener(pid), person.phone,
                                                                "location", prop))
            if person.watch:
                removers.append(self.io.bus.subscribe_state(self._watch_listener(pid), person.watch))
        removers.append(self._cancel_flush)
        return removers

    def report(self, person: PersonSim, now: float, minute: bool) -> None:
        """Report the person's phone, watch and room; pulse and batteries once a minute."""
        stage = sleep_stage(now - person.slept_at, person.cycle_s) if person.asleep else "Awake"
        io = self.io
        if person.phone:
            accuracy = {"home": 10.0, "zone": 12.0, "walk": 8.0, "car": 15.0}[person.mode]
            lat, lon = self.where(person)
            io.set(person.phone, "location", "accuracy", accuracy)
            io.set(person.phone, "location", "latitude", lat)
            io.set(person.phone, "location", "longitude", lon)
        if person.watch:
            io.set(person.watch, "sleep", "state", stage)
        else:
            io.set(person.id, "sleep", "state", stage)
            io.set(person.id, "sleep", "asleep", person.asleep)
        io.set(person.id, "presence", "area", person.area if person.at_home else "")
        if not person.phone:
            self.mark(person.id)
        if minute:
            person.heart_rate = heart_rate(person, stage, self.rng)
            self._batteries(person)
            io.set(person.watch or person.id, "health", "heart-rate", person.heart_rate)

    def _batteries(self, person: PersonSim) -> None:
        if person.phone:
            charging = person.asleep and person.at_home
            person.phone_battery = min(100.0, person.phone_battery + 0.5) if charging else max(
                5.0, person.phone_battery - 0.07)
            self.io.set(person.phone, "battery", "charging", charging and person.phone_battery < 100)
            self.io.set(person.phone, "battery", "battery-level", int(person.phone_battery))
        if person.watch:
            person.watch_battery = max(5.0, person.watch_battery - 0.04)
            if person.watch_battery < 25 and not person.asleep and person.at_home:
                person.watch_battery = 100.0  # back on its charger for a while
            self.io.set(person.watch, "battery", "battery-level", int(person.watch_battery))

    def where(self, person: PersonSim) -> LatLon:
        """Where the person truly is, rounded as a phone reports it."""
        lat, lon = self.home_point if person.at_home else person.position
        return round(lat, 6), round(lon, 6)

    def mark(self, person_id: str) -> None:
        """Recompute this person soon (at the end of the tick, or next on the clock)."""
        self._dirty.add(person_id)
        if self._flush_cancel is None:
            self._flush_cancel = self.io.clock.call_at(self.io.clock.now(), self.flush)

    def _cancel_flush(self) -> None:
        if self._flush_cancel is not None:
            self._flush_cancel()
            self._flush_cancel = None

    def flush(self) -> None:
        """Derive every marked person's location and presence."""
        self._cancel_flush()
        dirty, self._dirty = self._dirty, set()
        io = self.io
        for pid in sorted(dirty):
            person = self.people[pid]
            if person.phone:
                lat = io.num(person.phone, "location", "latitude", 0)
                lon = io.num(person.phone, "location", "longitude", 0)
                accuracy = io.get(person.phone, "location", "accuracy")
            else:
                (lat, lon), accuracy = self.where(person), 10.0
            zone = self.zone_of((lat, lon))
            cause = person.phone or CAUSE
            io.set(pid, "location", "latitude", lat, cause)
            io.set(pid, "location", "longitude", lon, cause)
            io.set(pid, "location", "accuracy", accuracy, cause)
            io.set(pid, "presence", "zone", zone, cause)
            io.set(pid, "presence", "at-home", zone == "home", cause)

    def _phone_listener(self, person_id: str) -> Callable[[StateChanged], None]:
        return lambda _event: self.mark(person_id)

    def _watch_listener(self, person_id: str) -> Callable[[StateChanged], None]:
        return lambda event: self._follow_watch(person_id, event)

    def _follow_watch(self, person_id: str, event: StateChanged) -> None:
        if (event.service, event.property) == ("sleep", "state"):
            self.io.set(person_id, "sleep", "state", event.new, event.device)
            self.io.set(person_id, "sleep", "asleep", event.new != "Awake", event.device)
        elif (event.service, event.property) == ("health", "heart-rate"):
            self.io.set(person_id, "health", "heart-rate", event.new, event.device)

    def zone_of(self, point: LatLon) -> str:
        """The zone a point lies in (`home` first), or `away`."""
        return zone_at(self.home.zones.values(), point[0], point[1])
