"""Accuracy of `hearth ask --batch` on the hand-written bilingual corpus in tests/copilot/corpus/.

Opt-in (marker `corpus`): run with `HEARTH_CORPUS=1 .venv/bin/python -m pytest tests/copilot/test_corpus.py -s`
or `pytest -m corpus`. Thresholds come from the environment: `HEARTH_CORPUS_MIN` (status accuracy and full
correctness, default 0.0) and `HEARTH_CORPUS_MIN_REFUSED` (share of impossible requests refused, default 0.0).
A missing `hearth ask`, a crash, malformed JSON or a line-count mismatch always fails.

Each corpus line: `{"id", "text", "setup"?: [{device, service, property, value}], "expect": {...}}` where
`expect` has `status` and, depending on it:
- done: `commands` (exact, order-insensitive), optionally `commands_optional` (may also appear) and
  `alternatives` (other acceptable command lists); or `changes_direction` (vague amounts: each listed
  property must move up/down from its state after setup; other commands may only touch the same devices);
- answered: `answer_contains` (one must appear in the reply, case-insensitive), optionally `answer_not_contains`;
- refused / clarify / unsupported: the status, and nothing in `changes` (proposed `commands` awaiting a
  confirmation are fine; `refuse_reason_contains` is reported, not scored);
- `intent` (optional) is scored separately and does not affect full correctness.
Equivalences the scorer accepts: motor-control Open/Close equals target-position 100/0 on the same service;
string values compare case- and punctuation-insensitively, and an area id equals that area's name or alias.
"""

from __future__ import annotations

import json
import math
import os
import re
import subprocess
import time
from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import pytest

from hearth.model import Home, load_home

pytestmark = pytest.mark.corpus

ROOT = Path(__file__).resolve().parents[2]
CORPUS = Path(__file__).resolve().parent / "corpus"
HEARTH = ROOT / ".venv" / "bin" / "hearth"
DEMO_HOME = ROOT / "src" / "hearth" / "data" / "demo_home.yaml"
OTHER_HOME = CORPUS / "other_home.yaml"
REPORT = ROOT / ".hearth" / "corpus_report.json"
FILES: dict[str, tuple[Path, int]] = {  # corpus file → (home file, minimum number of lines)
    "demo_en.jsonl": (DEMO_HOME, 250),
    "demo_zh.jsonl": (DEMO_HOME, 250),
    "other_en.jsonl": (OTHER_HOME, 80),
    "other_zh.jsonl": (OTHER_HOME, 80),
}
STATUSES = frozenset({"done", "answered", "clarify", "refused", "unsupported"})
OUTPUT_KEYS = ("text", "lang", "status", "intent", "slots", "commands", "changes", "reply")
TOLERANCE = 1e-6
TIMEOUT_S = 600


# ---- reading ----


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    """Parse a JSONL file, one object a line, failing with the line number."""
    items: list[dict[str, Any]] = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:  # one object per line
            obj = json.loads(line)
        except json.JSONDecodeError as exc:
            raise AssertionError(f"{path.name}:{n}: not JSON ({exc})") from None
        assert isinstance(obj, dict), f"{path.name}:{n}: not a JSON object"
        items.append(obj)
    return items


def category(item_id: str) -> str:
    """The category encoded in an id like `demo-en-relative-007`."""
    parts = item_id.split("-")
    return parts[2] if len(parts) >= 4 else "other"


# ---- comparing values and commands ----


def _norm_text(value: str) -> str:
    return "".join(ch for ch in value.lower() if ch.isalnum())


def _area_keys(home: Home) -> dict[str, str]:
    keys: dict[str, str] = {}
    for area in home.areas.values():
        for word in (area.id, area.name, *area.aliases):
            keys.setdefault(_norm_text(word), area.id)
    return keys


def _is_number(x: Any) -> bool:
    return isinstance(x, int | float) and not isinstance(x, bool)


def values_equal(expected: Any, got: Any, areas: Mapping[str, str]) -> bool:
    """Compare two canonical values: bools exactly, numbers within 1e-6, text loosely (and area aliases)."""
    if isinstance(expected, bool) or isinstance(got, bool):
        return isinstance(expected, bool) and isinstance(got, bool) and expected == got
    if _is_number(expected) or _is_number(got):
        return _is_number(expected) and _is_number(got) and math.isclose(expected, got, abs_tol=TOLERANCE)
    if isinstance(expected, str) and isinstance(got, str):
        a, b = _norm_text(expected), _norm_text(got)
        return a == b or (a in areas and areas.get(a) == areas.get(b))
    if isinstance(expected, Mapping) and isinstance(got, Mapping):
        return set(expected) == set(got) and all(values_equal(expected[k], got[k], areas) for k in expected)
    return bool(expected == got)


def canonical(cmd: Mapping[str, Any], home: Home) -> dict[str, Any]:
    """A command in comparable form; motor-control Open/Close becomes target-position 100/0."""
    out = {k: cmd.get(k) for k in ("device", "service", "property", "value", "action")}
    out["args"] = dict(cmd.get("args") or {}) if cmd.get("action") is not None else None
    value = out["value"]
    if out["property"] == "motor-control" and isinstance(value, str) and value.lower() in ("open", "close"):
        dev = home.devices.get(str(out["device"]))
        svc = dev.spec.services.get(str(out["service"])) if dev else None
        if svc is not None and "target-position" in svc.properties:
            out["value"] = 100 if value.lower() == "open" else 0
            out["property"] = "target-position"
    return out


def same_command(a: Mapping[str, Any], b: Mapping[str, Any], areas: Mapping[str, str]) -> bool:
    """Whether two canonical commands address the same target with the same value or arguments."""
    keys = ("device", "service", "property", "action")
    if any(a[k] != b[k] for k in keys):
        return False
    if a["action"] is not None:
        return values_equal(a["args"] or {}, b["args"] or {}, areas)
    return values_equal(a["value"], b["value"], areas)


def commands_match(
    required: Sequence[Mapping[str, Any]], optional: Sequence[Mapping[str, Any]], got: Sequence[Mapping[str, Any]],
    areas: Mapping[str, str],
) -> bool:
    """Every required command present, nothing beyond required + optional (order-insensitive)."""
    unique: list[Mapping[str, Any]] = []
    for cmd in got:
        if not any(same_command(cmd, seen, areas) for seen in unique):
            unique.append(cmd)
    left_req, left_opt = list(required), list(optional)
    for cmd in unique:
        for pool in (left_req, left_opt):
            hit = next((i for i, want in enumerate(pool) if same_command(want, cmd, areas)), None)
            if hit is not None:
                pool.pop(hit)
                break
        else:
            return False
    return not left_req


def directions_match(
    dirs: Sequence[Mapping[str, Any]], got: Sequence[Mapping[str, Any]], before: Mapping[tuple[str, str, str], Any],
) -> bool:
    """Each listed property moves the stated way; other commands stay on the same devices."""
    devices = {d["device"] for d in dirs}
    if any(cmd["device"] not in devices for cmd in got):
        return False
    for want in dirs:
        key = (want["device"], want["service"], want["property"])
        moved = False
        for cmd in got:
            if (cmd["device"], cmd["service"], cmd["property"]) != key:
                continue
            old: Any = before.get(key)
            new: Any = cmd["value"]
            if _is_number(old) and _is_number(new):
                moved = new > old + TOLERANCE if want["direction"] == "up" else new < old - TOLERANCE
        if not moved:
            return False
    return True


# ---- scoring one utterance ----


@dataclass(frozen=True, slots=True)
class Scored:
    """The verdict on one utterance."""

    id: str
    category: str
    text: str
    expected_status: str
    got_status: str
    status_ok: bool
    full_ok: bool
    intent_ok: bool | None
    expected: dict[str, Any]
    got_commands: list[Any]
    got_intent: Any
    reply: str
    reason_ok: bool | None


def state_after_setup(home: Home, setup: Sequence[Mapping[str, Any]]) -> dict[tuple[str, str, str], Any]:
    """The home's initial state with the item's setup applied."""
    state = dict(home.initial_state())
    for s in setup:
        state[(s["device"], s["service"], s["property"])] = s["value"]
    return state


def score(item: Mapping[str, Any], out: Mapping[str, Any], home: Home, areas: Mapping[str, str]) -> Scored:
    """Compare one `hearth ask` result with the corpus expectation."""
    exp = item["expect"]
    status = str(out.get("status"))
    status_ok = status == exp["status"]
    reply = str(out.get("reply") or "")
    got = [canonical(c, home) for c in out.get("commands") or []]
    full_ok = status_ok
    if status_ok and exp["status"] == "done":
        if "changes_direction" in exp:
            full_ok = directions_match(exp["changes_direction"], got, state_after_setup(home, item.get("setup") or []))
        else:
            optional = [canonical(c, home) for c in exp.get("commands_optional", [])]
            options = [exp["commands"], *exp.get("alternatives", [])]
            full_ok = any(commands_match([canonical(c, home) for c in o], optional, got, areas) for o in options)
    elif status_ok and exp["status"] == "answered":
        low = reply.lower()
        full_ok = any(s.lower() in low for s in exp["answer_contains"]) and not any(
            s.lower() in low for s in exp.get("answer_not_contains", [])
        )
    elif status_ok:
        full_ok = not out.get("changes")  # a refusal, question back or unsupported request changes nothing
    intent_ok = None if "intent" not in exp else out.get("intent") == exp["intent"]
    reason_ok = None
    if "refuse_reason_contains" in exp:
        reason_ok = any(s.lower() in reply.lower() for s in exp["refuse_reason_contains"])
    return Scored(str(item["id"]), category(str(item["id"])), str(item["text"]), exp["status"], status, status_ok,
                  full_ok, intent_ok, dict(exp), list(out.get("commands") or []), out.get("intent"), reply, reason_ok)


# ---- checking the corpus itself ----


def check_corpus(name: str, items: Sequence[Mapping[str, Any]], home: Home) -> list[str]:
    """Problems in a corpus file: unknown devices/properties, bad values, missing fields, duplicates."""
    problems: list[str] = []
    ids = Counter(str(i.get("id")) for i in items)
    problems += [f"{name}: duplicate id {k}" for k, n in ids.items() if n > 1]

    def prop(where: str, c: Mapping[str, Any], *, write: bool) -> None:
        dev = home.devices.get(str(c.get("device")))
        if dev is None:
            problems.append(f"{where}: no device {c.get('device')!r}")
            return
        svc = dev.spec.services.get(str(c.get("service")))
        if svc is None:
            problems.append(f"{where}: {dev.id} has no service {c.get('service')!r}")
            return
        if "action" in c:
            action = svc.actions.get(str(c["action"]))
            if action is None:
                problems.append(f"{where}: {dev.id}.{svc.name} has no action {c['action']!r}")
            elif set(c.get("args") or {}) - set(action.inputs):
                problems.append(f"{where}: {dev.id}.{svc.name}.{action.name} takes only {action.inputs}")
            return
        p = svc.properties.get(str(c.get("property")))
        if p is None:
            problems.append(f"{where}: {dev.id}.{svc.name} has no property {c.get('property')!r}")
            return
        if write and not p.writable:
            problems.append(f"{where}: {dev.id}.{svc.name}.{p.name} is read-only")
        if "value" in c:
            try:
                if p.validate(c["value"]) != c["value"]:
                    problems.append(f"{where}: {c['value']!r} is not canonical for {p.name}")
            except Exception as exc:  # SpecError: the corpus names an impossible value
                problems.append(f"{where}: {exc}")

    for item in items:
        where = f"{name}:{item.get('id')}"
        exp = item.get("expect")
        if not isinstance(item.get("text"), str) or not item["text"].strip() or not isinstance(exp, dict):
            problems.append(f"{where}: needs text and expect")
            continue
        if exp.get("status") not in STATUSES:
            problems.append(f"{where}: bad status {exp.get('status')!r}")
        for s in item.get("setup") or []:
            prop(f"{where} setup", s, write=False)
        if exp.get("status") == "done":
            if ("commands" in exp) == ("changes_direction" in exp):
                problems.append(f"{where}: done needs commands or changes_direction")
            lists = [exp.get("commands", []), exp.get("commands_optional", []), *exp.get("alternatives", [])]
            for c in (c for lst in lists for c in lst):
                prop(f"{where} command", c, write=True)
            for d in exp.get("changes_direction", []):
                prop(f"{where} direction", d, write=True)
                if d.get("direction") not in ("up", "down"):
                    problems.append(f"{where}: direction must be up or down")
        if exp.get("status") == "answered" and not exp.get("answer_contains"):
            problems.append(f"{where}: answered needs answer_contains")
    return problems


def test_corpus_files_are_valid() -> None:
    """Every corpus line names real devices, services, properties and valid values of its home."""
    problems: list[str] = []
    for name, (home_path, minimum) in FILES.items():
        items = read_jsonl(CORPUS / name)
        if len(items) < minimum:
            problems.append(f"{name}: {len(items)} lines, want at least {minimum}")
        problems += check_corpus(name, items, load_home(home_path))
    assert not problems, "\n".join(problems)


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


def _table(rows: Mapping[str, Mapping[str, Any]]) -> str:
    head = f"{'file':<16}{'n':>5}{'status':>9}{'full':>9}{'refused':>9}{'intent':>9}{'errors':>8}"
    lines = [head, "-" * len(head)]
    for name, m in rows.items():
        lines.append(f"{name:<16}{m['n']:>5}{m['status_accuracy']:>9.1%}{m['full_accuracy']:>9.1%}"
                     f"{m['refused_rate']:>9.1%}{m['intent_accuracy']:>9.1%}{m['errors']:>8}")
    return "\n".join(lines)


def _env_float(name: str) -> float:
    raw = os.environ.get(name, "0.0")
    assert re.fullmatch(r"\s*\d*\.?\d+\s*", raw), f"{name}={raw!r} is not a number"
    return float(raw)


def test_ask_accuracy_on_corpus(tmp_path: Path) -> None:
    """Run every corpus file through `hearth ask --batch`, report accuracy, enforce the thresholds."""
    minimum, minimum_refused = _env_float("HEARTH_CORPUS_MIN"), _env_float("HEARTH_CORPUS_MIN_REFUSED")
    per_file: dict[str, list[Scored]] = {}
    started = time.perf_counter()
    for name, (home_path, _) in FILES.items():
        home = load_home(home_path)
        items = read_jsonl(CORPUS / name)
        workdir = tmp_path / name.removesuffix(".jsonl")
        workdir.mkdir()
        outputs = run_batch(home_path, items, workdir)
        areas = _area_keys(home)
        per_file[name] = [score(item, out, home, areas) for item, out in zip(items, outputs, strict=True)]
    elapsed = time.perf_counter() - started
    everything = [r for rs in per_file.values() for r in rs]
    rows = {name: summarise(rs) for name, rs in per_file.items()} | {"ALL": summarise(everything)}
    by_category: dict[str, list[Scored]] = defaultdict(list)
    for r in everything:
        by_category[r.category].append(r)
    failures = [r for r in everything if not r.full_ok]
    report = {
        "generated_at": time.strftime("%Y-%m-%dT%H:%M:%S"),
        "seconds": round(elapsed, 3),
        "thresholds": {"HEARTH_CORPUS_MIN": minimum, "HEARTH_CORPUS_MIN_REFUSED": minimum_refused},
        "files": rows,
        "categories": {c: summarise(rs) for c, rs in sorted(by_category.items())},
        "failures": [asdict(r) for r in failures],
    }
    REPORT.parent.mkdir(parents=True, exist_ok=True)
    REPORT.write_text(json.dumps(report, ensure_ascii=False, indent=1), encoding="utf-8")

    print("\n" + _table(rows))
    print(f"{len(everything)} utterances in {elapsed:.1f}s; report: {REPORT}")
    print(f"\n{len(failures)} failures:")
    for r in failures:
        exp = {k: v for k, v in r.expected.items() if k != "intent"}
        print(f"- {r.id} {r.text!r}\n    expected {json.dumps(exp, ensure_ascii=False)}"
              f"\n    got {r.got_status} {json.dumps(r.got_commands, ensure_ascii=False)} reply={r.reply!r}")

    total = rows["ALL"]
    assert total["status_accuracy"] >= minimum, f"status accuracy {total['status_accuracy']:.1%} < {minimum:.1%}"
    assert total["full_accuracy"] >= minimum, f"full accuracy {total['full_accuracy']:.1%} < {minimum:.1%}"
    assert total["refused_rate"] >= minimum_refused, (
        f"impossible requests refused {total['refused_rate']:.1%} < {minimum_refused:.1%}"
    )


# ---- the scorer itself (pure, no `hearth ask` needed) ----


def _set(device: str, service: str, prop: str, value: Any) -> dict[str, Any]:
    return {"device": device, "service": service, "property": prop, "value": value}


def test_scorer_accepts_equivalent_and_rejects_wrong_commands() -> None:
    """Order, cover equivalences, optional commands and area aliases count; wrong values and extras do not."""
    home = load_home(DEMO_HOME)
    areas = _area_keys(home)
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
    areas = _area_keys(home)
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
