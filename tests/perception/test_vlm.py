from __future__ import annotations

import base64

import numpy as np
import pytest

from hearth.errors import AdapterError
from hearth.perception import VisionClient, VLMConfig, encode_jpeg, parse_answer
from hearth.testing import FakeLLMServer, RecordedRequest, Reply, completion, http_error, say


def _config(server: FakeLLMServer) -> VLMConfig:
    return VLMConfig(server.base_url, "vision-model", "secret", timeout=5)


async def test_asks_with_the_picture_as_a_data_url_and_json_mode(astronaut: np.ndarray) -> None:
    jpeg = encode_jpeg(astronaut)
    async with FakeLLMServer([completion({"content": '{"answer": true, "reason": "an astronaut smiles"}'},
                                         prompt_tokens=812, completion_tokens=14)]) as server:
        client = VisionClient(_config(server))
        answer = await client.ask("Is there a person?", jpeg)
        await client.aclose()
    assert answer.yes and answer.reason == "an astronaut smiles"
    [request] = server.requests
    body = request.json
    assert body["model"] == "vision-model" and body["response_format"] == {"type": "json_object"}
    assert request.headers["authorization"] == "Bearer secret"
    parts = body["messages"][1]["content"]
    url = next(p["image_url"]["url"] for p in parts if p["type"] == "image_url")
    assert url.startswith("data:image/jpeg;base64,") and base64.b64decode(url.split(",", 1)[1]) == jpeg
    assert client.stats.as_dict()["calls"] == 1 and client.stats.prompt_tokens == 812


async def test_falls_back_to_words_when_json_mode_is_unknown() -> None:
    def script(request: RecordedRequest) -> Reply:
        if "response_format" in request.json:
            return http_error(400, "unknown field: response_format")
        return say("No, the hallway is empty.")

    async with FakeLLMServer(script) as server:
        client = VisionClient(_config(server))
        first = await client.ask("Is anyone there?", b"\xff\xd8jpeg\xff\xd9")
        second = await client.ask("Is anyone there?", b"\xff\xd8jpeg\xff\xd9")
        await client.aclose()
    assert not first.yes and not second.yes
    assert len(server.requests) == 3  # JSON mode is tried once, then never again


async def test_server_errors_are_adapter_errors_and_counted() -> None:
    async with FakeLLMServer([http_error(503, "overloaded")]) as server:
        client = VisionClient(_config(server))
        with pytest.raises(AdapterError, match="HTTP 503"):
            await client.ask("Is anyone there?", b"x")
        await client.aclose()
    assert client.stats.failures == 1 and client.stats.calls == 0


@pytest.mark.parametrize(("content", "yes"), [
    ('{"answer": true, "reason": "r"}', True),
    ('```json\n{"answer": false, "reason": "empty"}\n```', False),
    ('<think>hmm</think>{"answer": "yes"}', True),
    ("Yes — someone is reading.", True),
    ("是的，有人在看书", True),
    ("没有人", False),
    ("I cannot tell.", False),
])
def test_answers_are_read_tolerantly(content: str, yes: bool) -> None:
    assert parse_answer(content)[0] is yes


def test_settings_come_from_the_environment() -> None:
    assert VLMConfig.from_env({}) is None
    config = VLMConfig.from_env({"HEARTH_VLM_BASE_URL": "http://127.0.0.1:8080/v1", "HEARTH_VLM_MODEL": "qwen-vl"})
    assert config is not None and config.endpoint == "http://127.0.0.1:8080/v1/chat/completions"
    with pytest.raises(AdapterError, match="HEARTH_VLM_MODEL"):
        VLMConfig.from_env({"HEARTH_VLM_BASE_URL": "http://127.0.0.1:8080/v1"})
