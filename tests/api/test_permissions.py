"""The permission matrix: every role against every kind of action, with the exact answer each must get.

Roles come from the users (admin alice, adult bob, child mia, guest visitor); the demo home adds per-device
entries on top (children don't control the water heater or the charger; guests don't see the garage).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx2
import pytest
import websockets
from mcp import Client
from mcp.client.streamable_http import streamable_http_client

from hearth.hub import HubConfig, demo_home_text, open_hub
from hearth.model import Home, parse_home
from tests.api.conftest import Running

ROLES = ("admin", "adult", "child", "guest")
SELF = {"admin": "alice", "adult": "bob", "child": "mia", "guest": "visitor"}
UNLOCK = {"device": "front_door_lock", "service": "lock", "property": "locked", "value": False}
RULE = """
- id: rule_by_{who}
  triggers: [{{trigger: time, at: "06:30"}}]
  actions: [{{command: {{device: porch_light, property: light.on, value: false}}}}]
"""


@dataclass(frozen=True)
class Action:
    """One request and the status each role must get, in ROLES order."""

    name: str
    method: str
    path: str
    expect: tuple[int, int, int, int]
    body: Any = None
    params: dict[str, str] | None = None


def _command(device: str, service: str, prop: str, value: object, confirm: bool = False) -> dict[str, Any]:
    return {"device": device, "service": service, "property": prop, "value": value, "confirm": confirm}


ACTIONS = (
    # reading
    Action("read a device in a shared room", "GET", "/api/devices/living_floor_lamp", (200, 200, 200, 200)),
    Action("read a device in a private room", "GET", "/api/devices/master_bedside_lamp", (200, 200, 200, 404)),
    Action("read a person", "GET", "/api/devices/alice", (200, 200, 200, 404)),
    Action("read a device the home file hides from guests", "GET", "/api/devices/garage_light",
           (200, 200, 200, 404)),
    Action("read history in a private room", "GET", "/api/devices/master_bedside_lamp/history/light/brightness",
           (200, 200, 200, 404)),
    # lights
    Action("set a light in a shared room", "POST", "/api/commands", (200, 200, 200, 200),
           _command("living_floor_lamp", "light", "brightness", 40)),
    Action("set a light in a private room", "POST", "/api/commands", (200, 200, 200, 404),
           _command("master_bedside_lamp", "light", "on", True)),
    # risky things
    Action("unlock the front door without confirming", "POST", "/api/commands", (409, 409, 403, 403), UNLOCK),
    Action("unlock the front door, confirmed", "POST", "/api/commands", (200, 200, 403, 403),
           {**UNLOCK, "confirm": True}),
    Action("open the garage, confirmed", "POST", "/api/commands", (200, 200, 403, 404),
           _command("garage_door", "garage-door", "target-position", 100, confirm=True)),
    Action("unlock the car, confirmed", "POST", "/api/commands", (200, 200, 403, 404),
           _command("car", "vehicle", "Vehicle.Cabin.Door.Row1.DriverSide.IsLocked", False, confirm=True)),
    # per-device entries of the demo home file
    Action("switch the water heater (denied to children)", "POST", "/api/commands", (200, 200, 403, 200),
           _command("water_heater", "water-heater", "on", True)),
    Action("switch the charger (denied to children)", "POST", "/api/commands", (200, 200, 403, 404),
           _command("ev_charger", "charger", "on", False)),
    # automations
    Action("list automations", "GET", "/api/rules", (200, 200, 200, 200)),
    Action("switch an automation off", "POST", "/api/rules/front_door_open/disable", (200, 200, 403, 403)),
    Action("add an automation", "POST", "/api/rules", (201, 201, 403, 403), {"yaml": RULE}),
    # users and tokens
    Action("list users", "GET", "/api/users", (200, 403, 403, 403)),
    Action("create a user", "POST", "/api/users", (201, 403, 403, 403),
           {"name": "new_{who}", "password": "long enough", "role": "child"}),
    Action("change a user's role", "PATCH", "/api/users/visitor", (200, 403, 403, 403), {"role": "guest"}),
    Action("remove a user that does not exist", "DELETE", "/api/users/nobody", (404, 403, 403, 403)),
    Action("create a token for alice", "POST", "/api/tokens", (201, 403, 403, 403), {"user": "alice"}),
    Action("create a token for yourself", "POST", "/api/tokens", (201, 201, 201, 201), {"label": "mine"}),
    # audit
    Action("read everyone's audit", "GET", "/api/audit", (200, 200, 200, 200)),
    Action("read alice's audit", "GET", "/api/audit", (200, 200, 403, 403), params={"actor": "alice"}),
    Action("read your own audit", "GET", "/api/audit", (200, 200, 200, 200), params={"actor": "{who}"}),
)


def _fill(value: Any, who: str) -> Any:
    if isinstance(value, str):
        return value.replace("{who}", who) if "{who}" in value else value
    if isinstance(value, dict):
        return {k: _fill(v, who) for k, v in value.items()}
    return value


async def _status(served: Running, role: str, action: Action) -> int:
    who = SELF[role]
    body = action.body
    if isinstance(body, dict) and "yaml" in body:
        body = {"yaml": RULE.format(who=who)}
    async with served.client(role) as client:
        response = await client.request(action.method, action.path, json=_fill(body, who),
                                        params=_fill(action.params, who))
    assert response.status_code < 300 or "error" in response.json(), response.text
    return response.status_code


async def test_rest_permission_matrix(served: Running) -> None:
    wrong = []
    for action in ACTIONS:
        for role, expected in zip(ROLES, action.expect, strict=True):
            got = await _status(served, role, action)
            if got != expected:
                wrong.append(f"{role:6} {action.name}: expected {expected}, got {got}")
    assert not wrong, "\n".join(wrong)
    refused = [r for r in served.hub.commands.audit if not r.ok]
    assert {r.actor.id for r in refused} >= {"mia", "visitor"}, "refusals are audited with their actor"


async def test_guest_and_child_audit_shows_only_their_own(served: Running) -> None:
    for role in ("child", "guest"):
        async with served.client(role) as client:
            rows = (await client.get("/api/audit")).json()
        assert all(r["actor"]["id"] == SELF[role] for r in rows)


# ---- MCP: the same permissions for agents ----


@asynccontextmanager
async def _mcp(served: Running, role: str) -> AsyncIterator[Client]:
    http = httpx2.AsyncClient(headers={"Authorization": f"Bearer {served.tokens[role]}"}, timeout=10)
    async with http, Client(streamable_http_client(served.url + "/mcp", http_client=http)) as client:
        yield client


def _outcome(result: Any) -> str:
    """`ok`, `refused` (a tool error or ok=false) or `confirm` (needs confirmation)."""
    if result.is_error:
        return "refused"
    payload = json.loads(result.content[0].text)
    if isinstance(payload, dict) and payload.get("needs_confirmation"):
        return "confirm"
    if isinstance(payload, dict) and payload.get("ok") is False:
        return "refused"
    return "ok"


MCP_CALLS: tuple[tuple[str, str, dict[str, Any], tuple[str, str, str, str]], ...] = (
    ("read a private-room lamp", "get_state", {"device": "master_bedside_lamp"}, ("ok", "ok", "ok", "refused")),
    ("set a shared light", "set_property", {"device": "living_floor_lamp", "service": "light", "property": "on",
                                            "value": True}, ("ok", "ok", "ok", "ok")),
    ("unlock the door", "set_property", UNLOCK, ("confirm", "confirm", "refused", "refused")),
    ("unlock the door, confirmed", "set_property", {**UNLOCK, "confirm": True}, ("ok", "ok", "refused", "refused")),
    ("open the garage, confirmed", "set_property", {"device": "garage_door", "service": "garage-door",
                                                    "property": "target-position", "value": 100, "confirm": True},
     ("ok", "ok", "refused", "refused")),
    ("switch the water heater", "set_property", {"device": "water_heater", "service": "water-heater",
                                                 "property": "on", "value": True}, ("ok", "ok", "refused", "ok")),
    ("check a new automation", "create_rule", {"rule_yaml": RULE.format(who="agent")},
     ("confirm", "confirm", "refused", "refused")),
)


@pytest.mark.parametrize("role", ROLES)
async def test_mcp_permission_matrix(served: Running, role: str) -> None:
    index = ROLES.index(role)
    wrong = []
    async with _mcp(served, role) as client:
        for name, tool, args, expect in MCP_CALLS:
            got = _outcome(await client.call_tool(tool, args))
            if got != expect[index]:
                wrong.append(f"{role}: {name}: expected {expect[index]}, got {got}")
        listed = await client.call_tool("list_devices", {})
        ids = {d["id"] for d in (listed.structured_content or {})["result"]}
    assert not wrong, "\n".join(wrong)
    assert ("master_bedside_lamp" in ids) == (role != "guest")
    assert ("garage_door" in ids) == (role != "guest")


# ---- per-person entries in a home file ----

EXTRA = """
  - {people: [bob], areas: [study], deny: [light.brightness]}
  - {people: [mia], devices: [study_desk_lamp], deny: [see]}
"""


def _home_with_more_permissions() -> Home:
    return parse_home(demo_home_text().rstrip() + EXTRA, "demo+permissions")


@pytest.fixture
async def stricter(tmp_path: Path) -> AsyncIterator[Running]:
    config = HubConfig(_home_with_more_permissions(), simulate=False, http_host="127.0.0.1", http_port=0,
                       data_dir=tmp_path)
    async with open_hub(config) as hub:
        users = hub.services["users"]
        users.add("alice", "correct horse", "admin", "alice")
        users.add("bob", "battery staple", "adult", "bob")
        users.add("mia", "kid password", "child", "mia")
        tokens = {role: users.new_token(name, "test") for role, name in
                  (("admin", "alice"), ("adult", "bob"), ("child", "mia"))}
        yield Running(hub, hub.services["http"].url, tokens)


async def test_home_file_denies_one_property_to_one_person(stricter: Running) -> None:
    dim = _command("study_desk_lamp", "light", "brightness", 30)
    async with stricter.client("adult") as client:
        assert (await client.post("/api/commands", json=_command("study_desk_lamp", "light", "on", True))
                ).status_code == 200
        refused = await client.post("/api/commands", json=dim)
        assert refused.status_code == 403 and "light.brightness" in refused.json()["error"]
    async with stricter.client("admin") as client:
        assert (await client.post("/api/commands", json=dim)).status_code == 200
    assert stricter.hub.state.get("study_desk_lamp", "light", "brightness") == 30


async def test_home_file_hides_a_device_from_one_person(stricter: Running) -> None:
    async with stricter.client("child") as client:
        listed = {d["id"] for d in (await client.get("/api/devices")).json()}
        detail = await client.get("/api/devices/study_desk_lamp")
        command = await client.post("/api/commands", json=_command("study_desk_lamp", "light", "on", True))
        ceiling = await client.get("/api/devices/study_ceiling_light")
    assert "study_desk_lamp" not in listed and "study_ceiling_light" in listed
    assert detail.status_code == 404 and command.status_code == 404 and ceiling.status_code == 200
    assert stricter.hub.state.get("study_desk_lamp", "light", "on") is False


# ---- WebSocket: the same visibility, also inside batched frames ----


async def _stream(served: Running, role: str, burst: int) -> list[dict[str, Any]]:
    url = served.url.replace("http://", "ws://") + f"/api/ws?token={served.tokens[role]}"
    got: list[dict[str, Any]] = []
    async with websockets.connect(url) as ws:
        assert json.loads(await ws.recv())["type"] == "snapshot"
        for i in range(burst):  # one synchronous burst: the stream must batch it, not lose or leak any of it
            device = "master_bedside_lamp" if i % 2 else "living_floor_lamp"
            served.hub.state.apply(device, "light", "brightness", 1 + i % 100)
        served.hub.state.apply("porch_light", "light", "on", True)
        while not any(m.get("device") == "porch_light" for m in got):
            message = json.loads(await asyncio.wait_for(ws.recv(), 5))
            got.extend(message["messages"] if message["type"] == "batch" else [message])
    return got


@pytest.mark.parametrize("role", ROLES)
async def test_stream_carries_only_what_the_role_may_see(served: Running, role: str) -> None:
    got = await _stream(served, role, 600)
    states = [m for m in got if m["type"] == "state"]
    private = [m for m in states if m["device"] == "master_bedside_lamp"]
    shared = [m["new"] for m in states if m["device"] == "living_floor_lamp"]
    assert shared == [1 + i % 100 for i in range(0, 600, 2)], "every shared change, in order"
    assert len(private) == (0 if role == "guest" else 300)
