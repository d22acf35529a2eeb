"""Run a coroutine eagerly: step it in the caller; only if it really waits, hand the rest to a task.

Most rule runs are a few commands through an in-memory path that never waits, so they finish inside the
bus callback without creating a task. A run that does wait (a delay, a slow adapter) continues in a task
owned by the engine, exactly where it stopped.
"""

from __future__ import annotations

from collections.abc import Coroutine, Generator
from types import TracebackType
from typing import Any


def step(coro: Coroutine[Any, Any, Any]) -> tuple[bool, Any]:
    """Advance a fresh coroutine to its first real wait: (True, result) if it finished, else (False, awaited)."""
    try:
        awaited = coro.send(None)
    except StopIteration as stop:
        return True, stop.value
    return False, awaited


class _Rest(Coroutine[Any, Any, Any]):
    """The rest of a stepped coroutine, for a task to drive.

    The task's first step hands it what the coroutine already waits on; from then on every send, throw and
    close goes straight to the coroutine. A task cancelled before its first step throws the cancellation in
    at once: a plain `async def` wrapper would die at its start without ever passing it on, leaving the
    coroutine's `except`/`finally` blocks unrun.
    """

    __slots__ = ("_awaited", "_coro", "_started")

    def __init__(self, coro: Coroutine[Any, Any, Any], awaited: Any) -> None:
        self._coro = coro
        self._awaited = awaited
        self._started = False

    def send(self, value: Any) -> Any:
        """Resume the coroutine (the first call returns what it was already waiting on)."""
        if not self._started:
            self._started = True
            awaited, self._awaited = self._awaited, None
            return awaited
        return self._coro.send(value)

    def throw(self, typ: Any, val: Any = None, tb: TracebackType | None = None) -> Any:
        """Raise an exception (a cancellation, mostly) inside the coroutine where it waits."""
        self._started = True
        self._awaited = None
        if val is None and tb is None:
            return self._coro.throw(typ)
        return self._coro.throw(typ, val, tb)

    def close(self) -> None:
        """Close the coroutine (its `finally` blocks run)."""
        self._started = True
        self._awaited = None
        self._coro.close()

    def __await__(self) -> Generator[Any, Any, Any]:
        return (yield from self)  # `yield from` passes send, throw and close on to the methods above

    def __iter__(self) -> _Rest:
        return self

    def __next__(self) -> Any:
        return self.send(None)


def finish(coro: Coroutine[Any, Any, Any], awaited: Any) -> Coroutine[Any, Any, Any]:
    """Drive a coroutine that `step` left waiting to its end (wrap this in a task)."""
    return _Rest(coro, awaited)
