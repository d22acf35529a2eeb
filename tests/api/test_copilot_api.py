from __future__ import annotations

from hearth.testing import FakeLLMServer
from hearth.testing._llm_server import call_tools, say, tool_call
from tests.api.conftest import Running


async def test_ask_acts_as_the_caller_and_reports_changes(served: Running) -> None:
    async with served.client("adult") as client:
        answer = (await client.post("/api/copilot/ask", json={"text": "把厨房的灯打开"})).json()
    assert answer["status"] == "done" and answer["lang"] == "zh"
    assert served.hub.state.get("kitchen_light", "light", "on") is True
    assert any(c["device"] == "kitchen_light" for c in answer["changes"])
    assert served.hub.commands.audit[-1].actor.id == "bob"


async def test_risky_request_needs_confirmation_then_runs(served: Running) -> None:
    async with served.client("admin") as client:
        first = (await client.post("/api/copilot/ask", json={"text": "unlock the front door"})).json()
        assert first["status"] == "clarify" and first["needs_confirmation"] is True
        assert served.hub.state.get("front_door_lock", "lock", "locked") is True
        second = (await client.post("/api/copilot/ask", json={"text": "unlock the front door",
                                                                "confirm": True})).json()
    assert second["status"] == "done"
    assert served.hub.state.get("front_door_lock", "lock", "locked") is False


async def test_child_cannot_unlock_through_the_copilot(served: Running) -> None:
    async with served.client("child") as client:
        answer = (await client.post("/api/copilot/ask", json={"text": "unlock the front door",
                                                                "confirm": True})).json()
    assert answer["status"] == "refused"
    assert served.hub.state.get("front_door_lock", "lock", "locked") is True


async def test_bad_ask_bodies_are_422(served: Running) -> None:
    async with served.client("admin") as client:
        assert (await client.post("/api/copilot/ask", json={"text": ""})).status_code == 422
        assert (await client.post("/api/copilot/ask", json={"words": "hi"})).status_code == 422


async def test_llm_takes_over_when_offline_words_do_not_match(served: Running) -> None:
    script = [
        call_tools(tool_call("set_property", {"device": "balcony_light", "service": "light", "property": "on",
                                              "value": True})),
        say("The balcony light is on for your evening tea."),
    ]
    async with FakeLLMServer(script) as server:
        served.hub.services["copilot"].llm = server.config()
        async with served.client("admin") as client:
            answer = (await client.post("/api/copilot/ask", json={
                "text": "make the place outside cosy for an evening tea"})).json()
    assert answer["intent"] == "HearthLLM" and answer["status"] == "done", answer
    assert served.hub.state.get("balcony_light", "light", "on") is True
    assert server.requests, "the LLM endpoint was called"
