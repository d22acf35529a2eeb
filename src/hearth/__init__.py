"""Hearth: a local-first AI hub for people, cars and homes."""

from hearth.errors import HearthError

__version__ = "0.1.0"

__all__ = ["HearthError", "__version__"]
