"""Worker processes on this machine (the bench, tests and `simulate --local`): each a real
`python -m hearth.fleet worker` with its own pid, started and stopped by the owner of the context."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

from hearth.fleet._nats import FleetError


@dataclass
class WorkerProcess:
    """A worker running in its own process."""

    proc: asyncio.subprocess.Process
    id: str = ""
    log: list[str] = field(default_factory=list)

    @property
    def pid(self) -> int:
        """The process id."""
        return self.proc.pid

    def kill(self) -> None:
        """SIGKILL: the worker gets no chance to commit or release anything."""
        with contextlib.suppress(ProcessLookupError):
            os.kill(self.proc.pid, signal.SIGKILL)


class LocalWorkers:
    """Start and stop worker processes; every process started here is stopped when the context exits."""

    def __init__(self, nats_url: str, pg_url: str, partitions: int, lease_ttl: float = 3.0,
                 heartbeat: float = 0.5) -> None:
        self.args = ["--nats", nats_url, "--pg", pg_url, "--partitions", str(partitions), "--lease-ttl",
                     str(lease_ttl), "--heartbeat", str(heartbeat)]
        self.workers: list[WorkerProcess] = []
        self._drains: list[asyncio.Task[None]] = []

    async def start(self, wait: float = 30.0) -> WorkerProcess:
        """Start one worker and wait for its `ready` line (it holds the partitions it wants)."""
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "hearth.fleet", "worker", *self.args, stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT)
        worker = WorkerProcess(proc)
        self.workers.append(worker)
        assert proc.stdout is not None
        try:
            await asyncio.wait_for(self._until_ready(worker), wait)
        except (TimeoutError, EOFError) as exc:
            raise FleetError("worker did not start:\n" + "".join(worker.log[-30:])) from exc
        self._drains.append(asyncio.create_task(self._drain(worker), name=f"worker {worker.pid} output"))
        return worker

    async def _until_ready(self, worker: WorkerProcess) -> None:
        assert worker.proc.stdout is not None
        while True:
            line = await worker.proc.stdout.readline()
            if not line:
                raise EOFError
            text = line.decode(errors="replace")
            worker.log.append(text)
            if text.startswith("ready "):
                worker.id = text.split()[1]
                return

    async def _drain(self, worker: WorkerProcess) -> None:
        assert worker.proc.stdout is not None
        while line := await worker.proc.stdout.readline():
            worker.log.append(line.decode(errors="replace"))
            del worker.log[:-200]

    async def stop_all(self) -> None:
        """Stop every worker (SIGTERM, then SIGKILL after a grace period)."""
        for worker in self.workers:
            if worker.proc.returncode is None:
                with contextlib.suppress(ProcessLookupError):
                    worker.proc.terminate()
        for worker in self.workers:
            try:
                await asyncio.wait_for(worker.proc.wait(), 10)
            except TimeoutError:
                worker.kill()
                await worker.proc.wait()
        for task in self._drains:
            task.cancel()
        await asyncio.gather(*self._drains, return_exceptions=True)


@contextlib.asynccontextmanager
async def local_workers(nats_url: str, pg_url: str, partitions: int, count: int = 1, lease_ttl: float = 3.0,
                        heartbeat: float = 0.5) -> AsyncIterator[LocalWorkers]:
    """Run `count` worker processes for the duration of the block."""
    pool = LocalWorkers(nats_url, pg_url, partitions, lease_ttl, heartbeat)
    try:
        for _ in range(count):
            await pool.start()
        yield pool
    finally:
        await pool.stop_all()
