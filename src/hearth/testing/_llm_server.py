"""A local OpenAI-compatible chat-completions server that plays a script and records what it was sent."""

from __future__ import annotations

import asyncio
import itertools
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from http import HTTPStatus
from types import TracebackType
from typing import Any

from hearth.copilot._llm_client import LLMConfig

MAX_BODY = 8 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class Reply:
    """One scripted HTTP answer; `hang` keeps the request open until the server closes (a timeout),
    `drop` closes the connection without answering."""

    status: int = 200
    body: Any = None
    headers: Mapping[str, str] = field(default_factory=dict)
    hang: bool = False
    drop: bool = False

    def payload(self) -> bytes:
        """The body as bytes: str and bytes are sent as they are, anything else as JSON."""
        if isinstance(self.body, bytes):
            return self.body
        if isinstance(self.body, str):
            return self.body.encode()
        return json.dumps(self.body, ensure_ascii=False).encode()


@dataclass(frozen=True, slots=True)
class RecordedRequest:
    """A request the server received."""

    method: str
    path: str
    headers: Mapping[str, str]
    body: bytes

    @property
    def json(self) -> Any:
        """The body parsed as JSON."""
        return json.loads(self.body)

    @property
    def messages(self) -> list[dict[str, Any]]:
        """The chat messages sent."""
        return list(self.json.get("messages", []))

    @property
    def tools(self) -> list[dict[str, Any]]:
        """The tool schemas sent."""
        return list(self.json.get("tools", []))


ScriptItem = Reply | Mapping[str, Any]
Script = Sequence[ScriptItem] | Callable[[RecordedRequest], ScriptItem]
_ids = itertools.count(1)


def tool_call(name: str, arguments: Mapping[str, Any] | str, call_id: str | None = None) -> dict[str, Any]:
    """A tool call as a server returns it; a mapping is sent as a JSON string, a str exactly as given."""
    args = arguments if isinstance(arguments, str) else json.dumps(arguments, ensure_ascii=False)
    return {"id": call_id or f"call_{next(_ids)}", "type": "function", "function": {"name": name, "arguments": args}}


def completion(message: Mapping[str, Any], prompt_tokens: int = 50, completion_tokens: int = 10) -> Reply:
    """A 200 chat completion carrying one assistant message and token usage."""
    finish = "tool_calls" if message.get("tool_calls") else "stop"
    body = {
        "id": f"chatcmpl-{next(_ids)}", "object": "chat.completion", "model": "fake",
        "choices": [{"index": 0, "message": {"role": "assistant", **message}, "finish_reason": finish}],
        "usage": {"prompt_tokens": prompt_tokens, "completion_tokens": completion_tokens,
                  "total_tokens": prompt_tokens + completion_tokens},
    }
    return Reply(200, body)


def say(content: str, reasoning_content: str | None = None) -> Reply:
    """An assistant answer in words."""
    message: dict[str, Any] = {"content": content}
    if reasoning_content is not None:
        message["reasoning_content"] = reasoning_content
    return completion(message)


def call_tools(*calls: Mapping[str, Any], reasoning_content: str | None = None) -> Reply:
    """An assistant turn that asks for tool calls (build them with `tool_call`)."""
    message: dict[str, Any] = {"content": None, "tool_calls": list(calls)}
    if reasoning_content is not None:
        message["reasoning_content"] = reasoning_content
    return completion(message)


def http_error(status: int, message: str = "", retry_after: float | None = None) -> Reply:
    """An HTTP error in the OpenAI error shape."""
    headers = {"Retry-After": f"{retry_after:g}"} if retry_after is not None else {}
    return Reply(status, {"error": {"message": message or HTTPStatus(status).phrase, "code": status}}, headers)


def garbage(text: str = "<html>not json</html>") -> Reply:
    """A 200 answer whose body is not JSON."""
    return Reply(200, text, {"Content-Type": "text/html"})


def drop() -> Reply:
    """Close the connection without answering."""
    return Reply(drop=True)


def hang() -> Reply:
    """Never answer (until the server closes): lets the client's timeout fire."""
    return Reply(hang=True)


class FakeLLMServer:
    """Serve `/v1/chat/completions` on 127.0.0.1 from a script; an async context manager.

    The script is a list of replies played in order (an assistant message mapping is wrapped in a
    completion), or a callable that picks the reply from the request. Every request is recorded.
    """

    def __init__(self, script: Script = ()) -> None:
        self._script = script
        self._position = 0
        self.requests: list[RecordedRequest] = []
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()
        self._connections: set[asyncio.Task[Any]] = set()
        self._closing = asyncio.Event()
        self.port = 0

    @property
    def base_url(self) -> str:
        """The OpenAI-style base URL (ends in /v1)."""
        return f"http://127.0.0.1:{self.port}/v1"

    def config(self, **overrides: Any) -> LLMConfig:
        """An LLMConfig pointing here, with no backoff wait and a short timeout unless overridden."""
        base = LLMConfig(base_url=self.base_url, model="fake-model", api_key="test-key", timeout=5.0,
                         retry_backoff=0.0)
        return replace(base, **overrides)

    async def __aenter__(self) -> FakeLLMServer:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def __aexit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                        tb: TracebackType | None) -> None:
        self._closing.set()
        if self._server is not None:
            self._server.close()
        for writer in list(self._writers):
            writer.close()  # the connection's reader sees EOF and its handler returns
        # asyncio.Server (3.11) does not wait for its handlers; this does, so none outlives the server.
        await asyncio.gather(*self._connections, return_exceptions=True)
        if self._server is not None:
            await self._server.wait_closed()

    def _next(self, request: RecordedRequest) -> Reply:
        if callable(self._script):
            item = self._script(request)
        elif self._position < len(self._script):
            item = self._script[self._position]
            self._position += 1
        else:
            item = http_error(500, "fake LLM server: script exhausted")
        return item if isinstance(item, Reply) else completion(item)

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        if task is not None:
            self._connections.add(task)
            task.add_done_callback(self._connections.discard)
        self._writers.add(writer)
        try:
            while not self._closing.is_set():
                request = await _read_request(reader)
                if request is None:
                    return
                if request.method != "POST" or not request.path.rstrip("/").endswith("/chat/completions"):
                    await _write(writer, http_error(404, f"no route {request.method} {request.path}"))
                    continue
                self.requests.append(request)
                reply = self._next(request)
                if reply.hang:
                    await self._closing.wait()
                    return
                if reply.drop:
                    return
                await _write(writer, reply)
        except (ConnectionError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, ValueError):
            return
        finally:
            self._writers.discard(writer)
            writer.close()


async def _read_request(reader: asyncio.StreamReader) -> RecordedRequest | None:
    try:
        head = await reader.readuntil(b"\r\n\r\n")
    except asyncio.IncompleteReadError:
        return None  # the client closed a kept-alive connection
    lines = head.decode("latin-1").split("\r\n")
    method, path, _ = lines[0].split(" ", 2)
    headers = {}
    for line in lines[1:]:
        if ":" in line:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
    length = int(headers.get("content-length", "0"))
    if length > MAX_BODY:
        raise ValueError("request body too large")
    body = await reader.readexactly(length) if length else b""
    return RecordedRequest(method, path, headers, body)


async def _write(writer: asyncio.StreamWriter, reply: Reply) -> None:
    payload = reply.payload()
    headers = {"Content-Type": "application/json", **reply.headers, "Content-Length": str(len(payload))}
    try:
        phrase = HTTPStatus(reply.status).phrase
    except ValueError:
        phrase = "Unknown"
    head = f"HTTP/1.1 {reply.status} {phrase}\r\n" + "".join(f"{k}: {v}\r\n" for k, v in headers.items()) + "\r\n"
    writer.write(head.encode("latin-1") + payload)
    await writer.drain()
