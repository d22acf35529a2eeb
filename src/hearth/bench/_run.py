"""Run the benchmark jobs one after another, each in a fresh interpreter, and judge them against targets."""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from importlib import metadata
from typing import Any, Literal

from hearth.bench._jobs import JOBS, SECTIONS, Job, available

JOB_TIMEOUT_S = 900.0


@dataclass(frozen=True, slots=True)
class Target:
    """What a figure must reach: at least (`>=`) or at most (`<=`) `value`."""

    op: Literal[">=", "<="]
    value: float

    def met(self, figure: float) -> bool:
        """Whether `figure` meets the target."""
        return figure >= self.value if self.op == ">=" else figure <= self.value


_AUTOMATIONS = ("1000_rules", "10000_rules", "1000_rules_condition", "10000_rules_condition")

UNITS: dict[str, str] = {
    "bus_events_per_s": "events/s",
    "state_changes_per_s": "changes/s",
    "persisted_changes_per_s": "changes/s",
    "rss_mb_100k_devices": "MB",
    "home_load_s_1000_devices": "s",
    **{f"automations_per_s_{a}": "automations/s" for a in _AUTOMATIONS},
    **{f"automation_p50_ms_{a}": "ms" for a in _AUTOMATIONS},
    **{f"automation_p99_ms_{a}": "ms" for a in _AUTOMATIONS},
    "rss_mb_10000_rules": "MB",
    "copilot_utterances_per_s": "utterances/s",
    "copilot_p50_ms": "ms",
    "copilot_p99_ms": "ms",
    "api_command_p50_ms": "ms",
    "api_command_p99_ms": "ms",
    "ws_fanout_delivered_per_s_per_client": "changes/s",
    "ws_fanout_delivered_share": "",
    "ws_fanout_dropped_clients": "clients",
    "fleet_events_per_s_1_worker": "events/s",
    "fleet_events_per_s_2_workers": "events/s",
    "fleet_speedup_2_workers": "x",
    "fleet_events_per_worker_cpu_s": "events/s",
    "fleet_p50_ms": "ms",
    "fleet_p99_ms": "ms",
    "fleet_max_lag_events": "events",
    "fleet_step_lag_events": "events",
    "fleet_step_drain_s": "s",
    "fleet_bytes_per_home": "B",
    "fleet_cold_homes_per_s": "homes/s",
    "fleet_failover_s": "s",
}

# Targets on a 2-core machine; Home Assistant 2025.4 measured on the same machine is in REFERENCE.
TARGETS: dict[str, Target] = {
    "bus_events_per_s": Target(">=", 1_000_000),
    "state_changes_per_s": Target(">=", 400_000),
    "persisted_changes_per_s": Target(">=", 100_000),
    "rss_mb_100k_devices": Target("<=", 500),
    "home_load_s_1000_devices": Target("<=", 1.0),
    "automations_per_s_1000_rules": Target(">=", 41_000),
    "automations_per_s_10000_rules": Target(">=", 41_000),
    # Ten times Home Assistant's ~3,500/s with one condition.
    "automations_per_s_1000_rules_condition": Target(">=", 35_000),
    "automations_per_s_10000_rules_condition": Target(">=", 35_000),
    **{f"automation_p99_ms_{a}": Target("<=", 0.1) for a in _AUTOMATIONS},
    "rss_mb_10000_rules": Target("<=", 100),
    "copilot_utterances_per_s": Target(">=", 200),
    "copilot_p99_ms": Target("<=", 20),
    # API on loopback: issue #5 (the fan-out publishes 10k changes/s; every client must get every one).
    "api_command_p99_ms": Target("<=", 10),
    "ws_fanout_delivered_share": Target(">=", 1.0),
    "ws_fanout_dropped_clients": Target("<=", 0),
    # Fleet (10,000 simulated homes, everything on the same 2 cores): issue #8.
    "fleet_events_per_s_2_workers": Target(">=", 20_000),
    "fleet_speedup_2_workers": Target(">=", 1.6),
    "fleet_p99_ms": Target("<=", 50),
}

REFERENCE: dict[str, str] = {
    "bus_events_per_s": "350k-590k",
    "state_changes_per_s": "180k-240k",
    "rss_mb_100k_devices": "~1.25 KB per entity",
    "automations_per_s_1000_rules": "~4,100",
    "automations_per_s_10000_rules": "~4,100",
    "automations_per_s_1000_rules_condition": "~3,500",
    "automations_per_s_10000_rules_condition": "~3,500",
    **{f"automation_p50_ms_{a}": "0.10-0.17" for a in _AUTOMATIONS},
    **{f"automation_p99_ms_{a}": "0.44-0.58" for a in _AUTOMATIONS},
    "rss_mb_10000_rules": "307",
}

OnJob = Callable[[Job, int, int], None]


def select(only: Iterable[str] | None = None) -> list[Job]:
    """The jobs of the named sections (every default job when `only` is empty); ValueError for an unknown one."""
    names = [n.strip() for part in (only or ()) for n in part.split(",") if n.strip()]
    unknown = [n for n in names if n not in SECTIONS]
    if unknown:
        raise ValueError(f"unknown section {unknown[0]!r} (choose from {', '.join(SECTIONS)})")
    if not names:
        return [j for j in JOBS if j.default]
    wanted = {s for n in names for s in SECTIONS[n]}
    return [j for j in JOBS if j.section in wanted]


def run_job(j: Job, quick: bool) -> dict[str, Any]:
    """Run one job in a fresh interpreter; returns its parsed result or `{"error": …}`."""
    if not available(j):
        return {"unavailable": f"{j.module} is not installed"}
    cmd = [sys.executable, "-m", "hearth.bench._child", j.name, *(["--quick"] if quick else [])]
    try:
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=JOB_TIMEOUT_S, check=False)
    except subprocess.TimeoutExpired:
        return {"error": f"timed out after {JOB_TIMEOUT_S:.0f} s"}
    lines = done.stdout.strip().splitlines()
    if done.returncode != 0 or not lines:
        tail = (done.stderr.strip().splitlines() or ["no output"])[-1]
        return {"error": f"exit code {done.returncode}: {tail}"}
    try:
        result: dict[str, Any] = json.loads(lines[-1])
    except json.JSONDecodeError:
        return {"error": f"unreadable result: {lines[-1][:200]}"}
    return result


def run_bench(only: Iterable[str] | None = None, quick: bool = False, on_job: OnJob | None = None) -> dict[str, Any]:
    """Run the selected sections and return the report: figures, units, targets, pass/fail, notes."""
    jobs = select(only)
    started = time.perf_counter()
    figures: dict[str, float | None] = {}
    notes: dict[str, str] = {}
    details: dict[str, Any] = {}
    sections: dict[str, str] = {}
    job_seconds: dict[str, float] = {}
    for index, j in enumerate(jobs):
        if on_job is not None:
            on_job(j, index, len(jobs))
        job_started = time.perf_counter()
        result = run_job(j, quick)
        job_seconds[j.name] = round(time.perf_counter() - job_started, 2)
        status, note = _status(result)
        if status != "ok" or sections.get(j.section, "ok") == "ok":
            sections[j.section] = status
        details[j.name] = result.get("details")
        produced = result.get("figures") or {}
        for name in j.figures:
            value = produced.get(name)
            figures[name] = float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None
            if figures[name] is None:
                notes[name] = note or "the section did not report this figure"
    passes = {name: (TARGETS[name].met(v) if v is not None else None) for name, v in figures.items()
              if name in TARGETS}
    return {
        "hearth_version": _version(),
        "quick": quick,
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform()},
        "figures": figures,
        "units": {name: UNITS.get(name, "") for name in figures},
        "targets": {name: {"op": t.op, "value": t.value} for name, t in TARGETS.items() if name in figures},
        "pass": passes,
        "passed": all(p is not False for p in passes.values()),
        "notes": notes,
        "sections": sections,
        "reference": {
            "home_assistant_2025_4": {name: ref for name, ref in REFERENCE.items() if name in figures},
        },
        "details": details,
        "job_seconds": job_seconds,
        "seconds": round(time.perf_counter() - started, 2),
    }


def _status(result: dict[str, Any]) -> tuple[str, str]:
    if "unavailable" in result:
        return "not available", f"not available: {result['unavailable']}"
    if "error" in result:
        return f"failed: {result['error']}", f"failed: {result['error']}"
    return "ok", ""


def _version() -> str:
    try:
        return metadata.version("hearth")
    except metadata.PackageNotFoundError:
        return "unknown"
