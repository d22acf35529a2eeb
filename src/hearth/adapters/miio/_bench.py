"""miIO round trips per second against the protocol simulator over UDP loopback."""

from __future__ import annotations

import time
from typing import Any

from hearth.adapters.miio._client import MiioClient
from hearth.adapters.miio._miot import miot_instance
from hearth.adapters.miio._simulator import MiioDeviceSimulator
from hearth.model import builtin_types


async def bench_miio(round_trips: int = 2_000) -> dict[str, Any]:
    """Sequential get_properties round trips (encrypt, send, device answers, decrypt) per second."""
    async with MiioDeviceSimulator(miot_instance(builtin_types()["light"].spec)) as sim, MiioClient(
        sim.host, sim.token_hex, port=sim.port
    ) as client:
        await client.hello()
        address = sim.address("light.brightness")
        start = time.perf_counter()
        for _ in range(round_trips):
            await client.get_properties([address])
        elapsed = time.perf_counter() - start
    return {"miio_round_trips_per_s": round(round_trips / elapsed), "miio_round_trips": round_trips}
