"""Try a rule from a sentence in the twin: make its conditions true, simulate its trigger, report what fired."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any
from zoneinfo import ZoneInfo

import yaml

from hearth.automation import parse_rules
from hearth.automation._geo import location_keys
from hearth.automation._scenario import _Scenario, run_scenario
from hearth.copilot._text import Lang
from hearth.model import Home

_MONDAY = dt.date(2026, 1, 5)
_DAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]


def _start(home: Home, rule: Mapping[str, Any]) -> str:
    trigger = rule["triggers"][0]
    day, clock = _MONDAY, "12:00"
    for c in rule.get("conditions", ()):
        if c["condition"] == "time":
            days = c.get("weekday")
            if days:
                day = _MONDAY + dt.timedelta(days=_DAYS.index(days if isinstance(days, str) else days[0]))
            if c.get("after"):
                h, m = map(int, str(c["after"]).split(":"))
                clock = f"{(h + (m + 1) // 60) % 24:02d}:{(m + 1) % 60:02d}"
            elif c.get("before"):
                h, m = map(int, str(c["before"]).split(":"))
                clock = f"{(h - 1) % 24:02d}:{m:02d}"
        if c["condition"] in ("or", "sun"):
            clock = "22:30"
    if trigger["trigger"] == "time":
        h, m = map(int, str(trigger["at"]).split(":"))
        clock = f"{(h - (m == 0)) % 24:02d}:{(m - 1) % 60:02d}"
    return f"{day.isoformat()}T{clock}:00"


def _set(device: str, prop: str, value: Any, at: float) -> dict[str, Any]:
    return {"at": at, "set": {"device": device, "property": prop, "value": value}}


def _place(home: Home, device: str, zone: str, km_away: float, at: float) -> list[dict[str, Any]]:
    z = home.zones[zone]
    lat_key, lon_key = location_keys(home.devices[device])
    lat = z.latitude + km_away / 111.0
    return [_set(device, _name(lat_key), lat, at), _set(device, _name(lon_key), z.longitude, at)]


def _name(key: tuple[str, str, str]) -> str:
    return key[2] if key[2].startswith("Vehicle.") else f"{key[1]}.{key[2]}"


def _devices(raw: Any) -> list[str]:
    return [raw] if isinstance(raw, str) else list(raw)


def _prior(value: Any) -> Any:
    return (not value) if isinstance(value, bool) else None


def _steps(home: Home, rule: Mapping[str, Any]) -> tuple[list[dict[str, Any]], float]:
    t = rule["triggers"][0]
    steps: list[dict[str, Any]] = []
    watched = {(d, t.get("property")) for d in _devices(t.get("device") or [])}
    for c in rule.get("conditions", ()):
        for d in _devices(c.get("device") or []):
            if (d, c.get("property")) in watched:
                continue
            if c["condition"] == "state":
                steps.append(_set(d, c["property"], c["state"], 0))
            elif c["condition"] == "numeric":
                value = c["above"] + 1 if c.get("above") is not None else c["below"] - 1
                steps.append(_set(d, c["property"], value, 0))
            elif c["condition"] == "zone":
                steps.extend(_place(home, d, c["zone"], 0.0, 0))
    kind, hold = t["trigger"], float(str(t.get("for", "0")).rstrip("s"))
    if kind == "state":
        for d in _devices(t["device"]):
            prior = _prior(t["to"])
            if prior is not None:
                steps.append(_set(d, t["property"], prior, 1))
            steps.append(_set(d, t["property"], t["to"], 30))
    elif kind == "numeric":
        low, high = t.get("above"), t.get("below")
        for d in _devices(t["device"]):
            steps.append(_set(d, t["property"], low - 1 if low is not None else high + 1, 1))
            steps.append(_set(d, t["property"], low + 1 if low is not None else high - 1, 30))
    elif kind in ("zone", "distance"):
        near = (t["below"] / 2) if kind == "distance" else 0.0
        inside = kind == "distance" or t["event"] == "enter"
        for d in _devices(t["device"]):
            steps.extend(_place(home, d, t["zone"], 50.0 if inside else near, 1))
            steps.extend(_place(home, d, t["zone"], near if inside else 50.0, 30))
    elif kind == "perception":
        steps.append({"at": 30, "perception": {"camera": t["camera"], "kind": t.get("kind") or "person"}})
    elif kind == "event":
        steps.append({"at": 30, "event": {"device": t["device"], "event": t["event"]}})
    return steps, (hold + 120 if kind != "sun" else 86400.0)


async def try_rule(home: Home, rule: Mapping[str, Any], scenes: list[dict[str, Any]], lang: Lang) \
        -> tuple[dict[str, Any], str]:
    """Run the rule once on the fake clock with its trigger simulated; returns the outcome and a sentence."""
    ruleset = parse_rules(yaml.safe_dump({"scenes": scenes, "rules": [dict(rule)]}, allow_unicode=True), home,
                          "<sentence>")
    steps, duration = _steps(home, rule)
    start = _start(home, rule)
    if rule["triggers"][0]["trigger"] == "sun":
        start = start[:11] + "06:00:00"
    scenario = _Scenario.model_validate({"start": start, "duration": duration, "steps": steps})
    result = (await run_scenario(home, ruleset, scenario)).to_dict()
    fired = bool(result["fired"])
    commands = [f"{c['device']} {c['target']} → {c['value']}" if c.get("value") is not None else
                f"{c['device']} {c['target']}" for c in result["commands"]]
    told = sorted({who for n in result["notifications"] for who in n["to"]})
    summary = {"start": start, "fired": fired, "commands": result["commands"],
               "notifications": result["notifications"], "final_states": result["final_states"]}
    local = dt.datetime.fromisoformat(start).replace(tzinfo=ZoneInfo(home.timezone)).strftime("%H:%M")
    if lang == "zh":
        if not fired:
            return summary, f"试运行（从{local}开始模拟触发）：没有触发。"
        done = "；".join(commands + [f"通知{'、'.join(told)}"] * bool(told))
        return summary, f"试运行（从{local}开始模拟触发）：规则触发了，会执行：{done}。"
    if not fired:
        return summary, f"Dry run (trigger simulated from {local}): it did not fire."
    done = "; ".join(commands + [f"notify {', '.join(told)}"] * bool(told))
    return summary, f"Dry run (trigger simulated from {local}): it fired and would: {done}."
