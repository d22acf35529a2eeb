"""Home ids, subjects and the partition function, checked against a real NATS server's mapping."""

from __future__ import annotations

import pytest

from hearth.fleet import NatsServer, connect, ensure_streams, ingress_subject, partition_of
from hearth.fleet._subjects import INGRESS_STREAM, check_home_id, home_of


def test_partition_is_stable_and_in_range() -> None:
    homes = [f"h{n}" for n in range(1000)]
    parts = [partition_of(h, 64) for h in homes]
    assert all(0 <= p < 64 for p in parts)
    assert len(set(parts)) == 64  # 1,000 homes reach every partition
    assert parts == [partition_of(h, 64) for h in homes]


@pytest.mark.parametrize("bad", ["", "a.b", "a*", "a>", "a b", "x" * 65])
def test_home_ids_are_single_subject_tokens(bad: str) -> None:
    with pytest.raises(ValueError):
        check_home_id(bad)


async def test_server_partitions_homes_like_partition_of(nats_server: NatsServer) -> None:
    nc = await connect(nats_server.url, "test")
    try:
        js = nc.jetstream()
        await ensure_streams(js, 16)
        homes = [f"home-{n}" for n in range(60)]
        for home in homes:
            await js.publish(ingress_subject(home), b"{}")
        stored = {}
        for seq in range(1, len(homes) + 1):
            msg = await js.get_msg(INGRESS_STREAM, seq)
            part, home = home_of(msg.subject)
            stored[home] = part
        assert stored == {h: partition_of(h, 16) for h in homes}
    finally:
        await nc.close()
