"""The `hearth` command line."""

from hearth.cli._app import app, main

__all__ = ["app", "main"]
