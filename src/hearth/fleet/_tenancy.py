"""Multi-tenant isolation: per-home NATS credentials that reach only the home's own subjects, and reads from
PostgreSQL that are always scoped to one home.

In a NATS server config each home gets a user whose permissions cover `hearth.<home>.>` only (publish readings
and copilot requests, subscribe to its commands and replies); the fleet's own services use one operator user.
At large scale the same rule is written once with decentralized JWT auth (a scoped signing key with the
template `hearth.{{tag(home)}}.>`), so no config lists every home.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from hearth.fleet._db import FleetDb
from hearth.fleet._subjects import check_home_id


def tenant_server_config(homes: Mapping[str, str], operator: tuple[str, str]) -> str:
    """NATS server config text: an all-access operator user and one user per home (home id → password)."""
    users: list[dict[str, Any]] = [{"user": operator[0], "password": operator[1]}]
    for home, password in homes.items():
        check_home_id(home)
        users.append({"user": home, "password": password, "permissions": {
            "publish": {"allow": [f"hearth.{home}.in", f"hearth.{home}.ask"]},
            "subscribe": {"allow": [f"hearth.{home}.cmd.>", "_INBOX.>"]},
            "allow_responses": True,
        }})
    return "authorization: " + json.dumps({"users": users}, indent=1) + "\n"


class TenantView:
    """Read one home's data; the home id is bound at creation and every query filters on it."""

    def __init__(self, db: FleetDb, home: str) -> None:
        self._db = db
        self.home = check_home_id(home)

    async def state(self) -> dict[tuple[str, str, str], Any]:
        """The home's current values."""
        rows = await self._db.pool.fetch("SELECT device, service, prop, value FROM state WHERE home = $1", self.home)
        return {(r["device"], r["service"], r["prop"]): r["value"] for r in rows}

    async def history(self, device: str, service: str, prop: str, since: float = 0.0) -> list[tuple[float, Any]]:
        """(time, value) of one property since `since`."""
        rows = await self._db.pool.fetch(
            "SELECT time, value FROM history WHERE home = $1 AND device = $2 AND service = $3 AND prop = $4 "
            "AND time >= $5 ORDER BY time", self.home, device, service, prop, since)
        return [(r["time"], r["value"]) for r in rows]

    async def audit(self, limit: int = 100) -> list[dict[str, Any]]:
        """The home's latest audited commands, newest first."""
        rows = await self._db.pool.fetch(
            "SELECT command_id, time, actor, device, service, target, value FROM audit WHERE home = $1 "
            "ORDER BY ord DESC LIMIT $2", self.home, limit)
        return [dict(r) for r in rows]

    async def users(self) -> list[dict[str, Any]]:
        """The home's users (without token hashes)."""
        rows = await self._db.pool.fetch("SELECT id, name, role FROM users WHERE home = $1 ORDER BY id", self.home)
        return [dict(r) for r in rows]
