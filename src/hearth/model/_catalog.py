"""The built-in catalog of device types, with MIoT-standard service and property names."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from importlib import resources

from hearth.errors import SpecError
from hearth.model._spec import (
    ActionSpec,
    Choice,
    EventSpec,
    Format,
    PropertySpec,
    ServiceSpec,
    Spec,
    Value,
    ValueRange,
)
from hearth.model._vss import spec_from_vss

RW = frozenset({"read", "write", "notify"})
RO = frozenset({"read", "notify"})


@dataclass(frozen=True, slots=True)
class DeviceType:
    """A catalog entry: the spec, the default initial state and the words people use for it."""

    spec: Spec
    defaults: Mapping[tuple[str, str], Value] = field(default_factory=dict)


def _p(
    name: str,
    fmt: str,
    *,
    rw: bool = True,
    unit: str | None = None,
    rng: tuple[float, float, float] | None = None,
    choices: tuple[str, ...] = (),
    default: Value | None = None,
) -> tuple[PropertySpec, Value | None]:
    prop = PropertySpec(
        name=name,
        format=Format(fmt),
        access=RW if rw else RO,
        unit=unit,
        range=ValueRange(*rng) if rng else None,
        choices=tuple(Choice(i, c) for i, c in enumerate(choices)),
    )
    return prop, default


def _svc(
    name: str,
    *props: tuple[PropertySpec, Value | None],
    actions: tuple[ActionSpec, ...] = (),
    events: tuple[EventSpec, ...] = (),
) -> tuple[ServiceSpec, dict[tuple[str, str], Value]]:
    defaults = {(name, p.name): d for p, d in props if d is not None}
    service = ServiceSpec(
        name,
        name.replace("-", " ").title(),
        {p.name: p for p, _ in props},
        {a.name: a for a in actions},
        {e.name: e for e in events},
    )
    return service, defaults


def _type(name: str, *services: tuple[ServiceSpec, dict[tuple[str, str], Value]]) -> DeviceType:
    merged: dict[tuple[str, str], Value] = {}
    for _, d in services:
        merged.update(d)
    spec = Spec(type=name, services={s.name: s for s, _ in services}, description=name.replace("-", " ").title())
    return DeviceType(spec, merged)


def _battery(level: int = 90) -> tuple[ServiceSpec, dict[tuple[str, str], Value]]:
    return _svc("battery", _p("battery-level", "int", rw=False, unit="percentage", rng=(0, 100, 1), default=level))


def _cover(name: str, default_position: int) -> DeviceType:
    return _type(
        name,
        _svc(
            name,
            _p("motor-control", "int", choices=("Pause", "Open", "Close"), default="Pause"),
            _p("current-position", "int", rw=False, unit="percentage", rng=(0, 100, 1), default=default_position),
            _p("target-position", "int", unit="percentage", rng=(0, 100, 1), default=default_position),
            _p("status", "int", rw=False, choices=("Stopped", "Opening", "Closing"), default="Stopped"),
        ),
    )


def _builtin() -> dict[str, DeviceType]:
    types = [
        _type(
            "light",
            _svc(
                "light",
                _p("on", "bool", default=False),
                _p("brightness", "int", unit="percentage", rng=(1, 100, 1), default=80),
                _p("color-temperature", "int", unit="kelvin", rng=(2700, 6500, 1), default=4000),
            ),
        ),
        _type(
            "air-conditioner",
            _svc(
                "air-conditioner",
                _p("on", "bool", default=False),
                _p("mode", "int", choices=("Auto", "Cool", "Dry", "Heat", "Fan", "Eco"), default="Auto"),
                _p("target-temperature", "float", unit="celsius", rng=(16, 30, 0.5), default=24.0),
            ),
            _svc("fan-control", _p("fan-level", "int", choices=("Auto", "Low", "Medium", "High"), default="Auto")),
            _svc("environment", _p("temperature", "float", rw=False, unit="celsius", rng=(-40, 60, 0), default=24.0)),
        ),
        _cover("curtain", 0),
        _cover("garage-door", 0),
        _cover("window-opener", 0),
        _type(
            "lock",
            _svc(
                "lock",
                _p("locked", "bool", default=True),
                _p("lock-action", "int", rw=False, choices=("Lock", "Unlock", "Jammed"), default="Lock"),
                _p("operation-method", "int", rw=False, choices=("App", "Key", "Fingerprint", "Password", "Auto"),
                   default="Auto"),
                events=(EventSpec("lock-event", "Lock operated", ("lock-action", "operation-method")),),
            ),
            _battery(80),
        ),
        _type("door-sensor", _svc("magnet-sensor", _p("open", "bool", rw=False, default=False)), _battery(95)),
        _type(
            "motion-sensor",
            _svc(
                "motion-sensor",
                _p("motion-state", "bool", rw=False, default=False),
                _p("illumination", "float", rw=False, unit="lux", rng=(0, 100000, 0), default=120.0),
                events=(EventSpec("motion-detected", "Motion detected"),),
            ),
            _battery(88),
        ),
        _type("occupancy-sensor", _svc("occupancy-sensor", _p("occupancy-status", "bool", rw=False, default=False))),
        _type(
            "temperature-humidity-sensor",
            _svc(
                "environment",
                _p("temperature", "float", rw=False, unit="celsius", rng=(-40, 80, 0), default=22.0),
                _p("relative-humidity", "float", rw=False, unit="percentage", rng=(0, 100, 0), default=45.0),
            ),
            _battery(76),
        ),
        _type(
            "camera",
            _svc(
                "camera-control",
                _p("on", "bool", default=True),
                _p("motion-detection", "bool", default=True),
                _p("recording", "bool", rw=False, default=False),
            ),
        ),
        _type(
            "vacuum",
            _svc(
                "vacuum",
                _p("status", "int", rw=False, choices=("Idle", "Sweeping", "Paused", "Returning", "Charging", "Error"),
                   default="Charging"),
                _p("mode", "int", choices=("Quiet", "Standard", "Strong", "Turbo"), default="Standard"),
                _p("clean-area", "string", default=""),
                actions=(
                    ActionSpec("start-sweep", "Start cleaning"),
                    ActionSpec("stop-sweeping", "Stop cleaning"),
                    ActionSpec("pause-sweeping", "Pause cleaning"),
                    ActionSpec("start-room-sweep", "Clean one room", inputs=("clean-area",)),
                    ActionSpec("start-charge", "Return to the dock"),
                ),
            ),
            _battery(100),
        ),
        _type(
            "water-heater",
            _svc(
                "water-heater",
                _p("on", "bool", default=True),
                _p("mode", "int", choices=("Normal", "Eco", "Boost"), default="Normal"),
                _p("target-temperature", "float", unit="celsius", rng=(35, 75, 1), default=50.0),
                _p("temperature", "float", rw=False, unit="celsius", rng=(0, 100, 0), default=45.0),
            ),
        ),
        _type(
            "speaker",
            _svc(
                "speaker",
                _p("on", "bool", default=True),
                _p("volume", "int", unit="percentage", rng=(0, 100, 1), default=30),
                _p("mute", "bool", default=False),
                _p("playing-state", "int", rw=False, choices=("Stopped", "Playing", "Paused"), default="Stopped"),
                actions=(
                    ActionSpec("play", "Play"),
                    ActionSpec("pause", "Pause"),
                    ActionSpec("next", "Next track"),
                    ActionSpec("previous", "Previous track"),
                ),
            ),
        ),
        _type(
            "ev-charger",
            _svc(
                "charger",
                _p("on", "bool", default=True),
                _p("status", "int", rw=False, choices=("Idle", "Plugged", "Charging", "Complete", "Fault"),
                   default="Idle"),
                _p("charging-current", "int", unit="ampere", rng=(6, 32, 1), default=16),
                _p("power", "float", rw=False, unit="watt", rng=(0, 22000, 0), default=0.0),
                _p("energy", "float", rw=False, unit="kWh", rng=(0, 1e9, 0), default=0.0),
                actions=(ActionSpec("start-charge", "Start charging"), ActionSpec("stop-charge", "Stop charging")),
            ),
        ),
        _type(
            "switch",
            _svc("switch", _p("on", "bool", default=False)),
            _svc("power-consumption", _p("power", "float", rw=False, unit="watt", rng=(0, 4000, 0), default=0.0)),
        ),
        _type(
            "fan",
            _svc(
                "fan",
                _p("on", "bool", default=False),
                _p("fan-level", "int", choices=("Low", "Medium", "High"), default="Low"),
                _p("horizontal-swing", "bool", default=False),
            ),
        ),
        _type(
            "air-purifier",
            _svc(
                "air-purifier",
                _p("on", "bool", default=False),
                _p("mode", "int", choices=("Auto", "Sleep", "Favorite"), default="Auto"),
            ),
            _svc("environment", _p("pm2.5-density", "float", rw=False, unit="μg/m3", rng=(0, 1000, 0), default=12.0)),
        ),
        _type(
            "television",
            _svc(
                "television",
                _p("on", "bool", default=False),
                _p("volume", "int", unit="percentage", rng=(0, 100, 1), default=20),
                _p("mute", "bool", default=False),
            ),
        ),
        _type(
            "humidifier",
            _svc(
                "humidifier",
                _p("on", "bool", default=False),
                _p("target-humidity", "int", unit="percentage", rng=(30, 80, 1), default=50),
            ),
        ),
        _type(
            "doorbell",
            _svc("doorbell", _p("last-ring", "string", rw=False, default=""),
                 events=(EventSpec("ring", "Someone rang the doorbell"),)),
            _battery(70),
        ),
        _type(
            "person",
            _svc(
                "presence",
                _p("at-home", "bool", rw=False, default=True),
                _p("zone", "string", rw=False, default="home"),
                _p("area", "string", rw=False, default=""),
            ),
            _location(),
            _svc(
                "sleep",
                _p("asleep", "bool", rw=False, default=False),
                _p("state", "int", rw=False, choices=("Awake", "Light Sleep", "Deep Sleep", "REM"), default="Awake"),
            ),
            _svc("health", _p("heart-rate", "int", rw=False, unit="bpm", rng=(0, 250, 1), default=70)),
        ),
        _type("phone", _location(), _svc(
            "battery",
            _p("battery-level", "int", rw=False, unit="percentage", rng=(0, 100, 1), default=80),
            _p("charging", "bool", rw=False, default=False),
        )),
        _type(
            "watch",
            _svc(
                "sleep",
                _p("state", "int", rw=False, choices=("Awake", "Light Sleep", "Deep Sleep", "REM"), default="Awake"),
            ),
            _svc("health", _p("heart-rate", "int", rw=False, unit="bpm", rng=(0, 250, 1), default=70)),
            _battery(60),
        ),
    ]
    result = {t.spec.type: t for t in types}
    result["car"] = _car()
    return result


def _location() -> tuple[ServiceSpec, dict[tuple[str, str], Value]]:
    return _svc(
        "location",
        _p("latitude", "float", rw=False, unit="arcdegrees", rng=(-90, 90, 0), default=0.0),
        _p("longitude", "float", rw=False, unit="arcdegrees", rng=(-180, 180, 0), default=0.0),
        _p("accuracy", "float", rw=False, unit="meters", rng=(0, 100000, 0), default=10.0),
    )


_CAR_DEFAULTS: dict[str, Value] = {
    "Vehicle.Speed": 0.0,
    "Vehicle.IsMoving": False,
    "Vehicle.TraveledDistance": 12000000,
    "Vehicle.Exterior.AirTemperature": 15.0,
    "Vehicle.Powertrain.TractionBattery.StateOfCharge.Current": 70.0,
    "Vehicle.Powertrain.TractionBattery.StateOfCharge.CurrentEnergy": 52.5,
    "Vehicle.Powertrain.TractionBattery.NetCapacity": 75,
    "Vehicle.Powertrain.Range": 350000,
    "Vehicle.Powertrain.TractionBattery.Range": 350000,
    "Vehicle.Powertrain.TractionBattery.Charging.IsCharging": False,
    "Vehicle.Powertrain.TractionBattery.Charging.ChargeLimit": 90,
    "Vehicle.Powertrain.TractionBattery.Charging.ChargeRate": 0.0,
    "Vehicle.Powertrain.TractionBattery.Charging.StartStopCharging": "STOP",
    "Vehicle.Powertrain.TractionBattery.Charging.TimeToComplete": 0,
    "Vehicle.Powertrain.TractionBattery.Charging.ChargingPort.AnyPosition.IsChargingCableConnected": False,
    "Vehicle.Powertrain.TractionBattery.Charging.ChargingPort.AnyPosition.IsChargingCableLocked": False,
    "Vehicle.Cabin.HVAC.AmbientAirTemperature": 18.0,
    "Vehicle.Cabin.HVAC.IsAirConditioningActive": False,
    "Vehicle.Cabin.HVAC.IsFrontDefrosterActive": False,
    "Vehicle.Cabin.HVAC.Station.Row1.Driver.Temperature": 22.0,
    "Vehicle.Cabin.HVAC.Station.Row1.Driver.FanSpeed": 0,
    "Vehicle.Cabin.HVAC.Station.Row1.Passenger.Temperature": 22.0,
    "Vehicle.Cabin.Sunroof.Position": 0,
    "Vehicle.Body.Trunk.Rear.IsOpen": False,
    "Vehicle.Body.Trunk.Rear.IsLocked": True,
    "Vehicle.Body.Trunk.Front.IsOpen": False,
    "Vehicle.Body.Lights.Beam.Low.IsOn": False,
    "Vehicle.Body.Horn.IsActive": False,
    "Vehicle.Cabin.Seat.Row1.DriverSide.HeatingCooling": 0,
    "Vehicle.Cabin.Seat.Row1.PassengerSide.HeatingCooling": 0,
    "Vehicle.Cabin.Seat.Row1.DriverSide.OccupancyStatus": "EMPTY",
    "Vehicle.Cabin.Seat.Row1.PassengerSide.OccupancyStatus": "EMPTY",
    "Vehicle.Driver.IsEyesOnRoad": True,
    "Vehicle.Driver.FatigueLevel": 0.0,
}


def _car() -> DeviceType:
    doc = json.loads(resources.files("hearth.model").joinpath("data/vss_car.json").read_text(encoding="utf-8"))
    spec = spec_from_vss(doc, type_name="car")
    defaults: dict[tuple[str, str], Value] = {("vehicle", k): v for k, v in _CAR_DEFAULTS.items()}
    for svc, prop in spec.iter_properties():
        if (svc, prop.name) in defaults:
            continue
        if prop.name.endswith((".IsOpen", ".IsLocked")):
            defaults[(svc, prop.name)] = prop.name.endswith(".IsLocked")
        elif prop.name.endswith(".Position"):
            defaults[(svc, prop.name)] = 0
    return DeviceType(spec, defaults)


@cache
def builtin_types() -> Mapping[str, DeviceType]:
    """Return the built-in device types by name."""
    return _builtin()


def device_type(name: str, custom: Mapping[str, DeviceType] | None = None) -> DeviceType:
    """Look up a type among custom types first, then the built-in catalog."""
    if custom and name in custom:
        return custom[name]
    try:
        return builtin_types()[name]
    except KeyError:
        known = ", ".join(sorted({*builtin_types(), *(custom or {})}))
        raise SpecError(f"unknown device type {name!r} (known: {known})") from None


def initial_value(prop: PropertySpec) -> Value:
    """A neutral value for a property with no default: first choice, range minimum, false or empty."""
    if prop.choices:
        return prop.choices[0].description
    if prop.format is Format.BOOL:
        return False
    if prop.format is Format.STRING:
        return ""
    low = prop.range.min if prop.range else 0
    return int(low) if prop.format is Format.INT else float(low)
