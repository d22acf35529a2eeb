"""Normalisation: numerals, units, width, language."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hearth.copilot._text import chinese_number, detect_language, normalize, stem, tokenize


@pytest.mark.parametrize(("text", "expected"), [
    ("二十二", 22), ("两", 2), ("一百五十", 150), ("十五", 15), ("二十二点五", 22.5), ("三千", 3000), ("十", 10),
])
def test_chinese_numbers(text: str, expected: float) -> None:
    assert chinese_number(text) == expected


@pytest.mark.parametrize(("text", "expected"), [
    ("把灯调到百分之五十", "把灯调到50%"),
    ("空调调高两度", "空调调高2度"),
    ("温度设到二十二度半", "温度设到22.5度"),
    ("调亮一点", "调亮一点"),
    ("开一下灯", "开一下灯"),
    ("ＴＵＲＮ ｏｎ", "turn on"),
    ("set it to twenty two degrees", "set it to 22 degrees"),
    ("set it to 22°C", "set it to 22 celsius"),  # said in Celsius: kept, so a Fahrenheit reading is never guessed
    ("fifty percent", "50 percent"),
])
def test_normalize(text: str, expected: str) -> None:
    assert normalize(text) == expected


@pytest.mark.parametrize(("text", "lang"), [
    ("打开客厅的灯", "zh"), ("turn on the light", "en"), ("把living room的灯打开", "zh"), ("turn on 客厅 light", "zh"),
    ("open the Mia's room curtains", "en"),
])
def test_language(text: str, lang: str) -> None:
    assert detect_language(text) == lang


def test_stem_and_tokens() -> None:
    assert stem("lights") == "light" and stem("batteries") == "battery" and stem("status") == "status"
    assert tokenize(normalize("Turn the lights to 50%")) == ["turn", "the", "light", "to", "50", "%"]
    assert tokenize("客厅灯") == ["客", "厅", "灯"]


@given(st.integers(min_value=0, max_value=9999))
def test_chinese_numerals_round_trip(n: int) -> None:
    digits = "零一二三四五六七八九"
    units = [(1000, "千"), (100, "百"), (10, "十")]
    text, rest, zero = "", n, False
    for value, unit in units:
        d, rest = divmod(rest, value)
        if d:
            if zero:
                text += "零"
            text += digits[d] + unit
            zero = False
        elif text:
            zero = True
    if rest:
        if zero:
            text += "零"
        text += digits[rest]
    assert chinese_number(text or "零") == n


def test_fahrenheit_becomes_celsius_in_half_degrees() -> None:
    from hearth.copilot._text import normalize

    assert "22度" in normalize("set the AC to 72 degrees F")
    assert "24度" in normalize("把客厅空调调到华氏75度")


def test_the_number_said_after_a_correction_wins() -> None:
    from hearth.copilot._text import normalize

    assert normalize("set the AC to 22, no, 23") == "set the ac to 23"
    assert "25度" in normalize("空调调到24度，不对，25度") and "24" not in normalize("空调调到24度，不对，25度")
