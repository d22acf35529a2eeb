"""Held-out sentence corpora: run `hearth ask --batch` over each file against its home, score, report, check files.

A corpus (`HeldOut`) is a folder of JSONL files in the format of tests/copilot/scoring.py, each read against its
home file. `run_accuracy` runs every file, prints the per-file table, writes the JSON report and enforces the
thresholds named by environment variables; `check_file` finds the problems in one file of a corpus.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import time
from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from hearth.model import Home, load_home
from tests.copilot.scoring import (
    STATUSES,
    Scored,
    area_keys,
    canonical,
    check_corpus,
    is_number,
    read_jsonl,
    score,
    state_after_setup,
    values_equal,
)

ROOT = Path(__file__).resolve().parents[2]
HEARTH = ROOT / ".venv" / "bin" / "hearth"
OUTPUT_KEYS = ("text", "lang", "status", "intent", "slots", "commands", "changes", "reply")
CATEGORIES = frozenset({"command", "relative", "multi", "query", "impossible", "ambiguous", "risky", "unrelated"})
TRIGGERS = frozenset({"motor-control"})  # writing the current value still does something (stops a motor)
CJK = re.compile(r"[\u4e00-\u9fff]")
LATIN = re.compile(r"[A-Za-z]")
TIMEOUT_S = 600


@dataclass(frozen=True, slots=True)
class HeldOut:
    """A corpus: its folder, its files with their homes and minimum lengths, its report and thresholds."""

    folder: Path
    files: Mapping[str, tuple[str | Path, int]]  # corpus file → (home file in the folder or absolute, minimum lines)
    report: Path
    minimum_env: str  # minimum status accuracy and full correctness
    refused_env: str | None = None  # minimum share of impossible requests refused
    errors_fail: bool = True  # any `error` status fails the run
    details: bool = True  # print and report accuracy by category and failure patterns

    def home_path(self, name: str) -> Path:
        """The home file a corpus file is read against."""
        return self.folder / self.files[name][0]

    def home(self, name: str) -> Home:
        """The home a corpus file is read against."""
        return load_home(self.home_path(name))

    def items(self, name: str) -> list[dict[str, Any]]:
        """The lines of one corpus file."""
        return read_jsonl(self.folder / name)


# ---- running hearth ask ----


def check_output_line(n: int, obj: Any, sent_text: str) -> list[str]:
    """Contract violations in one output object of `hearth ask --batch`."""
    if not isinstance(obj, dict):
        return [f"line {n}: not a JSON object"]
    problems = [f"line {n}: missing key {k!r}" for k in OUTPUT_KEYS if k not in obj]
    if obj.get("status") not in STATUSES | {"error"}:
        problems.append(f"line {n}: bad status {obj.get('status')!r}")
    if obj.get("text") != sent_text:
        problems.append(f"line {n}: text {obj.get('text')!r} is not the input {sent_text!r} (order lost?)")
    commands = obj.get("commands")
    if not isinstance(commands, list):
        problems.append(f"line {n}: commands must be a list")
        return problems
    for c in commands:
        ok = isinstance(c, dict) and {"device", "service"} <= set(c) and (
            ("property" in c and "value" in c) or ("action" in c and isinstance(c.get("args", {}), dict))
        )
        if not ok:
            problems.append(f"line {n}: malformed command {c!r}")
    return problems


def run_batch(home_path: Path, items: Sequence[Mapping[str, Any]], workdir: Path) -> list[dict[str, Any]]:
    """Run `hearth ask --home FILE --batch IN.jsonl` on the items (without their expectations)."""
    assert HEARTH.exists(), f"{HEARTH} is missing: install Hearth into .venv (make setup)"
    batch = workdir / "in.jsonl"
    with batch.open("w", encoding="utf-8") as f:
        for item in items:
            sent = {k: item[k] for k in ("id", "text", "setup") if k in item}
            f.write(json.dumps(sent, ensure_ascii=False) + "\n")
    cmd = [str(HEARTH), "ask", "--home", str(home_path), "--batch", str(batch)]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=TIMEOUT_S, cwd=ROOT, check=False)
    assert proc.returncode == 0, (
        f"`{' '.join(cmd)}` exited with {proc.returncode}\n"
        f"stderr:\n{proc.stderr[-3000:]}\nstdout:\n{proc.stdout[-1000:]}"
    )
    lines = [line for line in proc.stdout.splitlines() if line.strip()]
    assert len(lines) == len(items), f"{len(items)} utterances in, {len(lines)} lines out"
    outputs, problems = [], []
    for n, (line, item) in enumerate(zip(lines, items, strict=True), 1):
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as exc:
            problems.append(f"line {n}: not JSON ({exc}): {line[:200]}")
            continue
        problems += check_output_line(n, obj, item["text"])
        outputs.append(obj)
    assert not problems, "malformed `hearth ask` output:\n" + "\n".join(problems[:50])
    return outputs


def _share(hits: int, total: int) -> float:
    return hits / total if total else 1.0


def summarise(results: Sequence[Scored]) -> dict[str, Any]:
    """Counts and rates for a set of scored utterances."""
    refusals = [r for r in results if r.expected_status == "refused"]
    intents = [r for r in results if r.intent_ok is not None]
    return {
        "n": len(results),
        "status_accuracy": _share(sum(r.status_ok for r in results), len(results)),
        "full_accuracy": _share(sum(r.full_ok for r in results), len(results)),
        "impossible": len(refusals),
        "refused_rate": _share(sum(r.got_status == "refused" for r in refusals), len(refusals)),
        "intent_accuracy": _share(sum(bool(r.intent_ok) for r in intents), len(intents)),
        "errors": sum(r.got_status == "error" for r in results),
    }


def table(rows: Mapping[str, Mapping[str, Any]]) -> str:
    head = f"{'file':<16}{'n':>5}{'status':>9}{'full':>9}{'refused':>9}{'intent':>9}{'errors':>8}"
    lines = [head, "-" * len(head)]
    for name, m in rows.items():
        lines.append(f"{name:<16}{m['n']:>5}{m['status_accuracy']:>9.1%}{m['full_accuracy']:>9.1%}"
                     f"{m['refused_rate']:>9.1%}{m['intent_accuracy']:>9.1%}{m['errors']:>8}")
    return "\n".join(lines)


def env_float(name: str) -> float:
    raw = os.environ.get(name, "0.0")
    assert re.fullmatch(r"\s*\d*\.?\d+\s*", raw), f"{name}={raw!r} is not a number"
    return float(raw)


# ---- checking one file of a corpus ----


def no_ops(where: str, item: Mapping[str, Any], home: Home, *, alternatives: bool) -> list[str]:
    """Required commands that would not change anything, and vague changes with no room to move."""
    exp = item["expect"]
    if exp.get("status") != "done":
        return []
    before = state_after_setup(home, item.get("setup") or [])
    areas = area_keys(home)
    problems = []
    options = [exp.get("commands", []), *(exp.get("alternatives", []) if alternatives else [])]
    for option in options:
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
        if not is_number(value) or value == edge:
            problems.append(f"{where}: {d['property']} = {value!r} cannot move {d['direction']}")
    return problems


def _language(where: str, name: str, text: str, *, english: bool) -> list[str]:
    """Chinese files are written in Chinese; English files (if asked) in English (home names may be embedded)."""
    if name.endswith("_zh.jsonl") and not CJK.search(text):
        return [f"{where}: a Chinese line without Chinese"]
    if english and name.endswith("_en.jsonl") and not LATIN.search(text):
        return [f"{where}: an English line without English"]
    return []


def _bad_id(item_id: str, stem: str, *, strict: bool) -> str | None:
    """What is wrong with an id, if anything: `<stem>-<category>-NNN`, the category from CATEGORIES if strict."""
    if not strict:
        ok = item_id.startswith(stem + "-") and len(item_id.split("-")) == 4
        return None if ok else f"ids look like {stem}-<category>-NNN"
    parts = item_id.removeprefix(stem + "-").split("-")
    if item_id.startswith(stem + "-") and len(parts) == 2 and parts[0] in CATEGORIES:
        return None
    return f"ids look like {stem}-<category>-NNN with a category in {sorted(CATEGORIES)}"


def check_file(corpus: HeldOut, name: str, *, strict: bool) -> list[str]:
    """Problems in one corpus file: those of `check_corpus`, too few lines, bad ids, wrong language, no-op changes.

    Strict (blind3 onwards): ids name a category from CATEGORIES, English lines contain Latin letters, no sentence
    appears twice, and alternative command lists must change something too.
    """
    home = corpus.home(name)
    items = corpus.items(name)
    stem = name.removesuffix(".jsonl").replace("_", "-")
    problems = check_corpus(name, items, home)
    minimum = corpus.files[name][1]
    if len(items) < minimum:
        problems.append(f"{name}: {len(items)} lines, want at least {minimum}")
    if strict:
        texts = Counter(str(item.get("text")) for item in items)
        problems += [f"{name}: the sentence {t!r} appears {n} times" for t, n in texts.items() if n > 1]
    for item in items:
        where = f"{name}:{item.get('id')}"
        bad = _bad_id(str(item.get("id", "")), stem, strict=strict)
        if bad is not None:
            problems.append(f"{where}: {bad}")
        problems += _language(where, name, str(item.get("text")), english=strict)
        if isinstance(item.get("expect"), dict):
            problems += no_ops(where, item, home, alternatives=strict)
    statuses = Counter(item["expect"]["status"] for item in items if isinstance(item.get("expect"), dict))
    missing = STATUSES - set(statuses)
    if missing:
        problems.append(f"{name}: no line expects {sorted(missing)}")
    return problems


# ---- running a whole corpus ----


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


def score_files(corpus: HeldOut, tmp_path: Path) -> dict[str, list[Scored]]:
    """Run every file of a corpus through `hearth ask --batch` against its home and score each line."""
    per_file: dict[str, list[Scored]] = {}
    for name in corpus.files:
        home = corpus.home(name)
        items = corpus.items(name)
        workdir = tmp_path / name.removesuffix(".jsonl")
        workdir.mkdir()
        outputs = run_batch(corpus.home_path(name), items, workdir)
        areas = area_keys(home)
        per_file[name] = [score(item, out, home, areas) for item, out in zip(items, outputs, strict=True)]
    return per_file


def run_accuracy(corpus: HeldOut, tmp_path: Path) -> None:
    """Run and score a corpus, print the table, write the JSON report, enforce the thresholds."""
    minimum = env_float(corpus.minimum_env)
    minimum_refused = env_float(corpus.refused_env) if corpus.refused_env else None
    started = time.perf_counter()
    per_file = score_files(corpus, tmp_path)
    elapsed = time.perf_counter() - started
    everything = [r for rs in per_file.values() for r in rs]
    rows = {name: summarise(rs) for name, rs in per_file.items()} | {"ALL": summarise(everything)}
    by_category: dict[str, list[Scored]] = defaultdict(list)
    for r in everything:
        by_category[r.category].append(r)
    failures = [r for r in everything if not r.full_ok]
    patterns = Counter(_pattern(r) for r in failures)
    thresholds = {corpus.minimum_env: minimum}
    if corpus.refused_env is not None and minimum_refused is not None:
        thresholds[corpus.refused_env] = minimum_refused
    report: dict[str, Any] = {
        "generated_at": time.strftime("%Y-%m-%dT%H:%M:%S"),
        "seconds": round(elapsed, 3),
        "thresholds": thresholds,
        "files": rows,
        "categories": {c: summarise(rs) for c, rs in sorted(by_category.items())},
    }
    if corpus.details:
        report["patterns"] = dict(patterns.most_common())
    report["failures"] = [asdict(r) for r in failures]
    corpus.report.parent.mkdir(parents=True, exist_ok=True)
    corpus.report.write_text(json.dumps(report, ensure_ascii=False, indent=1), encoding="utf-8")

    print("\n" + table(rows))
    print(f"{len(everything)} utterances in {elapsed:.1f}s; report: {corpus.report}")
    if corpus.details:
        print("\nby category:")
        for cat, rs in sorted(by_category.items()):
            m = summarise(rs)
            print(f"  {cat:<12}{m['n']:>5}{m['status_accuracy']:>9.1%}{m['full_accuracy']:>9.1%}")
        print("\nfailure patterns:")
        for pattern, n in patterns.most_common():
            print(f"  {n:>4}  {pattern}")
    _print_failures(failures)

    total = rows["ALL"]
    if corpus.errors_fail:
        assert total["errors"] == 0, f"{total['errors']} utterances ended in status 'error'"
    assert total["status_accuracy"] >= minimum, f"status accuracy {total['status_accuracy']:.1%} < {minimum:.1%}"
    assert total["full_accuracy"] >= minimum, f"full accuracy {total['full_accuracy']:.1%} < {minimum:.1%}"
    if minimum_refused is not None:
        assert total["refused_rate"] >= minimum_refused, (
            f"impossible requests refused {total['refused_rate']:.1%} < {minimum_refused:.1%}"
        )
