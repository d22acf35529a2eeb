"""The chat-completions client: configuration, retries, timeouts and the errors users see."""

from __future__ import annotations

import json
import socket

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hearth.copilot._llm_client import ChatClient, LLMConfig, parse_completion
from hearth.errors import CopilotError
from hearth.testing import FakeLLMServer, RecordedRequest, Reply, drop, garbage, hang, http_error, say

HELLO = [{"role": "user", "content": "hello"}]


def test_config_comes_from_the_environment() -> None:
    assert LLMConfig.from_env({}) is None
    config = LLMConfig.from_env({"HEARTH_LLM_BASE_URL": "http://127.0.0.1:11434/v1/", "HEARTH_LLM_MODEL": "qwen3",
                                 "HEARTH_LLM_API_KEY": "k", "HEARTH_LLM_TIMEOUT": "12.5"})
    assert config is not None
    assert (config.endpoint, config.model, config.api_key, config.timeout) == (
        "http://127.0.0.1:11434/v1/chat/completions", "qwen3", "k", 12.5)
    full = LLMConfig("https://api.example.com/v1/chat/completions", "m")
    assert full.endpoint == "https://api.example.com/v1/chat/completions"
    with pytest.raises(CopilotError, match="HEARTH_LLM_MODEL"):
        LLMConfig.from_env({"HEARTH_LLM_BASE_URL": "http://x/v1"})
    with pytest.raises(CopilotError, match="HEARTH_LLM_TIMEOUT"):
        LLMConfig.from_env({"HEARTH_LLM_BASE_URL": "http://x/v1", "HEARTH_LLM_MODEL": "m", "HEARTH_LLM_TIMEOUT": "x"})
    with pytest.raises(CopilotError, match="http"):
        LLMConfig("localhost:8080", "m")


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


async def test_endpoint_down_is_a_clear_error() -> None:
    config = LLMConfig(f"http://127.0.0.1:{_closed_port()}/v1", "m", retry_backoff=0)
    async with ChatClient(config) as client:
        with pytest.raises(CopilotError, match=r"cannot reach the LLM endpoint http://127\.0\.0\.1:\d+/v1/chat"):
            await client.complete(HELLO)


async def test_429_is_retried_with_bounded_backoff_then_succeeds() -> None:
    waits: list[float] = []

    async def sleep(seconds: float) -> None:
        waits.append(seconds)

    script = [http_error(429, "slow down", retry_after=30), http_error(503), say("hi")]
    async with FakeLLMServer(script) as server, ChatClient(server.config(retry_backoff=0.5, max_backoff=4),
                                                           sleep=sleep) as client:
        answer = await client.complete(HELLO)
    assert answer.content == "hi" and len(server.requests) == 3
    assert waits == [4.0, 1.0]  # Retry-After honoured up to max_backoff; then exponential


async def test_a_dropped_connection_is_retried_within_the_bound() -> None:
    async with FakeLLMServer([drop(), say("hi")]) as server, ChatClient(server.config()) as client:
        assert (await client.complete(HELLO)).content == "hi"
    async with FakeLLMServer([drop()] * 3) as server, ChatClient(server.config(retries=2)) as client:
        with pytest.raises(CopilotError, match="closed the connection without answering"):
            await client.complete(HELLO)
    assert len(server.requests) == 3


async def test_retries_are_bounded() -> None:
    async with FakeLLMServer([http_error(500)] * 5) as server, ChatClient(server.config(retries=2)) as client:
        with pytest.raises(CopilotError, match=r"kept failing \(HTTP 500\) after 3 attempts"):
            await client.complete(HELLO)
    assert len(server.requests) == 3


async def test_a_silent_endpoint_times_out() -> None:
    async with FakeLLMServer([hang()]) as server, ChatClient(server.config(timeout=0.05)) as client:
        with pytest.raises(CopilotError, match=r"did not answer within 0\.05 s"):
            await client.complete(HELLO)


@pytest.mark.parametrize(
    ("reply", "message"),
    [
        (garbage("<html>oops</html>"), "not JSON: '<html>oops</html>'"),
        (Reply(200, {"object": "list", "data": []}), "has no choices"),
        (Reply(200, {"choices": [{"index": 0}]}), "no assistant message"),
        (Reply(200, [1, 2]), "not a chat completion"),
        (http_error(403, "forbidden model"), r"refused the API key \(HTTP 403\).*forbidden model"),
        (http_error(404), r"HTTP 404.*HEARTH_LLM_BASE_URL"),
        (Reply(400, "bad request body"), r"rejected the request \(HTTP 400\): bad request body"),
    ],
)
async def test_garbage_and_refusals_are_explained(reply: Reply, message: str) -> None:
    async with FakeLLMServer([reply]) as server, ChatClient(server.config()) as client:
        with pytest.raises(CopilotError, match=message):
            await client.complete(HELLO)


async def test_servers_without_tool_choice_are_asked_again_without_it() -> None:
    def picky(request: RecordedRequest) -> Reply:
        if "tool_choice" in request.json:
            return http_error(400, "tool_choice is not supported by this server")
        return say("fine")

    tools = [{"type": "function", "function": {"name": "f", "parameters": {"type": "object", "properties": {}}}}]
    async with FakeLLMServer(picky) as server, ChatClient(server.config()) as client:
        assert (await client.complete(HELLO, tools)).content == "fine"
        assert (await client.complete(HELLO, tools)).content == "fine"
    assert ["tool_choice" in r.json for r in server.requests] == [True, False, False]
    assert all(r.tools == tools for r in server.requests)


def test_parse_completion_tolerates_dialects() -> None:
    parts = parse_completion({"choices": [{"message": {"content": [{"type": "text", "text": "a"}, {"text": "b"}]}}]})
    assert parts.content == "ab" and parts.usage.total_tokens == 0
    legacy = parse_completion({"choices": [{"message": {"function_call": {"name": "list_areas"}}}],
                               "usage": {"prompt_tokens": 3, "completion_tokens": 2}})
    assert [(c.id, c.name, c.arguments) for c in legacy.tool_calls] == [("call_0", "list_areas", {})]
    assert legacy.usage.total_tokens == 5
    listed = parse_completion({"choices": [{"message": {"tool_calls": [
        {"function": {"name": "get_state", "arguments": "[1]"}}, {"function": {}}, "junk"]}}]})
    assert [(c.name, c.arguments, c.raw_arguments) for c in listed.tool_calls] == [("get_state", None, "[1]")]
    assert listed.message["tool_calls"][0]["function"] == {"name": "get_state", "arguments": "[1]"}
    with pytest.raises(CopilotError, match="reported an error"):
        parse_completion({"error": "model overloaded"})


async def test_the_test_server_answers_unknown_routes_and_exhausted_scripts() -> None:
    import httpx

    async with FakeLLMServer([]) as server, httpx.AsyncClient() as http:
        missing = await http.get(f"{server.base_url}/models")
        exhausted = await http.post(f"{server.base_url}/chat/completions", json={"messages": []})
    assert missing.status_code == 404
    assert exhausted.status_code == 500 and "script exhausted" in exhausted.json()["error"]["message"]
    assert [r.path for r in server.requests] == ["/v1/chat/completions"]


_scalar = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8)
_json = st.recursive(_scalar, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner,
                                                                                          max_size=3), max_leaves=12)
_message = st.fixed_dictionaries({}, optional={
    "content": _json, "reasoning_content": _json,
    "tool_calls": st.lists(st.fixed_dictionaries({}, optional={
        "id": _json, "function": st.fixed_dictionaries({}, optional={"name": _json, "arguments": _json})}),
        max_size=3)})


@settings(max_examples=300, deadline=None)
@given(st.one_of(_json, st.fixed_dictionaries({"choices": st.lists(
    st.fixed_dictionaries({}, optional={"message": _message | _json, "finish_reason": _json}), max_size=2)})))
def test_any_json_is_a_completion_or_a_copilot_error(body: object) -> None:
    try:
        result = parse_completion(body if isinstance(body, dict) else {"choices": body})
    except CopilotError:
        return
    assert isinstance(result.content, str)
    for call in result.tool_calls:
        assert call.name and call.id and (call.arguments is None or isinstance(call.arguments, dict))
    json.dumps(result.message)  # what goes back to the endpoint is always serialisable
