"""An OpenAI-compatible chat-completions client over httpx, tolerant of the dialects local servers speak."""

from __future__ import annotations

import asyncio
import json
import os
import re
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any

import httpx

from hearth.errors import CopilotError

_RETRYABLE = frozenset({408, 409, 429, 500, 502, 503, 504})
# Qwen-style models served without a tool parser write their calls into the text instead.
_TEXT_TOOL_CALL = re.compile(r"<tool_call>\s*(\{.*?\})\s*</tool_call>", re.DOTALL)
_THINK = re.compile(r"<think>.*?</think>", re.DOTALL)


@dataclass(frozen=True, slots=True)
class LLMConfig:
    """Where the chat-completions endpoint is and how patiently to talk to it."""

    base_url: str
    model: str
    api_key: str = ""
    timeout: float = 30.0
    max_steps: int = 6
    retries: int = 2
    retry_backoff: float = 0.5
    max_backoff: float = 8.0
    temperature: float | None = None
    max_tokens: int | None = None
    echo_reasoning: bool = True

    def __post_init__(self) -> None:
        if not self.base_url.startswith(("http://", "https://")):
            raise CopilotError(f"LLM base URL must start with http:// or https://, got {self.base_url!r}")
        if not self.model:
            raise CopilotError("no LLM model named; set HEARTH_LLM_MODEL")
        if self.timeout <= 0 or self.max_steps < 1 or self.retries < 0 or self.retry_backoff < 0:
            raise CopilotError("LLM timeout and max_steps must be positive, retries and backoff not negative")

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> LLMConfig | None:
        """Read `HEARTH_LLM_*` variables; None when no endpoint is configured."""
        env = os.environ if environ is None else environ
        base_url = env.get("HEARTH_LLM_BASE_URL", "").strip()
        if not base_url:
            return None
        raw_timeout = env.get("HEARTH_LLM_TIMEOUT", "").strip() or "30"
        try:
            timeout = float(raw_timeout)
        except ValueError:
            raise CopilotError(f"HEARTH_LLM_TIMEOUT must be seconds, got {raw_timeout!r}") from None
        return cls(base_url=base_url, model=env.get("HEARTH_LLM_MODEL", "").strip(),
                   api_key=env.get("HEARTH_LLM_API_KEY", "").strip(), timeout=timeout)

    @property
    def endpoint(self) -> str:
        """The full chat-completions URL."""
        url = self.base_url.rstrip("/")
        return url if url.endswith("/chat/completions") else f"{url}/chat/completions"


@dataclass(frozen=True, slots=True)
class ToolCall:
    """One function call the model asked for; `arguments` is None when they were not a JSON object."""

    id: str
    name: str
    arguments: Mapping[str, Any] | None
    raw_arguments: str = ""


@dataclass(frozen=True, slots=True)
class Usage:
    """Tokens the endpoint reported."""

    prompt_tokens: int = 0
    completion_tokens: int = 0

    @property
    def total_tokens(self) -> int:
        """Prompt plus completion tokens."""
        return self.prompt_tokens + self.completion_tokens

    def __add__(self, other: Usage) -> Usage:
        return Usage(self.prompt_tokens + other.prompt_tokens, self.completion_tokens + other.completion_tokens)


@dataclass(frozen=True, slots=True)
class Completion:
    """One assistant turn: its text, its tool calls, and the message to append to the conversation."""

    content: str
    tool_calls: tuple[ToolCall, ...]
    message: Mapping[str, Any]
    usage: Usage = field(default_factory=Usage)
    finish_reason: str = ""


class ChatClient:
    """Posts chat completions with tools; retries 429/5xx with bounded backoff; raises CopilotError."""

    def __init__(self, config: LLMConfig, http: httpx.AsyncClient | None = None,
                 sleep: Callable[[float], Awaitable[None]] = asyncio.sleep) -> None:
        self.config = config
        self._sleep = sleep
        self._own_http = http is None
        self._http = http or httpx.AsyncClient(timeout=httpx.Timeout(config.timeout))
        self._tool_choice = True

    async def __aenter__(self) -> ChatClient:
        return self

    async def __aexit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                        tb: TracebackType | None) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close the connection pool if this client opened it."""
        if self._own_http:
            await self._http.aclose()

    async def complete(self, messages: Sequence[Mapping[str, Any]],
                       tools: Sequence[Mapping[str, Any]] = ()) -> Completion:
        """Ask for the next assistant turn."""
        body = self._body(messages, tools)
        response = await self._post(body)
        if response.status_code == 400 and "tool_choice" in body and "tool_choice" in response.text:
            # Some servers (older vLLM, llama.cpp builds) reject tool_choice; "auto" is their default anyway.
            self._tool_choice = False
            body.pop("tool_choice")
            response = await self._post(body)
        self._raise_for_status(response)
        return parse_completion(_json_body(response))

    def _body(self, messages: Sequence[Mapping[str, Any]], tools: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
        body: dict[str, Any] = {"model": self.config.model, "messages": list(messages)}
        if tools:
            body["tools"] = list(tools)
            if self._tool_choice:
                body["tool_choice"] = "auto"
        if self.config.temperature is not None:
            body["temperature"] = self.config.temperature
        if self.config.max_tokens is not None:
            body["max_tokens"] = self.config.max_tokens
        return body

    async def _post(self, body: Mapping[str, Any]) -> httpx.Response:
        headers = {"Authorization": f"Bearer {self.config.api_key}"} if self.config.api_key else {}
        url = self.config.endpoint
        for attempt in range(self.config.retries + 1):
            last = attempt == self.config.retries
            try:
                response = await self._http.post(url, json=body, headers=headers, timeout=self.config.timeout)
            except httpx.TimeoutException as exc:
                raise CopilotError(f"the LLM endpoint {url} did not answer within {self.config.timeout:g} s") from exc
            except httpx.RemoteProtocolError as exc:
                # A server that drops a kept-alive connection mid-request is worth another try.
                if last:
                    raise CopilotError(f"the LLM endpoint {url} closed the connection without answering") from exc
                await self._sleep(self._backoff(attempt, ""))
                continue
            except httpx.HTTPError as exc:
                raise CopilotError(f"cannot reach the LLM endpoint {url}: {exc or type(exc).__name__}") from exc
            if response.status_code not in _RETRYABLE or last:
                return response
            await self._sleep(self._backoff(attempt, response.headers.get("retry-after", "")))
        raise AssertionError("unreachable")  # pragma: no cover

    def _backoff(self, attempt: int, retry_after: str) -> float:
        delay = self.config.retry_backoff * 2**attempt
        if retry_after.replace(".", "", 1).isdigit():
            delay = max(delay, float(retry_after))
        return float(min(delay, self.config.max_backoff))

    def _raise_for_status(self, response: httpx.Response) -> None:
        code = response.status_code
        if code < 400:
            return
        detail = _error_detail(response)
        url = self.config.endpoint
        if code in (401, 403):
            raise CopilotError(f"the LLM endpoint refused the API key (HTTP {code}); "
                               f"check HEARTH_LLM_API_KEY: {detail}")
        if code == 404:
            raise CopilotError(f"no chat completions at {url} or no model {self.config.model!r} (HTTP 404); "
                               f"check HEARTH_LLM_BASE_URL and HEARTH_LLM_MODEL: {detail}")
        if code in _RETRYABLE:
            raise CopilotError(f"the LLM endpoint kept failing (HTTP {code}) after "
                               f"{self.config.retries + 1} attempts: {detail}")
        raise CopilotError(f"the LLM endpoint rejected the request (HTTP {code}): {detail}")


def _error_detail(response: httpx.Response) -> str:
    try:
        data = response.json()
    except ValueError:
        return _snippet(response.text) or response.reason_phrase
    if isinstance(data, dict):
        error = data.get("error", data)
        if isinstance(error, dict) and error.get("message"):
            return _snippet(str(error["message"]))
        if isinstance(error, str):
            return _snippet(error)
    return _snippet(json.dumps(data))


def _snippet(text: str, limit: int = 200) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _json_body(response: httpx.Response) -> Mapping[str, Any]:
    try:
        data = response.json()
    except ValueError:
        raise CopilotError(f"the LLM endpoint answered with something that is not JSON: "
                           f"{_snippet(response.text, 80)!r}") from None
    if not isinstance(data, dict):
        raise CopilotError("the LLM endpoint answered with JSON that is not a chat completion")
    return data


def parse_completion(data: Mapping[str, Any]) -> Completion:
    """Read a chat-completion response body; raise CopilotError when it is not one."""
    choices = data.get("choices")
    if not isinstance(choices, list) or not choices or not isinstance(choices[0], dict):
        if isinstance(data.get("error"), dict | str):
            raise CopilotError(f"the LLM endpoint reported an error: {_snippet(str(data['error']))}")
        raise CopilotError("the LLM endpoint's answer has no choices; is it an OpenAI-compatible chat endpoint?")
    raw = choices[0].get("message")
    if not isinstance(raw, dict):
        raise CopilotError("the LLM endpoint's answer has no assistant message")
    content = _text(raw.get("content"))
    calls = _tool_calls(raw)
    if not calls and "<tool_call>" in content:
        calls = _text_tool_calls(content)
        content = _TEXT_TOOL_CALL.sub("", content)
    message: dict[str, Any] = {"role": "assistant", "content": content if content or not calls else None}
    if calls:
        message["tool_calls"] = [_wire_call(call) for call in calls]
    for key in ("reasoning_content", "reasoning"):
        if isinstance(raw.get(key), str) and raw[key]:
            message[key] = raw[key]
    finish = choices[0].get("finish_reason")
    return Completion(_THINK.sub("", content).strip(), tuple(calls), message, _usage(data.get("usage")),
                      finish if isinstance(finish, str) else "")


def _text(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):  # content parts
        return "".join(p.get("text", "") for p in content if isinstance(p, dict) and isinstance(p.get("text"), str))
    return ""


def _tool_calls(raw: Mapping[str, Any]) -> list[ToolCall]:
    items = raw.get("tool_calls")
    if not isinstance(items, list):
        legacy = raw.get("function_call")
        items = [{"function": legacy}] if isinstance(legacy, dict) else []
    calls = []
    for index, item in enumerate(items):
        if not isinstance(item, dict):
            continue
        inner = item.get("function")
        function: dict[str, Any] = inner if isinstance(inner, dict) else item
        name = function.get("name")
        if not isinstance(name, str) or not name:
            continue
        raw_id = item.get("id")
        call_id = raw_id if isinstance(raw_id, str) and raw_id else f"call_{index}"
        calls.append(_call(call_id, name, function.get("arguments")))
    return calls


def _call(call_id: str, name: str, arguments: Any) -> ToolCall:
    if isinstance(arguments, dict):  # Ollama sends an object rather than a JSON string
        return ToolCall(call_id, name, arguments, json.dumps(arguments, ensure_ascii=False))
    if arguments is None or (isinstance(arguments, str) and not arguments.strip()):
        return ToolCall(call_id, name, {}, "{}")
    raw = arguments if isinstance(arguments, str) else json.dumps(arguments)
    try:
        parsed = json.loads(raw)
    except ValueError:
        return ToolCall(call_id, name, None, raw)
    return ToolCall(call_id, name, parsed if isinstance(parsed, dict) else None, raw)


def _text_tool_calls(content: str) -> list[ToolCall]:
    calls = []
    for index, match in enumerate(_TEXT_TOOL_CALL.finditer(content)):
        try:
            item = json.loads(match.group(1))
        except ValueError:
            continue
        if isinstance(item, dict) and isinstance(item.get("name"), str):
            calls.append(_call(f"call_t{index}", item["name"], item.get("arguments", {})))
    return calls


def _wire_call(call: ToolCall) -> dict[str, Any]:
    return {"id": call.id, "type": "function", "function": {"name": call.name, "arguments": call.raw_arguments}}


def _usage(raw: Any) -> Usage:
    if not isinstance(raw, dict):
        return Usage()
    prompt, completion = raw.get("prompt_tokens"), raw.get("completion_tokens")
    return Usage(prompt if isinstance(prompt, int) else 0, completion if isinstance(completion, int) else 0)
