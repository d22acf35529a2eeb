"""Persistence: current state, history with retention and the audit log (SQLite in WAL mode)."""

from hearth.store._restore import restorable
from hearth.store._sqlite import SqliteStore, default_database
from hearth.store._writer import WriterStats

__all__ = ["SqliteStore", "WriterStats", "default_database", "restorable"]
