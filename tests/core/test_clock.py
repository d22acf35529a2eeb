from __future__ import annotations

import asyncio

from hearth.core import FakeClock


def test_fake_clock_runs_callbacks_in_time_order() -> None:
    clock = FakeClock(start=100.0)
    seen: list[tuple[str, float]] = []
    clock.call_at(130, lambda: seen.append(("b", clock.now())))
    clock.call_at(110, lambda: seen.append(("a", clock.now())))
    cancel = clock.call_at(120, lambda: seen.append(("x", clock.now())))
    cancel()
    clock.advance(25)
    assert seen == [("a", 110.0)]
    clock.advance(10)
    assert seen == [("a", 110.0), ("b", 130.0)]
    assert clock.now() == 135.0
    assert clock.pending() == 0


async def test_fake_sleep_wakes_only_when_time_passes() -> None:
    clock = FakeClock(start=0.0)
    done: list[float] = []

    async def sleeper() -> None:
        await clock.sleep(60)
        done.append(clock.now())

    task = asyncio.create_task(sleeper())
    await clock.run_for(59)
    assert done == []
    await clock.run_for(1)
    assert done == [60.0]
    await task
