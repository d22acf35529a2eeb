"""Accuracy of `hearth ask --batch` on the hand-written bilingual corpus in tests/copilot/corpus/.

Opt-in (marker `corpus`): run with `HEARTH_CORPUS=1 .venv/bin/python -m pytest tests/copilot/test_corpus.py -s`
or `pytest -m corpus`. Thresholds come from the environment: `HEARTH_CORPUS_MIN` (status accuracy and full
correctness, default 0.0) and `HEARTH_CORPUS_MIN_REFUSED` (share of impossible requests refused, default 0.0).
A missing `hearth ask`, a crash, malformed JSON or a line-count mismatch always fails. The line format and the
scorer are in tests/copilot/scoring.py, the run and the report in tests/copilot/heldout.py; the report goes to
`.hearth/corpus_report.json`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from hearth.model import load_home
from tests.copilot.heldout import ROOT, HeldOut, run_accuracy
from tests.copilot.scoring import area_keys, category, check_corpus, score, values_equal

pytestmark = pytest.mark.corpus

DEMO_HOME = ROOT / "src" / "hearth" / "data" / "demo_home.yaml"
CORPUS = HeldOut(
    folder=Path(__file__).resolve().parent / "corpus",
    files={  # corpus file → (home file, minimum number of lines)
        "demo_en.jsonl": (DEMO_HOME, 250),
        "demo_zh.jsonl": (DEMO_HOME, 250),
        "other_en.jsonl": ("other_home.yaml", 80),
        "other_zh.jsonl": ("other_home.yaml", 80),
    },
    report=ROOT / ".hearth" / "corpus_report.json",
    minimum_env="HEARTH_CORPUS_MIN",
    refused_env="HEARTH_CORPUS_MIN_REFUSED",
    errors_fail=False,
    details=False,
)


def test_corpus_files_are_valid() -> None:
    """Every corpus line names real devices, services, properties and valid values of its home."""
    problems: list[str] = []
    for name, (_, minimum) in CORPUS.files.items():
        items = CORPUS.items(name)
        if len(items) < minimum:
            problems.append(f"{name}: {len(items)} lines, want at least {minimum}")
        problems += check_corpus(name, items, CORPUS.home(name))
    assert not problems, "\n".join(problems)


def test_ask_accuracy_on_corpus(tmp_path: Path) -> None:
    """Run every corpus file through `hearth ask --batch`, report accuracy, enforce the thresholds."""
    run_accuracy(CORPUS, tmp_path)


# ---- the scorer itself (pure, no `hearth ask` needed) ----


def _set(device: str, service: str, prop: str, value: Any) -> dict[str, Any]:
    return {"device": device, "service": service, "property": prop, "value": value}


def test_scorer_accepts_equivalent_and_rejects_wrong_commands() -> None:
    """Order, cover equivalences, optional commands and area aliases count; wrong values and extras do not."""
    home = load_home(DEMO_HOME)
    areas = area_keys(home)
    sweep = {"device": "vacuum", "service": "vacuum", "action": "start-room-sweep"}
    kitchen_on, porch_on = _set("kitchen_light", "light", "on", True), _set("porch_light", "light", "on", True)
    item = {"id": "t-en-cover-001", "text": "x", "expect": {"status": "done", "commands_optional": [kitchen_on],
            "commands": [_set("living_curtain", "curtain", "target-position", 100),
                         {**sweep, "args": {"clean-area": "kids_room"}}]}}
    good = [{**sweep, "args": {"clean-area": "儿童房"}}, _set("living_curtain", "curtain", "motor-control", "Open")]
    assert score(item, {"status": "done", "commands": good}, home, areas).full_ok
    assert score(item, {"status": "done", "commands": [*good, kitchen_on]}, home, areas).full_ok
    wrong = [good[0], _set("living_curtain", "curtain", "target-position", 50)]
    assert not score(item, {"status": "done", "commands": wrong}, home, areas).full_ok
    assert not score(item, {"status": "done", "commands": [*good, porch_on]}, home, areas).full_ok
    assert not score(item, {"status": "clarify", "commands": []}, home, areas).status_ok
    risky = {"id": "t-en-risky-001", "text": "x", "expect": {"status": "clarify"}}
    pending = _set("front_door_lock", "lock", "locked", False)
    asked = {"status": "clarify", "commands": [pending], "changes": []}
    assert score(risky, asked, home, areas).full_ok
    assert not score(risky, {**asked, "changes": [{**pending, "old": True, "new": False}]}, home, areas).full_ok


def test_scorer_directions_answers_and_numbers() -> None:
    """Vague changes are judged by direction from the state after setup; answers by substrings."""
    home = load_home(DEMO_HOME)
    areas = area_keys(home)
    down = {"device": "hallway_light", "service": "light", "property": "brightness", "direction": "down"}
    dim = {"id": "t-en-relative-001", "text": "x", "setup": [_set("hallway_light", "light", "on", True)],
           "expect": {"status": "done", "changes_direction": [down]}}
    for value, ok in ((45, True), (75, False)):
        got = {"status": "done", "commands": [_set("hallway_light", "light", "brightness", value)]}
        assert score(dim, got, home, areas).full_ok is ok
    ask = {"id": "t-en-query-001", "text": "x", "expect": {
        "status": "answered", "answer_contains": ["locked"], "answer_not_contains": ["unlocked"]}}
    assert score(ask, {"status": "answered", "reply": "The front door is Locked."}, home, areas).full_ok
    assert not score(ask, {"status": "answered", "reply": "The front door is unlocked."}, home, areas).full_ok
    assert values_equal(26, 26.0000001, areas) and not values_equal(26, 26.1, areas)
    assert not values_equal(True, 1, areas) and values_equal("Cool", "cool", areas)
    assert category("demo-zh-multi-004") == "multi"
