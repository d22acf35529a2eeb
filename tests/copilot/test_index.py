"""The per-home phrase index: names, aliases, cores, typo correction."""

from __future__ import annotations

import pytest

from hearth.copilot._index import HomeIndex
from hearth.copilot._text import normalize, tokenize
from hearth.hub import load_home_or_demo


@pytest.fixture(scope="module")
def index() -> HomeIndex:
    return HomeIndex(load_home_or_demo(None))


def _kinds(index: HomeIndex, text: str) -> list[tuple[str, set[str]]]:
    mentions, _ = index.scan(index.correct(tokenize(normalize(text))))
    return [(m.text, {k for k, _ in m.meanings}) for m in mentions]


def test_longest_name_wins(index: HomeIndex) -> None:
    found = _kinds(index, "打开卧室空调")
    assert found[1] == ("卧室空调", {"device"})


def test_segmentation_prefers_full_cover(index: HomeIndex) -> None:
    # "把门锁上" is "门 | 锁上" (door, lock), not "门锁 | 上".
    texts = [t for t, _ in _kinds(index, "把门锁上")]
    assert texts == ["门", "锁上"]


def test_core_names_drop_the_area(index: HomeIndex) -> None:
    mentions, _ = index.scan(tokenize("吊灯"))
    cores = {v for k, v in mentions[0].meanings if k == "core"}
    assert {"master_ceiling_light", "living_ceiling_light", "study_ceiling_light"} <= cores


def test_typos_are_corrected(index: HomeIndex) -> None:
    assert index.correct(["turn", "on", "the", "kitchn", "ligth"]) == ["turn", "on", "the", "kitchen", "light"]


def test_unknown_words_are_reported(index: HomeIndex) -> None:
    raw = tokenize(normalize("turn on the zorbulator please"))
    _, unmatched = index.scan(raw)
    assert "zorbulator" in index.unknown_words(raw, unmatched)
