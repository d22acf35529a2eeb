"""Kinds of room and device: generic words in either language reach a home's own names."""

from __future__ import annotations

from hearth.copilot._kinds import add_kind_words, add_related_places, place_types_as_areas
from hearth.copilot._lexicon import AREA, CORE, PLACE, TYPE, Meaning
from hearth.copilot._text import phrase_tokens


def test_a_missing_kind_of_room_reaches_the_nearest_one_the_home_has() -> None:
    areas = {"den": ["den"], "living room": ["great_room"]}
    add_related_places(areas, {"study": ("den",), "garden": ("patio",)})
    assert areas["study"] == ["den"]
    assert "garden" not in areas


def test_a_room_that_is_already_another_kind_is_not_taken() -> None:
    areas = {"den": ["den"], "playroom": ["den"]}
    add_related_places(areas, {"study": ("den",)})
    assert "study" not in areas


def test_a_room_word_that_is_also_a_device_kind_names_the_room() -> None:
    table: dict[tuple[str, ...], list[Meaning]] = {phrase_tokens("车库"): [(TYPE, "garage-door"), (PLACE, "garage")]}
    place_types_as_areas(table, {"garage": ["garage"]})
    assert (AREA, "garage") in table[phrase_tokens("车库")]


def test_kind_words_reach_a_device_in_the_other_language_but_not_inside_another_word() -> None:
    table: dict[tuple[str, ...], list[Meaning]] = {phrase_tokens("书房"): [(AREA, "study")]}
    group = tuple(phrase_tokens(w) for w in ("desk lamp", "台灯"))
    add_kind_words(table, (group,), [phrase_tokens("书房台灯")], "study_lamp")
    add_kind_words(table, (group,), [phrase_tokens("阳台灯")], "balcony_light")
    assert table[phrase_tokens("desk lamp")] == [(CORE, "study_lamp")]
