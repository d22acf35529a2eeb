"""The benchmark's jobs: what each measures, at which size, and which figures it yields.

A job runs in its own interpreter (`python -m hearth.bench._child JOB`), so one job's memory, caches and
garbage never colour another's. Sections whose module is not installed are reported as not available.
"""

from __future__ import annotations

import importlib
import importlib.util
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

Figures = dict[str, Any]
Measure = Callable[[bool], tuple[Figures, Figures]]

MEMORY_DEVICES = 100_000
LOAD_DEVICES = 1_000


class Unavailable(Exception):
    """A section's benchmark module (or function) is not part of this installation."""


@dataclass(frozen=True, slots=True)
class Job:
    """One measurement run in a fresh process; `figures` names what it reports."""

    name: str
    section: str
    title: str
    figures: tuple[str, ...]
    measure: Measure
    module: str | None = None
    default: bool = True  # False: runs only when its section is asked for (it starts servers, takes minutes)


def _size(quick: bool, full: int, small: int) -> int:
    return small if quick else full


def _installed(module: str) -> bool:
    try:
        return importlib.util.find_spec(module) is not None
    except ModuleNotFoundError:  # its parent package is missing too
        return False


def _optional(module: str, function: str) -> Callable[..., Any]:
    if not _installed(module):
        raise Unavailable(f"{module} is not installed")
    fn = getattr(importlib.import_module(module), function, None)
    if not callable(fn):
        raise Unavailable(f"{module}.{function} does not exist")
    return fn  # type: ignore[no-any-return]


def pick(result: Any, *names: str) -> float | None:
    """The first of `names` present in a section's result (or the result itself when it is a number)."""
    if isinstance(result, bool):
        return None
    if isinstance(result, int | float):
        return float(result)
    if isinstance(result, Mapping):
        for name in names:
            value = result.get(name)
            if isinstance(value, int | float) and not isinstance(value, bool):
                return float(value)
    return None


def _plain(result: Any) -> Any:
    return dict(result) if isinstance(result, Mapping) else result


def _bus(quick: bool) -> tuple[Figures, Figures]:
    from hearth.bench._core import bench_bus

    result = bench_bus(_size(quick, 1_000_000, 20_000), rounds=_size(quick, 20, 4))
    return {"bus_events_per_s": result["events_per_s"]}, result


def _state(quick: bool) -> tuple[Figures, Figures]:
    from hearth.bench._core import bench_state

    result = bench_state(_size(quick, 1_000_000, 20_000), rounds=_size(quick, 20, 4))
    return {"state_changes_per_s": result["changes_per_s"]}, result


def _persistence(quick: bool) -> tuple[Figures, Figures]:
    bench = _optional("hearth.store._bench", "bench_persistence")
    result = bench(_size(quick, 200_000, 5_000))
    rate = pick(result, "changes_per_s", "persisted_changes_per_s", "per_s", "rate")
    return {"persisted_changes_per_s": rate}, {"result": _plain(result)}


def _memory(quick: bool) -> tuple[Figures, Figures]:
    from hearth.bench._core import bench_memory

    devices = _size(quick, MEMORY_DEVICES, 5_000)
    result = bench_memory(devices)
    # A quick run builds a smaller home; scale its growth so the figure stays comparable.
    result["scaled_from_devices"] = devices
    return {"rss_mb_100k_devices": result["rss_delta_mb"] * MEMORY_DEVICES / devices}, result


def _load(quick: bool) -> tuple[Figures, Figures]:
    from hearth.bench._core import bench_home_load

    result = bench_home_load(_size(quick, LOAD_DEVICES, 100), rounds=_size(quick, 3, 1))
    return {"home_load_s_1000_devices": result["seconds"]}, result


def _automations(rules_full: int, condition: bool) -> Measure:
    suffix = "_condition" if condition else ""

    def measure(quick: bool) -> tuple[Figures, Figures]:
        bench = _optional("hearth.automation._bench", "bench_automations")
        rules = _size(quick, rules_full, max(10, rules_full // 100))
        result = bench(rules, condition)
        figures = {
            f"automations_per_s_{rules_full}_rules{suffix}": pick(
                result, "automations_per_s", "per_s", "rate", "throughput"
            ),
            f"automation_p50_ms_{rules_full}_rules{suffix}": pick(result, "p50_ms", "latency_p50_ms"),
            f"automation_p99_ms_{rules_full}_rules{suffix}": pick(result, "p99_ms", "latency_p99_ms"),
        }
        return figures, {"rules": rules, "with_condition": condition, "result": _plain(result)}

    return measure


def _rules_memory(quick: bool) -> tuple[Figures, Figures]:
    measure = _optional("hearth.automation._bench", "rss_with_rules")
    rules = _size(quick, 10_000, 100)
    result = measure(rules)
    mb = pick(result, "rss_mb", "rss_delta_mb", "mb", "delta_mb")
    return {"rss_mb_10000_rules": mb}, {"rules": rules, "result": _plain(result)}


def _copilot(quick: bool) -> tuple[Figures, Figures]:
    bench = _optional("hearth.copilot._bench", "bench_copilot")
    n = _size(quick, 1_000, 20)
    result = bench(n)
    figures = {
        "copilot_utterances_per_s": pick(result, "utterances_per_s", "per_s", "rate", "throughput"),
        "copilot_p50_ms": pick(result, "p50_ms", "latency_p50_ms"),
        "copilot_p99_ms": pick(result, "p99_ms", "latency_p99_ms"),
    }
    return figures, {"utterances": n, "result": _plain(result)}


def _fleet(quick: bool) -> tuple[Figures, Figures]:
    bench = _optional("hearth.fleet._bench", "bench_fleet")
    homes, events = _size(quick, 10_000, 500), _size(quick, 60_000, 5_000)
    result = bench(homes=homes, events=events, latency_rate=_size(quick, 2_000, 500), rounds=_size(quick, 3, 1))
    one, two = result.get("workers_1") or {}, result.get("workers_2") or {}
    paced = one.get("paced") or {}
    figures = {
        "fleet_events_per_s_1_worker": pick(one, "events_per_s"),
        "fleet_events_per_s_2_workers": pick(two, "events_per_s"),
        "fleet_speedup_2_workers": pick(result, "speedup_2_workers"),
        "fleet_events_per_worker_cpu_s": pick(one, "events_per_worker_cpu_s"),
        "fleet_p50_ms": pick(paced, "p50_latency_ms"),
        "fleet_p99_ms": pick(paced, "p99_latency_ms"),
        "fleet_max_lag_events": pick(paced, "max_lag_events"),
        "fleet_step_lag_events": pick(two, "max_lag_events"),
        "fleet_step_drain_s": round(two["total_s"] - two["publish_s"], 2) if "total_s" in two else None,
        "fleet_bytes_per_home": pick(one, "bytes_per_home"),
        "fleet_cold_homes_per_s": pick(one, "homes_loaded_per_s"),
        "fleet_failover_s": pick(result, "failover_s"),
    }
    return figures, {"result": _plain(result)}


def _api(quick: bool) -> tuple[Figures, Figures]:
    bench = _optional("hearth.api._bench", "bench_api")
    result = bench(quick)
    changes = pick(result, "ws_changes") or 0.0
    delivered = pick(result, "ws_delivered_min") or 0.0
    figures = {
        "api_command_p50_ms": pick(result, "command_p50_ms"),
        "api_command_p99_ms": pick(result, "command_p99_ms"),
        "ws_fanout_delivered_per_s_per_client": pick(result, "ws_delivered_per_s_per_client_min"),
        "ws_fanout_delivered_share": round(delivered / changes, 4) if changes else None,
        "ws_fanout_dropped_clients": pick(result, "ws_dropped"),
    }
    return figures, {"result": _plain(result)}


def _automation_jobs() -> list[Job]:
    jobs = []
    for rules in (1_000, 10_000):
        for condition in (False, True):
            suffix = "_condition" if condition else ""
            jobs.append(Job(
                f"automations-{rules}{'-condition' if condition else ''}", "automations",
                f"automations, {rules:,} rules{' + condition' if condition else ''}",
                (f"automations_per_s_{rules}_rules{suffix}", f"automation_p50_ms_{rules}_rules{suffix}",
                 f"automation_p99_ms_{rules}_rules{suffix}"),
                _automations(rules, condition), "hearth.automation._bench",
            ))
    return jobs


JOBS: tuple[Job, ...] = (
    Job("bus", "bus", "bus publish", ("bus_events_per_s",), _bus),
    Job("state", "state", "state store apply", ("state_changes_per_s",), _state),
    Job("persistence", "persistence", "persist to SQLite", ("persisted_changes_per_s",), _persistence,
        "hearth.store._bench"),
    Job("memory", "memory", "memory, 100k devices", ("rss_mb_100k_devices",), _memory),
    Job("load", "load", "load a 1,000-device home", ("home_load_s_1000_devices",), _load),
    *_automation_jobs(),
    Job("automations-memory", "automations", "memory, 10,000 rules", ("rss_mb_10000_rules",), _rules_memory,
        "hearth.automation._bench"),
    Job("copilot", "copilot", "copilot batch", ("copilot_utterances_per_s", "copilot_p50_ms", "copilot_p99_ms"),
        _copilot, "hearth.copilot._bench"),
    Job("api", "api", "API: REST command round trip, WebSocket fan-out to 100 clients at 10k changes/s",
        ("api_command_p50_ms", "api_command_p99_ms", "ws_fanout_delivered_per_s_per_client",
         "ws_fanout_delivered_share", "ws_fanout_dropped_clients"), _api, "hearth.api._bench"),
    Job("fleet", "fleet", "fleet: NATS JetStream + PostgreSQL, 1 and 2 workers",
        ("fleet_events_per_s_1_worker", "fleet_events_per_s_2_workers", "fleet_speedup_2_workers",
         "fleet_events_per_worker_cpu_s", "fleet_p50_ms", "fleet_p99_ms", "fleet_max_lag_events",
         "fleet_step_lag_events", "fleet_step_drain_s", "fleet_bytes_per_home", "fleet_cold_homes_per_s",
         "fleet_failover_s"), _fleet, "hearth.fleet._bench",
        default=False),
)

SECTIONS: dict[str, tuple[str, ...]] = {
    "core": ("bus", "state", "persistence", "memory", "load"),
    **{job.section: (job.section,) for job in JOBS},
}


def job(name: str) -> Job:
    """The job called `name`."""
    for candidate in JOBS:
        if candidate.name == name:
            return candidate
    raise KeyError(name)


def available(j: Job) -> bool:
    """Whether the job's optional module is installed (core jobs always are)."""
    return j.module is None or _installed(j.module)
