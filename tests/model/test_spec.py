from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hearth.errors import SpecError
from hearth.model import Choice, Format, PropertySpec, ValueRange, builtin_types

BRIGHTNESS = PropertySpec("brightness", Format.INT, frozenset({"read", "write"}), range=ValueRange(1, 100, 1))
TEMP = PropertySpec("target-temperature", Format.FLOAT, frozenset({"read", "write"}), range=ValueRange(16, 30, 0.5))
MODE = PropertySpec("mode", Format.INT, frozenset({"read", "write"}), choices=(Choice(0, "Cool"), Choice(3, "Heat")))


@given(st.integers(min_value=1, max_value=100))
def test_in_range_ints_are_accepted(value: int) -> None:
    assert BRIGHTNESS.validate(value) == value


@given(st.integers().filter(lambda v: v < 1 or v > 100))
def test_out_of_range_ints_are_refused(value: int) -> None:
    with pytest.raises(SpecError, match="outside"):
        BRIGHTNESS.validate(value)


@given(st.integers(min_value=0, max_value=28))
def test_half_degree_steps_are_accepted(halves: int) -> None:
    assert TEMP.validate(16 + halves / 2) == 16 + halves / 2


@given(st.floats(min_value=16, max_value=30).filter(lambda v: abs(v * 2 - round(v * 2)) > 1e-3))
def test_off_step_values_are_refused(value: float) -> None:
    with pytest.raises(SpecError, match="step"):
        TEMP.validate(value)


@given(st.sampled_from([float("nan"), float("inf"), float("-inf"), "nan", "inf"]))
def test_non_finite_numbers_are_refused(value: object) -> None:
    with pytest.raises(SpecError):
        TEMP.validate(value)


def test_value_list_maps_by_description_not_number() -> None:
    assert MODE.validate("heat") == "Heat"
    assert MODE.validate("Cool") == "Cool"
    assert MODE.validate(3) == "Heat"  # the vendor's number is accepted but the canonical form is the description
    with pytest.raises(SpecError, match="not one of: Cool, Heat"):
        MODE.validate("Dry")
    with pytest.raises(SpecError):
        MODE.validate(1)


@pytest.mark.parametrize("raw,expected", [(True, True), ("on", True), ("off", False), (0, False), ("true", True)])
def test_bool_forms(raw: object, expected: bool) -> None:
    prop = PropertySpec("on", Format.BOOL)
    assert prop.validate(raw) is expected


@pytest.mark.parametrize("raw", ["maybe", 2, None, 1.5, [True]])
def test_bad_bools_are_refused(raw: object) -> None:
    with pytest.raises(SpecError, match="true or false"):
        PropertySpec("on", Format.BOOL).validate(raw)


def test_ints_refuse_fractions_and_bools() -> None:
    with pytest.raises(SpecError, match="whole number"):
        BRIGHTNESS.validate(50.5)
    with pytest.raises(SpecError, match="number"):
        BRIGHTNESS.validate(True)
    assert BRIGHTNESS.validate("42") == 42


@given(st.floats(min_value=-1000, max_value=1000))
def test_clamp_always_lands_on_a_valid_value(value: float) -> None:
    for prop in (BRIGHTNESS, TEMP):
        assert prop.validate(prop.clamp(value)) == prop.clamp(value)


def test_bad_specs_are_refused() -> None:
    with pytest.raises(SpecError):
        ValueRange(10, 1)
    with pytest.raises(SpecError, match="access"):
        PropertySpec("x", Format.BOOL, frozenset({"execute"}))
    with pytest.raises(SpecError):
        Format.parse("quaternion")


def test_catalog_has_every_type_the_household_needs() -> None:
    types = builtin_types()
    for name in ("light", "air-conditioner", "curtain", "lock", "door-sensor", "motion-sensor", "occupancy-sensor",
                 "temperature-humidity-sensor", "camera", "vacuum", "water-heater", "speaker", "ev-charger", "car",
                 "person", "phone", "watch", "garage-door"):
        assert name in types
    for dtype in types.values():
        for (svc, prop), value in dtype.defaults.items():
            assert dtype.spec.property(svc, prop).validate(value) == value, (dtype.spec.type, svc, prop)
