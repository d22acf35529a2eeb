"""`hearth fleet`: run many homes on NATS JetStream and PostgreSQL (worker, put, token, ingest, status,
simulate)."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import signal
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from hearth.cli._app import app
from hearth.fleet import DEFAULT_PARTITIONS, FleetError

fleet_app = typer.Typer(help="Many homes on NATS JetStream and PostgreSQL.", no_args_is_help=True,
                        pretty_exceptions_enable=False)
app.add_typer(fleet_app, name="fleet")

NatsOption = Annotated[str, typer.Option("--nats", envvar="HEARTH_NATS_URL", help="NATS server URL.")]
PgOption = Annotated[str, typer.Option("--pg", envvar="HEARTH_PG_URL", help="PostgreSQL URL.")]
NATS_DEFAULT = "nats://127.0.0.1:4222"
PG_DEFAULT = "postgresql://postgres@127.0.0.1:5432/postgres"


def _run(coro: Any, fast_loop: bool = False) -> Any:
    try:
        if fast_loop:  # uvloop: the worker's event loop turns over once per batch of network reads
            try:
                import uvloop
            except ImportError:  # not on every platform; asyncio's own loop works the same, only slower
                return asyncio.run(coro)
            with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
                return runner.run(coro)
        return asyncio.run(coro)
    except FleetError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from None


@fleet_app.command()
def worker(
    nats: NatsOption = NATS_DEFAULT,
    pg: PgOption = PG_DEFAULT,
    partitions: Annotated[int, typer.Option(help="Partition count (fixed when the fleet is first set up).")]
    = DEFAULT_PARTITIONS,
    lease_ttl: Annotated[float, typer.Option(help="Seconds a lease lasts without renewal (failover time).")] = 3.0,
    heartbeat: Annotated[float, typer.Option(help="Seconds between lease renewals.")] = 0.5,
    batch: Annotated[int, typer.Option(help="Messages per worker batch (one commit).")] = 2000,
    worker_id: Annotated[str, typer.Option("--id", help="Worker id (default: host, pid and a random suffix).")] = "",
    copilot: Annotated[bool, typer.Option(help="Also serve copilot requests (hearth.<home>.ask).")] = True,
) -> None:
    """Serve a share of the partitions until stopped (SIGTERM/Ctrl-C release the leases)."""
    from hearth.fleet import Worker, WorkerConfig

    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    config = WorkerConfig(nats, pg, worker_id, partitions, lease_ttl, heartbeat, batch, copilot)

    async def main() -> None:
        w = Worker(config)
        task = asyncio.create_task(w.run(), name="worker")
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, task.cancel)
        started = asyncio.create_task(w.started.wait())
        await asyncio.wait({task, started}, return_when=asyncio.FIRST_COMPLETED)
        if started.done():
            typer.echo(f"ready {w.id}")
            sys.stdout.flush()  # the parent process waits for this line
        started.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task

    _run(main(), fast_loop=True)


@fleet_app.command()
def put(
    home: Annotated[str, typer.Argument(help="Home id.")],
    home_file: Annotated[Path | None, typer.Option("--home-file", help="The home's own home file (YAML).")] = None,
    rules: Annotated[Path | None, typer.Option("--rules", help="The home's rules (YAML).")] = None,
    nats: NatsOption = NATS_DEFAULT,
    pg: PgOption = PG_DEFAULT,
) -> None:
    """Register or change one home (validated first); its worker rebuilds it in order with the home's events."""
    from hearth.errors import HearthError
    from hearth.fleet import open_db
    from hearth.fleet._admin import put_home

    def read(path: Path | None) -> str | None:
        if path is None:
            return None
        try:
            return path.read_text(encoding="utf-8")
        except OSError as exc:
            raise typer.BadParameter(f"cannot read {path}: {exc}") from None

    home_yaml, rules_yaml = read(home_file), read(rules)

    async def main() -> str:
        async with open_db(pg, size=1) as db:
            return await put_home(nats, db, home, home_yaml, rules_yaml)

    try:
        typer.echo(_run(main()))
    except HearthError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from None


@fleet_app.command()
def ingest(
    nats: NatsOption = NATS_DEFAULT,
    pg: PgOption = PG_DEFAULT,
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="HTTP port.")] = 8490,
) -> None:
    """HTTP ingress: POST /homes/{home}/events (one reading or a list, with the home's token) → `hearth.<home>.in`."""
    import uvicorn

    from hearth.fleet import ingest_app

    uvicorn.run(ingest_app(nats, pg), host=host, port=port, log_level="warning")


@fleet_app.command()
def token(
    home: Annotated[str, typer.Argument(help="Home id.")],
    label: Annotated[str, typer.Option(help="What the token is for (a gateway's name).")] = "",
    pg: PgOption = PG_DEFAULT,
) -> None:
    """Make an ingress token for one home's devices; it is printed once (only its hash is kept)."""
    from hearth.fleet import open_db

    async def main() -> str:
        async with open_db(pg, size=1) as db:
            return await db.add_token(home, label)

    typer.echo(_run(main()))


@fleet_app.command()
def status(
    nats: NatsOption = NATS_DEFAULT,
    pg: PgOption = PG_DEFAULT,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
) -> None:
    """Partitions, owners, lag, homes and rates."""
    from hearth.fleet import fleet_status

    report = _run(fleet_status(nats, pg))
    if as_json:
        typer.echo(json.dumps(report, default=str))
        return
    from rich.console import Console
    from rich.table import Table

    console = Console()
    console.print(f"homes {report['homes']:,}  partitions {report['partitions']}  workers {len(report['workers'])}"
                  f"  lag {report['lag']:,} messages  commands unacknowledged {report['unpublished']:,}")
    workers = Table("worker", "pid", "partitions", "hot homes", "events", "commands", "events/s", "heartbeat")
    for w in report["workers"]:
        workers.add_row(w["id"], str(w["pid"]), str(len(w["partitions"])), f"{w['homes']:,}", f"{w['events']:,}",
                        f"{w['commands']:,}", f"{w['rate']:,.0f}", f"{w['age']:.1f}s ago")
    console.print(workers)
    parts = Table("partition", "owner", "epoch", "committed", "lag", "events", "unacknowledged")
    for p in report["partition_rows"]:
        parts.add_row(str(p["partition"]), p["owner"] or "—", str(p["epoch"]), f"{p['committed']:,}",
                      f"{p['lag']:,}", f"{p['events']:,}", f"{p['unpublished']:,}")
    console.print(parts)


@fleet_app.command()
def simulate(
    nats: NatsOption = NATS_DEFAULT,
    pg: PgOption = PG_DEFAULT,
    homes: Annotated[int, typer.Option(help="Simulated homes.")] = 1000,
    devices_per_home: Annotated[int, typer.Option(help="Devices per home (at least 5).")] = 5,
    rate: Annotated[float, typer.Option(help="Readings per second to publish.")] = 2000.0,
    events: Annotated[int, typer.Option(help="Readings to publish in total.")] = 20_000,
    seed: Annotated[int, typer.Option(help="Random seed (same seed, same readings).")] = 1,
    partitions: Annotated[int, typer.Option(help="Partition count.")] = DEFAULT_PARTITIONS,
    local: Annotated[int, typer.Option(help="Start a private NATS server and this many local workers.")] = 0,
    check: Annotated[bool, typer.Option(help="Check commands against the single-process oracle.")] = True,
    warm: Annotated[bool, typer.Option(help="Load every home into a worker before the timed run (steady state).")]
    = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
) -> None:
    """Publish seeded readings for many homes and check the fleet's commands against the single-box engine."""
    from hearth.fleet import SimulationConfig, local_workers, run_nats_server, simulate_fleet

    config = SimulationConfig(homes, devices_per_home, rate, events, seed, partitions, check, warm=warm)

    async def main() -> dict[str, Any]:
        if not local:
            return await simulate_fleet(nats, pg, config)
        async with run_nats_server() as server, local_workers(server.url, pg, partitions, local):
            return await simulate_fleet(server.url, pg, config)

    report = _run(main())
    if as_json:
        typer.echo(json.dumps(report, default=str))
    else:
        for key, value in report.items():
            typer.echo(f"{key:>16}: {value}")
    if check and not report["oracle"]["ok"]:
        raise typer.Exit(1)
