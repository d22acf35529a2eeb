"""Cameras: their health, the live picture and perception events with snapshots, for permitted roles only."""

# Annotations stay evaluated here: FastAPI resolves the `current` user dependency from them.


from typing import Any

from fastapi import APIRouter, Query
from fastapi.responses import Response

from hearth.api._app import ApiError
from hearth.api._users import User
from hearth.hub import Hub
from hearth.model import Device, Home

_NO_STORE = {"Cache-Control": "no-store"}


def may_watch(user: User, device: Device, home: Home) -> bool:
    """Adults and admins see every camera; children only those in shared areas; guests none."""
    if device.type != "camera" or user.role == "guest":
        return False
    if user.role in ("admin", "adult"):
        return True
    area = home.areas.get(device.area) if device.area else None
    return device.shared and (area is None or area.shared)


def router(hub: Hub, current: Any) -> APIRouter:
    """Routes under /api/cameras."""
    api = APIRouter(prefix="/api/cameras", tags=["cameras"])

    def perception() -> Any:
        service = hub.services.get("perception")
        if service is None:
            raise ApiError(503, "cameras are not running in this hub")
        return service

    def watchable(user: User) -> set[str]:
        return {d.id for d in hub.home.devices.values() if may_watch(user, d, hub.home)}

    def camera_for(user: User, camera: str) -> str:
        if camera not in watchable(user):
            raise ApiError(404, f"no camera {camera!r}")
        return camera

    @api.get("")
    async def cameras(user: current) -> dict[str, Any]:
        """The cameras this user may watch, with health, counters and the vision model's figures."""
        allowed = watchable(user)
        service = hub.services.get("perception")
        status = {s["camera"]: s for s in service.status()} if service is not None else {}
        rows = []
        for camera in sorted(allowed):
            device = hub.home.devices[camera]
            rows.append({"id": camera, "name": device.name, "area": device.area,
                         "running": camera in status, **status.get(camera, {})})
        vlm = service.vlm_stats() if service is not None else {"calls": 0}
        return {"cameras": rows, "vlm": vlm}

    @api.get("/events")
    async def events(user: current, camera: str | None = None,
                     limit: int = Query(50, ge=1, le=500)) -> list[dict[str, Any]]:
        """The newest perception events of the cameras this user may watch."""
        if camera is not None:
            camera_for(user, camera)
        found = perception().events.recent(camera, limit, cameras=watchable(user))
        return [{**e.as_dict(), "snapshot_url": f"/api/cameras/events/{e.id}/snapshot.jpg" if e.snapshot else None}
                for e in found]

    @api.get("/events/{event_id}/snapshot.jpg", response_class=Response)
    async def event_snapshot(event_id: str, user: current) -> Response:
        """The JPEG kept with one event."""
        log = perception().events
        event = log.get(event_id)
        if event is None or event.camera not in watchable(user):
            raise ApiError(404, "no such event")
        jpeg = log.snapshot(event_id)
        if jpeg is None:
            raise ApiError(404, "this event has no snapshot (or it was pruned)")
        return Response(jpeg, media_type="image/jpeg", headers=_NO_STORE)

    @api.get("/{camera}/snapshot.jpg", response_class=Response)
    async def live(camera: str, user: current) -> Response:
        """The camera's newest frame as JPEG, privacy masks applied."""
        jpeg = await perception().live_jpeg(camera_for(user, camera))
        if jpeg is None:
            raise ApiError(503, f"{camera} has not sent a frame yet")
        return Response(jpeg, media_type="image/jpeg", headers=_NO_STORE)

    @api.get("/{camera}/rules")
    async def rules(camera: str, user: current) -> list[dict[str, Any]]:
        """The camera rules watching this camera."""
        camera_for(user, camera)
        return [r.model_dump(exclude_none=True) for r in perception().rules if r.camera == camera]

    return api
