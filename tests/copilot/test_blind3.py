"""Accuracy of `hearth ask --batch` on the third blind corpus: three homes unlike the demo household.

tests/copilot/blind3/ holds `shanghai.yaml` (a flat whose names are only Chinese), `ranch.yaml` (a house whose
names are only English, two electric cars, a hot tub and sprinklers) and `tinyhome.yaml` (six devices with pet
names, no car), each with sentences in both languages: people address a home in the other language with its
own names or with ordinary words. The line format and the scorer are those of tests/copilot/test_corpus.py
(tests/copilot/scoring.py); the files get the strict checks of tests/copilot/heldout.py. The checks on the
files always run; the `hearth ask` run is opt-in (marker `corpus`):
`HEARTH_CORPUS=1 .venv/bin/python -m pytest tests/copilot/test_blind3.py -s`. `HEARTH_BLIND_MIN` (default 0.0)
is the minimum status accuracy and full correctness. A crash, malformed output, a line-count mismatch or any
`error` status always fails. The report goes to `.hearth/blind3_report.json`.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from hearth.model import Home, load_home
from tests.copilot.heldout import CJK, ROOT, HeldOut, check_file, run_accuracy

BLIND3 = HeldOut(
    folder=Path(__file__).resolve().parent / "blind3",
    files={  # corpus file → (home file, minimum number of lines)
        "shanghai_zh.jsonl": ("shanghai.yaml", 200),
        "shanghai_en.jsonl": ("shanghai.yaml", 60),
        "ranch_en.jsonl": ("ranch.yaml", 200),
        "ranch_zh.jsonl": ("ranch.yaml", 60),
        "tinyhome_en.jsonl": ("tinyhome.yaml", 50),
        "tinyhome_zh.jsonl": ("tinyhome.yaml", 50),
    },
    report=ROOT / ".hearth" / "blind3_report.json",
    minimum_env="HEARTH_BLIND_MIN",
)


# ---- the files themselves (always run) ----


@pytest.mark.parametrize("name", sorted(BLIND3.files))
def test_blind3_file_is_valid(name: str) -> None:
    """Every line names real devices, writable properties and valid values, and every change is a real one."""
    problems = check_file(BLIND3, name, strict=True)
    assert not problems, "\n".join(problems)


def test_blind3_homes_are_what_they_claim() -> None:
    """Shanghai names are only Chinese, ranch names only English; two cars at the ranch, none in the tiny home."""
    shanghai, ranch, tiny = (load_home(BLIND3.folder / f) for f in ("shanghai.yaml", "ranch.yaml", "tinyhome.yaml"))

    def names(home: Home) -> list[str]:
        things = [*home.areas.values(), *home.devices.values(), *home.zones.values()]
        return [w for t in things if t.id != "home" for w in (t.name, *t.aliases)]

    assert all(CJK.search(w) for w in names(shanghai)), [w for w in names(shanghai) if not CJK.search(w)]
    assert not any(CJK.search(w) for w in names(ranch))
    assert sum(d.type == "car" for d in ranch.devices.values()) == 2
    assert sum(d.type == "air-conditioner" for d in ranch.devices.values()) == 2
    assert {"hot-tub", "sprinkler"} <= set(ranch.types) and {"dehumidifier", "aroma-diffuser"} <= set(shanghai.types)
    tiny_devices = [d for d in tiny.devices.values() if d.type != "person"]
    assert len(tiny_devices) == 6 and not any(d.type == "car" for d in tiny_devices)


# ---- running hearth ask (opt-in) ----


@pytest.mark.corpus
def test_ask_accuracy_on_blind3_corpus(tmp_path: Path) -> None:
    """Run every blind3 file through `hearth ask --batch`, report accuracy, enforce the threshold."""
    run_accuracy(BLIND3, tmp_path)
