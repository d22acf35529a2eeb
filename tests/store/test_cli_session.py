"""The CLI keeps state, history and audit in the home's database between invocations."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from hearth.cli import _devices  # noqa: F401  (registers the device commands)
from hearth.cli._app import app
from hearth.cli._session import default_database, session
from hearth.store import SqliteStore


def _hearth(*args: str) -> str:
    result = CliRunner().invoke(app, list(args))
    assert result.exit_code == 0, result.output
    return result.output


def test_set_persists_for_the_next_command_and_history_reads_the_database(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HEARTH_DATA_DIR", str(tmp_path))
    _hearth("set", "living_floor_lamp", "light.brightness", "35")
    _hearth("set", "living_floor_lamp", "light.brightness", "40")
    assert json.loads(_hearth("state", "living_floor_lamp", "--json"))["light.brightness"] == 40
    points = json.loads(_hearth("history", "living_floor_lamp", "light.brightness", "--json"))
    assert [p["value"] for p in points] == [35, 40]
    assert default_database("demo") == tmp_path / "demo.db"
    with SqliteStore(tmp_path / "demo.db") as store:
        assert [(r.actor.id, r.value, r.ok) for r in store.audit()] == [("cli", 40, True), ("cli", 35, True)]


def test_sessions_without_persistence_start_from_the_home_file(tmp_path: Path) -> None:
    db = tmp_path / "x.db"
    with session(None, db) as s:
        s.state.apply("living_floor_lamp", "light", "brightness", 12)
    with session(None, db) as s:
        assert s.state.get("living_floor_lamp", "light", "brightness") == 12
        assert [v for _, v in s.history("living_floor_lamp", "light", "brightness", 10)] == [12]
    with session(None, db, persist=False) as s:
        assert s.store is None
        assert s.state.get("living_floor_lamp", "light", "brightness") != 12
