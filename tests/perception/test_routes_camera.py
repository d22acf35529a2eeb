"""The camera endpoints, with each role: admins and adults see all cameras, children shared ones, guests none."""

from __future__ import annotations

from collections.abc import AsyncIterator
from types import SimpleNamespace
from typing import Annotated

import httpx
import numpy as np
import pytest
from fastapi import Depends, FastAPI, Request

from hearth.api._app import install_error_handlers
from hearth.api._routes_camera import router
from hearth.api._users import User
from hearth.core import Bus, FakeClock, StateStore
from hearth.model import parse_home
from hearth.perception import CameraEvent, Frame, PerceptionService, camera_settings, decode_jpeg, encode_jpeg
from tests.perception.conftest import inline

HOME = """
areas:
  - {id: porch, name: Porch}
  - {id: nursery, name: Nursery, shared: false}
devices:
  - {id: door_cam, name: Door camera, type: camera, area: porch}
  - {id: baby_cam, name: Baby monitor, type: camera, area: nursery}
  - {id: lamp, name: Lamp, type: light, area: porch}
"""


@pytest.fixture
async def client(astronaut: np.ndarray) -> AsyncIterator[httpx.AsyncClient]:
    home = parse_home(HOME)
    clock = FakeClock()
    bus = Bus()
    state = StateStore(bus, clock)
    state.load(home.initial_state())
    service = PerceptionService(home, bus, clock, state, offload=inline, settings=camera_settings(home))
    for camera in ("door_cam", "baby_cam"):
        service.cameras[camera].latest = Frame(camera, clock.now(), astronaut)
        service.events.add(CameraEvent(f"e-{camera}", clock.now(), camera, "person", count=1, snapshot=True),
                           encode_jpeg(astronaut))
    hub = SimpleNamespace(home=home, services={"perception": service})

    async def current(request: Request) -> User:
        return User("someone", request.headers["x-role"])  # type: ignore[arg-type]

    app = FastAPI()
    install_error_handlers(app)
    app.include_router(router(hub, Annotated[User, Depends(current)]))  # type: ignore[arg-type]
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://hearth") as http:
        yield http


@pytest.mark.parametrize(("role", "cameras"), [
    ("admin", ["baby_cam", "door_cam"]), ("adult", ["baby_cam", "door_cam"]), ("child", ["door_cam"]),
    ("guest", []),
])
async def test_who_sees_which_camera(client: httpx.AsyncClient, role: str, cameras: list[str]) -> None:
    listed = (await client.get("/api/cameras", headers={"x-role": role})).json()
    assert [c["id"] for c in listed["cameras"]] == cameras
    events = (await client.get("/api/cameras/events", headers={"x-role": role})).json()
    assert sorted(e["camera"] for e in events) == cameras


async def test_live_picture_and_event_snapshot(client: httpx.AsyncClient) -> None:
    live = await client.get("/api/cameras/door_cam/snapshot.jpg", headers={"x-role": "child"})
    assert live.status_code == 200 and live.headers["content-type"] == "image/jpeg"
    assert decode_jpeg(live.content).shape == (512, 512, 3)
    [event] = (await client.get("/api/cameras/events?camera=door_cam", headers={"x-role": "adult"})).json()
    picture = await client.get(event["snapshot_url"], headers={"x-role": "adult"})
    assert picture.status_code == 200 and picture.content[:2] == b"\xff\xd8"


async def test_forbidden_cameras_look_absent(client: httpx.AsyncClient) -> None:
    for path in ("/api/cameras/baby_cam/snapshot.jpg", "/api/cameras/events/e-baby_cam/snapshot.jpg",
                 "/api/cameras/events?camera=baby_cam"):
        response = await client.get(path, headers={"x-role": "child"})
        assert response.status_code == 404, path
    guest = await client.get("/api/cameras/door_cam/snapshot.jpg", headers={"x-role": "guest"})
    assert guest.status_code == 404
    lamp = await client.get("/api/cameras/lamp/snapshot.jpg", headers={"x-role": "admin"})
    assert lamp.status_code == 404
