"""Automation speed: automations/s and event→action latency with many state-triggered rules, and memory.

Each rule watches its own sensor and sets a light when the sensor changes, so every change triggers exactly
one rule whose action is one command through the full command path (validation, policy, adapter, audit).
Traces are on, as in normal use. Throughput is events over the process's CPU time (the wall-clock rate is
reported beside it); latency is measured per event, from publishing the change to the command being done.
Run `python -m hearth.automation._bench` for a quick look.
"""

from __future__ import annotations

import asyncio
import gc
import json
import resource
import sys
import time
from typing import Any

from hearth.automation._engine import Engine
from hearth.automation._loader import compile_rules
from hearth.automation._model import RuleSet
from hearth.core import FakeClock
from hearth.hub import build_core
from hearth.model import Device, Format, Home, Location, PropertySpec, ServiceSpec, Spec, ValueRange, builtin_types

_LIGHTS = 100


def bench_home(rules: int) -> Home:
    """A home with `rules` sensors and 100 lights."""
    sensor = Spec("bench-sensor", {"sensor": ServiceSpec("sensor", properties={
        "value": PropertySpec("value", Format.INT, range=ValueRange(0, 1e12))})})
    light = builtin_types()["light"]
    devices = {f"sensor_{i}": Device(f"sensor_{i}", f"Sensor {i}", "bench-sensor", sensor) for i in range(rules)}
    devices.update({f"lamp_{i}": Device(f"lamp_{i}", f"Lamp {i}", "light", light.spec, initial=light.defaults)
                    for i in range(_LIGHTS)})
    return Home("bench", "Bench", Location(), "UTC", {}, {}, {}, {}, devices)


def bench_rules(home: Home, rules: int, with_condition: bool) -> RuleSet:
    """One state-triggered rule per sensor, each setting one light's brightness."""
    items = (
        {
            "id": f"rule_{i}",
            "triggers": [{"trigger": "state", "device": f"sensor_{i}", "property": "sensor.value"}],
            "conditions": [{"condition": "numeric", "device": f"sensor_{i}", "property": "sensor.value",
                            "above": -1}] if with_condition else [],
            "actions": [{"command": {"device": f"lamp_{i % _LIGHTS}", "property": "light.brightness",
                                     "value": 1 + i % 100}}],
        }
        for i in range(rules)
    )
    return compile_rules(home, items, "<bench>")


async def _measure(rules: int, with_condition: bool, events: int) -> dict[str, Any]:
    home = bench_home(rules)
    clock = FakeClock()
    bus, state, commands = build_core(home, clock)
    commands.audit = type(commands.audit)(maxlen=1000)
    engine = Engine(home, bus, clock, state, commands)
    engine.load(bench_rules(home, rules, with_condition))
    latencies = [0] * events
    async with engine:
        gc.collect()
        apply, perf = state.apply, time.perf_counter_ns
        names = [f"sensor_{i % rules}" for i in range(events)]
        start, cpu_start = perf(), time.process_time()
        for n in range(events):
            t0 = perf()
            apply(names[n], "sensor", "value", n + 1)
            latencies[n] = perf() - t0
        wall, cpu = (perf() - start) / 1e9, time.process_time() - cpu_start
    fired = sum(len(rt.traces) for rt in engine.rules.values())
    done = sum(t.outcome == "done" for rt in engine.rules.values() for t in rt.traces)
    latencies.sort()
    return {
        "rules": rules, "with_condition": with_condition, "events": events,
        # CPU time of this process: a busy machine preempting the benchmark does not count against it.
        "automations_per_s": round(events / cpu),
        "automations_per_s_wall": round(events / wall),
        "throughput_measured_on": "process CPU time",
        "p50_ms": round(latencies[events // 2] / 1e6, 4),
        "p99_ms": round(latencies[int(events * 0.99)] / 1e6, 4),
        "traces_kept": fired, "runs_done_in_kept_traces": done,
    }


def bench_automations(rules: int, with_condition: bool) -> dict[str, Any]:
    """Automations per second and event→action latency (p50/p99, ms) with `rules` state-triggered rules."""
    events = max(20_000, rules * 2)
    return asyncio.run(_measure(rules, with_condition, events))


def _rss_mb() -> float:
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def rss_with_rules(rules: int = 10_000) -> dict[str, Any]:
    """Resident memory of a process (meant to be fresh) holding `rules` loaded and attached rules."""

    async def hold() -> dict[str, Any]:
        before = _rss_mb()
        home = bench_home(rules)
        clock = FakeClock()
        bus, state, commands = build_core(home, clock)
        engine = Engine(home, bus, clock, state, commands)
        engine.load(bench_rules(home, rules, with_condition=True))
        async with engine:
            for i in range(rules):
                state.apply(f"sensor_{i}", "sensor", "value", 1)  # every rule has run once and holds a trace
            gc.collect()
            return {"rules": rules, "rss_mb": round(_rss_mb(), 1), "rss_before_mb": round(before, 1)}

    return asyncio.run(hold())


if __name__ == "__main__":
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
    print(json.dumps(bench_automations(n, "--condition" in sys.argv)))
