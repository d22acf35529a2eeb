"""A throwaway PostgreSQL database for tests and the bench: a fresh database on the server named by
`HEARTH_TEST_PG` (default: the local server), dropped afterwards; if no server answers, a private cluster
started with the system's `initdb`/`pg_ctl` in a temporary folder on a free port. Fails loudly otherwise."""

from __future__ import annotations

import asyncio
import contextlib
import glob
import os
import shutil
import subprocess
import tempfile
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import asyncpg  # type: ignore[import-untyped]  # asyncpg ships no type information

from hearth.fleet._nats import FleetError, free_port

DEFAULT_TEST_PG = "postgresql://postgres@127.0.0.1:5432/postgres"


def _with_database(url: str, database: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, f"/{database}", parts.query, parts.fragment))


async def _server_answers(url: str) -> bool:
    try:
        conn = await asyncpg.connect(url, timeout=3)
    except (OSError, asyncpg.PostgresError, TimeoutError):
        return False
    await conn.close()
    return True


@contextlib.asynccontextmanager
async def throwaway_database(base: str | None = None) -> AsyncIterator[str]:
    """Yield the URL of a new empty database; drop it (or stop the private server) on exit."""
    base = base or os.environ.get("HEARTH_TEST_PG", DEFAULT_TEST_PG)
    if await _server_answers(base):
        async with _database_on(base) as url:
            yield url
        return
    async with private_cluster() as server, _database_on(server) as url:
        yield url


@contextlib.asynccontextmanager
async def _database_on(server: str) -> AsyncIterator[str]:
    name = f"hearth_test_{uuid.uuid4().hex[:12]}"
    admin = await asyncpg.connect(server, timeout=5)
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    try:
        yield _with_database(server, name)
    finally:
        admin = await asyncpg.connect(server, timeout=5)
        try:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await admin.close()


def _pg_bin(tool: str) -> str:
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{tool}"))
    on_path = shutil.which(tool)
    if on_path is not None:
        found.append(on_path)
    if not found:
        raise FleetError(f"no PostgreSQL server answers and {tool} is not installed (apt-get install postgresql)")
    return str(found[-1])


@contextlib.asynccontextmanager
async def private_cluster() -> AsyncIterator[str]:
    """Start a private PostgreSQL server in a temporary folder (as user `postgres` when run as root)."""
    port = free_port()
    with tempfile.TemporaryDirectory(prefix="hearth-pg-") as tmp:
        data = Path(tmp) / "data"
        prefix: list[str] = []
        if os.geteuid() == 0:
            shutil.chown(tmp, "postgres")
            os.chmod(tmp, 0o700)
            prefix = ["runuser", "-u", "postgres", "--"]
        run = [*prefix, _pg_bin("initdb"), "-D", str(data), "-U", "postgres", "--auth=trust", "-E", "UTF8"]
        ctl = [*prefix, _pg_bin("pg_ctl"), "-D", str(data), "-l", f"{tmp}/log", "-w"]
        options = f"-p {port} -k {tmp} -c listen_addresses=127.0.0.1 -c fsync=off"
        try:
            await asyncio.to_thread(subprocess.run, run, check=True, capture_output=True)
            await asyncio.to_thread(subprocess.run, [*ctl, "-o", options, "start"], check=True, capture_output=True)
        except (OSError, subprocess.CalledProcessError) as exc:
            detail = getattr(exc, "stderr", b"") or b""
            raise FleetError(f"cannot start a private PostgreSQL: {exc} {detail.decode(errors='replace')}") from exc
        try:
            yield f"postgresql://postgres@127.0.0.1:{port}/postgres"
        finally:
            await asyncio.to_thread(subprocess.run, [*ctl, "-m", "immediate", "stop"], capture_output=True)
