from __future__ import annotations

import json
from pathlib import Path

import pytest

from hearth.errors import SpecError
from hearth.model import builtin_types, spec_from_miot, spec_from_vss


def _load(path: Path) -> object:
    return json.loads(path.read_text(encoding="utf-8"))


def test_thermostat_keeps_repeated_property_names_apart(shared_data: Path) -> None:
    spec = spec_from_miot(_load(shared_data / "miot" / "hass-xiaomi-miot__cnhdm.airrtc.wkq01.thermostat.json"))
    thermostat = spec.services["thermostat"]
    ons = [p for p in thermostat.properties.values() if p.name.startswith("on")]
    assert len(ons) == 3 and len({p.iid for p in ons}) == 3
    targets = [p for p in thermostat.properties.values() if p.name.startswith("target-temperature")]
    assert {(p.range.min, p.range.max) for p in targets if p.range} == {(16, 32), (5, 50)}
    assert spec.property("thermostat", "mode").validate("heat") == "Heat"
    with pytest.raises(SpecError, match=r"several services|no property"):
        spec.find("nonexistent")


def test_moonlight_light_imports_ranges_and_actions(shared_data: Path) -> None:
    spec = spec_from_miot(_load(shared_data / "miot" / "miot-spec-doc__philips-moonlight.light.instance.json"))
    assert "light" in spec.services
    light = spec.services["light"]
    assert light.properties["on"].writable
    brightness = light.properties["brightness"]
    assert brightness.range is not None and brightness.range.max >= 100


@pytest.mark.parametrize("name", ["v1", "v2"])
def test_fan_examples_import(shared_data: Path, name: str) -> None:
    spec = spec_from_miot(_load(shared_data / "miot" / f"miot-spec-doc__zhimi-zxc.fan.instance.{name}.json"))
    assert spec.services


def test_malformed_miot_is_refused() -> None:
    with pytest.raises(SpecError):
        spec_from_miot({"type": "x"})
    with pytest.raises(SpecError, match="property"):
        spec_from_miot({"services": [{"iid": 1, "type": "urn:miot-spec-v2:service:light:1",
                                      "properties": [{"iid": 1, "type": "urn:a:property:on:1"}]}]})


def test_full_vss_tree_imports(shared_data: Path) -> None:
    spec = spec_from_vss(_load(shared_data / "vss" / "kuksa-databroker__vss_release_6.0.json"))
    props = spec.services["vehicle"].properties
    assert len(props) > 1000
    soc = props["Vehicle.Powertrain.TractionBattery.StateOfCharge.Current"]
    assert soc.unit == "percentage" and soc.range is not None and soc.range.max == 100
    assert not soc.writable
    assert props["Vehicle.Cabin.Door.Row1.DriverSide.IsLocked"].writable
    assert props["Vehicle.Powertrain.TractionBattery.Charging.StartStopCharging"].validate("start") == "START"


def test_builtin_car_is_a_vss_subset(shared_data: Path) -> None:
    full = spec_from_vss(_load(shared_data / "vss" / "vss-v6.0-tag__vspec-export-json__vss-tools-6.0.0.json"))
    car = builtin_types()["car"].spec
    for _, prop in car.iter_properties():
        assert full.services["vehicle"].properties[prop.name].format == prop.format
