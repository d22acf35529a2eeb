"""Isolation between homes: NATS credentials of home A cannot reach home B's subjects, and tenant reads from
PostgreSQL never return another home's rows."""

from __future__ import annotations

import asyncio

from nats.aio.msg import Msg

from hearth.fleet import connect, ensure_streams, ingress_subject, open_db, run_nats_server
from hearth.fleet._db import RuntimeRow
from hearth.fleet._runtime import Change, IssuedCommand
from hearth.fleet._tenancy import TenantView, tenant_server_config


async def test_home_credentials_reach_only_their_own_subjects() -> None:
    config = tenant_server_config({"alpha": "pa", "beta": "pb"}, ("fleet", "pf"))
    async with run_nats_server(config) as server:
        port = server.port
        errors: list[str] = []

        async def on_error(exc: Exception) -> None:
            errors.append(str(exc))

        fleet = await connect(f"nats://fleet:pf@127.0.0.1:{port}", "fleet")
        alpha = await connect(f"nats://alpha:pa@127.0.0.1:{port}", "alpha", error_cb=on_error)
        try:
            await ensure_streams(fleet.jetstream(), 4)
            seen: list[str] = []

            async def on_beta(msg: Msg) -> None:
                seen.append(msg.subject)

            beta_in = await fleet.subscribe("hearth.beta.>", cb=on_beta)
            await alpha.publish(ingress_subject("beta"), b'{"i":"x","t":1}')  # not allowed
            await alpha.subscribe("hearth.beta.cmd.>")  # not allowed
            await alpha.publish(ingress_subject("alpha"), b'{"i":"y","t":1}')  # allowed
            await alpha.flush()
            await fleet.flush()
            async with asyncio.timeout(5):
                while len(errors) < 2:  # noqa: ASYNC110  (violations arrive asynchronously from the server)
                    await asyncio.sleep(0.01)
            info = await fleet.jetstream().stream_info("HEARTH_IN")
            await beta_in.unsubscribe()
        finally:
            await alpha.close()
            await fleet.close()
    assert any("publish" in e.lower() and "hearth.beta.in" in e for e in errors), errors
    assert any("subscri" in e.lower() and "hearth.beta.cmd" in e for e in errors), errors
    assert seen == []
    assert info.state.messages == 1  # only alpha's own reading was stored


async def test_tenant_view_is_scoped_to_its_home(pg_url: str) -> None:
    async with open_db(pg_url, size=2) as db:
        await db.setup_partitions(4)
        for home in ("alpha", "beta"):
            await db.add_home(home, "home: {id: x, name: X}\n", "rules: []\n")
            await db.pool.execute("UPDATE fleet_partitions SET owner = 'w', epoch = 1 WHERE partition = 0")
            await db.commit(0, "w", 1, 1, 0.0, 1, [RuntimeRow(home, 1.0, [])],
                            [(home, Change(1.0, "lamp", "light", "on", home == "alpha"))],
                            [IssuedCommand(f"{home}-c1", home, 1.0, "lamp", "light", "on", True, "rule:r")])
            await db.pool.execute("INSERT INTO users (home, id, name, role) VALUES ($1, 'u', $1, 'admin')", home)
        alpha = TenantView(db, "alpha")
        assert await alpha.state() == {("lamp", "light", "on"): True}
        assert await alpha.history("lamp", "light", "on") == [(1.0, True)]
        assert [a["command_id"] for a in await alpha.audit()] == ["alpha-c1"]
        assert [u["name"] for u in await alpha.users()] == ["alpha"]
        assert await TenantView(db, "gamma").state() == {}
