"""Accuracy of `hearth ask --batch` on the third blind corpus: three homes unlike the demo household.

tests/copilot/blind3/ holds `shanghai.yaml` (a flat whose names are only Chinese), `ranch.yaml` (a house whose
names are only English, two electric cars, a hot tub and sprinklers) and `tinyhome.yaml` (six devices with pet
names, no car), each with sentences in both languages: people address a home in the other language with its
own names or with ordinary words. The line format and the scorer are those of tests/copilot/test_corpus.py.
The checks on the files always run; the `hearth ask` run is opt-in (marker `corpus`):
`HEARTH_CORPUS=1 .venv/bin/python -m pytest tests/copilot/test_blind3.py -s`. `HEARTH_BLIND_MIN` (default 0.0)
is the minimum status accuracy and full correctness. A crash, malformed output, a line-count mismatch or any
`error` status always fails. The report goes to `.hearth/blind3_report.json`.
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
BLIND3 = Path(__file__).resolve().parent / "blind3"
REPORT = ROOT / ".hearth" / "blind3_report.json"
FILES: dict[str, tuple[str, int]] = {  # corpus file → (home file, minimum number of lines)
    "shanghai_zh.jsonl": ("shanghai.yaml", 200),
    "shanghai_en.jsonl": ("shanghai.yaml", 60),
    "ranch_en.jsonl": ("ranch.yaml", 200),
    "ranch_zh.jsonl": ("ranch.yaml", 60),
    "tinyhome_en.jsonl": ("tinyhome.yaml", 50),
    "tinyhome_zh.jsonl": ("tinyhome.yaml", 50),
}
CATEGORIES = frozenset({"command", "relative", "multi", "query", "impossible", "ambiguous", "risky", "unrelated"})
TRIGGERS = frozenset({"motor-control"})  # writing the current value still does something (stops a motor)
CJK = re.compile(r"[\u4e00-\u9fff]")
LATIN = re.compile(r"[A-Za-z]")


def _home(name: str) -> Home:
    return load_home(BLIND3 / FILES[name][0])


# ---- the files themselves (always run) ----


def _no_ops(where: str, item: Mapping[str, Any], home: Home) -> list[str]:
    """Required commands that would not change anything, and vague changes with no room to move."""
    exp = item["expect"]
    if exp.get("status") != "done":
        return []
    before = state_after_setup(home, item.get("setup") or [])
    areas = _area_keys(home)
    problems = []
    for option in [exp.get("commands", []), *exp.get("alternatives", [])]:
        for cmd in (canonical(c, home) for c in option):
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


def _language(where: str, name: str, text: str) -> list[str]:
    """Chinese files are written in Chinese; English files in English (home names may be embedded)."""
    if name.endswith("_zh.jsonl") and not CJK.search(text):
        return [f"{where}: a Chinese line without Chinese"]
    if name.endswith("_en.jsonl") and not LATIN.search(text):
        return [f"{where}: an English line without English"]
    return []


@pytest.mark.parametrize("name", sorted(FILES))
def test_blind3_file_is_valid(name: str) -> None:
    """Every line names real devices, writable properties and valid values, and every change is a real one."""
    home = _home(name)
    items = read_jsonl(BLIND3 / name)
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


def test_blind3_homes_are_what_they_claim() -> None:
    """Shanghai names are only Chinese, ranch names only English; two cars at the ranch, none in the tiny home."""
    shanghai, ranch, tiny = (load_home(BLIND3 / f) for f in ("shanghai.yaml", "ranch.yaml", "tinyhome.yaml"))

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
def test_ask_accuracy_on_blind3_corpus(tmp_path: Path) -> None:
    """Run every blind3 file through `hearth ask --batch`, report accuracy, enforce the threshold."""
    minimum = _env_float("HEARTH_BLIND_MIN")
    per_file: dict[str, list[Scored]] = {}
    started = time.perf_counter()
    for name, (home_file, _) in FILES.items():
        home = load_home(BLIND3 / home_file)
        items = read_jsonl(BLIND3 / name)
        workdir = tmp_path / name.removesuffix(".jsonl")
        workdir.mkdir()
        outputs = run_batch(BLIND3 / home_file, items, workdir)
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
