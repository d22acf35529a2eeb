"""The single-process oracle: every home on its own single-box core and engine, fed the same readings.

A fleet run is correct when, for every home, the commands it recorded are exactly the oracle's, in the same
order: nothing lost, nothing done twice, nothing reordered.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from hearth.automation import Engine, RuleSet
from hearth.core import CommandIssued, FakeClock
from hearth.fleet._messages import Reading
from hearth.hub import build_core
from hearth.model import Home

CommandKey = tuple[float, str, str, str, str]  # time, device, service, target, value as JSON-ish text


def command_key(time: float, device: str, service: str, target: str, value: Any) -> CommandKey:
    """A comparable form of a command (value normalised so JSON round trips compare equal)."""
    return (round(time, 3), device, service, target, repr(value))


@dataclass
class Verdict:
    """How a fleet's commands compare with the oracle's."""

    homes: int
    expected: int
    actual: int
    missing: int = 0
    extra: int = 0
    reordered_homes: int = 0
    examples: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when every home's commands match exactly."""
        return self.missing == 0 and self.extra == 0 and self.reordered_homes == 0

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready summary."""
        return {"ok": self.ok, "homes": self.homes, "expected": self.expected, "actual": self.actual,
                "missing": self.missing, "extra": self.extra, "reordered_homes": self.reordered_homes,
                "examples": self.examples[:5]}


async def run_oracle(readings: Iterable[Reading], home: Home, rules: RuleSet) -> dict[str, list[CommandKey]]:
    """Feed readings to one single-box engine per home; return each home's commands in order."""
    out: dict[str, list[CommandKey]] = {}
    running: dict[str, tuple[FakeClock, Any, Engine]] = {}
    try:
        for reading in readings:
            entry = running.get(reading.home)
            if entry is None:
                entry = await _start(reading, home, rules, out.setdefault(reading.home, []))
                running[reading.home] = entry
            clock, state, _ = entry
            delta = reading.time - clock.now()
            if delta > 0:
                await clock.run_for(delta)
            if not reading.is_tick:
                value = home.devices[reading.device].spec.property(reading.service, reading.property).validate(
                    reading.value)
                state.apply(reading.device, reading.service, reading.property, value, cause=reading.id)
    finally:
        for _, _, engine in running.values():
            await engine.__aexit__(None, None, None)
    return out


async def _start(reading: Reading, home: Home, rules: RuleSet, sink: list[CommandKey]) -> tuple[FakeClock, Any, Engine]:
    clock = FakeClock(reading.time)
    bus, state, commands = build_core(home, clock)
    bus.subscribe(CommandIssued, lambda e: sink.append(command_key(e.time, e.device, e.service, e.target, e.value)))
    engine = Engine(home, bus, clock, state, commands)
    engine.load(rules)
    await engine.__aenter__()
    return clock, state, engine


def compare(expected: Mapping[str, Sequence[CommandKey]], actual: Mapping[str, Sequence[CommandKey]]) -> Verdict:
    """Compare per-home command lists."""
    verdict = Verdict(len(expected), sum(map(len, expected.values())), sum(map(len, actual.values())))
    for home in sorted(set(expected) | set(actual)):
        want, got = list(expected.get(home, ())), list(actual.get(home, ()))
        if want == got:
            continue
        remaining = list(got)
        for item in want:
            if item in remaining:
                remaining.remove(item)
            else:
                verdict.missing += 1
                verdict.examples.append(f"{home}: missing {item}")
        verdict.extra += len(remaining)
        verdict.examples.extend(f"{home}: extra {item}" for item in remaining[:2])
        if not remaining and len(want) == len(got):
            verdict.reordered_homes += 1
            verdict.examples.append(f"{home}: commands in a different order")
    return verdict
