"""Which unknown words name a missing target (refuse) and which are only said around a real one (act)."""

from __future__ import annotations

from pathlib import Path

import pytest

from hearth.copilot._frame import Frame, parse
from hearth.copilot._index import HomeIndex
from hearth.copilot._targets import unknown_target, unlinked_person_room
from hearth.copilot._text import detect_language
from hearth.model import load_home

HOME = Path(__file__).parent / "homes" / "willow.yaml"


@pytest.fixture(scope="module")
def index() -> HomeIndex:
    return HomeIndex(load_home(HOME))


def _frame(index: HomeIndex, text: str) -> Frame:
    return parse(index, text, detect_language(text))[-1]


@pytest.mark.parametrize("text", ["turn on the zorblatt in the kitchen", "turn on the light in Jack's room"])
def test_a_missing_thing_in_the_object_place_is_named(index: HomeIndex, text: str) -> None:
    assert unknown_target(_frame(index, text)) is not None


@pytest.mark.parametrize("text", ["I'd like the living room AC at 21 degrees", "turn the Samsung TV on"])
def test_words_around_a_real_target_are_not(index: HomeIndex, text: str) -> None:
    assert unknown_target(_frame(index, text)) is None


def test_a_person_room_links_through_room_names_only(index: HomeIndex) -> None:
    assert unlinked_person_room(_frame(index, "turn on the light in Tom's room")) == "tom"
    assert unlinked_person_room(_frame(index, "打开汤姆房间的灯")) == "tom"
    assert unlinked_person_room(_frame(index, "turn on the light in Lily's room")) is None
