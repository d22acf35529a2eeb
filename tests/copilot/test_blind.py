"""Accuracy of `hearth ask --batch` on the blind corpus: two homes and sentences kept apart from the main corpus.

The files in tests/copilot/blind/ (`villa.yaml`, `studio.yaml` and one English and one Chinese JSONL file for
each) use the same line format and the same scorer as tests/copilot/test_corpus.py. The checks on the files
themselves always run; the `hearth ask` run is opt-in (marker `corpus`):
`HEARTH_CORPUS=1 .venv/bin/python -m pytest tests/copilot/test_blind.py -s`. `HEARTH_BLIND_MIN` (default 0.0)
is the minimum status accuracy and full correctness; `HEARTH_BLIND_MIN_REFUSED` (default 0.0) the minimum share
of impossible requests refused. A crash, malformed output or a line-count mismatch always fails. The report
goes to `.hearth/blind_report.json`.
"""

from __future__ import annotations

import json
import re
import time
from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any

import pytest

from hearth.model import Home, load_home
from tests.copilot.test_corpus import (
    Scored,
    _area_keys,
    _env_float,
    _is_number,
    _table,
    canonical,
    check_corpus,
    read_jsonl,
    run_batch,
    score,
    state_after_setup,
    summarise,
    values_equal,
)

ROOT = Path(__file__).resolve().parents[2]
BLIND = Path(__file__).resolve().parent / "blind"
REPORT = ROOT / ".hearth" / "blind_report.json"
FILES: dict[str, tuple[str, int]] = {  # corpus file → (home file, minimum number of lines)
    "villa_en.jsonl": ("villa.yaml", 150),
    "villa_zh.jsonl": ("villa.yaml", 150),
    "studio_en.jsonl": ("studio.yaml", 60),
    "studio_zh.jsonl": ("studio.yaml", 60),
}
TRIGGERS = frozenset({"motor-control"})  # writing the current value still does something (stops a motor)
CJK = re.compile(r"[\u4e00-\u9fff]")


def _home(name: str) -> Home:
    return load_home(BLIND / FILES[name][0])


# ---- the files themselves (always run) ----


def _no_ops(where: str, item: Mapping[str, Any], home: Home) -> list[str]:
    """Required commands that would not change anything, and vague changes with no room to move."""
    exp = item["expect"]
    if exp.get("status") != "done":
        return []
    before = state_after_setup(home, item.get("setup") or [])
    areas = _area_keys(home)
    problems = []
    for cmd in (canonical(c, home) for c in exp.get("commands", [])):
        key = (cmd["device"], cmd["service"], cmd["property"])
        if cmd["action"] is None and cmd["property"] not in TRIGGERS and key in before and values_equal(
            cmd["value"], before[key], areas
        ):
            problems.append(f"{where}: {'.'.join(key)} is already {before[key]!r}; the command changes nothing")
    for d in exp.get("changes_direction", []):
        dev = home.devices[d["device"]]
        prop = dev.spec.property(d["service"], d["property"])
        value = before[(d["device"], d["service"], d["property"])]
        edge = None if prop.range is None else (prop.range.max if d["direction"] == "up" else prop.range.min)
        if not _is_number(value) or value == edge:
            problems.append(f"{where}: {d['property']} = {value!r} cannot move {d['direction']}")
    return problems


@pytest.mark.parametrize("name", sorted(FILES))
def test_blind_file_is_valid(name: str) -> None:
    """Every line names real devices, writable properties and valid values, and every change is a real one."""
    home = _home(name)
    items = read_jsonl(BLIND / name)
    stem = name.removesuffix(".jsonl").replace("_", "-")
    problems = check_corpus(name, items, home)
    if len(items) < FILES[name][1]:
        problems.append(f"{name}: {len(items)} lines, want at least {FILES[name][1]}")
    for item in items:
        where = f"{name}:{item.get('id')}"
        if not str(item.get("id", "")).startswith(stem + "-") or len(str(item["id"]).split("-")) != 4:
            problems.append(f"{where}: ids look like {stem}-<category>-NNN")
        if name.endswith("_zh.jsonl") and not CJK.search(str(item.get("text"))):
            problems.append(f"{where}: a Chinese line without Chinese")
        if isinstance(item.get("expect"), dict):
            problems += _no_ops(where, item, home)
    statuses = Counter(item["expect"]["status"] for item in items if isinstance(item.get("expect"), dict))
    missing = {"done", "answered", "clarify", "refused", "unsupported"} - set(statuses)
    if missing:
        problems.append(f"{name}: no line expects {sorted(missing)}")
    assert not problems, "\n".join(problems)


def test_blind_homes_differ_from_the_demo() -> None:
    """The villa has floors, two cars and a custom type; the studio has no car and one person."""
    villa, studio = load_home(BLIND / "villa.yaml"), load_home(BLIND / "studio.yaml")
    assert len(villa.floors) == 3
    assert sum(d.type == "car" for d in villa.devices.values()) == 2
    assert villa.types and studio.types
    assert not any(d.type == "car" for d in studio.devices.values()) and len(studio.people) == 1


# ---- running hearth ask (opt-in) ----


def _pattern(r: Scored) -> str:
    """A coarse failure pattern: expected status → got status, or what went wrong within the right status."""
    if not r.status_ok:
        return f"{r.category}: expected {r.expected_status}, got {r.got_status}"
    return f"{r.category}: {r.expected_status} with wrong {'answer' if r.expected_status == 'answered' else 'commands'}"


def _print_failures(failures: Sequence[Scored]) -> None:
    print(f"\n{len(failures)} failures:")
    for r in failures:
        exp = {k: v for k, v in r.expected.items() if k != "intent"}
        print(f"- {r.id} {r.text!r}\n    expected {json.dumps(exp, ensure_ascii=False)}"
              f"\n    got {r.got_status} {json.dumps(r.got_commands, ensure_ascii=False)} reply={r.reply!r}")


@pytest.mark.corpus
def test_ask_accuracy_on_blind_corpus(tmp_path: Path) -> None:
    """Run every blind file through `hearth ask --batch`, report accuracy, enforce the thresholds."""
    minimum, minimum_refused = _env_float("HEARTH_BLIND_MIN"), _env_float("HEARTH_BLIND_MIN_REFUSED")
    per_file: dict[str, list[Scored]] = {}
    started = time.perf_counter()
    for name, (home_file, _) in FILES.items():
        home = load_home(BLIND / home_file)
        items = read_jsonl(BLIND / name)
        workdir = tmp_path / name.removesuffix(".jsonl")
        workdir.mkdir()
        outputs = run_batch(BLIND / home_file, items, workdir)
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
        "thresholds": {"HEARTH_BLIND_MIN": minimum, "HEARTH_BLIND_MIN_REFUSED": minimum_refused},
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
    assert total["refused_rate"] >= minimum_refused, (
        f"impossible requests refused {total['refused_rate']:.1%} < {minimum_refused:.1%}"
    )
