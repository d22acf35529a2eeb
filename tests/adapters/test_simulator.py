"""The digital twin living through a day on a fake clock."""

from __future__ import annotations

from hearth.adapters.simulator import distance_m
from hearth.core import Actor, Command, FakeClock, StateChanged
from hearth.model import Home
from tests.adapters.conftest import World, make_world

ADMIN = Actor("person", "alice", "admin")
SOC = "Vehicle.Powertrain.TractionBattery.StateOfCharge.Current"
CHARGING = "Vehicle.Powertrain.TractionBattery.Charging.IsCharging"
LAT, LON = "Vehicle.CurrentLocation.Latitude", "Vehicle.CurrentLocation.Longitude"


def car_track(w: World) -> list[tuple[float, float]]:
    """Distances from home (time, metres) at each reported car position."""
    lat = float(w.home.location.latitude)
    lon = float(w.home.location.longitude)
    cur = {"lat": lat, "lon": lon}
    track: list[tuple[float, float]] = []
    for c in w.changes:
        if c.device == "car" and c.property in (LAT, LON):
            cur["lat" if c.property == LAT else "lon"] = float(c.new)  # type: ignore[arg-type]
            track.append((c.time, distance_m((cur["lat"], cur["lon"]), (lat, lon))))
    return track


def test_car_drives_away_and_back_home(day: World) -> None:
    track = car_track(day)
    far = max(d for _, d in track)
    assert far > 2000
    t_far = next(t for t, d in track if d == far)
    assert any(t > t_far and d < 150 for t, d in track), "the car never came home"
    speeds = [v for _, v in day.series("car", "vehicle", "Vehicle.Speed")]
    assert max(speeds) > 30  # type: ignore[type-var]
    assert day.get("car", "vehicle", "Vehicle.IsMoving") is False
    assert day.get("car", "vehicle", "Vehicle.TraveledDistance") > 12_000_000 + 4000  # type: ignore[operator]


def test_car_charges_at_home_and_stops_at_limit(day: World) -> None:
    socs = day.series("car", "vehicle", SOC)
    charging = day.series("car", "vehicle", CHARGING)
    started = [t for t, v in charging if v is True]
    stopped = [t for t, v in charging if v is False]
    assert started and stopped
    last_start = started[-1]
    rising = [float(v) for t, v in socs if t >= last_start]  # type: ignore[arg-type]
    assert rising == sorted(rising) and rising[-1] - rising[0] > 5
    assert max(float(v) for _, v in socs) <= 90.0  # type: ignore[arg-type]
    assert day.get("car", "vehicle", SOC) == 90.0
    assert day.get("ev_charger", "charger", "status") == "Complete"
    assert float(day.get("ev_charger", "charger", "energy")) > 10  # type: ignore[arg-type]
    assert day.get("car", "vehicle", "Vehicle.Powertrain.TractionBattery.Charging.ChargeRate") == 0.0
    energy = float(day.get("car", "vehicle", "Vehicle.Powertrain.TractionBattery.StateOfCharge.CurrentEnergy"))  # type: ignore[arg-type]
    assert energy == 67.5  # 90 % of 75 kWh
    assert day.get("car", "vehicle", "Vehicle.Powertrain.Range") == 421_900  # 16 kWh per 100 km


def test_bob_rides_in_the_car(day: World) -> None:
    zones = [v for _, v in day.series("bob", "presence", "zone")]
    assert "office" in zones and zones[-1] == "home"
    car_moving = [t for t, v in day.series("car", "vehicle", "Vehicle.IsMoving") if v is True]
    bob_lat = day.series("bob_phone", "location", "latitude")
    assert any(abs(t - car_moving[-1]) < 10 for t, _ in bob_lat)


async def test_ac_cooling_brings_the_room_to_its_target(world: World) -> None:
    start = float(world.get("living_climate", "environment", "temperature"))  # type: ignore[arg-type]
    for prop, value in (("on", True), ("mode", "Cool"), ("target-temperature", 17.0)):
        result = await world.commands.execute(Command("living_ac", "air-conditioner", prop, value), ADMIN)
        assert result.ok, result.message
    world.clock.advance(15 * 60)
    mid = float(world.get("living_climate", "environment", "temperature"))  # type: ignore[arg-type]
    world.clock.advance(105 * 60)
    end = float(world.get("living_climate", "environment", "temperature"))  # type: ignore[arg-type]
    assert start > mid > end
    assert abs(end - 17.0) < 0.5
    assert world.get("living_ac", "environment", "temperature") == end
    temps = [float(v) for _, v in world.series("living_climate", "environment", "temperature")]  # type: ignore[arg-type]
    assert len(temps) > 10


async def test_ac_heating_beats_a_cold_day(world: World) -> None:
    await world.commands.execute(Command("kids_ac", "air-conditioner", "on", True), ADMIN)
    await world.commands.execute(Command("kids_ac", "air-conditioner", "mode", "Heat"), ADMIN)
    await world.commands.execute(Command("kids_ac", "air-conditioner", "target-temperature", 26.0), ADMIN)
    world.clock.advance(2 * 3600)
    heated = float(world.get("kids_climate", "environment", "temperature"))  # type: ignore[arg-type]
    unheated = float(world.get("living_climate", "environment", "temperature"))  # type: ignore[arg-type]
    assert abs(heated - 26.0) < 0.5 and unheated < 23


async def test_curtains_move_over_several_ticks(world: World) -> None:
    result = await world.commands.execute(Command("living_curtain", "curtain", "target-position", 100), ADMIN)
    assert result.ok
    assert world.get("living_curtain", "curtain", "current-position") == 0
    world.clock.advance(5)
    assert 0 < world.get("living_curtain", "curtain", "current-position") < 100  # type: ignore[operator]
    assert world.get("living_curtain", "curtain", "status") == "Opening"
    world.clock.advance(60)
    assert world.get("living_curtain", "curtain", "current-position") == 100
    assert world.get("living_curtain", "curtain", "status") == "Stopped"
    positions = [v for _, v in world.series("living_curtain", "curtain", "current-position")]
    assert len(positions) >= 4 and positions == sorted(positions)
    await world.commands.execute(Command("living_curtain", "curtain", "motor-control", "Close"), ADMIN)
    world.clock.advance(5)
    assert world.get("living_curtain", "curtain", "status") == "Closing"


async def test_garage_door_opens_over_time(world: World) -> None:
    cmd = Command("garage_door", "garage-door", "target-position", 100, confirmed=True)
    assert (await world.commands.execute(cmd, ADMIN)).ok
    world.clock.advance(5)
    assert world.get("garage_door", "garage-door", "status") == "Opening"
    world.clock.advance(30)
    assert world.get("garage_door", "garage-door", "current-position") == 100


def test_vacuum_cleans_returns_and_charges(day: World) -> None:
    statuses = [v for _, v in day.series("vacuum", "vacuum", "status")]
    assert statuses[:3] == ["Sweeping", "Returning", "Charging"]
    levels = [int(v) for _, v in day.series("vacuum", "battery", "battery-level")]  # type: ignore[call-overload]
    low = min(levels)
    assert low < 80 and levels[-1] == 100


async def test_vacuum_actions_through_the_command_path(world: World) -> None:
    assert (await world.commands.execute(Command("vacuum", "vacuum", action="start-sweep"), ADMIN)).ok
    assert world.get("vacuum", "vacuum", "status") == "Sweeping"
    world.clock.advance(300)
    assert int(world.get("vacuum", "battery", "battery-level")) < 100  # type: ignore[call-overload]
    await world.commands.execute(Command("vacuum", "vacuum", action="start-charge"), ADMIN)
    assert world.get("vacuum", "vacuum", "status") == "Returning"
    world.clock.advance(180)
    assert world.get("vacuum", "vacuum", "status") == "Charging"


def test_watch_reports_sleep_at_night_and_awake_by_day(day: World) -> None:
    stages = {}
    asleep = {}
    for c in day.changes:
        hour = day.local(c.time).hour
        if (c.device, c.property) == ("alice_watch", "state"):
            stages.setdefault(hour, set()).add(c.new)
        if (c.device, c.service, c.property) == ("alice", "sleep", "asleep"):
            asleep[c.time] = c.new
    night = set().union(*(stages.get(h, set()) for h in range(0, 6)))
    assert {"Light Sleep", "Deep Sleep", "REM"} <= night
    assert "Awake" not in night
    day_stages = set().union(*(stages.get(h, set()) for h in range(9, 21)))
    assert day_stages <= {"Awake"}
    assert list(asleep.values()) == [True, False]
    assert day.get("alice", "sleep", "state") == "Awake" and day.get("alice", "sleep", "asleep") is False


def test_person_presence_follows_the_phone(day: World) -> None:
    phone = {"latitude": 0.0, "longitude": 0.0}
    checked = 0
    zones = set()
    for c in day.changes:
        if c.device == "alice_phone" and c.service == "location" and c.property in phone:
            phone[c.property] = float(c.new)  # type: ignore[arg-type]
        if (c.device, c.property) == ("alice", "zone"):
            assert c.new == day.twin.presence.zone_of((phone["latitude"], phone["longitude"]))
            zones.add(c.new)
            checked += 1
    assert {"home", "away", "school"} <= zones and checked >= 4


def test_an_outside_phone_report_moves_the_person(world: World) -> None:
    office = world.home.zones["office"]
    world.state.apply("alice_phone", "location", "latitude", office.latitude, "phone")
    world.state.apply("alice_phone", "location", "longitude", office.longitude, "phone")
    world.clock.advance(0)
    assert world.get("alice", "presence", "zone") == "office"
    assert world.get("alice", "presence", "at-home") is False
    assert world.get("alice", "location", "latitude") == office.latitude


def test_motion_and_front_door_follow_people(day: World) -> None:
    opened = [t for t, v in day.series("front_door_sensor", "magnet-sensor", "open") if v is True]
    assert len(opened) >= 4  # Alice and Mia leave and come back
    assert any(v is True for _, v in day.series("living_motion", "motion-sensor", "motion-state"))
    assert any(v is True for _, v in day.series("kids_occupancy", "occupancy-sensor", "occupancy-status"))


def _history(home: Home, seed: int) -> list[tuple[float, str, str, str, object]]:
    w = make_world(home, seed=seed)
    w.clock.advance(6 * 3600)
    return [(c.time, c.device, c.service, c.property, c.new) for c in w.changes]


def test_same_seed_same_history(demo_home: Home) -> None:
    first = _history(demo_home, 7)
    assert first == _history(demo_home, 7)
    assert first != _history(demo_home, 8)


async def test_commands_take_effect(world: World) -> None:
    run = world.commands.execute
    assert (await run(Command("living_floor_lamp", "light", "on", True), ADMIN)).ok
    assert (await run(Command("living_floor_lamp", "light", "brightness", 40), ADMIN)).ok
    assert world.get("living_floor_lamp", "light", "brightness") == 40
    assert (await run(Command("front_door_lock", "lock", "locked", False, confirmed=True), ADMIN)).ok
    assert world.get("front_door_lock", "lock", "lock-action") == "Unlock"
    assert (await run(Command("living_speaker", "speaker", action="play"), ADMIN)).ok
    assert world.get("living_speaker", "speaker", "playing-state") == "Playing"
    await run(Command("car", "vehicle", "Vehicle.Cabin.HVAC.IsAirConditioningActive", True), ADMIN)
    await run(Command("car", "vehicle", "Vehicle.Cabin.HVAC.Station.Row1.Driver.Temperature", 26.0), ADMIN)
    window = "Vehicle.Cabin.Door.Row1.DriverSide.Window.Position"
    await run(Command("car", "vehicle", window, 100), ADMIN)
    assert world.get("car", "vehicle", window) == 0
    world.clock.advance(5)
    assert 0 < world.get("car", "vehicle", window) < 100  # type: ignore[operator]
    world.clock.advance(600)
    assert world.get("car", "vehicle", window) == 100
    assert abs(float(world.get("car", "vehicle", "Vehicle.Cabin.HVAC.AmbientAirTemperature")) - 26) < 1.5  # type: ignore[arg-type]


async def test_charging_starts_and_stops_on_command(world: World) -> None:
    world.advance_to("18:15")
    assert world.get("car", "vehicle", CHARGING) is True
    stop = Command("car", "vehicle", "Vehicle.Powertrain.TractionBattery.Charging.StartStopCharging", "STOP")
    assert (await world.commands.execute(stop, ADMIN)).ok
    world.clock.advance(5)
    soc = world.get("car", "vehicle", SOC)
    assert world.get("car", "vehicle", CHARGING) is False
    assert world.get("ev_charger", "charger", "status") == "Plugged"
    world.clock.advance(600)
    assert world.get("car", "vehicle", SOC) == soc
    assert (await world.commands.execute(Command("ev_charger", "charger", action="start-charge"), ADMIN)).ok
    world.clock.advance(5)
    assert world.get("car", "vehicle", CHARGING) is True
    assert world.get("ev_charger", "charger", "status") == "Charging"
    assert world.get("ev_charger", "charger", "power") == 11000.0  # the car takes at most 11 kW of the 11.04 kW


def test_stop_cancels_every_callback(demo_home: Home) -> None:
    w = make_world(demo_home)
    w.clock.advance(3600)
    listeners = w.bus.listener_count()
    w.twin.stop()
    assert w.clock.pending() == 0
    assert w.bus.listener_count() < listeners
    before = len(w.changes)
    w.clock.advance(3600)
    assert len(w.changes) == before


def test_a_home_without_demo_people_still_lives() -> None:
    from hearth.model import parse_home

    home = parse_home("""
home: {id: flat, timezone: Europe/Berlin, location: {latitude: 52.52, longitude: 13.405}}
areas: [{id: bedroom}, {id: lounge}]
people: [{id: sam, devices: [sam_phone]}]
devices:
  - {id: sam_phone, type: phone, owner: sam}
  - {id: lounge_ac, type: air-conditioner, area: lounge}
  - {id: blind, type: curtain, area: lounge}
  - {id: car, type: car}
""")
    w = make_world(home)
    assert w.get("car", "vehicle", LAT) == 52.52  # no location in the file: parked at home
    w.clock.advance(24 * 3600)
    assert w.get("sam", "presence", "at-home") is True
    assert w.get("car", "vehicle", SOC) == 90.0  # plugged in at home, charged to its limit
    assert any(v is True for _, v in w.series("sam", "sleep", "asleep"))
    assert isinstance(w.clock, FakeClock) and all(isinstance(c, StateChanged) for c in w.changes)


def test_arrivals_unlock_the_front_door_and_it_locks_itself(day: World) -> None:
    actions = [v for _, v in day.series("front_door_lock", "lock", "lock-action")]
    methods = {v for _, v in day.series("front_door_lock", "lock", "operation-method")}
    assert actions[:2] == ["Unlock", "Lock"] and {"Fingerprint", "Auto"} <= methods
    assert day.get("front_door_lock", "lock", "locked") is True
