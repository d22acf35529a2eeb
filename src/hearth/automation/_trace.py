"""Run traces: why a rule fired, what each condition said, what each action did and how long it took.

Records are small slotted objects filled in place while the run goes; each rule keeps the last N in a bounded
deque. Text and JSON are produced only when someone looks.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

Outcome = str  # "running" | "done" | "stopped" | "error" | "condition" | "skipped" | "cancelled" | "missed" | …


class Step:
    """One action's outcome: where it is in the rule, what it was, when, how long, and how it went."""

    __slots__ = ("elapsed", "kind", "message", "ok", "path", "started")

    def __init__(self, path: str, kind: str, started: float) -> None:
        self.path = path
        self.kind = kind
        self.started = started
        self.elapsed = 0.0
        self.ok = True
        self.message = ""

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {"path": self.path, "kind": self.kind, "time": self.started, "elapsed_ms": round(self.elapsed * 1e3, 4),
                "ok": self.ok, "message": self.message}


class TraceSource(Protocol):
    """The rule a trace belongs to: it names the trigger's variables and the conditions' labels."""

    @property
    def labels(self) -> tuple[str, ...]:
        """One label per top-level condition."""
        ...

    def describe(self, index: int, payload: object) -> dict[str, Any]:
        """The variables of trigger `index` for this payload."""
        ...


class Trace:
    """One run of one rule."""

    __slots__ = ("_source", "_vars", "conditions", "ended", "message", "outcome", "payload", "rule", "run",
                 "started", "steps", "trigger_index")

    def __init__(self, rule: str, run: int, started: float, trigger_index: int, payload: object,
                 source: TraceSource) -> None:
        self.rule = rule
        self.run = run
        self.started = started
        self.trigger_index = trigger_index
        self.payload = payload
        self._source = source
        self._vars: dict[str, Any] | None = None
        self.conditions: list[bool] = []
        self.steps: list[Step] = []
        self.outcome: Outcome = "running"
        self.message = ""
        self.ended = 0.0

    @property
    def trigger(self) -> dict[str, Any]:
        """The trigger's variables (what fired and with which values), built on first use."""
        if self._vars is None:
            self._vars = self._source.describe(self.trigger_index, self.payload)
        return self._vars

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "rule": self.rule, "run": self.run, "started": self.started, "ended": self.ended,
            "trigger": _plain(self.trigger), "outcome": self.outcome, "message": self.message,
            "conditions": [{"condition": label, "result": ok} for label, ok in zip(self._source.labels,
                                                                                   self.conditions, strict=False)],
            "steps": [s.to_dict() for s in self.steps],
        }


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return str(value)


def format_trace(trace: dict[str, Any], when: Callable[[float], str]) -> list[str]:
    """Human lines for one trace dict."""
    trig = trace.get("trigger", {})
    what = ", ".join(f"{k}={v}" for k, v in trig.items() if k not in ("time",) and v not in (None, "", {}))
    lines = [f"run {trace['run']} at {when(trace['started'])}: {trace['outcome']}"
             + (f" ({trace['message']})" if trace.get("message") else ""), f"  trigger: {what}"]
    for cond in trace.get("conditions", []):
        lines.append(f"  condition {'✓' if cond['result'] else '✗'} {cond['condition']}")
    for step in trace.get("steps", []):
        mark = "✓" if step["ok"] else "✗"
        lines.append(f"  {mark} {step['path']} {step['kind']} {step['elapsed_ms']:.3f} ms"
                     + (f": {step['message']}" if step.get("message") else ""))
    return lines
