"""The twin's electric car: drives routes, spends and gains energy, charges at home up to its limit."""

from __future__ import annotations

import math
import random
from collections.abc import Callable
from dataclasses import dataclass, field

from hearth.adapters.simulator._physics import LatLon, Route
from hearth.model import Value

V = "Vehicle."
SOC = "Vehicle.Powertrain.TractionBattery.StateOfCharge.Current"
ENERGY = "Vehicle.Powertrain.TractionBattery.StateOfCharge.CurrentEnergy"
CAPACITY = "Vehicle.Powertrain.TractionBattery.NetCapacity"
CHG = "Vehicle.Powertrain.TractionBattery.Charging."
CABLE = CHG + "ChargingPort.AnyPosition.IsChargingCableConnected"
CABLE_LOCK = CHG + "ChargingPort.AnyPosition.IsChargingCableLocked"
START_STOP = CHG + "StartStopCharging"
LIMIT = CHG + "ChargeLimit"
HVAC = "Vehicle.Cabin.HVAC."
DRIVER_SEAT = "Vehicle.Cabin.Seat.Row1.DriverSide.OccupancyStatus"

WH_PER_M = 0.16  # 16 kWh per 100 km
ACCEL = 1.5  # m/s² speeding up and braking
CORNER_MPS = 15 / 3.6
HOME_CHARGER_KW = 7.4  # when the home has no wallbox device: a portable charger
MAX_AC_KW = 11.0  # the car's on-board charger

Get = Callable[[str], Value]


@dataclass(slots=True)
class Trip:
    """One drive along a route, with the traffic lights it will meet."""

    route: Route
    destination: str
    cruise: float  # m/s
    stops: list[tuple[float, float]]  # (metres along, seconds waiting) at red lights, in order
    travelled: float = 0.0
    waiting: float = 0.0


def plan_trip(route: Route, destination: str, rng: random.Random) -> Trip:
    """Plan a drive: a cruising speed and red lights at some corners."""
    stops = [(route.cumulative[i], rng.uniform(20, 70)) for i in range(1, len(route.points) - 1) if rng.random() < 0.5]
    return Trip(route, destination, rng.uniform(38, 52) / 3.6, stops)


@dataclass(slots=True)
class CarSim:
    """The car's physical state; `step` advances it and returns what the car reports."""

    position: LatLon
    energy_kwh: float
    capacity_kwh: float
    odometer_m: float
    speed: float = 0.0
    heading: float = 0.0
    cabin: float = 18.0
    trip: Trip | None = None
    plug_at: float | None = None
    charged_kwh: float = 0.0
    charge_kw: float = 0.0
    occupants: list[str] = field(default_factory=list)

    @property
    def soc(self) -> float:
        """State of charge in percent."""
        return 100.0 * self.energy_kwh / self.capacity_kwh

    def drive(self, dt_s: float) -> bool:
        """Drive on for `dt_s` seconds; True when the trip ended this step."""
        trip = self.trip
        if trip is None:
            return False
        if trip.waiting > 0:
            trip.waiting = max(0.0, trip.waiting - dt_s)
            self.speed = 0.0
            return False
        stop_at, wait = trip.stops[0] if trip.stops else (trip.route.length, 0.0)
        corner = _next_corner(trip)
        to_stop, to_corner = stop_at - trip.travelled, corner - trip.travelled
        limit = min(trip.cruise, math.sqrt(2 * ACCEL * max(0.0, to_stop)) + 0.5,
                    math.sqrt(CORNER_MPS**2 + 2 * ACCEL * max(0.0, to_corner)))
        speed = min(limit, self.speed + ACCEL * dt_s)
        advance = min(speed * dt_s, to_stop)
        self.speed = speed
        trip.travelled += advance
        self.odometer_m += advance
        self.energy_kwh = max(0.0, self.energy_kwh - advance * WH_PER_M / 1000)
        self.position, self.heading = trip.route.at(trip.travelled)
        if trip.travelled >= stop_at - 1e-6:
            self.speed = 0.0
            if trip.stops:
                trip.stops.pop(0)
                trip.waiting = wait
                return False
            self.trip = None
            return True
        return False

    def charge(self, dt_s: float, charger_kw: float, get: Get) -> None:
        """Charge while the cable is in and charging is requested, up to the charge limit."""
        limit = float(_num(get(LIMIT), 90))
        wanted = bool(get(CABLE)) and get(START_STOP) == "START" and self.trip is None
        self.charge_kw = min(charger_kw, MAX_AC_KW) if wanted and self.soc < limit - 1e-9 else 0.0
        if self.charge_kw <= 0:
            return
        target = self.capacity_kwh * limit / 100
        added = min(self.charge_kw * dt_s / 3600, max(0.0, target - self.energy_kwh))
        self.energy_kwh += added
        self.charged_kwh += added

    def cabin_step(self, dt_s: float, outside: float, get: Get) -> None:
        """The cabin drifts to the outside temperature, or to the driver's setting with the AC on."""
        if get(HVAC + "IsAirConditioningActive") is True:
            setting = float(_num(get(HVAC + "Station.Row1.Driver.Temperature"), 22))
            self.cabin += (setting - self.cabin) * min(1.0, dt_s / 300)
        else:
            self.cabin += (outside - self.cabin) * min(1.0, dt_s / 2400)

    def report(self, outside: float, get: Get) -> dict[str, Value]:
        """The VSS signals the car reports now."""
        limit = float(_num(get(LIMIT), 90))
        remaining = max(0.0, self.capacity_kwh * limit / 100 - self.energy_kwh)
        range_m = int(round(self.energy_kwh / WH_PER_M * 1000, -2))
        return {
            V + "Speed": round(self.speed * 3.6, 1),
            V + "IsMoving": self.speed > 0.05,
            V + "CurrentLocation.Latitude": round(self.position[0], 6),
            V + "CurrentLocation.Longitude": round(self.position[1], 6),
            V + "CurrentLocation.Heading": round(self.heading, 1),
            V + "TraveledDistance": int(self.odometer_m),
            SOC: round(self.soc, 2),
            ENERGY: round(self.energy_kwh, 2),
            V + "Powertrain.Range": range_m,
            V + "Powertrain.TractionBattery.Range": range_m,
            CHG + "IsCharging": self.charge_kw > 0,
            CHG + "ChargeRate": round(self.charge_kw / WH_PER_M, 1),
            CHG + "TimeToComplete": int(remaining / self.charge_kw * 3600) if self.charge_kw > 0 else 0,
            V + "Exterior.AirTemperature": round(outside, 1),
            HVAC + "AmbientAirTemperature": round(self.cabin, 1),
            DRIVER_SEAT: "OCCUPIED" if self.occupants else "EMPTY",
        }


def _next_corner(trip: Trip) -> float:
    for c in trip.route.cumulative[1:]:
        if c > trip.travelled + 1e-6:
            return c
    return trip.route.length


def _num(value: Value, default: float) -> float:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else default
