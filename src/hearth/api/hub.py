"""Start the HTTP API (REST, WebSocket, dashboard, MCP) with the hub when an address is configured."""

from __future__ import annotations

import asyncio
import ipaddress
from contextlib import AsyncExitStack
from pathlib import Path

from hearth.api._app import WithMcp, create_app
from hearth.api._mcp import mcp_http_app
from hearth.api._server import HttpServer
from hearth.api._users import UserStore
from hearth.errors import HearthError
from hearth.hub import Hub, HubConfig, register_subsystem


def is_loopback(host: str) -> bool:
    """Whether an address is loopback only."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def users_path(config: HubConfig, home_id: str) -> Path | str:
    """Where the user database lives: beside the hub database, else in memory."""
    if config.data_dir is not None:
        return config.data_dir / f"{home_id}.users.db"
    if config.database is not None:
        return config.database.with_suffix(".users.db")
    return ":memory:"


@register_subsystem(50)
async def start_api(hub: Hub, config: HubConfig, stack: AsyncExitStack) -> None:
    """Serve the API when `config.http_host` is set."""
    if config.http_host is None:
        return
    users = UserStore(users_path(config, hub.home.id))
    stack.callback(users.close)
    mcp_app, mcp_sessions = mcp_http_app(hub, users, config.data_dir)
    mcp_ready, mcp_stop = asyncio.Event(), asyncio.Event()

    async def run_mcp_sessions() -> None:
        # The MCP session manager's task group must open and close in one task: this one.
        async with mcp_sessions:
            mcp_ready.set()
            await mcp_stop.wait()

    hub.spawn(run_mcp_sessions(), "mcp-sessions")
    stack.callback(mcp_stop.set)
    await mcp_ready.wait()
    app = WithMcp(create_app(hub, users, config.data_dir), mcp_app, users)
    server = HttpServer(app, config.http_host, config.http_port)
    server.bind()
    started = asyncio.Event()
    task = hub.spawn(server.serve(started), "http")
    stack.callback(server.stop)
    done, _ = await asyncio.wait({task, asyncio.ensure_future(started.wait())}, return_when=asyncio.FIRST_COMPLETED)
    if task in done:
        raise HearthError(f"the web server stopped at start: {task.exception()}")
    hub.services["http"] = server
    hub.services["users"] = users
