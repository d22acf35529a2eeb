"""The home, its devices, their specs, states and history, commands and the audit log."""

# Annotations stay evaluated here: FastAPI resolves the `current` user dependency from them.


import asyncio
from typing import Any

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict, Field, model_validator

from hearth.api._access import actor_for, can_see, visible_devices
from hearth.api._app import ApiError
from hearth.api._users import User
from hearth.api._views import audit_view, device_view, home_view, spec_view
from hearth.core import Command
from hearth.errors import SpecError
from hearth.hub import Hub
from hearth.model import Device, Value


class CommandBody(BaseModel):
    """Set a property or call an action on one device."""

    model_config = ConfigDict(extra="forbid")

    device: str = Field(min_length=1, max_length=200)
    service: str = Field(min_length=1, max_length=200)
    property: str | None = Field(default=None, max_length=300)
    value: bool | int | float | str | None = None
    action: str | None = Field(default=None, max_length=200)
    args: dict[str, bool | int | float | str] = Field(default_factory=dict)
    confirm: bool = False

    @model_validator(mode="after")
    def _one_target(self) -> "CommandBody":
        if (self.property is None) == (self.action is None):
            raise ValueError("give exactly one of 'property' (with 'value') or 'action'")
        if self.property is not None and self.value is None:
            raise ValueError("'value' is required with 'property'")
        return self


def router(hub: Hub, current: Any) -> APIRouter:
    """Routes under /api for the home and its devices."""
    api = APIRouter(prefix="/api", tags=["home"])

    def device_for(user: User, device_id: str) -> Device:
        device = hub.home.devices.get(device_id)
        if device is None or not can_see(user, device, hub.home):
            raise ApiError(404, f"no device {device_id!r}")
        return device

    @api.get("/home")
    async def home(user: current) -> dict[str, Any]:
        """The home: floors, areas, people and zones (guests see shared areas only)."""
        view = home_view(hub.home)
        if user.role == "guest":
            view["areas"] = [a for a in view["areas"] if a["shared"]]
            view["people"] = []
        return view

    @api.get("/areas")
    async def areas(user: current) -> list[dict[str, Any]]:
        """Areas with the ids of the devices the caller can see in them."""
        visible = visible_devices(user, hub.home)
        result = []
        for area in hub.home.areas.values():
            ids = [d.id for d in visible if d.area == area.id]
            if user.role == "guest" and not area.shared:
                continue
            result.append({"id": area.id, "name": area.name, "aliases": list(area.aliases), "floor": area.floor,
                           "devices": ids})
        return result

    @api.get("/devices")
    async def devices(
        user: current,
        area: str | None = None,
        type: str | None = None,
        state: bool = True,
    ) -> list[dict[str, Any]]:
        """Devices the caller can see, optionally by area or type, with their states."""
        return [
            device_view(d, hub.state if state else None)
            for d in visible_devices(user, hub.home)
            if (area is None or d.area == area) and (type is None or d.type == type)
        ]

    @api.get("/devices/{device_id}")
    async def device(device_id: str, user: current) -> dict[str, Any]:
        """One device with its state and spec."""
        return device_view(device_for(user, device_id), hub.state, with_spec=True)

    @api.get("/devices/{device_id}/spec")
    async def spec(device_id: str, user: current) -> dict[str, Any]:
        """One device's spec."""
        return spec_view(device_for(user, device_id).spec)

    @api.get("/states")
    async def states(user: current) -> dict[str, dict[str, Value | None]]:
        """Current state of every visible device: {device: {"service.property": value}}."""
        return {d.id: device_view(d, hub.state)["state"] for d in visible_devices(user, hub.home)}

    @api.get("/devices/{device_id}/history/{service}/{prop}")
    async def history(
        device_id: str,
        service: str,
        prop: str,
        user: current,
        since: float = 0.0,
        until: float | None = None,
        limit: int = Query(default=1000, ge=1, le=100_000),
    ) -> dict[str, Any]:
        """Recorded values of one property over a window (epoch seconds)."""
        device = device_for(user, device_id)
        try:
            device.spec.property(service, prop)
        except SpecError as exc:
            raise ApiError(404, str(exc)) from None
        store = hub.services.get("store")
        if store is not None:
            # the store waits for its writer's last batch and reads SQLite: off the event loop
            rows = await asyncio.to_thread(store.history, device_id, service, prop, since=since, until=until,
                                           limit=limit)
        else:
            rows = [r for r in hub.state.history(device_id, service, prop, since) if until is None or r[0] <= until]
        return {"device": device_id, "service": service, "property": prop,
                "points": [{"time": t, "value": v} for t, v in rows[-limit:]]}

    @api.post("/commands")
    async def command(body: CommandBody, user: current) -> dict[str, Any]:
        """Run a command through the command path as the caller; risky ones need `confirm: true`."""
        device_for(user, body.device)
        cmd = Command(body.device, body.service, property=body.property, value=body.value, action=body.action,
                      args=body.args, confirmed=body.confirm)
        result = await hub.commands.execute(cmd, actor_for(user))
        if result.error is not None:
            raise result.error  # refused commands are audited too; the error maps to 403/409/422/502
        if not result.ok:
            raise ApiError(502, result.message)
        return {"ok": True, "command_id": result.command.id, "device": body.device,
                "state": device_view(hub.home.devices[body.device], hub.state)["state"]}

    @api.get("/audit")
    async def audit(
        user: current, limit: int = Query(default=100, ge=1, le=10_000), actor: str | None = None
    ) -> list[dict[str, Any]]:
        """Who did what, newest first (admins and adults see everyone; others see their own)."""
        store = hub.services.get("store")
        mine = None if user.role in ("admin", "adult") else actor_for(user).id
        wanted = actor or mine
        if mine is not None and actor not in (None, mine):
            raise ApiError(403, "you can only read your own audit records")
        if store is not None and hasattr(store, "audit"):
            return [_audit_row(r) for r in await asyncio.to_thread(store.audit, limit=limit, actor=wanted)]
        records = [r for r in reversed(hub.commands.audit) if wanted is None or r.actor.id == wanted]
        return [audit_view(r) for r in records[:limit]]

    return api


def _audit_row(record: Any) -> dict[str, Any]:
    if isinstance(record, dict):
        return record
    if hasattr(record, "actor") and hasattr(record, "command_id"):
        return audit_view(record)
    return dict(record)
