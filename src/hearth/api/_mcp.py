"""The MCP server: AI agents drive the home through tools, with their user's permissions.

Over HTTP every call is authenticated by the bearer token of a Hearth user; over stdio the token is given
when the server starts. Agents act as `Actor("agent", <user>)`; risky commands answer "needs confirmation"
exactly as they do for people, and the agent must ask its human before repeating them with `confirm=true`.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, MutableMapping
from pathlib import Path
from typing import Any

from mcp.server.mcpserver import Context, MCPServer
from mcp.server.mcpserver.exceptions import ToolError

from hearth.api import _rules
from hearth.api._access import can_see, visible_devices
from hearth.api._users import User, UserStore
from hearth.api._views import device_view, home_view
from hearth.automation import parse_rules
from hearth.core import Actor, Command
from hearth.errors import HearthError
from hearth.hub import Hub

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]


class ToolRefused(HearthError, ToolError):
    """A tool call was refused; the message goes back to the agent (a ToolError, so the SDK passes it on)."""


def _bearer(ctx: Context) -> str:
    request = ctx.request_context.request if ctx.request_context else None
    headers = getattr(request, "headers", None)
    if headers is None:
        return ""
    auth = str(headers.get("authorization", ""))
    return auth[7:].strip() if auth.lower().startswith("bearer ") else ""


def build_mcp(hub: Hub, users: UserStore, stdio_user: User | None = None, data_dir: Path | None = None) -> MCPServer:
    """An MCP server exposing the home to agents."""
    server: MCPServer = MCPServer(
        name="hearth",
        log_level="WARNING",
        instructions=(
            "Hearth controls one household's devices, car and people's presence. Use list_devices to learn "
            "device ids, then get_state / set_property / call_action. Risky actions (unlocking, opening the "
            "garage or trunk) return 'needs confirmation': ask the human, then repeat with confirm=true."
        ),
    )

    def caller(ctx: Context) -> User:
        if stdio_user is not None:
            return stdio_user
        user = users.authenticate(_bearer(ctx))
        if user is None:
            raise ToolRefused("not authenticated: send 'Authorization: Bearer <Hearth API token>'")
        return user

    def visible(user: User, device_id: str) -> None:
        device = hub.home.devices.get(device_id)
        if device is None or not can_see(user, device, hub.home):
            raise ToolRefused(f"no device {device_id!r}; call list_devices for the ids")

    async def run(user: User, command: Command) -> dict[str, Any]:
        result = await hub.commands.execute(command, Actor("agent", user.name, user.role))
        if not result.ok:
            needs = "confirm" in result.message.lower()
            return {"ok": False, "error": result.message, "needs_confirmation": needs}
        return {"ok": True, "state": device_view(hub.home.devices[command.device], hub.state)["state"]}

    @server.tool()
    async def list_areas(ctx: Context) -> list[dict[str, Any]]:
        """List the home's areas (rooms) with their floors and aliases."""
        user = caller(ctx)
        return [{"id": a.id, "name": a.name, "aliases": list(a.aliases), "floor": a.floor}
                for a in hub.home.areas.values() if user.role != "guest" or a.shared]

    @server.tool()
    async def list_devices(ctx: Context, area: str | None = None, type: str | None = None) -> list[dict[str, Any]]:
        """List devices (id, name, type, area, aliases), optionally filtered by area id or device type."""
        user = caller(ctx)
        return [device_view(d) for d in visible_devices(user, hub.home)
                if (area is None or d.area == area) and (type is None or d.type == type)]

    @server.tool()
    async def get_state(ctx: Context, device: str) -> dict[str, Any]:
        """Read every property of one device, with its spec (formats, ranges, choices)."""
        user = caller(ctx)
        visible(user, device)
        return device_view(hub.home.devices[device], hub.state, with_spec=True)

    @server.tool()
    async def set_property(
        ctx: Context, device: str, service: str, property: str, value: Any, confirm: bool = False
    ) -> dict[str, Any]:
        """Set one property through Hearth's validated command path."""
        user = caller(ctx)
        visible(user, device)
        return await run(user, Command(device, service, property=property, value=value, confirmed=confirm))

    @server.tool()
    async def call_action(
        ctx: Context, device: str, service: str, action: str, args: dict[str, Any] | None = None,
        confirm: bool = False,
    ) -> dict[str, Any]:
        """Call a device action (e.g. vacuum start-sweep) through the validated command path."""
        user = caller(ctx)
        visible(user, device)
        return await run(user, Command(device, service, action=action, args=args or {}, confirmed=confirm))

    @server.tool()
    async def ask(ctx: Context, text: str, confirm: bool = False) -> dict[str, Any]:
        """Ask Hearth's copilot in Chinese or English; it acts with your permissions."""
        user = caller(ctx)
        copilot = hub.services.get("copilot")
        if copilot is None:
            raise ToolRefused("the copilot is not running on this hub")
        answer: dict[str, Any] = await copilot.ask(text, Actor("agent", user.name, user.role), confirm=confirm)
        return answer

    @server.tool()
    async def list_rules(ctx: Context) -> list[dict[str, Any]]:
        """List automations with whether they are enabled."""
        caller(ctx)
        if hub.services.get("automation") is None:
            return []
        return _rules.describe_rules(_rules.engine_of(hub))

    @server.tool()
    async def create_rule(ctx: Context, rule_yaml: str, confirm: bool = False) -> dict[str, Any]:
        """Add automations in Hearth's rule YAML: first validated and shown; added when repeated with confirm."""
        user = caller(ctx)
        if user.role not in ("admin", "adult"):
            raise ToolRefused(f"a {user.role} may not change automations")
        try:
            if not confirm:
                checked = parse_rules(rule_yaml, hub.home, "<agent rule>")
                return {"valid": True, "rules": [r.id for r in checked.rules], "needs_confirmation": True,
                        "message": "valid; ask the human, then repeat with confirm=true to enable"}
            return {"added": _rules.add_rules(hub, rule_yaml, data_dir)}
        except HearthError as exc:
            raise ToolRefused(str(exc)) from None

    @server.resource("hearth://home", mime_type="application/json")
    def home_resource() -> str:
        """The home: floors, areas, people, zones and devices."""
        view = home_view(hub.home)
        view["devices"] = [device_view(d) for d in hub.home.devices.values()]
        return json.dumps(view, ensure_ascii=False)

    return server


def mcp_http_app(hub: Hub, users: UserStore, data_dir: Path | None = None) -> tuple[Any, Any]:
    """The streamable-HTTP MCP app (served at /mcp) and the context manager that runs its sessions."""
    server = build_mcp(hub, users, data_dir=data_dir)
    app = server.streamable_http_app(streamable_http_path="/mcp")
    return app, server.session_manager.run()
