"""Values to and from `kuksa.val.v2.Value`: the wire field each VSS datatype uses, bounds, and round trips."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hearth.adapters.kuksa import datatype_for, decode, encode
from hearth.adapters.kuksa._codec import datatype_code, datatype_name
from hearth.errors import AdapterError
from hearth.model import builtin_types


@pytest.mark.parametrize(("datatype", "value", "field"), [
    ("uint8", 90, "uint32"), ("int16", -5, "int32"), ("int64", 2**40, "int64"), ("uint64", 2**63, "uint64"),
    ("boolean", True, "bool"), ("string", "START", "string"), ("double", 1.5, "double"), ("float", 2, "float"),
])
def test_each_datatype_rides_in_its_field(datatype: str, value: object, field: str) -> None:
    message = encode(value, datatype)  # type: ignore[arg-type]
    assert message.WhichOneof("typed_value") == field
    assert decode(message) == value


@pytest.mark.parametrize(("datatype", "value"), [
    ("uint8", 256), ("uint8", -1), ("int8", 128), ("int32", 1.5), ("int32", True), ("boolean", 1),
    ("float", "warm"), ("float", float("nan")), ("uint8[]", 1),
])
def test_values_that_do_not_fit_are_refused(datatype: str, value: object) -> None:
    with pytest.raises(AdapterError):
        encode(value, datatype)  # type: ignore[arg-type]


@given(st.integers(-(2**31), 2**31 - 1))
def test_int32_round_trips(number: int) -> None:
    assert decode(encode(number, "int32")) == number


@given(st.floats(-1e6, 1e6, allow_nan=False).map(lambda x: round(x, 2)))
def test_float32_reads_back_as_written(number: float) -> None:
    assert decode(encode(number, "float")) == pytest.approx(number, rel=1e-6)


def test_datatype_names_round_trip_through_the_enum() -> None:
    for name in ("uint8", "int64", "boolean", "string", "double"):
        assert datatype_name(datatype_code(name)) == name
    assert datatype_name(datatype_code("string_array")) is None


def test_a_datatype_for_every_car_property() -> None:
    spec = builtin_types()["car"].spec
    chosen = {p.name: datatype_for(p) for _, p in spec.iter_properties()}
    assert chosen["Vehicle.Speed"] == "float"
    assert chosen["Vehicle.Powertrain.TractionBattery.Charging.ChargeLimit"] == "uint32"
    assert chosen["Vehicle.Cabin.Seat.Row1.DriverSide.HeatingCooling"] == "int32"
    assert chosen["Vehicle.Body.Trunk.Rear.IsOpen"] == "boolean"
