"""Accuracy of `hearth ask --batch` on the fourth blind corpus: two homes set up the way people set up theirs.

tests/copilot/blind4/ holds `beijing.yaml` (a family flat named the Mi Home way: 客厅主灯, 小爱音箱, 米家扫地机,
a 小米SU7 called 车, people called 老公/老婆/儿子/妈 and a custom aquarium) and `portland.yaml` (a US house named
the Google Home / Alexa way: "Kitchen Lights", "Nest Thermostat", "Roomba", a Tesla and a custom hot tub), each
with sentences in both languages. Line format and scorer are those of tests/copilot/test_corpus.py; the file
checks are those of tests/copilot/test_blind3.py. The checks on the files always run; the `hearth ask` run is
opt-in (marker `corpus`): `HEARTH_CORPUS=1 .venv/bin/python -m pytest tests/copilot/test_blind4.py -s`.
`HEARTH_BLIND_MIN` (default 0.0) is the minimum status accuracy and full correctness. A crash, malformed
output, a line-count mismatch or any `error` status always fails. The report goes to
`.hearth/blind4_report.json`.
"""

from __future__ import annotations

import json
import time
from collections import Counter, defaultdict
from dataclasses import asdict
from pathlib import Path

import pytest

from hearth.model import Home, load_home
from tests.copilot.test_blind3 import CATEGORIES, CJK, _language, _no_ops, _pattern, _print_failures
from tests.copilot.test_corpus import (
    Scored,
    _area_keys,
    _env_float,
    _table,
    check_corpus,
    read_jsonl,
    run_batch,
    score,
    summarise,
)

ROOT = Path(__file__).resolve().parents[2]
BLIND4 = Path(__file__).resolve().parent / "blind4"
REPORT = ROOT / ".hearth" / "blind4_report.json"
FILES: dict[str, tuple[str, int]] = {  # corpus file → (home file, minimum number of lines)
    "beijing_zh.jsonl": ("beijing.yaml", 150),
    "beijing_en.jsonl": ("beijing.yaml", 50),
    "portland_en.jsonl": ("portland.yaml", 150),
    "portland_zh.jsonl": ("portland.yaml", 50),
}


def _home(name: str) -> Home:
    return load_home(BLIND4 / FILES[name][0])


# ---- the files themselves (always run) ----


@pytest.mark.parametrize("name", sorted(FILES))
def test_blind4_file_is_valid(name: str) -> None:
    """Every line names real devices, writable properties and valid values, and every change is a real one."""
    home = _home(name)
    items = read_jsonl(BLIND4 / name)
    stem = name.removesuffix(".jsonl").replace("_", "-")
    problems = check_corpus(name, items, home)
    if len(items) < FILES[name][1]:
        problems.append(f"{name}: {len(items)} lines, want at least {FILES[name][1]}")
    texts = Counter(str(item.get("text")) for item in items)
    problems += [f"{name}: the sentence {t!r} appears {n} times" for t, n in texts.items() if n > 1]
    for item in items:
        where = f"{name}:{item.get('id')}"
        parts = str(item.get("id", "")).removeprefix(stem + "-").split("-")
        if not str(item.get("id", "")).startswith(stem + "-") or len(parts) != 2 or parts[0] not in CATEGORIES:
            problems.append(f"{where}: ids look like {stem}-<category>-NNN with a category in {sorted(CATEGORIES)}")
        problems += _language(where, name, str(item.get("text")))
        if isinstance(item.get("expect"), dict):
            problems += _no_ops(where, item, home)
    statuses = Counter(item["expect"]["status"] for item in items if isinstance(item.get("expect"), dict))
    missing = {"done", "answered", "clarify", "refused", "unsupported"} - set(statuses)
    if missing:
        problems.append(f"{name}: no line expects {sorted(missing)}")
    assert not problems, "\n".join(problems)


def test_blind4_homes_are_what_they_claim() -> None:
    """Beijing is named in Chinese with a car called 车 and an aquarium; Portland only in English, with a Tesla."""
    beijing, portland = (load_home(BLIND4 / f) for f in ("beijing.yaml", "portland.yaml"))
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
    minimum = _env_float("HEARTH_BLIND_MIN")
    per_file: dict[str, list[Scored]] = {}
    started = time.perf_counter()
    for name, (home_file, _) in FILES.items():
        home = load_home(BLIND4 / home_file)
        items = read_jsonl(BLIND4 / name)
        workdir = tmp_path / name.removesuffix(".jsonl")
        workdir.mkdir()
        outputs = run_batch(BLIND4 / home_file, items, workdir)
        areas = _area_keys(home)
        per_file[name] = [score(item, out, home, areas) for item, out in zip(items, outputs, strict=True)]
    elapsed = time.perf_counter() - started
    everything = [r for rs in per_file.values() for r in rs]
    rows = {name: summarise(rs) for name, rs in per_file.items()} | {"ALL": summarise(everything)}
    by_category: dict[str, list[Scored]] = defaultdict(list)
    for r in everything:
        by_category[r.category].append(r)
    failures = [r for r in everything if not r.full_ok]
    patterns = Counter(_pattern(r) for r in failures)
    report = {
        "generated_at": time.strftime("%Y-%m-%dT%H:%M:%S"),
        "seconds": round(elapsed, 3),
        "thresholds": {"HEARTH_BLIND_MIN": minimum},
        "files": rows,
        "categories": {c: summarise(rs) for c, rs in sorted(by_category.items())},
        "patterns": dict(patterns.most_common()),
        "failures": [asdict(r) for r in failures],
    }
    REPORT.parent.mkdir(parents=True, exist_ok=True)
    REPORT.write_text(json.dumps(report, ensure_ascii=False, indent=1), encoding="utf-8")

    print("\n" + _table(rows))
    print(f"{len(everything)} utterances in {elapsed:.1f}s; report: {REPORT}")
    print("\nby category:")
    for cat, rs in sorted(by_category.items()):
        m = summarise(rs)
        print(f"  {cat:<12}{m['n']:>5}{m['status_accuracy']:>9.1%}{m['full_accuracy']:>9.1%}")
    print("\nfailure patterns:")
    for pattern, n in patterns.most_common():
        print(f"  {n:>4}  {pattern}")
    _print_failures(failures)

    total = rows["ALL"]
    assert total["errors"] == 0, f"{total['errors']} utterances ended in status 'error'"
    assert total["status_accuracy"] >= minimum, f"status accuracy {total['status_accuracy']:.1%} < {minimum:.1%}"
    assert total["full_accuracy"] >= minimum, f"full accuracy {total['full_accuracy']:.1%} < {minimum:.1%}"
