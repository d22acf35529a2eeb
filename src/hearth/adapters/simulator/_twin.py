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
    Due,
    PersonSim,
    Step,
    agenda,
    heart_rate,
    routine_for,
    sleep_area,
    sleep_stage,
)
from hearth.adapters.simulator._physics import (
    Climate,
    LatLon,
    Route,
    distance_m,
    humidity_step,
    outdoor_temperature,
    room_step,
    street_route,
    water_step,
    weather_offset,
)
from hearth.core import Bus, Clock, Command, DeviceEvent, Remove, StateChanged, StateStore
from hearth.errors import AdapterError
from hearth.model import Device, Home, Value
from hearth.model._sun import sun

CAUSE = "simulator"
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
        self._dirty: set[str] = set()
        self._flush_cancel: Remove | None = None
        self._motion_last: dict[str, float] = {}
        self._door_close_at: float | None = None
        self._window_targets: dict[tuple[str, str], float] = {}
        self._cover_pos: dict[str, float] = {}
        self._routines = {p.id: routine_for(p, home) for p in home.people.values()}
        self.people = {p.id: self._person_sim(p.id) for p in home.people.values()}
        self.rooms = self._initial_rooms()
        self.car_id = self._first("car")
        self.charger_id = self._first("ev-charger")
        self.car = self._initial_car()
        self.vacuums = {d: VacuumSim(str(self._get(d, "vacuum", "status")),
                                     float(_num(self._get(d, "battery", "battery-level"), 100)))
                        for d in self._of_type("vacuum")}
        self.water = {d: float(_num(self._get(d, "water-heater", "temperature"), 45)) for d in
                      self._of_type("water-heater")}

    # ---- lifecycle ----

    def start(self) -> Remove:
        """Place everyone where the day says they are, then tick until the returned undo is called."""
        self._settle(self.started_at)
        for pid, person in self.people.items():
            if person.phone:
                for prop in ("latitude", "longitude"):
                    self._removers.append(self.bus.subscribe_state(self._phone_listener(pid), person.phone,
                                                                   "location", prop))
            if person.watch:
                self._removers.append(self.bus.subscribe_state(self._watch_listener(pid), person.watch))
        self._report_all(self.started_at)
        self._schedule()
        return self.stop

    def stop(self) -> None:
        """Stop ticking and drop every subscription."""
        for cancel in (self._cancel, self._flush_cancel, *self._removers):
            if cancel is not None:
                cancel()
        self._cancel = self._flush_cancel = None
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
        self._step_rooms(step, outside)
        self._step_covers(step)
        self._step_appliances(now, step)
        self._step_sensors(now)
        minute = int(now // 60) != int((now - step) // 60)
        for person in self.people.values():
            self._people_devices(person, now, minute)
        self._flush()

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
            self._move_cover(device.id, cmd.service, prop, value, cmd.id)
        elif device.type == "car" and prop.endswith(".Window.Position"):
            self._window_targets[(device.id, prop)] = float(value)
        elif device.type == "lock" and prop == "locked":
            self._set(device.id, "lock", "locked", value, cmd.id)
            self._lock_event(device.id, "Lock" if value else "Unlock", "App", cmd.id)
        else:
            self._set(device.id, cmd.service, prop, value, cmd.id)
        if device.type == "speaker" and prop == "on" and value is False:
            self._set(device.id, "speaker", "playing-state", "Stopped", cmd.id)

    def _act(self, cmd: Command, device: Device) -> None:
        action = str(cmd.action)
        if device.type == "vacuum":
            self._vacuum_action(device.id, action, cmd)
        elif device.type == "speaker":
            state = {"play": "Playing", "pause": "Paused", "next": "Playing", "previous": "Playing"}[action]
            if state == "Playing":
                self._set(device.id, "speaker", "on", True, cmd.id)
            self._set(device.id, "speaker", "playing-state", state, cmd.id)
        elif device.type == "ev-charger" and self.car_id is not None:
            self._set(self.car_id, "vehicle", car_mod.START_STOP, "START" if action == "start-charge" else "STOP",
                      cmd.id)
            self._step_car(self.clock.now(), 0.0, self.outside(self.clock.now()))

    def _vacuum_action(self, dev: str, action: str, cmd: Command) -> None:
        vac = self.vacuums[dev]
        if action == "start-sweep":
            vac.resume_or_start(self.rng, room=False)
            self._set(dev, "vacuum", "clean-area", "", cmd.id)
        elif action == "start-room-sweep":
            vac.start(self.rng, room=True)
            self._set(dev, "vacuum", "clean-area", str(cmd.args.get("clean-area", "")), cmd.id)
        elif action == "stop-sweeping":
            vac.stop()
        elif action == "pause-sweeping":
            vac.pause()
        elif action == "start-charge":
            vac.go_home()
        for (svc, prop), value in vac.report().items():
            self._set(dev, svc, prop, value, cmd.id)

    def _move_cover(self, dev: str, svc: str, prop: str, value: Value, cause: str) -> None:
        current = self._cover_pos.get(dev, float(_num(self._get(dev, svc, "current-position"), 0)))
        self._set(dev, svc, prop, value, cause)
        if prop == "motor-control":
            target = {"Open": 100, "Close": 0}.get(str(value), round(current))
            self._set(dev, svc, "target-position", target, cause)
        self._step_covers(0.0)

    # ---- the household's day ----

    def _agenda(self, day: dt.date) -> list[Due]:
        if day not in self._agendas:
            chores = {"_household": (Step("10:00", "room", "vacuum", 10), Step("07:05", "room", "shower", 5),
                                     Step("21:10", "room", "shower", 15), Step("14:00", "room", "doorbell", 180))}
            self._agendas = {d: a for d, a in self._agendas.items() if d >= day - dt.timedelta(days=1)}
            self._agendas[day] = agenda(self.home, self.seed, day, {**self._routines, **chores})
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
            self._plug(True, "settle")

    def _do(self, due: Due, live: bool) -> None:
        if due.person == "_household":
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
            for dev in self._of_type("doorbell"):
                self._set(dev, "doorbell", "last-ring", self.local(when).isoformat(timespec="seconds"), CAUSE)
                self.bus.publish(DeviceEvent(when, dev, "doorbell", "ring"))

    def _change_room(self, person: PersonSim, area: str, live: bool) -> None:
        if live and person.area != area:
            for hall in (a for a in self.home.areas if "hall" in a):
                self._motion(hall, self.clock.now())
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
            self._front_door()
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
        self._plug(False, CAUSE)
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
                self._front_door()
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

    def _front_door(self) -> None:
        now = self.clock.now()
        for dev in self._of_type("door-sensor"):
            self._set(dev, "magnet-sensor", "open", True, CAUSE)
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
        get = self._getter(cid)
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
            self._plug(True, CAUSE)
        power = self._charger_kw()
        car.charge(step, power, get)
        car.cabin_step(step, outside, get)
        for prop, value in car.report(outside, get).items():
            self._set(cid, "vehicle", prop, value, CAUSE)
        for (dev, prop), target in list(self._window_targets.items()):
            pos = float(_num(self.state.get(dev, "vehicle", prop), 0))
            moved = pos + max(-_WINDOW_SPEED * step, min(_WINDOW_SPEED * step, target - pos))
            self._set(dev, "vehicle", prop, round(moved), CAUSE)
            if round(moved) == round(target):
                del self._window_targets[(dev, prop)]
        if self.charger_id:
            limit = float(_num(get(car_mod.LIMIT), 90))
            report = charger_report(get(car_mod.CABLE) is True, car.charge_kw > 0, car.soc >= limit - 0.01,
                                    car.charge_kw, car.charged_kwh)
            for prop, value in report.items():
                self._set(self.charger_id, "charger", prop, value, CAUSE)

    def _charger_kw(self) -> float:
        if self.charger_id is None:
            return car_mod.HOME_CHARGER_KW
        return charger_power_kw(self._get(self.charger_id, "charger", "on"),
                                self._get(self.charger_id, "charger", "charging-current"))

    def _plug(self, connected: bool, cause: str) -> None:
        cid = self.car_id
        if cid is None:
            return
        self._set(cid, "vehicle", car_mod.CABLE, connected, cause)
        self._set(cid, "vehicle", car_mod.CABLE_LOCK, connected, cause)
        self._set(cid, "vehicle", car_mod.START_STOP, "START" if connected else "STOP", cause)

    def _step_rooms(self, step: float, outside: float) -> None:
        occupants: dict[str, int] = {}
        for p in self.people.values():
            if p.at_home:
                occupants[p.area] = occupants.get(p.area, 0) + 1
        for area, (temp, humidity) in self.rooms.items():
            climate = self._climate(area, outside, occupants.get(area, 0))
            noise = self.rng.uniform(-0.02, 0.02)
            self.rooms[area] = (room_step(temp, climate, step), humidity_step(humidity, climate, step, noise))

    def _climate(self, area: str, outside: float, occupants: int) -> Climate:
        for dev in self.devices.values():
            if dev.type == "air-conditioner" and dev.area == area:
                g = self._getter(dev.id, "air-conditioner")
                return Climate(outside, g("on") is True, str(g("mode")), float(_num(g("target-temperature"), 24)),
                               str(self._get(dev.id, "fan-control", "fan-level")), occupants)
        return Climate(outside, occupants=occupants)

    def _step_covers(self, step: float) -> None:
        for dev in self.devices.values():
            speed = COVER_SPEED.get(dev.type)
            if speed is None:
                continue
            svc = dev.type
            current = self._cover_pos.get(dev.id, float(_num(self._get(dev.id, svc, "current-position"), 0)))
            target = float(_num(self._get(dev.id, svc, "target-position"), current))
            moved = current + max(-speed * step, min(speed * step, target - current))
            self._cover_pos[dev.id] = moved
            status = "Stopped" if moved == target else "Opening" if target > moved else "Closing"
            self._set(dev.id, svc, "current-position", round(moved), CAUSE)
            self._set(dev.id, svc, "status", status, CAUSE)
            if moved == target and self._get(dev.id, svc, "motor-control") != "Pause":
                self._set(dev.id, svc, "motor-control", "Pause", CAUSE)

    def _step_appliances(self, now: float, step: float) -> None:
        for dev, vac in self.vacuums.items():
            vac.step(step, str(self._get(dev, "vacuum", "mode")))
            self._report_vacuum(dev)
        ambient = self.rooms.get("kitchen", (20.0, 50.0))[0]
        for dev in self.water:
            g = self._getter(dev, "water-heater")
            self.water[dev] = water_step(self.water[dev], float(_num(g("target-temperature"), 50)), g("on") is True,
                                         str(g("mode")), ambient, step)
            self._set(dev, "water-heater", "temperature", round(self.water[dev], 1), CAUSE)
        if self._door_close_at is not None and now >= self._door_close_at:
            self._door_close_at = None
            for dev in self._of_type("door-sensor"):
                self._set(dev, "magnet-sensor", "open", False, CAUSE)

    def _report_vacuum(self, dev: str) -> None:
        for (svc, prop), value in self.vacuums[dev].report().items():
            self._set(dev, svc, prop, value, CAUSE)

    def _step_sensors(self, now: float) -> None:
        for area, (temp, humidity) in self.rooms.items():
            for dev in self.home.devices_in(area):
                if dev.id not in self.devices:
                    continue
                if dev.type == "temperature-humidity-sensor":
                    self._set(dev.id, "environment", "temperature", round(temp, 1), CAUSE)
                    self._set(dev.id, "environment", "relative-humidity", float(round(humidity)), CAUSE)
                elif dev.type == "air-conditioner":
                    self._set(dev.id, "environment", "temperature", round(temp, 1), CAUSE)
        awake: dict[str, int] = {}
        present: set[str] = set()
        for p in self.people.values():
            if p.at_home:
                present.add(p.area)
                if not p.asleep:
                    awake[p.area] = awake.get(p.area, 0) + 1
        light = self._daylight(now)
        for dev in self.devices.values():
            if dev.type == "motion-sensor" and dev.area:
                if awake.get(dev.area) and self.rng.random() < 0.35:
                    self._motion(dev.area, now)
                elif now - self._motion_last.get(dev.id, -1e12) > 120:
                    self._set(dev.id, "motion-sensor", "motion-state", False, CAUSE)
                self._set(dev.id, "motion-sensor", "illumination", self._lux(dev.area, light), CAUSE)
            elif dev.type == "occupancy-sensor" and dev.area:
                self._set(dev.id, "occupancy-sensor", "occupancy-status", dev.area in present, CAUSE)

    def _motion(self, area: str, now: float) -> None:
        for dev in self.home.devices_in(area):
            if dev.type != "motion-sensor" or dev.id not in self.devices:
                continue
            if now - self._motion_last.get(dev.id, -1e12) >= 60:
                self.bus.publish(DeviceEvent(now, dev.id, "motion-sensor", "motion-detected"))
                self._motion_last[dev.id] = now
            self._set(dev.id, "motion-sensor", "motion-state", True, CAUSE)

    def _daylight(self, now: float) -> float:
        info = sun(self.home.location, self.home.timezone, now)
        return max(0.0, info.elevation) / 90 * 900

    def _lux(self, area: str, daylight: float) -> float:
        lamps = 0.0
        for dev in self.home.devices_in(area):
            if dev.type == "light" and self._get(dev.id, "light", "on") is True:
                lamps += 3.0 * float(_num(self._get(dev.id, "light", "brightness"), 80))
        return float(round(daylight + lamps, -1))

    # ---- people's devices and the person devices that follow them ----

    def _people_devices(self, person: PersonSim, now: float, minute: bool = False) -> None:
        stage = sleep_stage(now - person.slept_at, person.cycle_s) if person.asleep else "Awake"
        if person.phone:
            accuracy = {"home": 10.0, "zone": 12.0, "walk": 8.0, "car": 15.0}[person.mode]
            lat, lon = self._where(person)
            self._set(person.phone, "location", "accuracy", accuracy, CAUSE)
            self._set(person.phone, "location", "latitude", lat, CAUSE)
            self._set(person.phone, "location", "longitude", lon, CAUSE)
        if person.watch:
            self._set(person.watch, "sleep", "state", stage, CAUSE)
        else:
            self._set(person.id, "sleep", "state", stage, CAUSE)
            self._set(person.id, "sleep", "asleep", person.asleep, CAUSE)
        self._set(person.id, "presence", "area", person.area if person.at_home else "", CAUSE)
        if not person.phone:
            self._mark(person.id)
        if minute:
            person.heart_rate = heart_rate(person, stage, self.rng)
            self._batteries(person)
            if person.watch:
                self._set(person.watch, "health", "heart-rate", person.heart_rate, CAUSE)
            else:
                self._set(person.id, "health", "heart-rate", person.heart_rate, CAUSE)

    def _batteries(self, person: PersonSim) -> None:
        if person.phone:
            charging = person.asleep and person.at_home
            person.phone_battery = min(100.0, person.phone_battery + 0.5) if charging else max(
                5.0, person.phone_battery - 0.07)
            self._set(person.phone, "battery", "charging", charging and person.phone_battery < 100, CAUSE)
            self._set(person.phone, "battery", "battery-level", int(person.phone_battery), CAUSE)
        if person.watch:
            person.watch_battery = max(5.0, person.watch_battery - 0.04)
            if person.watch_battery < 25 and not person.asleep and person.at_home:
                person.watch_battery = 100.0  # back on its charger for a while
            self._set(person.watch, "battery", "battery-level", int(person.watch_battery), CAUSE)

    def _where(self, person: PersonSim) -> LatLon:
        lat, lon = self.home_point if person.at_home else person.position
        return round(lat, 6), round(lon, 6)

    def _mark(self, person_id: str) -> None:
        self._dirty.add(person_id)
        if self._flush_cancel is None:
            self._flush_cancel = self.clock.call_at(self.clock.now(), self._flush)

    def _flush(self) -> None:
        if self._flush_cancel is not None:
            self._flush_cancel()
            self._flush_cancel = None
        dirty, self._dirty = self._dirty, set()
        for pid in sorted(dirty):
            person = self.people[pid]
            if person.phone:
                lat = float(_num(self._get(person.phone, "location", "latitude"), 0))
                lon = float(_num(self._get(person.phone, "location", "longitude"), 0))
                accuracy = self._get(person.phone, "location", "accuracy")
            else:
                (lat, lon), accuracy = self._where(person), 10.0
            zone = self.zone_of((lat, lon))
            self._set(pid, "location", "latitude", lat, person.phone or CAUSE)
            self._set(pid, "location", "longitude", lon, person.phone or CAUSE)
            self._set(pid, "location", "accuracy", accuracy, person.phone or CAUSE)
            self._set(pid, "presence", "zone", zone, person.phone or CAUSE)
            self._set(pid, "presence", "at-home", zone == "home", person.phone or CAUSE)

    def _phone_listener(self, person_id: str) -> Callable[[StateChanged], None]:
        return lambda _event: self._mark(person_id)

    def _watch_listener(self, person_id: str) -> Callable[[StateChanged], None]:
        return lambda event: self._follow_watch(person_id, event)

    def _follow_watch(self, person_id: str, event: StateChanged) -> None:
        if (event.service, event.property) == ("sleep", "state"):
            self._set(person_id, "sleep", "state", event.new, event.device)
            self._set(person_id, "sleep", "asleep", event.new != "Awake", event.device)
        elif (event.service, event.property) == ("health", "heart-rate"):
            self._set(person_id, "health", "heart-rate", event.new, event.device)

    def zone_of(self, point: LatLon) -> str:
        """The zone a point lies in (`home` first), or `away`."""
        for zone in self.home.zones.values():
            if distance_m(point, (zone.latitude, zone.longitude)) <= zone.radius:
                return zone.id
        return "away"

    def distance_home(self, point: LatLon) -> float:
        """Metres from a point to the home."""
        return distance_m(point, self.home_point)

    # ---- setup and small helpers ----

    def _report_all(self, now: float) -> None:
        for person in self.people.values():
            self._people_devices(person, now, minute=True)
            self._mark(person.id)
        self.advance(now, 0.0)

    def _person_sim(self, pid: str) -> PersonSim:
        person = self.home.people[pid]
        owned = [d for d in person.devices if d in self.devices] + [
            d.id for d in self.devices.values() if d.owner == pid and d.id not in person.devices]
        phone = next((d for d in owned if self.devices[d].type == "phone"), None)
        watch = next((d for d in owned if self.devices[d].type == "watch"), None)
        bed = sleep_area(person, self.home)
        sim = PersonSim(pid, phone, watch, bed, area=bed, position=self.home_point)
        if phone:
            sim.phone_battery = float(_num(self._get(phone, "battery", "battery-level"), 80))
        if watch:
            sim.watch_battery = float(_num(self._get(watch, "battery", "battery-level"), 60))
        return sim

    def _initial_rooms(self) -> dict[str, tuple[float, float]]:
        rooms: dict[str, tuple[float, float]] = {}
        for dev in self.devices.values():
            if dev.area is None:
                continue
            if dev.type == "temperature-humidity-sensor":
                rooms[dev.area] = (float(_num(self._get(dev.id, "environment", "temperature"), 22)),
                                   float(_num(self._get(dev.id, "environment", "relative-humidity"), 50)))
            elif dev.type == "air-conditioner" and dev.area not in rooms:
                rooms[dev.area] = (float(_num(self._get(dev.id, "environment", "temperature"), 24)), 50.0)
        return rooms

    def _initial_car(self) -> CarSim | None:
        cid = self.car_id
        if cid is None:
            return None
        g = self._getter(cid)
        lat = float(_num(g("Vehicle.CurrentLocation.Latitude"), 0))
        lon = float(_num(g("Vehicle.CurrentLocation.Longitude"), 0))
        capacity = float(_num(g(car_mod.CAPACITY), 75))
        return CarSim(
            position=(lat, lon) if (lat, lon) != (0.0, 0.0) else self.home_point,
            energy_kwh=capacity * float(_num(g(car_mod.SOC), 70)) / 100,
            capacity_kwh=capacity,
            odometer_m=float(_num(g("Vehicle.TraveledDistance"), 0)),
            cabin=float(_num(g(car_mod.HVAC + "AmbientAirTemperature"), 18)),
        )

    def _first(self, dtype: str) -> str | None:
        return next(iter(self._of_type(dtype)), None)

    def _of_type(self, dtype: str) -> list[str]:
        return [d.id for d in self.devices.values() if d.type == dtype]

    def _get(self, dev: str, svc: str, prop: str) -> Value:
        return self.state.values.get((dev, svc, prop), "")

    def _getter(self, dev: str, svc: str = "vehicle") -> Callable[[str], Value]:
        return lambda prop: self._get(dev, svc, prop)

    def _set(self, dev: str, svc: str, prop: str, value: Value, cause: str) -> None:
        if (dev, svc, prop) in self.state.values:
            self.state.apply(dev, svc, prop, value, cause)

    def _lock_event(self, dev: str, action: str, method: str, cause: str) -> None:
        self._set(dev, "lock", "lock-action", action, cause)
        self._set(dev, "lock", "operation-method", method, cause)
        self.bus.publish(DeviceEvent(self.clock.now(), dev, "lock", "lock-event",
                                     {"lock-action": action, "operation-method": method}))


def _num(value: Value, default: float) -> float:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else default
