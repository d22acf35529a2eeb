"""Run a coroutine eagerly: step it in the caller; only if it really waits, hand the rest to a task.

Most rule runs are a few commands through an in-memory path that never waits, so they finish inside the
bus callback without creating a task. A run that does wait (a delay, a slow adapter) continues in a task
owned by the engine, exactly where it stopped.
"""

from __future__ import annotations

import types
from collections.abc import Coroutine, Generator
from typing import Any

_PENDING = object()


def step(coro: Coroutine[Any, Any, Any]) -> tuple[bool, Any]:
    """Advance a fresh coroutine to its first real wait: (True, result) if it finished, else (False, awaited)."""
    try:
        awaited = coro.send(None)
    except StopIteration as stop:
        return True, stop.value
    return False, awaited


@types.coroutine
def _continue(coro: Coroutine[Any, Any, Any], awaited: Any) -> Generator[Any, Any, Any]:
    # Give the event loop what the coroutine is waiting on, then keep driving it; errors and cancellation
    # reach the coroutine at its await, as if it had run in the task from the start.
    while True:
        try:
            sent = yield awaited
        except GeneratorExit:
            coro.close()
            raise
        except BaseException as exc:  # forwarded into the coroutine, cancellation included
            try:
                awaited = coro.throw(exc)
            except StopIteration as stop:
                return stop.value
            continue
        try:
            awaited = coro.send(sent)
        except StopIteration as stop:
            return stop.value


async def finish(coro: Coroutine[Any, Any, Any], awaited: Any) -> Any:
    """Drive a coroutine that `step` left waiting to its end (wrap this in a task)."""
    return await _continue(coro, awaited)
