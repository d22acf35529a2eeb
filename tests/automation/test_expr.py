"""The expression language: arithmetic, comparisons, logic, state, variables — and nothing else."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hearth.automation import compile_expression
from hearth.errors import RuleError

from .conftest import HOME


class Scope:
    def __init__(self, values: dict[tuple[str, str, str], Any] | None = None, **variables: Any) -> None:
        self.values = values or {}
        self.vars = variables

    def value(self, key: tuple[str, str, str]) -> Any:
        return self.values.get(key)

    def variable(self, name: str) -> Any:
        return self.vars[name]

    def distance_km(self, device: str, zone: str) -> float | None:
        return 1.5

    def local_time(self) -> tuple[int, int, int]:
        return 22, 30, 3

    def now(self) -> float:
        return 100.0


def ev(text: str, scope: Scope | None = None) -> Any:
    return compile_expression(text, HOME).evaluate(scope or Scope())


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1 + 2 * 3", 7), ("(1 + 2) * 3", 9), ("-(2 - 5)", 3), ("7 % 4", 3),
        ("10 / 4", 2.5), ("1 < 2 < 3", True), ("3 > 2 > 2", False), ("'a' in ['a', 'b']", True),
        ("'c' not in ['a', 'b']", True), ("not true or false", False), ("true and not false", True),
        ("min(3, 1, 2) + max(1, 5)", 6), ("round(2.567, 1)", 2.6), ("abs(-3)", 3), ("float('2.5')", 2.5),
        ("hour() >= 22 and weekday() == 3", True), ("distance('car', 'home') < 2", True), ("none == none", True),
        ("\"x\" == 'x'", True),
    ],
)
def test_evaluates(text: str, expected: Any) -> None:
    assert ev(text) == expected


def test_state_and_variables() -> None:
    key = ("car", "vehicle", "Vehicle.Powertrain.TractionBattery.StateOfCharge.Current")
    scope = Scope({key: 55.0}, trigger={"to": 55.0, "device": "car"}, limit=60)
    text = "state('car', 'Vehicle.Powertrain.TractionBattery.StateOfCharge.Current') < limit and trigger.to == 55"
    assert ev(text, scope) is True


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("__import__('os')", "unknown function '__import__'"),
        ("open('/etc/passwd')", "unknown function 'open'"),
        ("x.__class__", None),
        ("1 +", "unexpected end"),
        ("1 2", "unexpected '2'"),
        ("state(car, 'x')", "takes quoted names"),
        ("state('ghost', 'light.on')", "unknown device 'ghost'"),
        ("a ; b", "unexpected character ';'"),
        ("", "empty expression"),
    ],
)
def test_rejects_anything_outside_the_language(text: str, message: str | None) -> None:
    if message is None:
        with pytest.raises(RuleError):
            ev(text, Scope(x={"a": 1}))
        return
    with pytest.raises(RuleError, match=message.replace("(", r"\(").replace(")", r"\)")):
        ev(text)


def test_runtime_errors_become_rule_errors() -> None:
    with pytest.raises(RuleError, match="division by zero"):
        ev("1 / 0")
    with pytest.raises(RuleError, match="unknown name 'nope'"):
        ev("nope + 1")


@given(st.integers(-1000, 1000), st.integers(-1000, 1000), st.integers(1, 50))
def test_arithmetic_matches_python(a: int, b: int, c: int) -> None:
    assert ev(f"({a}) + ({b}) * {c} - ({a}) % {c}") == a + b * c - a % c
    assert ev(f"({a}) < ({b}) or ({a}) == ({b})") == (a <= b)
