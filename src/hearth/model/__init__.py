"""Hearth's device model: specs, the built-in catalog, MIoT and VSS import, and the home file."""

from hearth.model._catalog import DeviceType, builtin_types, device_type, initial_value
from hearth.model._geo import AWAY, distance_m, zone_at
from hearth.model._home import (
    Area,
    Device,
    Floor,
    Home,
    Location,
    Permission,
    Person,
    Role,
    Zone,
    load_home,
    parse_home,
)
from hearth.model._miot import spec_from_miot
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
from hearth.model._sun import SunTimes, sun, sun_event
from hearth.model._vss import VEHICLE_SERVICE, iter_vss_leaves, spec_from_vss
from hearth.model._yaml import HearthLoader, compose_yaml, load_yaml

__all__ = [
    "AWAY",
    "VEHICLE_SERVICE",
    "ActionSpec",
    "Area",
    "Choice",
    "Device",
    "DeviceType",
    "EventSpec",
    "Floor",
    "Format",
    "HearthLoader",
    "Home",
    "Location",
    "Permission",
    "Person",
    "PropertySpec",
    "Role",
    "ServiceSpec",
    "Spec",
    "SunTimes",
    "Value",
    "ValueRange",
    "Zone",
    "builtin_types",
    "compose_yaml",
    "device_type",
    "distance_m",
    "initial_value",
    "iter_vss_leaves",
    "load_home",
    "load_yaml",
    "parse_home",
    "spec_from_miot",
    "spec_from_vss",
    "sun",
    "sun_event",
    "zone_at",
]
