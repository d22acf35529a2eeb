"""The root Typer app; each sub-command group lives in its own module."""

from __future__ import annotations

import sys
from typing import NoReturn

import typer

from hearth.errors import HearthError

app = typer.Typer(
    name="hearth",
    help="Hearth: a local-first AI hub for people, cars and homes.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def fail(message: str, code: int = 1) -> NoReturn:
    """Print one clear error line and exit non-zero."""
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(code)


def _register() -> None:
    from hearth.cli import _devices  # noqa: F401  (registers commands)

    for name in ("_serve", "_demo", "_bench", "_rules", "_ask", "_fleet", "_camera"):
        try:
            __import__(f"hearth.cli.{name}")
        except ModuleNotFoundError as exc:
            if exc.name != f"hearth.cli.{name}":
                raise


def main() -> None:
    """Entry point: run the CLI, turning Hearth errors into one line and exit code 1."""
    _register()
    try:
        app()
    except HearthError as exc:
        typer.echo(f"error: {exc}", err=True)
        sys.exit(1)
    except KeyboardInterrupt:
        sys.exit(130)
