"""Accuracy of `hearth ask --batch` on the fourth blind corpus: two homes set up the way people set up theirs.

tests/copilot/blind4/ holds `beijing.yaml` (a family flat named the Mi Home way: 客厅主灯, 小爱音箱, 米家扫地机,
a 小米SU7 called 车, people called 老公/老婆/儿子/妈 and a custom aquarium) and `portland.yaml` (a US house named
the Google Home / Alexa way: "Kitchen Lights", "Nest Thermostat", "Roomba", a Tesla and a custom hot tub), each
with sentences in both languages. Line format and scorer are those of tests/copilot/test_corpus.py
(tests/copilot/scoring.py); the file checks are the strict ones of tests/copilot/heldout.py, as for
tests/copilot/test_blind3.py. The checks on the files always run; the `hearth ask` run is opt-in (marker
`corpus`): `HEARTH_CORPUS=1 .venv/bin/python -m pytest tests/copilot/test_blind4.py -s`. `HEARTH_BLIND_MIN`
(default 0.0) is the minimum status accuracy and full correctness. A crash, malformed output, a line-count
mismatch or any `error` status always fails. The report goes to `.hearth/blind4_report.json`.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from hearth.model import load_home
from tests.copilot.heldout import CJK, ROOT, HeldOut, check_file, run_accuracy

BLIND4 = HeldOut(
    folder=Path(__file__).resolve().parent / "blind4",
    files={  # corpus file → (home file, minimum number of lines)
        "beijing_zh.jsonl": ("beijing.yaml", 150),
        "beijing_en.jsonl": ("beijing.yaml", 50),
        "portland_en.jsonl": ("portland.yaml", 150),
        "portland_zh.jsonl": ("portland.yaml", 50),
    },
    report=ROOT / ".hearth" / "blind4_report.json",
    minimum_env="HEARTH_BLIND_MIN",
)


# ---- the files themselves (always run) ----


@pytest.mark.parametrize("name", sorted(BLIND4.files))
def test_blind4_file_is_valid(name: str) -> None:
    """Every line names real devices, writable properties and valid values, and every change is a real one."""
    problems = check_file(BLIND4, name, strict=True)
    assert not problems, "\n".join(problems)


def test_blind4_homes_are_what_they_claim() -> None:
    """Beijing is named in Chinese with a car called 车 and an aquarium; Portland only in English, with a Tesla."""
    beijing, portland = (load_home(BLIND4.folder / f) for f in ("beijing.yaml", "portland.yaml"))
    assert all(CJK.search(d.name) for d in beijing.devices.values())
    assert {p.name for p in beijing.people.values()} == {"老公", "老婆", "儿子", "妈"}
    cars = [d for d in beijing.devices.values() if d.type == "car"]
    assert len(cars) == 1 and "车" in cars[0].aliases and "aquarium" in beijing.types
    things = [*portland.areas.values(), *portland.devices.values(), *portland.zones.values()]
    assert not any(CJK.search(w) for t in things if t.id != "home" for w in (t.name, *t.aliases))
    assert [d.name for d in portland.devices.values() if d.type == "car"] == ["Tesla"]
    assert "hot-tub" in portland.types and portland.devices["thermostat"].type == "air-conditioner"


# ---- running hearth ask (opt-in) ----


@pytest.mark.corpus
def test_ask_accuracy_on_blind4_corpus(tmp_path: Path) -> None:
    """Run every blind4 file through `hearth ask --batch`, report accuracy, enforce the threshold."""
    run_accuracy(BLIND4, tmp_path)
