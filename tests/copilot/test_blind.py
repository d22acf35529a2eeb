"""Accuracy of `hearth ask --batch` on the blind corpus: two homes and sentences kept apart from the main corpus.

The files in tests/copilot/blind/ (`villa.yaml`, `studio.yaml` and one English and one Chinese JSONL file for
each) use the same line format and the same scorer as tests/copilot/test_corpus.py (tests/copilot/scoring.py).
The checks on the files themselves always run; the `hearth ask` run is opt-in (marker `corpus`):
`HEARTH_CORPUS=1 .venv/bin/python -m pytest tests/copilot/test_blind.py -s`. `HEARTH_BLIND_MIN` (default 0.0)
is the minimum status accuracy and full correctness; `HEARTH_BLIND_MIN_REFUSED` (default 0.0) the minimum share
of impossible requests refused. A crash, malformed output or a line-count mismatch always fails. The report
goes to `.hearth/blind_report.json`.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from hearth.model import load_home
from tests.copilot.heldout import ROOT, HeldOut, check_file, run_accuracy

BLIND = HeldOut(
    folder=Path(__file__).resolve().parent / "blind",
    files={  # corpus file → (home file, minimum number of lines)
        "villa_en.jsonl": ("villa.yaml", 150),
        "villa_zh.jsonl": ("villa.yaml", 150),
        "studio_en.jsonl": ("studio.yaml", 60),
        "studio_zh.jsonl": ("studio.yaml", 60),
    },
    report=ROOT / ".hearth" / "blind_report.json",
    minimum_env="HEARTH_BLIND_MIN",
    refused_env="HEARTH_BLIND_MIN_REFUSED",
)


# ---- the files themselves (always run) ----


@pytest.mark.parametrize("name", sorted(BLIND.files))
def test_blind_file_is_valid(name: str) -> None:
    """Every line names real devices, writable properties and valid values, and every change is a real one."""
    problems = check_file(BLIND, name, strict=False)
    assert not problems, "\n".join(problems)


def test_blind_homes_differ_from_the_demo() -> None:
    """The villa has floors, two cars and a custom type; the studio has no car and one person."""
    villa, studio = load_home(BLIND.folder / "villa.yaml"), load_home(BLIND.folder / "studio.yaml")
    assert len(villa.floors) == 3
    assert sum(d.type == "car" for d in villa.devices.values()) == 2
    assert villa.types and studio.types
    assert not any(d.type == "car" for d in studio.devices.values()) and len(studio.people) == 1


# ---- running hearth ask (opt-in) ----


@pytest.mark.corpus
def test_ask_accuracy_on_blind_corpus(tmp_path: Path) -> None:
    """Run every blind file through `hearth ask --batch`, report accuracy, enforce the thresholds."""
    run_accuracy(BLIND, tmp_path)
