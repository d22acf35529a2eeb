"""Try rules against a home on the fake clock: a scenario is a timeline of device reports and events.

```yaml
start: "2026-01-01T19:00:00"     # local time of the home (or with an offset); default 2026-01-01 08:00 local
duration: 8h                     # how long to run; default: until a minute after the last step
steps:
  - {at: 0, set: {device: car, property: Vehicle.CurrentLocation.Latitude, value: 31.25}}
  - {at: 5m, event: {device: doorbell, event: ring}}
  - {at: 6m, webhook: {id: garden, payload: {rain: true}}}
  - {at: 7m, perception: {camera: front_camera, kind: person, count: 1}}
```
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from pydantic import Field, ValidationError, model_validator

from hearth.automation._compiler import dotted, explain, locate
from hearth.automation._engine import Engine
from hearth.automation._loader import read_yaml
from hearth.automation._model import RuleSet
from hearth.automation._mqtt import as_text
from hearth.automation._schema_base import Duration, Scalar, Strict
from hearth.core import (
    AuditRecorded,
    DeviceEvent,
    Event,
    FakeClock,
    HubStarted,
    MqttMessage,
    Notification,
    PerceptionDetected,
    WebhookReceived,
)
from hearth.errors import RuleError, SpecError
from hearth.hub import build_core
from hearth.model import Home, Value


class _Set(Strict):
    device: str
    property: str
    value: Scalar


class _DeviceEvent(Strict):
    device: str
    event: str
    service: str | None = None
    arguments: dict[str, Scalar] = Field(default_factory=dict)


class _Webhook(Strict):
    id: str
    payload: dict[str, Any] = Field(default_factory=dict)


class _Perception(Strict):
    camera: str
    kind: str = "person"
    count: int = 1
    label: str = ""
    confidence: float = 1.0


class _Mqtt(Strict):
    topic: str = Field(min_length=1)
    payload: Scalar | dict[str, Any] | list[Any] = ""  # a mapping or list is sent as JSON
    retained: bool = False


class _Step(Strict):
    at: Duration = 0.0
    set: _Set | None = None
    event: _DeviceEvent | None = None
    webhook: _Webhook | None = None
    perception: _Perception | None = None
    mqtt: _Mqtt | None = None

    @model_validator(mode="after")
    def _one(self) -> _Step:
        if sum(x is not None for x in (self.set, self.event, self.webhook, self.perception, self.mqtt)) != 1:
            raise ValueError("a step has exactly one of set, event, webhook, perception, mqtt")
        return self


class _Scenario(Strict):
    start: str | float | None = None
    duration: Duration | None = None
    steps: list[_Step] = Field(default_factory=list)


@dataclass
class ScenarioResult:
    """What happened: runs (traces), commands the rules issued, notifications and the states that changed."""

    start: float
    runs: list[dict[str, Any]] = field(default_factory=list)
    commands: list[dict[str, Any]] = field(default_factory=list)
    notifications: list[dict[str, Any]] = field(default_factory=list)
    final_states: dict[str, dict[str, Value]] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        fired = [r for r in self.runs if r["outcome"] not in ("condition", "skipped")]
        return {"start": self.start, "fired": fired, "runs": self.runs, "commands": self.commands,
                "notifications": self.notifications, "final_states": self.final_states}


def _start(raw: str | float | None, tz: ZoneInfo) -> float:
    if raw is None:
        return FakeClock().now()
    if isinstance(raw, float | int):
        return float(raw)
    try:
        moment = dt.datetime.fromisoformat(raw)
    except ValueError:
        raise RuleError(f"start: {raw!r} is not a date-time like 2026-01-01T19:00:00") from None
    return (moment if moment.tzinfo else moment.replace(tzinfo=tz)).timestamp()


def load_scenario(path: str | Path) -> tuple[_Scenario, Any, str]:
    """Read and validate a scenario file."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except OSError as exc:
        raise RuleError(f"{p}: cannot read ({exc.strerror})") from None
    data, root = read_yaml(text, str(p))
    try:
        return _Scenario.model_validate(data or {}), root, str(p)
    except ValidationError as exc:
        err = exc.errors()[0]
        line, kept = locate(root, [x for x in err["loc"] if isinstance(x, str | int)])
        raise RuleError(f"{p}:{line or 1}: {dotted(kept) or 'file'}: {explain(err)}") from None


def _event(home: Home, step: _Step, now: float, where: str) -> tuple[str, str, str, Value] | Event:
    if step.set is not None:
        device = home.devices.get(step.set.device)
        if device is None:
            raise RuleError(f"{where}: unknown device {step.set.device!r}")
        try:
            service, spec = device.spec.find(step.set.property)
            return (device.id, service, spec.name, spec.validate(step.set.value))
        except SpecError as exc:
            raise RuleError(f"{where}: {device.id}: {exc}") from None
    if step.event is not None:
        e = step.event
        if e.device not in home.devices:
            raise RuleError(f"{where}: unknown device {e.device!r}")
        service = e.service or next((s.name for s in home.devices[e.device].spec.services.values()
                                     if e.event in s.events), "")
        return DeviceEvent(now, e.device, service, e.event, dict(e.arguments))
    if step.webhook is not None:
        return WebhookReceived(now, step.webhook.id, dict(step.webhook.payload))
    if step.mqtt is not None:
        return MqttMessage(now, step.mqtt.topic, as_text(step.mqtt.payload), step.mqtt.retained)
    assert step.perception is not None
    p = step.perception
    return PerceptionDetected(now, p.camera, p.kind, p.count, (), p.confidence, p.label)


async def run_scenario(home: Home, ruleset: RuleSet, scenario: _Scenario, source: str = "<scenario>",
                       root: Any = None) -> ScenarioResult:
    """Run every rule (enabled or not) against the home on a fake clock, following the scenario."""
    tz = ZoneInfo(home.timezone)
    clock = FakeClock(_start(scenario.start, tz))
    bus, state, commands = build_core(home, clock)
    initial = dict(state.values)
    result = ScenarioResult(clock.now())
    t0 = clock.now()
    bus.subscribe(AuditRecorded, lambda a: result.commands.append({
        "time": round(a.time - t0, 3), "rule": a.actor.id, "device": a.device, "service": a.service,
        "target": a.target, "value": a.value, "ok": a.ok, "message": a.message,
    }) if a.actor.kind == "rule" else None)
    bus.subscribe(Notification, lambda n: result.notifications.append({
        "time": round(n.time - t0, 3), "to": list(n.to), "title": n.title, "message": n.message, "source": n.source,
    }))
    engine = Engine(home, bus, clock, state, commands, trace_len=1000)
    engine.load(ruleset, {r.id: True for r in ruleset.rules})
    steps = sorted(enumerate(scenario.steps), key=lambda item: item[1].at)
    end = scenario.duration if scenario.duration is not None else (steps[-1][1].at + 60 if steps else 60)
    async with engine:
        bus.publish(HubStarted(clock.now()))
        for index, step in steps:
            await clock.run_for(max(0.0, t0 + step.at - clock.now()))
            line, _ = locate(root, ["steps", index])
            happened = _event(home, step, clock.now(), f"{source}:{line or 1}: steps[{index}]")
            if isinstance(happened, tuple):
                state.apply(*happened, cause="scenario")
            else:
                bus.publish(happened)
        await clock.run_for(max(0.0, t0 + end - clock.now()))
    traces = [t.to_dict() for rt in engine.rules.values() for t in rt.traces]
    for trace in sorted(traces, key=lambda t: (t["started"], t["run"])):
        trace["time"] = round(trace["started"] - t0, 3)
        result.runs.append(trace)
    for (device, service, prop), value in state.values.items():
        if initial.get((device, service, prop)) != value:
            result.final_states.setdefault(device, {})[f"{service}.{prop}"] = value
    return result
