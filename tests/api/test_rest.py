from __future__ import annotations

import pytest

from tests.api.conftest import Running


async def test_openapi_is_published(served: Running) -> None:
    async with served.client(None) as client:
        spec = (await client.get("/openapi.json")).json()
    assert "/api/commands" in spec["paths"] and "/api/devices" in spec["paths"]


async def test_first_run_setup_then_login_with_cookie(served: Running) -> None:
    async with served.client(None) as client:
        assert (await client.get("/api/setup")).json() == {"needed": False}
        refused = await client.post("/api/setup", json={"name": "eve", "password": "whatever123"})
        assert refused.status_code == 409
        assert (await client.post("/api/login", json={"name": "alice", "password": "nope"})).status_code == 401
        ok = await client.post("/api/login", json={"name": "alice", "password": "correct horse"})
        assert ok.status_code == 200 and "hearth_session" in ok.cookies
        assert (await client.get("/api/me")).json()["role"] == "admin"
        await client.post("/api/logout")
        assert (await client.get("/api/me")).status_code == 401


async def test_unauthenticated_requests_get_401_json(served: Running) -> None:
    async with served.client(None) as client:
        response = await client.get("/api/devices")
    assert response.status_code == 401
    assert "login" in response.json()["error"]


async def test_command_changes_state_and_is_audited_with_actor(served: Running) -> None:
    async with served.client("adult") as client:
        response = await client.post("/api/commands", json={
            "device": "living_floor_lamp", "service": "light", "property": "brightness", "value": 40})
        assert response.status_code == 200, response.text
        assert response.json()["state"]["light.brightness"] == 40
        audit = (await client.get("/api/audit", params={"limit": 5})).json()
    assert audit[0]["actor"] == {"kind": "person", "id": "bob", "role": "adult"}
    assert served.hub.state.get("living_floor_lamp", "light", "brightness") == 40


@pytest.mark.parametrize(
    "body,status,fragment",
    [
        ({"device": "ghost", "service": "light", "property": "on", "value": True}, 404, "no device"),
        ({"device": "living_floor_lamp", "service": "light", "property": "brightness", "value": 150}, 422, "outside"),
        ({"device": "living_floor_lamp", "service": "light", "property": "brightness"}, 422, "value"),
        ({"device": "living_floor_lamp", "service": "light"}, 422, "exactly one"),
        ({"device": "living_floor_lamp", "service": "light", "property": "on", "value": True, "x": 1}, 422, "x"),
        ({"device": "living_climate", "service": "environment", "property": "temperature", "value": 3}, 422,
         "read-only"),
        ({"device": "front_door_lock", "service": "lock", "property": "locked", "value": False}, 409, "confirm"),
    ],
)
async def test_bad_commands_get_clear_errors_and_change_nothing(
    served: Running, body: dict[str, object], status: int, fragment: str
) -> None:
    before = dict(served.hub.state.values)
    async with served.client("admin") as client:
        response = await client.post("/api/commands", json=body)
    assert response.status_code == status, response.text
    assert fragment in response.json()["error"]
    assert dict(served.hub.state.values) == before


async def test_malformed_json_is_422_not_500(served: Running) -> None:
    async with served.client("admin") as client:
        response = await client.post("/api/commands", content=b"{nope", headers={"content-type": "application/json"})
    assert response.status_code == 422
    assert "error" in response.json()


async def test_child_cannot_unlock_even_with_confirmation(served: Running) -> None:
    body = {"device": "front_door_lock", "service": "lock", "property": "locked", "value": False, "confirm": True}
    async with served.client("child") as client:
        response = await client.post("/api/commands", json=body)
        assert response.status_code == 403
        garage = await client.post("/api/commands", json={
            "device": "garage_door", "service": "garage-door", "property": "target-position", "value": 100,
            "confirm": True})
        assert garage.status_code == 403
    async with served.client("admin") as client:
        assert (await client.post("/api/commands", json=body)).status_code == 200
        audit = (await client.get("/api/audit", params={"limit": 5})).json()
    assert any(r["actor"]["id"] == "mia" and not r["ok"] for r in audit)


async def test_guest_sees_only_shared_rooms_and_no_people(served: Running) -> None:
    async with served.client("guest") as client:
        devices = {d["id"] for d in (await client.get("/api/devices")).json()}
        home = (await client.get("/api/home")).json()
        hidden = await client.get("/api/devices/master_bedside_lamp")
        audit = await client.get("/api/audit", params={"actor": "alice"})
    assert "living_ceiling_light" in devices
    assert "master_bedside_lamp" not in devices and "alice" not in devices
    assert "car" not in devices and "garage_door" not in devices  # the demo home's permissions hide the garage
    assert home["people"] == [] and all(a["shared"] for a in home["areas"])
    assert hidden.status_code == 404
    assert audit.status_code == 403


async def test_users_and_tokens_need_admin(served: Running) -> None:
    async with served.client("adult") as client:
        assert (await client.get("/api/users")).status_code == 403
        assert (await client.post("/api/users", json={"name": "x", "password": "12345678"})).status_code == 403
        token = (await client.post("/api/tokens", json={"label": "script"})).json()["token"]
    async with served.client(None) as client:
        me = await client.get("/api/me", headers={"Authorization": f"Bearer {token}"})
        assert me.json()["name"] == "bob"
    async with served.client("admin") as client:
        created = await client.post("/api/users", json={"name": "nan", "password": "grandma123", "role": "adult"})
        assert created.status_code == 201
        dup = await client.post("/api/users", json={"name": "nan", "password": "grandma123"})
        assert dup.status_code == 409
        short = await client.post("/api/users", json={"name": "kid2", "password": "short"})
        assert short.status_code == 422
        ghost = await client.post("/api/users", json={"name": "ann", "password": "12345678", "person": "nobody"})
        assert ghost.status_code == 422


async def test_device_detail_history_and_webhook(served: Running) -> None:
    async with served.client("admin") as client:
        detail = (await client.get("/api/devices/living_ac")).json()
        assert detail["spec"]["services"]["air-conditioner"]["properties"]["target-temperature"]["range"]["max"] == 30
        for value in (20, 21, 22):
            await client.post("/api/commands", json={"device": "living_ac", "service": "air-conditioner",
                                                     "property": "target-temperature", "value": value})
        history = (await client.get("/api/devices/living_ac/history/air-conditioner/target-temperature")).json()
        assert [p["value"] for p in history["points"]][-3:] == [20, 21, 22]
        missing = await client.get("/api/devices/living_ac/history/air-conditioner/flavour")
        assert missing.status_code == 404
        assert (await client.post("/api/webhooks/doorbell", json={"who": "courier"})).status_code == 200
        assert (await client.post("/api/webhooks/doorbell", content=b"[1]")).status_code == 400


async def test_home_file_permissions_apply_to_the_api(served: Running) -> None:
    body = {"device": "water_heater", "service": "water-heater", "property": "target-temperature", "value": 60}
    async with served.client("child") as client:
        assert (await client.post("/api/commands", json=body)).status_code == 403
    async with served.client("adult") as client:
        assert (await client.post("/api/commands", json=body)).status_code == 200
