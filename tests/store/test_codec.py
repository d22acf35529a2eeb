from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hearth.errors import StoreError
from hearth.store._codec import decode, encode

values = st.booleans() | st.integers() | st.floats() | st.text()


@given(values)
def test_every_value_decodes_to_itself_with_its_type(value: bool | int | float | str) -> None:
    back = decode(*encode(value))
    assert type(back) is type(value)
    if isinstance(value, float) and math.isnan(value):
        assert math.isnan(back)  # type: ignore[arg-type]
    else:
        assert back == value


def test_values_that_are_not_bool_int_float_or_str_are_refused() -> None:
    with pytest.raises(StoreError, match="list"):
        encode([1])  # type: ignore[arg-type]
