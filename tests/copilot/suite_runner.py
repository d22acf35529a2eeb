"""Score the copilot on the JSONL suites: a case is right when status, commands and reply expectations all hold."""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hearth.copilot import Copilot
from hearth.copilot._batch import Sandbox
from hearth.hub import load_home_or_demo
from hearth.model import Home, load_home

SUITE = Path(__file__).parent / "suite"
HOMES = Path(__file__).parent / "homes"
SUITES = {"demo_en.jsonl": None, "demo_zh.jsonl": None, "flat.jsonl": HOMES / "flat.yaml"}


@dataclass
class Score:
    """Right and wrong cases, with refusals counted on their own."""

    total: int = 0
    right: int = 0
    refusals: int = 0
    refusals_right: int = 0
    failures: list[str] = field(default_factory=list)

    @property
    def accuracy(self) -> float:
        return self.right / self.total if self.total else 0.0

    @property
    def refusal_rate(self) -> float:
        return self.refusals_right / self.refusals if self.refusals else 1.0


def _commands(result: dict[str, Any]) -> list[tuple[str, str, str]]:
    out = []
    for c in result["commands"]:
        target = c.get("property") or c.get("action")
        value = c.get("value") if "property" in c else (c.get("args") or None)
        out.append((c["device"], target, json.dumps(value, sort_keys=True)))
    return sorted(out)


def check(case: dict[str, Any], result: dict[str, Any]) -> str | None:
    """Why a result is wrong, or None when it is right."""
    if result["status"] != case["status"]:
        return f"status {result['status']} != {case['status']}: {result['reply']}"
    if "intent" in case and result["intent"] != case["intent"]:
        return f"intent {result['intent']} != {case['intent']}"
    if "commands" in case:
        want = sorted((d, t, json.dumps(v, sort_keys=True)) for d, t, v in case["commands"])
        got = _commands(result)
        normal = [(d, t, json.dumps(json.loads(v) if not isinstance(json.loads(v), float) or not json.loads(v)
                                    .is_integer() else int(json.loads(v)))) for d, t, v in got]
        wanted = [(d, t, json.dumps(json.loads(v) if not isinstance(json.loads(v), float) or not json.loads(v)
                                    .is_integer() else int(json.loads(v)))) for d, t, v in want]
        if sorted(normal) != sorted(wanted):
            return f"commands {got} != {want}"
    if "reply_has" in case and case["reply_has"] not in result["reply"]:
        return f"reply {result['reply']!r} lacks {case['reply_has']!r}"
    return None


async def _run(home: Home, cases: list[dict[str, Any]], score: Score, name: str) -> None:
    sandbox = Sandbox(home, Copilot(home))
    for case in cases:
        actor = sandbox.copilot.actor_for(case["as"]) if case.get("as") else None
        result = (await sandbox.ask(case["text"], case.get("setup"), actor, bool(case.get("confirm")))).to_json()
        why = check(case, result)
        score.total += 1
        score.right += why is None
        if case["status"] == "refused":
            score.refusals += 1
            score.refusals_right += result["status"] == "refused"
        if why is not None:
            score.failures.append(f"{name}: {case['text']} → {why}")


def _home_of(stem: str) -> Path:
    own = HOMES / f"{stem}.yaml"
    return own if own.exists() else HOMES / f"{stem.split('_', 1)[-1]}.yaml"


def score_suites(names: list[str] | None = None) -> Score:
    """Run the named suites (all by default) and return the score."""
    score = Score()
    # A suite without an entry above runs on the home file of the same name (suite/studio.jsonl → homes/studio.yaml).
    # A suite named for what it tests runs on the home after the prefix (suite/zh_cottage.jsonl → homes/cottage.yaml).
    found = {p.name: _home_of(p.stem) for p in sorted(SUITE.glob("*.jsonl"))
             if p.name not in SUITES and _home_of(p.stem).exists()}
    for name, home_path in {**SUITES, **found}.items():
        if names and name not in names:
            continue
        home = load_home(home_path) if home_path else load_home_or_demo(None)
        cases = [json.loads(line) for line in (SUITE / name).read_text(encoding="utf-8").splitlines() if line.strip()]
        asyncio.run(_run(home, cases, score, name))
    return score


if __name__ == "__main__":
    result = score_suites()
    for failure in result.failures:
        print(failure)
    print(f"accuracy {result.accuracy:.1%} ({result.right}/{result.total}), "
          f"refusals {result.refusal_rate:.1%} ({result.refusals_right}/{result.refusals})")
