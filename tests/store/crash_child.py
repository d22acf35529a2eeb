"""Run by test_crash.py as a separate process: persist changes and print "ACK n" once n is durable.

Usage: python -m tests.store.crash_child DB START. It applies changes n = START, START+1, … forever (value n
on property p{n % 7}, plus an audit record "c{n}"), in chunks of 1–40, and after each chunk awaits
`wait_durable()` and prints "ACK n" for the chunk's last n. The parent kills it with SIGKILL at some point.
"""

from __future__ import annotations

import asyncio
import random
import sys

from hearth.core import Actor, AuditRecorded, Bus, FakeClock, StateStore
from hearth.store import SqliteStore

ACTOR = Actor("system", "crash-test")


async def main(path: str, start: int) -> None:
    bus, clock = Bus(), FakeClock(start=float(start))
    state = StateStore(bus, clock)
    rng = random.Random(start)
    async with SqliteStore(path, flush_interval=0.001) as store:
        store.attach(bus)
        print("READY", flush=True)
        n = start
        while True:
            for _ in range(rng.randint(1, 40)):
                clock.advance(1)
                state.apply("dev", "svc", f"p{n % 7}", n)
                bus.publish(AuditRecorded(clock.now(), f"c{n}", ACTOR, "dev", "svc", f"p{n % 7}", n, True, "ok"))
                n += 1
            await store.wait_durable()
            print(f"ACK {n - 1}", flush=True)


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], int(sys.argv[2])))
