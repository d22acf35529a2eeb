"""End to end: worker processes on a private NATS server and a throwaway database give the oracle's commands,
also when one of two workers is killed (SIGKILL) mid-run."""

from __future__ import annotations

from pathlib import Path

from hearth.fleet import NatsServer, SimulationConfig, local_workers, open_db, run_nats_server, simulate_fleet
from hearth.fleet._nats import free_port

PARTITIONS = 8


async def test_one_worker_matches_the_oracle(nats_server: NatsServer, pg_url: str) -> None:
    async with local_workers(nats_server.url, pg_url, PARTITIONS, 1):
        report = await simulate_fleet(nats_server.url, pg_url, SimulationConfig(
            homes=50, events=3000, rate=20_000, partitions=PARTITIONS, timeout=30))
    oracle = report["oracle"]
    assert oracle["expected"] > 300
    assert oracle["ok"], oracle


async def test_killed_worker_loses_and_doubles_nothing(nats_server: NatsServer, pg_url: str) -> None:
    async with local_workers(nats_server.url, pg_url, PARTITIONS, 2, lease_ttl=1.0, heartbeat=0.2) as pool:
        victim = pool.workers[0]
        killed: list[int] = []

        async def kill_midway(sent: int, total: int) -> None:
            if not killed and sent >= total * 0.4:
                victim.kill()
                killed.append(sent)

        report = await simulate_fleet(nats_server.url, pg_url, SimulationConfig(
            homes=60, events=4000, rate=4000, partitions=PARTITIONS, timeout=30), progress=kill_midway)
        async with open_db(pg_url, size=1) as db:
            owners = {row["owner"] for row in await db.leases()}
    assert killed, "the worker was not killed"
    assert owners == {pool.workers[1].id}  # the survivor took every partition over
    oracle = report["oracle"]
    assert oracle["expected"] > 300
    assert oracle["ok"], oracle


async def test_a_worker_rides_out_lost_database_connections(nats_server: NatsServer, pg_url: str) -> None:
    async with local_workers(nats_server.url, pg_url, PARTITIONS, 1, lease_ttl=1.0, heartbeat=0.2) as pool, \
            open_db(pg_url, size=1) as db:
        cut: list[int] = []

        async def cut_midway(sent: int, total: int) -> None:
            if len(cut) < 2 and sent >= total * (0.3 + 0.3 * len(cut)):
                # what a database restart does to the worker: every connection it holds is closed under it
                cut.append(await db.pool.fetchval(
                    "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                    "WHERE datname = current_database() AND pid <> pg_backend_pid()"))

        report = await simulate_fleet(nats_server.url, pg_url, SimulationConfig(
            homes=60, events=4000, rate=2000, partitions=PARTITIONS, timeout=60), progress=cut_midway)
        alive = pool.workers[0].proc.returncode is None
    assert len(cut) == 2 and all(n > 0 for n in cut), cut
    assert alive, "".join(pool.workers[0].log[-30:])
    oracle = report["oracle"]
    assert oracle["expected"] > 300
    assert oracle["ok"], oracle


async def test_workers_carry_on_after_the_nats_server_restarts(pg_url: str, tmp_path: Path) -> None:
    port, store = free_port(), tmp_path / "jetstream"
    first = run_nats_server(port=port, store_dir=store)
    server = await first.__aenter__()
    try:
        async with local_workers(server.url, pg_url, PARTITIONS, 1, lease_ttl=1.0, heartbeat=0.2) as pool:
            before = await simulate_fleet(server.url, pg_url, SimulationConfig(
                homes=40, events=1500, rate=5000, partitions=PARTITIONS, timeout=30))
            await first.__aexit__(None, None, None)
            first = run_nats_server(port=port, store_dir=store)  # the same server back, with its streams
            server = await first.__aenter__()
            after = await simulate_fleet(server.url, pg_url, SimulationConfig(
                homes=40, events=1500, rate=5000, partitions=PARTITIONS, timeout=60, seed=2))
            alive = pool.workers[0].proc.returncode is None
    finally:
        await first.__aexit__(None, None, None)
    assert alive
    for report in (before, after):
        assert report["oracle"]["expected"] > 100
        assert report["oracle"]["ok"], report["oracle"]


async def test_status_shows_partitions_workers_and_nothing_left_behind(nats_server: NatsServer, pg_url: str) -> None:
    import asyncio

    from hearth.fleet import fleet_status

    async with local_workers(nats_server.url, pg_url, PARTITIONS, 1) as pool:
        await simulate_fleet(nats_server.url, pg_url, SimulationConfig(
            homes=30, events=1000, rate=20_000, partitions=PARTITIONS, timeout=30, check=False))
        async with asyncio.timeout(10):
            while (report := await fleet_status(nats_server.url, pg_url))["unpublished"]:  # noqa: ASYNC110
                await asyncio.sleep(0.2)  # acknowledgements are marked with the worker's next commit or idle turn
    assert report["homes"] == 30 and report["partitions"] == PARTITIONS
    assert report["lag"] == 0
    [worker] = report["workers"]
    assert worker["id"] == pool.workers[0].id and sorted(worker["partitions"]) == list(range(PARTITIONS))
    assert sum(row["events"] for row in report["partition_rows"]) == 1030  # the readings and a tick per home
