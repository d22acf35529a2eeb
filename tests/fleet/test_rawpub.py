"""The load generator's raw publisher and the worker's raw subscription against a real NATS server."""

from __future__ import annotations

import asyncio

import pytest

from hearth.fleet import FleetError, NatsServer, run_nats_server
from hearth.fleet._consumer import RawClient
from hearth.fleet._nats import connect
from hearth.fleet._rawpub import RawPublisher, frame


async def test_frames_arrive_in_order_and_a_flush_means_the_server_has_them(nats_server: NatsServer) -> None:
    nc = RawClient()
    await connect(nats_server.url, "test", nc)
    got: list[tuple[bytes, bytes]] = []
    try:
        await nc.raw_subscribe("load.>", lambda subject, reply, data, headers: got.append((subject, data)))
        await nc.flush()
        async with RawPublisher(nats_server.url) as raw:
            raw.write(b"".join(frame(f"load.{n % 3}", b"%d" % n) for n in range(1000)))
            await raw.drain()
            await raw.flush()
        async with asyncio.timeout(5):
            while len(got) < 1000:  # noqa: ASYNC110  (delivery to the subscriber follows the flush)
                await asyncio.sleep(0.01)
    finally:
        await nc.close()
    assert [int(data) for _, data in got] == list(range(1000))
    assert got[4] == (b"load.1", b"4")


async def test_credentials_in_the_url_are_sent_and_a_refusal_is_reported() -> None:
    config = "authorization { users = [{user: dev, password: s3cret, permissions: {publish: ['ok.>']}}] }\n"
    async with run_nats_server(config) as server:
        async with RawPublisher(f"nats://dev:s3cret@127.0.0.1:{server.port}") as raw:
            raw.write(frame("ok.1", b"x"))
            await raw.flush()
            raw.write(frame("forbidden", b"x"))
            with pytest.raises(FleetError, match="Permissions Violation"):
                await raw.flush()
            with pytest.raises(FleetError, match="refused"):
                raw.write(frame("ok.2", b"x"))
        with pytest.raises(FleetError):
            async with RawPublisher(f"nats://dev:wrong@127.0.0.1:{server.port}") as raw:
                await raw.flush()


async def test_the_fast_parser_handles_split_reads_headers_and_control_lines() -> None:
    from hearth.fleet._consumer import RawClient

    nc = RawClient()
    got: list[tuple[bytes, bytes, bytes, bytes | None]] = []
    pongs: list[str] = []

    async def pong() -> None:
        pongs.append("pong")

    nc._process_pong = pong  # type: ignore[method-assign]
    nc._raw[7] = lambda subject, reply, data, headers: got.append((subject, reply, data, headers))
    stream = (b"MSG a.b 7 5\r\nhello\r\nPONG\r\nHMSG c.d 7 _INBOX.1 12 15\r\nNATS/1.0\r\n\r\nabc\r\n"
              b"+OK\r\nMSG e 7 r.1 0\r\n\r\n")
    for cut in range(len(stream)):  # every split of the stream into two reads
        got.clear()
        pongs.clear()
        nc._ps.reset()
        await nc._ps.parse(stream[:cut])
        await nc._ps.parse(stream[cut:])
        assert got == [(b"a.b", b"", b"hello", None), (b"c.d", b"_INBOX.1", b"abc", b"NATS/1.0\r\n\r\n"),
                       (b"e", b"r.1", b"", None)], cut
        assert pongs == ["pong"]


async def test_an_unanswered_publish_is_sent_again_under_its_id(nats_server: NatsServer) -> None:
    from hearth.fleet._publisher import Publisher

    nc = RawClient()
    await connect(nats_server.url, "test", nc)
    seen: list[tuple[bytes, bytes | None, bytes]] = []  # (payload, header block, reply subject)
    try:
        await nc.raw_subscribe("swallow.>", lambda subject, reply, data, headers: seen.append((data, headers, reply)))
        async with Publisher(nc, resend_after=0.2) as publisher:
            await publisher.publish_many([("swallow.x", b"cmd", ("p", 1), "home/c1")])
            await asyncio.sleep(0.3)
            assert await publisher.resend_stale() == 1
            await nc.flush()
            async with asyncio.timeout(5):
                while len(seen) < 2:  # noqa: ASYNC110
                    await asyncio.sleep(0.01)
            assert [(d, b"Nats-Msg-Id: home/c1" in (h or b"")) for d, h, _ in seen] == [(b"cmd", True)] * 2
            await nc.publish(seen[0][2].decode(), b'{"stream":"S","seq":1}')  # a late answer to the first copy
            await nc.publish(seen[1][2].decode(), b'{"stream":"S","seq":1,"duplicate":true}')
            await publisher.flush()
            assert publisher.take_acked() == [("p", 1)]  # counted once
            assert publisher.resent == 1
    finally:
        await nc.close()
