"""`hearth bench`: run the benchmark with a progress bar, then print a table or one JSON object."""

from __future__ import annotations

import json
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from hearth.bench import JOBS, REFERENCE, SECTIONS, TARGETS, Job, run_bench, select
from hearth.cli._app import app, fail


@app.command()
def bench(
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object on stdout.")] = False,
    quick: Annotated[bool, typer.Option("--quick", help="Small sizes: a smoke test, not figures.")] = False,
    only: Annotated[
        list[str] | None, typer.Option("--only", help=f"Run only these sections: {', '.join(SECTIONS)}.")
    ] = None,
    fleet: Annotated[
        bool, typer.Option("--fleet", help="Also run the fleet section (starts NATS, uses PostgreSQL; minutes).")
    ] = False,
) -> None:
    """Measure bus, state store, persistence, memory, home loading, automations and copilot speed."""
    if fleet:
        only = [*(only or [j.section for j in JOBS if j.default]), "fleet"]
    try:
        jobs = select(only)
    except ValueError as exc:
        fail(str(exc))
    progress_console = Console(stderr=True)
    with Progress(
        TextColumn("[bold]bench[/]"), BarColumn(), TextColumn("{task.completed}/{task.total}"),
        TextColumn("{task.description}"), TimeElapsedColumn(), console=progress_console, transient=True,
    ) as progress:
        task = progress.add_task("starting", total=len(jobs))

        def on_job(job: Job, index: int, _total: int) -> None:
            progress.update(task, completed=index, description=job.title)

        report = run_bench(only, quick, on_job)
        progress.update(task, completed=len(jobs), description="done")
    if as_json:
        typer.echo(json.dumps(report, ensure_ascii=False, default=str))
        return
    console = Console(width=max(Console().width, 110))
    console.print(_table(report))
    missed = [name for name, ok in report["pass"].items() if ok is False]
    console.print(f"[red]{len(missed)} figure(s) miss their target[/]" if missed else "[green]every target met[/]")


def _fmt(value: float | None, unit: str) -> str:
    if value is None:
        return "—"
    if unit in ("MB", "ms", "s", "x"):
        return f"{value:,.3g} {unit}" if value < 10 else f"{value:,.0f} {unit}"
    return f"{value:,.0f}/s" if unit.endswith("/s") else f"{value:,.0f} {unit}"


def _table(report: dict[str, Any]) -> Table:
    title = "Hearth bench" + (" (--quick: small sizes, a smoke test)" if report["quick"] else "")
    table = Table("figure", "measured", "target", "HA 2025.4", "", title=title)
    shown: set[str] = set()
    for name, value in report["figures"].items():
        section = next((j.section for j in JOBS if name in j.figures), name)
        if value is None and section in shown:
            continue
        unit = report["units"].get(name, "")
        target = TARGETS.get(name)
        verdict = {True: "[green]pass[/]", False: "[red]FAIL[/]", None: ""}[report["pass"].get(name)]
        if value is None:
            shown.add(section)
            table.add_row(f"{section}: …", f"[dim]{report['notes'].get(name, 'not available')}[/]", "", "", "")
            continue
        table.add_row(
            name, _fmt(value, unit), f"{target.op} {_fmt(target.value, unit)}" if target else "",
            REFERENCE.get(name, ""), verdict,
        )
    return table
