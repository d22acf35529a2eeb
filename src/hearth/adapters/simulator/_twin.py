"""The digital twin: a simulated household that lives in the hub's clock and obeys the command path."""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable
from zoneinfo import ZoneInfo

from hearth.adapters.simulator import _car as car_mod
from hearth.adapters.simulator._appliances import COVER_SPEED, VacuumSim, charger_power_kw, charger_report
from hearth.adapters.simulator._car import CarSim, plan_trip
from hearth.adapters.simulator._people import (
    CHORES,
    HOUSEHOLD,
    Due,
    PersonSim,
    agenda,
    routine_for,
    sleep_area,
)
from hearth.adapters.simulator._physics import (
    LatLon,
    Route,
    distance_m,
    outdoor_temperature,
    street_route,
    water_step,
    weather_offset,
)
from hearth.adapters.simulator._presence import Presence
from hearth.adapters.simulator._reports import CAUSE, Reports, num
from hearth.adapters.simulator._rooms import Rooms
from hearth.core import Bus, Clock, Command, Remove, StateStore
from hearth.errors import AdapterError
from hearth.model import Device, Home

_WINDOW_SPEED = 10.0  # car windows, percent per second


class Twin:
    """Simulates every device whose adapter is `simulator`, advancing in fixed ticks on the injected clock."""

    name = "simulator"

    def __init__(self, home: Home, state: StateStore, bus: Bus, clock: Clock, seed: int = 1,
                 tick: float = 5.0) -> None:
        if tick <= 0:
            raise ValueError("tick must be positive")
        self.home, self.state, self.bus, self.clock = home, state, bus, clock
        self.seed, self.tick = seed, tick
        self.rng = random.Random(seed)
        self.tz = ZoneInfo(home.timezone)
        self.home_point: LatLon = (home.location.latitude, home.location.longitude)
        self.devices = {d.id: d for d in home.devices.values() if d.adapter == "simulator"}
        self.started_at = clock.now()
        self._last = self.started_at
        self._ticks = 0
        self._cancel: Remove | None = None
        self._removers: list[Remove] = []
        self._agendas: dict[dt.date, list[Due]] = {}
        self._routes: dict[str, Route] = {}
        self._door_close_at: float | None = None
        self._relock: set[str] = set()
        self._window_targets: dict[tuple[str, str], float] = {}
        self._routines = {p.id: routine_for(p, home) for p in home.people.values()}
        self.io = Reports(state, bus, clock, self.devices)
        self.people = {p.id: self._person_sim(p.id) for p in home.people.values()}
        self.presence = Presence(home, self.io, self.people, self.rng)
        self.rooms = Rooms(home, self.io, self.rng)
        self.car_id = self._first("car")
        self.charger_id = self._first("ev-charger")
        self.car = self._initial_car()
        self.vacuums = {d: VacuumSim(str(self.io.get(d, "vacuum", "status")), self.io.num(d, "battery",
                                     "battery-level", 100)) for d in self.io.of_type("vacuum")}
        self.water = {d: self.io.num(d, "water-heater", "temperature", 45) for d in self.io.of_type("water-heater")}

    # ---- lifecycle ----

    def start(self) -> Remove:
        """Place everyone where the day says they are, then tick until the returned undo is called."""
        self._settle(self.started_at)
        self._removers.extend(self.presence.start())
        for person in self.people.values():
            self.presence.report(person, self.started_at, minute=True)
            self.presence.mark(person.id)
        self.advance(self.started_at, 0.0)
        self._schedule()
        return self.stop

    def stop(self) -> None:
        """Stop ticking and drop every subscription."""
        for cancel in (self._cancel, *self._removers):
            if cancel is not None:
                cancel()
        self._cancel = None
        self._removers.clear()

    def _schedule(self) -> None:
        self._cancel = self.clock.call_at(self.started_at + (self._ticks + 1) * self.tick, self._tick)

    def _tick(self) -> None:
        now = self.clock.now()
        step = now - self._last
        self._run_agenda(self._last, now)
        self._last = now
        self._ticks += 1
        if step > 0:
            self.advance(now, step)
        self._schedule()

    def advance(self, now: float, step: float) -> None:
        """Move the whole household forward by `step` seconds ending at `now`."""
        outside = self.outside(now)
        self._step_people(now, step)
        self._step_car(now, step, outside)
        self.rooms.step(step, outside, self.people.values())
        self.rooms.move_covers(step)
        self._step_appliances(now, step)
        self.rooms.sense(now, self.people.values())
        minute = int(now // 60) != int((now - step) // 60)
        for person in self.people.values():
            self.presence.report(person, now, minute)
        self.presence.flush()

    # ---- time and weather ----

    def local(self, when: float) -> dt.datetime:
        """Local time at the home."""
        return dt.datetime.fromtimestamp(when, self.tz)

    def outside(self, when: float) -> float:
        """Outside air temperature at the home (°C)."""
        t = self.local(when)
        hour = t.hour + t.minute / 60 + t.second / 3600
        ordinal = t.date().toordinal()
        weather = weather_offset(self.seed, ordinal) * (1 - hour / 24) + weather_offset(self.seed, ordinal + 1) * (
            hour / 24)
        return outdoor_temperature(self.home.location.latitude, t.timetuple().tm_yday + hour / 24, hour, weather)

    # ---- the command path's entry ----

    async def execute(self, command: Command, device: Device) -> None:
        """Carry out a validated command in the twin."""
        if device.id not in self.devices:
            raise AdapterError(f"{device.name} is not simulated")
        if command.property is not None:
            self._write(command, device)
        else:
            self._act(command, device)

    def _write(self, cmd: Command, device: Device) -> None:
        prop, value = str(cmd.property), cmd.value
        if device.type in COVER_SPEED and prop in ("target-position", "motor-control"):
            self.rooms.command_cover(device.id, cmd.service, prop, value, cmd.id)
        elif device.type == "car" and prop.endswith(".Window.Position"):
            self._window_targets[(device.id, prop)] = float(value)
        elif device.type == "lock" and prop == "locked":
            self.io.set(device.id, "lock", "locked", value, cmd.id)
            self._lock_event(device.id, "Lock" if value else "Unlock", "App", cmd.id)
        else:
            self.io.set(device.id, cmd.service, prop, value, cmd.id)
        if device.type == "speaker" and prop == "on" and value is False:
            self.io.set(device.id, "speaker", "playing-state", "Stopped", cmd.id)

    def _act(self, cmd: Command, device: Device) -> None:
        action = str(cmd.action)
        if device.type == "vacuum":
            self._vacuum_action(device.id, action, cmd)
        elif device.type == "speaker":
            state = {"play": "Playing", "pause": "Paused", "next": "Playing", "previous": "Playing"}[action]
            if state == "Playing":
                self.io.set(device.id, "speaker", "on", True, cmd.id)
            self.io.set(device.id, "speaker", "playing-state", state, cmd.id)
        elif device.type == "ev-charger" and self.car_id is not None:
            self.io.set(self.car_id, "vehicle", car_mod.START_STOP, "START" if action == "start-charge" else "STOP",
                      cmd.id)
            self._step_car(self.clock.now(), 0.0, self.outside(self.clock.now()))

    def _vacuum_action(self, dev: str, action: str, cmd: Command) -> None:
        vac = self.vacuums[dev]
        if action == "start-sweep":
            vac.resume_or_start(self.rng, room=False)
            self.io.set(dev, "vacuum", "clean-area", "", cmd.id)
        elif action == "start-room-sweep":
            vac.start(self.rng, room=True)
            self.io.set(dev, "vacuum", "clean-area", str(cmd.args.get("clean-area", "")), cmd.id)
        elif action == "stop-sweeping":
            vac.stop()
        elif action == "pause-sweeping":
            vac.pause()
        elif action == "start-charge":
            vac.go_home()
        for (svc, prop), value in vac.report().items():
            self.io.set(dev, svc, prop, value, cmd.id)

    # ---- the household's day ----

    def _agenda(self, day: dt.date) -> list[Due]:
        if day not in self._agendas:
            self._agendas = {d: a for d, a in self._agendas.items() if d >= day - dt.timedelta(days=1)}
            self._agendas[day] = agenda(self.home, self.seed, day, {**self._routines, HOUSEHOLD: CHORES})
        return self._agendas[day]

    def _run_agenda(self, after: float, until: float) -> None:
        days = sorted({self.local(after).date(), self.local(until).date()})
        for day in days:
            for due in self._agenda(day):
                if after < due.time <= until:
                    self._do(due, live=True)

    def _settle(self, now: float) -> None:
        midnight = dt.datetime.combine(self.local(now).date(), dt.time(), self.tz).timestamp()
        for person in self.people.values():
            person.slept_at = midnight - 5400
        for due in self._agenda(self.local(now).date()):
            if due.time <= now:
                self._do(due, live=False)
        self._last = now
        if self.car is not None and distance_m(self.car.position, self.home_point) < 200 and self.car_id:
            self._plug(True)

    def _do(self, due: Due, live: bool) -> None:
        if due.step.kind == "chore":
            if live:
                self._chore(due.step.target, due.time)
            return
        person = self.people[due.person]
        step = due.step
        if step.kind == "room" and person.at_home and not person.asleep:
            self._change_room(person, step.target, live)
        elif step.kind == "sleep" and person.at_home:
            person.area, person.asleep, person.slept_at = step.target or person.bed, True, due.time
            person.cycle_s = random.Random(f"{self.seed}:{person.id}:{due.time}").uniform(80, 100) * 60
        elif step.kind == "wake":
            person.asleep = False
        elif step.kind in ("go", "drive") and person.mode in ("walk", "car"):
            person.pending = step
        elif step.kind == "go":
            self._go(person, step.target, live)
        elif step.kind == "drive":
            self._drive(person, step.target, live)

    def _chore(self, chore: str, when: float) -> None:
        if chore == "vacuum":
            for dev, vac in self.vacuums.items():
                if vac.status == "Charging" and vac.battery > 60:
                    vac.start(self.rng, room=False)
                    self._report_vacuum(dev)
        elif chore == "shower":
            for dev in self.water:
                self.water[dev] -= self.rng.uniform(6, 12)
        elif chore == "doorbell":
            for dev in self.io.of_type("doorbell"):
                self.io.set(dev, "doorbell", "last-ring", self.local(when).isoformat(timespec="seconds"))
                self.io.event(dev, "doorbell", "ring")

    def _change_room(self, person: PersonSim, area: str, live: bool) -> None:
        if live and person.area != area:
            for hall in (a for a in self.home.areas if "hall" in a):
                self.rooms.motion(hall, self.clock.now())
        person.area = area

    def _route_to(self, start_zone: str, target: str, start: LatLon) -> Route:
        def base(zone: str) -> Route:
            if zone not in self._routes:
                z = self.home.zones[zone]
                rng = random.Random(f"{self.seed}:route:{zone}")
                self._routes[zone] = street_route((z.latitude, z.longitude), self.home_point, rng)
            return self._routes[zone]

        if target == "home" and start_zone in self.home.zones and start_zone != "home":
            return base(start_zone)
        if start_zone == "home" and target != "home":
            return base(target).reversed()
        z = self.home.zones[target]
        return street_route(start, (z.latitude, z.longitude), random.Random(f"{self.seed}:{start}:{target}"))

    def _go(self, person: PersonSim, target: str, live: bool) -> None:
        if person.mode in ("walk", "car") or (person.mode == "home" and target == "home") or (
                person.mode == "zone" and person.zone == target):
            return
        if not live:
            self._arrive(person, target, live=False)
            return
        start_zone = "home" if person.at_home else person.zone
        if person.at_home:
            self._front_door(arriving=False)
        person.route = self._route_to(start_zone, target, person.position)
        person.travelled, person.mode, person.destination, person.area = 0.0, "walk", target, ""

    def _drive(self, person: PersonSim, target: str, live: bool) -> None:
        car = self.car
        here = self.home_point if person.at_home else person.position
        if car is None or car.trip is not None or distance_m(car.position, here) > 300 or person.mode in ("walk",
                                                                                                           "car"):
            self._go(person, target, live)
            return
        if not live:
            z = self.home.zones[target]
            car.position = (z.latitude, z.longitude)
            self._arrive(person, target, live=False)
            return
        self._plug(False)
        route = self._route_to("home" if person.at_home else person.zone, target, person.position)
        car.trip = plan_trip(route, target, self.rng)
        car.occupants = [person.id]
        person.mode, person.area, person.destination = "car", "", target

    def _arrive(self, person: PersonSim, target: str, live: bool) -> None:
        person.route = None
        pending, person.pending = person.pending, None
        if pending is not None:
            self.clock_call(120, lambda: self._do(Due(self.clock.now(), person.id, pending), live=True))
        if target == "home":
            person.mode, person.zone, person.position = "home", "home", self.home_point
            by_car = live and self.car is not None and person.id in self.car.occupants
            person.area = ("garage" if by_car and "garage" in self.home.areas else
                           "entrance" if "entrance" in self.home.areas else person.bed)
            if live and not by_car:
                self._front_door(arriving=True)
            if live and "living_room" in self.home.areas:
                self.clock_call(600, lambda: self._settle_in(person))
            elif "living_room" in self.home.areas:
                person.area = "living_room"
        else:
            z = self.home.zones[target]
            person.mode, person.zone, person.area, person.position = "zone", target, "", (z.latitude, z.longitude)

    def _settle_in(self, person: PersonSim) -> None:
        if person.at_home and person.area in ("garage", "entrance"):
            self._change_room(person, "living_room", live=True)

    def clock_call(self, delay: float, fn: Callable[[], None]) -> None:
        """Run `fn` after `delay` seconds of the clock, cancelled with the twin."""
        holder: list[Remove] = []

        def run() -> None:
            if holder[0] in self._removers:
                self._removers.remove(holder[0])
            fn()

        holder.append(self.clock.call_at(self.clock.now() + delay, run))
        self._removers.append(holder[0])

    def _front_door(self, arriving: bool) -> None:
        # Someone walks through the front door: a fingerprint opens the lock from outside, the door stands
        # open for a few seconds, and the lock locks itself again once it closes.
        now = self.clock.now()
        if arriving:
            for lock in self.io.of_type("lock", "entrance"):
                if self.io.get(lock, "lock", "locked") is True:
                    self.io.set(lock, "lock", "locked", False)
                    self._lock_event(lock, "Unlock", "Fingerprint", CAUSE)
                    self._relock.add(lock)
        for dev in self.io.of_type("door-sensor"):
            self.io.set(dev, "magnet-sensor", "open", True)
        self._door_close_at = now + 20

    # ---- stepping ----

    def _step_people(self, now: float, step: float) -> None:
        for person in self.people.values():
            if person.mode == "walk" and person.walk_step(step):
                self._arrive(person, person.destination, live=True)

    def _step_car(self, now: float, step: float, outside: float) -> None:
        car, cid = self.car, self.car_id
        if car is None or cid is None:
            return
        get = self.io.getter(cid)
        if car.trip is not None:
            destination = car.trip.destination
            if car.drive(step):
                for pid in car.occupants:
                    self._arrive(self.people[pid], destination, live=True)
                car.occupants = []
                if destination == "home":
                    car.plug_at = now + 120
        for pid in car.occupants:
            self.people[pid].position = car.position
        if car.plug_at is not None and now >= car.plug_at:
            car.plug_at = None
            self._plug(True)
        power = self._charger_kw()
        car.charge(step, power, get)
        car.cabin_step(step, outside, get)
        for prop, value in car.report(outside, get).items():
            self.io.set(cid, "vehicle", prop, value)
        for (dev, prop), target in list(self._window_targets.items()):
            pos = float(num(self.state.get(dev, "vehicle", prop), 0))
            moved = pos + max(-_WINDOW_SPEED * step, min(_WINDOW_SPEED * step, target - pos))
            self.io.set(dev, "vehicle", prop, round(moved))
            if round(moved) == round(target):
                del self._window_targets[(dev, prop)]
        if self.charger_id:
            limit = float(num(get(car_mod.LIMIT), 90))
            report = charger_report(get(car_mod.CABLE) is True, car.charge_kw > 0, car.soc >= limit - 0.01,
                                    car.charge_kw, car.charged_kwh)
            for prop, value in report.items():
                self.io.set(self.charger_id, "charger", prop, value)

    def _charger_kw(self) -> float:
        if self.charger_id is None:
            return car_mod.HOME_CHARGER_KW
        return charger_power_kw(self.io.get(self.charger_id, "charger", "on"),
                                self.io.get(self.charger_id, "charger", "charging-current"))

    def _plug(self, connected: bool, cause: str = CAUSE) -> None:
        cid = self.car_id
        if cid is None:
            return
        self.io.set(cid, "vehicle", car_mod.CABLE, connected, cause)
        self.io.set(cid, "vehicle", car_mod.CABLE_LOCK, connected, cause)
        self.io.set(cid, "vehicle", car_mod.START_STOP, "START" if connected else "STOP", cause)

    def _step_appliances(self, now: float, step: float) -> None:
        for dev, vac in self.vacuums.items():
            vac.step(step, str(self.io.get(dev, "vacuum", "mode")))
            self._report_vacuum(dev)
        ambient = self.rooms.climate.get("kitchen", (20.0, 50.0))[0]
        for dev in self.water:
            g = self.io.getter(dev, "water-heater")
            self.water[dev] = water_step(self.water[dev], float(num(g("target-temperature"), 50)), g("on") is True,
                                         str(g("mode")), ambient, step)
            self.io.set(dev, "water-heater", "temperature", round(self.water[dev], 1))
        if self._door_close_at is not None and now >= self._door_close_at:
            self._door_close_at = None
            for dev in self.io.of_type("door-sensor"):
                self.io.set(dev, "magnet-sensor", "open", False)
            for lock in sorted(self._relock):
                if self.io.get(lock, "lock", "locked") is False:
                    self.io.set(lock, "lock", "locked", True)
                    self._lock_event(lock, "Lock", "Auto", CAUSE)
            self._relock.clear()

    def _report_vacuum(self, dev: str) -> None:
        for (svc, prop), value in self.vacuums[dev].report().items():
            self.io.set(dev, svc, prop, value)

    # ---- setup and small helpers ----


    def _person_sim(self, pid: str) -> PersonSim:
        person = self.home.people[pid]
        owned = [d for d in person.devices if d in self.devices] + [
            d.id for d in self.devices.values() if d.owner == pid and d.id not in person.devices]
        phone = next((d for d in owned if self.devices[d].type == "phone"), None)
        watch = next((d for d in owned if self.devices[d].type == "watch"), None)
        bed = sleep_area(person, self.home)
        sim = PersonSim(pid, phone, watch, bed, area=bed, position=self.home_point)
        if phone:
            sim.phone_battery = float(num(self.io.get(phone, "battery", "battery-level"), 80))
        if watch:
            sim.watch_battery = float(num(self.io.get(watch, "battery", "battery-level"), 60))
        return sim

    def _initial_car(self) -> CarSim | None:
        cid = self.car_id
        if cid is None:
            return None
        g = self.io.getter(cid)
        lat, lon = num(g(car_mod.V + "CurrentLocation.Latitude"), 0), num(g(car_mod.V + "CurrentLocation.Longitude"), 0)
        # A car whose home file gives no location is parked at home (the catalog default is not a place).
        located = ("vehicle", car_mod.V + "CurrentLocation.Latitude") in self.home.devices[cid].initial
        capacity = num(g(car_mod.CAPACITY), 75)
        return CarSim(
            position=(lat, lon) if located else self.home_point,
            energy_kwh=capacity * float(num(g(car_mod.SOC), 70)) / 100,
            capacity_kwh=capacity,
            odometer_m=float(num(g("Vehicle.TraveledDistance"), 0)),
            cabin=float(num(g(car_mod.HVAC + "AmbientAirTemperature"), 18)),
        )

    def distance_home(self, point: LatLon) -> float:
        """Metres from a point to the home."""
        return distance_m(point, self.home_point)

    def _first(self, dtype: str) -> str | None:
        return next(iter(self.io.of_type(dtype)), None)

    def _lock_event(self, dev: str, action: str, method: str, cause: str) -> None:
        self.io.set(dev, "lock", "lock-action", action, cause)
        self.io.set(dev, "lock", "operation-method", method, cause)
        self.io.event(dev, "lock", "lock-event", {"lock-action": action, "operation-method": method})
