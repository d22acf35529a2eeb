"""Test helpers shipped with Hearth, so its users' tests need no network and no sleeping."""

from hearth.testing._llm_server import (
    FakeLLMServer,
    RecordedRequest,
    Reply,
    call_tools,
    completion,
    drop,
    garbage,
    hang,
    http_error,
    say,
    tool_call,
)

__all__ = [
    "FakeLLMServer",
    "RecordedRequest",
    "Reply",
    "call_tools",
    "completion",
    "drop",
    "garbage",
    "hang",
    "http_error",
    "say",
    "tool_call",
]
