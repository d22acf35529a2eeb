"""Device commands: list, read state, set, call, history, and spec import."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from hearth.cli._app import app, fail
from hearth.cli._session import DbOption, HomeOption, session
from hearth.core import Actor, Command
from hearth.errors import SpecError
from hearth.model import Value, iter_vss_leaves, spec_from_miot, spec_from_vss

spec_app = typer.Typer(help="Work with device specs.", no_args_is_help=True)
app.add_typer(spec_app, name="spec")

CLI_ACTOR = Actor("person", "cli", "admin")


def _fmt(value: Value | None) -> str:
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


@app.command()
def devices(
    home: HomeOption = None, db: DbOption = None, as_json: Annotated[bool, typer.Option("--json")] = False
) -> None:
    """List the home's devices."""
    with session(home, db) as s:
        found = list(s.home.devices.values())
    if as_json:
        rows = [{"id": d.id, "name": d.name, "type": d.type, "area": d.area or "", "aliases": list(d.aliases)}
                for d in found]
        typer.echo(json.dumps(rows, ensure_ascii=False, indent=1))
        return
    table = Table("id", "name", "type", "area")
    for d in found:
        table.add_row(d.id, d.name, d.type, d.area or "")
    Console().print(table)


@app.command()
def state(
    device: str,
    home: HomeOption = None,
    db: DbOption = None,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Show every property of one device."""
    with session(home, db) as s:
        dev = s.home.devices.get(device)
        if dev is None:
            fail(f"no device {device!r} (see 'hearth devices')")
        values = {f"{svc}.{prop}": s.state.get(device, svc, prop) for (svc, prop) in _props(dev.spec)}
    if as_json:
        typer.echo(json.dumps(values, ensure_ascii=False, indent=1))
        return
    table = Table("property", "value", title=f"{dev.name} ({dev.type})")
    for key, value in values.items():
        table.add_row(key, _fmt(value))
    Console().print(table)


def _props(spec: Any) -> list[tuple[str, str]]:
    return [(svc, prop.name) for svc, prop in spec.iter_properties()]


def _parse_value(text: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return text


def _address(device_spec: Any, target: str) -> tuple[str, str]:
    if target.startswith("Vehicle."):
        return "vehicle", target
    service, dot, name = target.partition(".")
    if not dot:
        fail(f"{target!r}: write SERVICE.NAME (e.g. light.brightness)")
    return service, name


HubOption = Annotated[
    str | None,
    typer.Option("--hub", envvar="HEARTH_HUB_URL",
                 help="a running hub's URL (e.g. http://127.0.0.1:8480): the command goes to its real devices"),
]
TokenOption = Annotated[
    str | None, typer.Option("--token", envvar="HEARTH_TOKEN", help="API token for --hub (hearth users token)")
]


def _via_hub(hub: str, token: str | None, body: dict[str, Any]) -> dict[str, Any]:
    """POST a command to a running hub's API as the token's user; errors become a CLI failure."""
    import httpx

    headers = {"Authorization": f"Bearer {token}"} if token else {}
    try:
        response = httpx.post(f"{hub.rstrip('/')}/api/commands", json=body, headers=headers, timeout=30)
    except httpx.HTTPError as exc:
        fail(f"cannot reach the hub at {hub}: {exc}")
    try:
        reply: dict[str, Any] = response.json()
    except ValueError:
        reply = {}
    if response.status_code != 200:
        error = reply.get("error")
        detail = error.get("message") if isinstance(error, dict) else reply.get("detail") or response.text[:200]
        fail(f"the hub refused ({response.status_code}): {detail}")
    return reply


@app.command("set")
def set_(
    device: str,
    target: Annotated[str, typer.Argument(help="SERVICE.PROPERTY")],
    value: str,
    home: HomeOption = None,
    db: DbOption = None,
    confirm: Annotated[bool, typer.Option("--confirm", help="confirm a risky change")] = False,
    hub: HubOption = None,
    token: TokenOption = None,
) -> None:
    """Set a property through the command path (of a running hub with --hub, else of the home's database)."""
    if hub:
        service, prop = _address(None, target)
        reply = _via_hub(hub, token, {"device": device, "service": service, "property": prop,
                                      "value": _parse_value(value), "confirm": confirm})
        typer.echo(f"{device}: {service}.{prop} = {_fmt(reply.get('state', {}).get(f'{service}.{prop}'))}")
        return
    with session(home, db) as s:
        dev = s.home.devices.get(device)
        if dev is None:
            fail(f"no device {device!r} (see 'hearth devices')")
        service, prop = _address(dev.spec, target)
        cmd = Command(device, service, property=prop, value=_parse_value(value), confirmed=confirm)
        result = asyncio.run(s.execute(cmd, CLI_ACTOR))
        if not result.ok:
            fail(result.message)
        typer.echo(f"{dev.name}: {service}.{prop} = {_fmt(s.state.get(device, service, prop))}")


@app.command()
def call(
    device: str,
    target: Annotated[str, typer.Argument(help="SERVICE.ACTION")],
    args: Annotated[list[str] | None, typer.Argument(help="NAME=VALUE ...")] = None,
    home: HomeOption = None,
    db: DbOption = None,
    confirm: Annotated[bool, typer.Option("--confirm")] = False,
    hub: HubOption = None,
    token: TokenOption = None,
) -> None:
    """Call a device action through the command path (of a running hub with --hub, else of the database's)."""
    parsed: dict[str, Any] = {}
    for item in args or []:
        name, eq, raw = item.partition("=")
        if not eq:
            fail(f"argument {item!r}: write NAME=VALUE")
        parsed[name] = _parse_value(raw)
    if hub:
        service, action = _address(None, target)
        _via_hub(hub, token, {"device": device, "service": service, "action": action, "args": parsed,
                              "confirm": confirm})
        typer.echo(f"{device}: {service}.{action} done")
        return
    with session(home, db) as s:
        dev = s.home.devices.get(device)
        if dev is None:
            fail(f"no device {device!r} (see 'hearth devices')")
        service, action = _address(dev.spec, target)
        result = asyncio.run(s.execute(Command(device, service, action=action, args=parsed, confirmed=confirm),
                                       CLI_ACTOR))
        if not result.ok:
            fail(result.message)
        typer.echo(f"{dev.name}: {service}.{action} done")


@app.command()
def history(
    device: str,
    target: Annotated[str, typer.Argument(help="SERVICE.PROPERTY")],
    home: HomeOption = None,
    db: DbOption = None,
    limit: int = 50,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Show a property's recorded history."""
    with session(home, db) as s:
        dev = s.home.devices.get(device)
        if dev is None:
            fail(f"no device {device!r}")
        service, prop = _address(dev.spec, target)
        try:
            dev.spec.property(service, prop)
        except SpecError as exc:
            fail(str(exc))
        rows = s.history(device, service, prop, limit)
    if as_json:
        typer.echo(json.dumps([{"time": t, "value": v} for t, v in rows], ensure_ascii=False))
        return
    from datetime import UTC, datetime

    for t, v in rows:
        typer.echo(f"{datetime.fromtimestamp(t, UTC).isoformat(timespec='seconds')}  {_fmt(v)}")


@spec_app.command("import")
def spec_import(path: Path, as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """Import a MIoT instance JSON or a VSS JSON file and print the resulting spec."""
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        fail(f"{path}: {exc}")
    if isinstance(doc, dict) and "Vehicle" in doc:
        spec = spec_from_vss(doc)
        kind = f"VSS ({sum(1 for _ in iter_vss_leaves(doc))} signals)"
    else:
        spec = spec_from_miot(doc)
        kind = "MIoT"
    summary = {
        "type": spec.type,
        "kind": kind,
        "services": {
            name: {
                "properties": {
                    p.name: {"format": p.format.value, "access": sorted(p.access), "unit": p.unit,
                             "range": [p.range.min, p.range.max, p.range.step] if p.range else None,
                             "choices": [c.description for c in p.choices] or None}
                    for p in svc.properties.values()
                },
                "actions": list(svc.actions),
                "events": list(svc.events),
            }
            for name, svc in spec.services.items()
        },
    }
    if as_json:
        typer.echo(json.dumps(summary, ensure_ascii=False, indent=1))
        return
    typer.echo(f"{spec.type} — {kind}")
    for name, svc in spec.services.items():
        typer.echo(f"  {name}: {len(svc.properties)} properties, {len(svc.actions)} actions, {len(svc.events)} events")
