"""Serve the hub over HTTP, manage users, and speak MCP over stdio."""

from __future__ import annotations

import asyncio
import contextlib
import getpass
import os
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from hearth.cli._app import app, fail
from hearth.cli._session import HomeOption
from hearth.hub import HubConfig, load_home_or_demo, open_hub
from hearth.model import Home

if TYPE_CHECKING:
    from hearth.api import UserStore

users_app = typer.Typer(help="Manage the people who can log in.", no_args_is_help=True)
app.add_typer(users_app, name="users")

HostOption = Annotated[str, typer.Option("--host", help="address to listen on (loopback by default)")]
PortOption = Annotated[int, typer.Option("--port", help="HTTP port")]
RemoteOption = Annotated[bool, typer.Option("--allow-remote", help="allow listening beyond loopback")]
DataOption = Annotated[Path | None, typer.Option("--data-dir", help="where databases live (default .hearth/)")]


def data_dir(path: Path | None) -> Path:
    """The data directory: --data-dir, HEARTH_DATA_DIR, or .hearth/ here."""
    chosen = path or Path(os.environ.get("HEARTH_DATA_DIR", ".hearth"))
    chosen.mkdir(parents=True, exist_ok=True)
    return chosen


def check_bind(host: str, allow_remote: bool) -> None:
    """Refuse to listen beyond loopback unless explicitly allowed."""
    from hearth.api.hub import is_loopback

    if not is_loopback(host) and not allow_remote:
        fail(f"{host} is reachable from the network; add --allow-remote if that is what you want")


@app.command()
def serve(
    home: HomeOption = None,
    host: HostOption = "127.0.0.1",
    port: PortOption = 8480,
    allow_remote: RemoteOption = False,
    data: DataOption = None,
    simulate: Annotated[bool, typer.Option(help="run the digital twin for simulator devices")] = True,
    rules: Annotated[Path | None, typer.Option("--rules", help="rules file")] = None,
) -> None:
    """Run the hub with its web dashboard, REST/WebSocket API and MCP endpoint."""
    check_bind(host, allow_remote)
    loaded = load_home_or_demo(home)
    folder = data_dir(data)
    config = HubConfig(loaded, simulate=simulate, http_host=host, http_port=port, data_dir=folder,
                       database=folder / f"{loaded.id}.db", rules=rules)

    async def run() -> None:
        async with open_hub(config) as hub:
            server = hub.services["http"]
            users = hub.services["users"]
            typer.echo(f"Hearth is serving {loaded.name} at {server.url}")
            if users.is_empty():
                typer.echo("First run: open the dashboard to create the admin, or run 'hearth users add'.")
            await asyncio.Event().wait()

    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(run())


def _store(home: Path | None, data: Path | None) -> tuple[UserStore, Home]:
    # Imported here so commands that don't serve HTTP start fast.
    from hearth.api import UserStore

    loaded = load_home_or_demo(home)
    return UserStore(data_dir(data) / f"{loaded.id}.users.db"), loaded


@users_app.command("add")
def users_add(
    name: str,
    role: Annotated[str, typer.Option(help="admin, adult, child or guest")] = "adult",
    person: Annotated[str | None, typer.Option(help="the person in the home file this user is")] = None,
    password: Annotated[str | None, typer.Option(help="asked for when omitted")] = None,
    home: HomeOption = None,
    data: DataOption = None,
) -> None:
    """Create a user (the first one should be an admin)."""
    from hearth.api import ROLES, UserError

    store, loaded = _store(home, data)
    if role not in ROLES:
        fail(f"role must be one of {', '.join(ROLES)}")
    if person is not None and person not in loaded.people:
        fail(f"no person {person!r} in the home file")
    secret = password or getpass.getpass(f"password for {name}: ")
    try:
        user = store.add(name, secret, role, person)
    except UserError as exc:
        fail(str(exc))
    typer.echo(f"created {user.name} ({user.role})")


@users_app.command("list")
def users_list(home: HomeOption = None, data: DataOption = None) -> None:
    """List users."""
    store, _ = _store(home, data)
    for user in store.all():
        typer.echo(f"{user.name}\t{user.role}\t{user.person or ''}")


@users_app.command("token")
def users_token(
    name: str, label: str = "script", home: HomeOption = None, data: DataOption = None
) -> None:
    """Create a long-lived API token for a user (printed once)."""
    from hearth.api import UserError

    store, _ = _store(home, data)
    try:
        typer.echo(store.new_token(name, label))
    except UserError as exc:
        fail(str(exc))


@app.command()
def mcp(
    home: HomeOption = None,
    data: DataOption = None,
    token: Annotated[str | None, typer.Option(envvar="HEARTH_TOKEN", help="API token of the acting user")] = None,
    simulate: bool = True,
) -> None:
    """Speak MCP over stdio, acting as the token's user."""
    from hearth.api import UserStore
    from hearth.api._mcp import build_mcp

    loaded = load_home_or_demo(home)
    folder = data_dir(data)
    users = UserStore(folder / f"{loaded.id}.users.db")
    user = users.authenticate(token or "")
    if user is None:
        fail("an API token is required (--token or HEARTH_TOKEN; create one with 'hearth users token NAME')")
    config = HubConfig(loaded, simulate=simulate, data_dir=folder, database=folder / f"{loaded.id}.db")

    async def run() -> None:
        async with open_hub(config) as hub:
            await build_mcp(hub, users, stdio_user=user, data_dir=folder).run_stdio_async()

    asyncio.run(run())
