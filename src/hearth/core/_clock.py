"""Injected time: a Clock protocol, a real (optionally sped-up) clock and a fake clock that jumps."""

from __future__ import annotations

import asyncio
import heapq
import itertools
import time
from collections.abc import Callable
from typing import Any, Protocol

Remove = Callable[[], None]


class Clock(Protocol):
    """Where logic reads time and schedules callbacks; epoch seconds throughout."""

    def now(self) -> float:
        """Current time in epoch seconds."""
        ...

    def call_at(self, when: float, callback: Callable[[], None]) -> Remove:
        """Run `callback` at `when` (epoch seconds); returns the undo."""
        ...

    async def sleep(self, seconds: float) -> None:
        """Sleep for `seconds` of this clock's time."""
        ...


class SystemClock:
    """Wall-clock time, optionally running `speed` times faster from a chosen start (the twin's demo)."""

    def __init__(self, speed: float = 1.0, start: float | None = None) -> None:
        if speed <= 0:
            raise ValueError("speed must be positive")
        self.speed = speed
        self._origin_wall = time.time()
        self._origin_mono = time.monotonic()
        self._start = self._origin_wall if start is None else start

    def now(self) -> float:
        """Current (scaled) time."""
        return self._start + (time.monotonic() - self._origin_mono) * self.speed

    def call_at(self, when: float, callback: Callable[[], None]) -> Remove:
        """Schedule on the running event loop."""
        loop = asyncio.get_running_loop()
        handle = loop.call_later(max(0.0, (when - self.now()) / self.speed), callback)
        return handle.cancel

    async def sleep(self, seconds: float) -> None:
        """Sleep in scaled time."""
        await asyncio.sleep(max(0.0, seconds) / self.speed)


class FakeClock:
    """A clock that moves only when told to; callbacks run in time order as it jumps."""

    def __init__(self, start: float = 1_767_225_600.0) -> None:  # 2026-01-01T00:00:00Z
        self._now = start
        self._queue: list[list[Any]] = []  # heap of [when, seq, callback]; a cancelled entry's callback is None
        self._seq = itertools.count()

    def now(self) -> float:
        """The fake now."""
        return self._now

    def call_at(self, when: float, callback: Callable[[], None]) -> Remove:
        """Queue a callback for `when`."""
        entry = [when, next(self._seq), callback]
        heapq.heappush(self._queue, entry)

        def remove() -> None:
            entry[2] = None  # dropped when it reaches the head; nothing is kept once it has run or gone

        return remove

    async def sleep(self, seconds: float) -> None:
        """Wait until the clock has been advanced past now + seconds."""
        fut: asyncio.Future[None] = asyncio.get_running_loop().create_future()

        def wake() -> None:
            if not fut.done():
                fut.set_result(None)

        cancel = self.call_at(self._now + max(0.0, seconds), wake)
        try:
            await fut
        finally:
            cancel()

    def pending(self) -> int:
        """How many callbacks are still queued."""
        return sum(1 for entry in self._queue if entry[2] is not None)

    def next_due(self) -> float | None:
        """When the next queued callback is due, if any."""
        queue = self._queue
        while queue and queue[0][2] is None:
            heapq.heappop(queue)
        return queue[0][0] if queue else None

    def _pop_due(self, until: float) -> Callable[[], None] | None:
        due = self.next_due()
        if due is None or due > until:
            return None
        when, _seq, callback = heapq.heappop(self._queue)
        self._now = max(self._now, when)
        return callback  # type: ignore[no-any-return]

    def advance(self, seconds: float) -> None:
        """Jump forward, running due callbacks in order (no event loop needed)."""
        until = self._now + seconds
        while (callback := self._pop_due(until)) is not None:
            callback()
        self._now = until

    async def run_for(self, seconds: float) -> None:
        """Jump forward like `advance`, letting asyncio tasks run after each callback."""
        until = self._now + seconds
        await _drain()
        while (callback := self._pop_due(until)) is not None:
            callback()
            await _drain()
        self._now = until
        await _drain()


async def _drain(rounds: int = 20) -> None:
    # Let tasks woken by a callback run to their next await before time moves again.
    for _ in range(rounds):
        await asyncio.sleep(0)
