"""Hearth's faces: REST + WebSocket API, the web dashboard and the MCP server."""

from hearth.api._app import create_app
from hearth.api._users import ROLES, Role, User, UserError, UserStore

__all__ = ["ROLES", "Role", "User", "UserError", "UserStore", "create_app"]
