from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx2
from mcp import Client
from mcp.client.streamable_http import streamable_http_client

from tests.api.conftest import Running


@asynccontextmanager
async def _client(served: Running, role: str) -> AsyncIterator[Client]:
    http = httpx2.AsyncClient(headers={"Authorization": f"Bearer {served.tokens[role]}"}, timeout=10)
    async with http, Client(streamable_http_client(served.url + "/mcp", http_client=http)) as client:
        yield client


def _payload(result: object) -> object:
    content = result.content  # type: ignore[attr-defined]
    text = content[0].text
    return json.loads(text)


async def test_agent_lists_reads_and_commands_through_the_command_path(served: Running) -> None:
    async with _client(served, "adult") as client:
        tools = {t.name for t in (await client.list_tools()).tools}
        assert {"list_devices", "get_state", "set_property", "call_action", "list_areas", "ask"} <= tools
        listed = await client.call_tool("list_devices", {"type": "light", "area": "kitchen"})
        assert "kitchen_light" in str(listed.content[0])
        result = await client.call_tool("set_property", {"device": "kitchen_light", "service": "light",
                                                         "property": "brightness", "value": 33})
        assert _payload(result)["ok"] is True  # type: ignore[index]
    assert served.hub.state.get("kitchen_light", "light", "brightness") == 33
    last = served.hub.commands.audit[-1]
    assert last.actor.kind == "agent" and last.actor.id == "bob"


async def test_risky_agent_action_needs_confirmation_and_child_token_is_refused(served: Running) -> None:
    args = {"device": "front_door_lock", "service": "lock", "property": "locked", "value": False}
    async with _client(served, "adult") as client:
        first = _payload(await client.call_tool("set_property", args))
        assert first["needs_confirmation"] is True  # type: ignore[index]
        assert served.hub.state.get("front_door_lock", "lock", "locked") is True
    async with _client(served, "child") as client:
        denied = _payload(await client.call_tool("set_property", {**args, "confirm": True}))
        assert denied["ok"] is False and "child" in denied["error"]  # type: ignore[index]
    assert served.hub.state.get("front_door_lock", "lock", "locked") is True


async def test_home_resource_and_guest_visibility(served: Running) -> None:
    async with _client(served, "guest") as client:
        resource = await client.read_resource("hearth://home")
        assert "Living room" in resource.contents[0].text  # type: ignore[union-attr]
        hidden = await client.call_tool("get_state", {"device": "master_bedside_lamp"})
        assert hidden.is_error


async def test_mcp_without_token_is_401(served: Running) -> None:
    async with httpx2.AsyncClient() as http:
        response = await http.post(served.url + "/mcp", json={"jsonrpc": "2.0", "id": 1, "method": "ping"})
    assert response.status_code == 401
