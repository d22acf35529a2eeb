"""`hearth rules`: list, show, enable, disable, trace, test and check automation rules."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
from pathlib import Path
from typing import Annotated, Any
from zoneinfo import ZoneInfo

import typer
from rich.console import Console
from rich.table import Table

from hearth.automation import Rule, RuleSet, TimerStore, load_rules
from hearth.automation._prefs import data_dir, enabled_overrides, rules_for, set_enabled
from hearth.automation._scenario import load_scenario, run_scenario
from hearth.automation._trace import format_trace
from hearth.cli._app import app, fail
from hearth.cli._session import HomeOption
from hearth.hub import load_home_or_demo
from hearth.model import Home
from hearth.store import default_database

rules_app = typer.Typer(help="Automation rules: list, inspect, switch, trace and try them.", no_args_is_help=True)
app.add_typer(rules_app, name="rules")

RulesOption = Annotated[
    Path | None, typer.Option("--rules", help="rules file; the demo rules for the demo home when omitted")
]
JsonOption = Annotated[bool, typer.Option("--json", help="print JSON")]


def _load(home_path: Path | None, rules_path: Path | None) -> tuple[Home, RuleSet]:
    home = load_home_or_demo(home_path)
    return home, rules_for(home, rules_path)


def _rule(ruleset: RuleSet, rule_id: str) -> Rule:
    rule = ruleset.rule(rule_id)
    if rule is None:
        fail(f"no rule {rule_id!r} (rules: {', '.join(r.id for r in ruleset.rules) or 'none'})")
    return rule


def _summary(rule: Rule, enabled: bool) -> dict[str, Any]:
    return {"id": rule.id, "name": rule.name, "enabled": enabled, "mode": rule.mode,
            "triggers": [type(t).__name__.removesuffix("Trigger").lower() for t in rule.triggers],
            "conditions": len(rule.conditions), "actions": len(rule.actions), "source": rule.source}


@rules_app.command("list")
def list_(home: HomeOption = None, rules: RulesOption = None, as_json: JsonOption = False) -> None:
    """List the rules and whether each is enabled."""
    _, ruleset = _load(home, rules)
    overrides = enabled_overrides()
    rows = [_summary(r, overrides.get(r.id, r.enabled)) for r in ruleset.rules]
    if as_json:
        typer.echo(json.dumps(rows, ensure_ascii=False, indent=1))
        return
    table = Table("id", "name", "on", "mode", "triggers")
    for row in rows:
        on = "yes" if row["enabled"] else "no"
        table.add_row(row["id"], row["name"], on, row["mode"], ", ".join(row["triggers"]))
    Console().print(table)


@rules_app.command()
def show(rule_id: Annotated[str, typer.Argument(metavar="RULE")], home: HomeOption = None,
         rules: RulesOption = None, as_json: JsonOption = False) -> None:
    """Show one rule: triggers, conditions and actions as Hearth understood them."""
    _, ruleset = _load(home, rules)
    rule = _rule(ruleset, rule_id)
    enabled = enabled_overrides().get(rule.id, rule.enabled)
    detail = {**_summary(rule, enabled), "description": rule.description,
              "triggers": [repr(t) for t in rule.triggers], "conditions": [repr(c) for c in rule.conditions],
              "actions": [repr(a) for a in rule.actions]}
    if as_json:
        typer.echo(json.dumps(detail, ensure_ascii=False, indent=1))
        return
    typer.echo(f"{rule.id}: {rule.name}  [{'enabled' if enabled else 'disabled'}, mode {rule.mode}]  {rule.source}")
    if rule.description:
        typer.echo(f"  {rule.description}")
    for title in ("triggers", "conditions", "actions"):
        typer.echo(f"{title}:")
        for item in detail[title]:
            typer.echo(f"  - {item}")


def _switch(rule_id: str, home: Path | None, rules: Path | None, on: bool) -> None:
    _, ruleset = _load(home, rules)
    rule = _rule(ruleset, rule_id)
    path = set_enabled(rule.id, on)
    typer.echo(f"{rule.id}: {'enabled' if on else 'disabled'} (saved in {path}; applies when the hub starts)")


@rules_app.command()
def enable(rule_id: Annotated[str, typer.Argument(metavar="RULE")], home: HomeOption = None,
           rules: RulesOption = None) -> None:
    """Switch a rule on (persisted in the data directory)."""
    _switch(rule_id, home, rules, True)


@rules_app.command()
def disable(rule_id: Annotated[str, typer.Argument(metavar="RULE")], home: HomeOption = None,
            rules: RulesOption = None) -> None:
    """Switch a rule off (persisted in the data directory)."""
    _switch(rule_id, home, rules, False)


@rules_app.command()
def trace(
    rule_id: Annotated[str, typer.Argument(metavar="RULE")],
    home: HomeOption = None,
    db: Annotated[Path | None, typer.Option("--db", help="hub database; default <data dir>/<home id>.db")] = None,
    last: Annotated[int, typer.Option("--last", help="how many runs")] = 5,
    as_json: JsonOption = False,
) -> None:
    """Show the last runs of a rule: trigger, conditions, each action's outcome and timing."""
    house = load_home_or_demo(home)
    path = db or default_database(house.id)
    if not path.exists():
        fail(f"no hub database at {path} (start the hub, or give --db; data dir: {data_dir()})")
    store = TimerStore(path)
    try:
        runs = store.traces(rule_id, last)
    finally:
        store.close()
    if as_json:
        typer.echo(json.dumps(runs, ensure_ascii=False, indent=1))
        return
    if not runs:
        typer.echo(f"{rule_id}: no runs recorded")
        return
    tz = ZoneInfo(house.timezone)
    for run in runs:
        for line in format_trace(run, lambda t: dt.datetime.fromtimestamp(t, tz).isoformat(timespec="seconds")):
            typer.echo(line)


@rules_app.command()
def check(
    file: Annotated[Path, typer.Argument(help="rules file (YAML)")],
    home: HomeOption = None,
) -> None:
    """Validate a rules file against the home; prints the first problem with file, line, rule and field."""
    house = load_home_or_demo(home)
    ruleset = load_rules(file, house)
    typer.echo(f"ok: {len(ruleset.rules)} rules, {len(ruleset.scenes)} scenes in {file}")


@rules_app.command("test")
def test_(
    file: Annotated[Path, typer.Argument(help="rules file (YAML)")],
    scenario: Annotated[Path, typer.Option("--scenario", help="timeline of device reports and events (YAML)")],
    home: HomeOption = None,
    as_json: JsonOption = False,
) -> None:
    """Run rules against the home on a fake clock and show what fired, the commands and the final states."""
    house = load_home_or_demo(home)
    ruleset = load_rules(file, house)
    parsed, root, source = load_scenario(scenario)
    result = asyncio.run(run_scenario(house, ruleset, parsed, source, root))
    if as_json:
        typer.echo(json.dumps(result.to_dict(), ensure_ascii=False, indent=1, default=str))
        return
    report = result.to_dict()
    typer.echo(f"{len(report['fired'])} runs fired, {len(result.commands)} commands, "
               f"{len(result.notifications)} notifications")
    for run in report["fired"]:
        steps = ", ".join(f"{s['kind']}{'' if s['ok'] else ' ✗'}" for s in run["steps"])
        typer.echo(f"  +{_clock(run['time'])} {run['rule']}: {run['outcome']}"
                   + (f" ({run['message']})" if run["message"] else "") + (f" — {steps}" if steps else ""))
    for cmd in result.commands:
        typer.echo(f"  +{_clock(cmd['time'])} command {cmd['device']} {cmd['service']}.{cmd['target']} = "
                   f"{cmd['value']} ({'ok' if cmd['ok'] else cmd['message']}) by {cmd['rule']}")
    for note in result.notifications:
        typer.echo(f"  +{_clock(note['time'])} notify {', '.join(note['to'])}: {note['message']}")
    typer.echo("final states (changed):")
    for device, values in result.final_states.items():
        for prop, value in values.items():
            typer.echo(f"  {device} {prop} = {value}")


def _clock(seconds: float) -> str:
    whole = int(seconds)
    return f"{whole // 3600:02d}:{whole % 3600 // 60:02d}:{whole % 60:02d}"
