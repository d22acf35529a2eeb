"""The line format of the `hearth ask` sentence corpora and the scorer that judges one answer against a line.

Each line of a corpus file:
`{"id", "text", "setup"?: [{device, service, property, value}], "expect": {...}}` where `expect` has `status`
and, depending on it:
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
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hearth.model import Home

STATUSES = frozenset({"done", "answered", "clarify", "refused", "unsupported"})
TOLERANCE = 1e-6


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


def area_keys(home: Home) -> dict[str, str]:
    keys: dict[str, str] = {}
    for area in home.areas.values():
        for word in (area.id, area.name, *area.aliases):
            keys.setdefault(_norm_text(word), area.id)
    return keys


def is_number(x: Any) -> bool:
    return isinstance(x, int | float) and not isinstance(x, bool)


def values_equal(expected: Any, got: Any, areas: Mapping[str, str]) -> bool:
    """Compare two canonical values: bools exactly, numbers within 1e-6, text loosely (and area aliases)."""
    if isinstance(expected, bool) or isinstance(got, bool):
        return isinstance(expected, bool) and isinstance(got, bool) and expected == got
    if is_number(expected) or is_number(got):
        return is_number(expected) and is_number(got) and math.isclose(expected, got, abs_tol=TOLERANCE)
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
            if is_number(old) and is_number(new):
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
