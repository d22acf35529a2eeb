"""Schema migrations and lease fencing in PostgreSQL."""

from __future__ import annotations

import pytest

from hearth.fleet import open_db
from hearth.fleet._db import Fenced
from hearth.fleet._schema import VERSION, migrate


async def test_migrations_are_recorded_and_idempotent(pg_url: str) -> None:
    async with open_db(pg_url, size=1) as db:
        async with db.pool.acquire() as conn:
            assert await migrate(conn) == VERSION
        assert await db.pool.fetchval("SELECT count(*) FROM schema_version") == VERSION
        assert await db.setup_partitions(8) == 8
        assert await db.setup_partitions(16) == 8  # the partition count is fixed once set


async def test_a_worker_that_lost_its_lease_cannot_commit(pg_url: str) -> None:
    async with open_db(pg_url, size=2) as db:
        await db.setup_partitions(2)
        [(part, epoch, offset, _)] = await db.claim([0], "w1", ttl=0.0)  # expires at once
        assert (part, offset) == (0, 0)
        [(_, epoch2, _, _)] = await db.claim([0], "w2", ttl=30.0)
        assert epoch2 == epoch + 1
        with pytest.raises(Fenced):
            await db.commit(0, "w1", epoch, 10, 0.0, 10, [], [], [])
        await db.commit(0, "w2", epoch2, 10, 0.0, 10, [], [], [])
        assert await db.renew("w1", {0: epoch}, 30.0) == set()
        assert await db.renew("w2", {0: epoch2}, 30.0) == {0}
        assert (await db.leases())[0]["committed"] == 10


async def test_commands_stay_unpublished_until_their_offset_is_marked(pg_url: str) -> None:
    from hearth.fleet._runtime import IssuedCommand

    def command(n: int) -> IssuedCommand:
        return IssuedCommand(f"r{n}.rule:x.0", "h1", float(n), "lamp", "light", "on", True, "rule:x")

    async with open_db(pg_url, size=2) as db:
        await db.setup_partitions(2)
        [(_, epoch, _, _)] = await db.claim([0], "w", ttl=30.0)
        await db.commit(0, "w", epoch, 10, 1.0, 10, [], [], [command(1), command(2)])
        await db.commit(0, "w", epoch, 20, 2.0, 10, [], [], [command(3)])
        assert [(c.id, seq) for c, seq in await db.unpublished(0)] == [
            ("r1.rule:x.0", 10), ("r2.rule:x.0", 10), ("r3.rule:x.0", 20)]
        await db.commit_batch("w", [], [], [], [], {0: 10})
        assert [c.id for c, _ in await db.unpublished(0)] == ["r3.rule:x.0"]
        await db.commit_batch("w", [], [], [], [], {0: 5})  # a mark never moves back
        assert [c.id for c, _ in await db.unpublished(0)] == ["r3.rule:x.0"]
        await db.commit_batch("w", [], [], [], [], {0: 20})
        assert await db.unpublished(0) == []
        assert await db.unpublished(1) == []


async def test_commits_and_lease_renewals_running_together_never_deadlock(pg_url: str,
                                                                         caplog: pytest.LogCaptureFixture) -> None:
    import asyncio
    import random

    from hearth.fleet._db import PartitionMark

    rng = random.Random(7)
    async with open_db(pg_url, size=6) as db:
        await db.setup_partitions(16)
        epochs = {p: e for p, e, _, _ in await db.claim(list(range(16)), "w", ttl=60.0)}

        async def commits() -> None:
            for n in range(1, 40):
                parts = rng.sample(range(16), 8)
                marks = [PartitionMark(p, epochs[p], n, float(n), 1) for p in parts]
                await db.commit_batch("w", marks, [], [], [], {p: n - 1 for p in rng.sample(range(16), 8)})

        async def renewals() -> None:
            for _ in range(40):
                parts = rng.sample(range(16), 16)
                assert await db.renew("w", {p: epochs[p] for p in parts}, 60.0) == set(range(16))

        await asyncio.gather(commits(), commits(), renewals(), renewals())
    # the retry on a deadlock is a last resort: with rows locked in one order, none happens
    assert not [r for r in caplog.records if "retried" in r.getMessage()]
