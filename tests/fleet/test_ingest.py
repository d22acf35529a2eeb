"""The HTTP ingress: a home's token posts only to that home; readings are stored before the reply."""

from __future__ import annotations

import asyncio

import pytest
from fastapi.testclient import TestClient

from hearth.fleet import FleetError, NatsServer, connect, ensure_streams, ingest_app, open_db
from hearth.fleet._admin import put_home
from hearth.fleet._synthetic import home_yaml

READING = {"device": "hall_motion", "service": "motion-sensor", "property": "motion-state", "value": True}


async def test_tokens_reach_only_their_home(nats_server: NatsServer, pg_url: str) -> None:
    nc = await connect(nats_server.url, "test")
    try:
        await ensure_streams(nc.jetstream(), 4)
        async with open_db(pg_url, size=2) as db:
            for home in ("alpha", "beta"):
                await put_home(nats_server.url, db, home, home_yaml(5), "rules: []\n")
            alpha = await db.add_token("alpha", "hall gateway")
            with pytest.raises(FleetError, match="no home 'gamma'"):
                await db.add_token("gamma")

        def calls() -> list[tuple[int, object]]:
            with TestClient(ingest_app(nats_server.url, pg_url)) as client:
                bearer = {"Authorization": f"Bearer {alpha}"}
                replies = [client.post("/homes/alpha/events", json=READING),
                           client.post("/homes/beta/events", json=READING, headers=bearer),
                           client.post("/homes/alpha/events", json=READING, headers={"Authorization": "Bearer x"}),
                           client.post("/homes/alpha/events", json=[READING, READING], headers=bearer),
                           client.post("/homes/alpha/events", json={"device": "x"}, headers=bearer)]
                return [(r.status_code, r.json()) for r in replies]

        before = (await nc.jetstream().stream_info("HEARTH_IN")).state.messages  # the homes' reload messages
        codes = await asyncio.to_thread(calls)
        after = (await nc.jetstream().stream_info("HEARTH_IN")).state.messages
    finally:
        await nc.close()
    assert [c for c, _ in codes] == [401, 403, 403, 200, 422]
    assert codes[3][1] == {"accepted": 2}
    assert after - before == 2  # nothing from the refused requests was stored
