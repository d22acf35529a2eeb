"""`hearth demo` off a terminal: plain event lines, a clean exit after --duration."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from hearth.cli._demo import is_key_change, start_time
from hearth.core import StateChanged


def test_demo_prints_events_and_exits(tmp_path: Path) -> None:
    # 4 real seconds at 600× is 40 simulated minutes from 17:15; with seed 1 on this date Bob leaves the office
    # by car at 17:36 (the same seed and date always give the same day).
    proc = subprocess.run(
        [sys.executable, "-c", "from hearth.cli import main; main()", "demo", "--duration", "4", "--speed", "600",
         "--date", "2026-06-15", "--start", "17:15", "--seed", "1", "--port", "0", "--data-dir", str(tmp_path)],
        capture_output=True, text=True, timeout=60,
    )
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert lines[0].startswith("Dashboard: http://127.0.0.1:")
    assert lines[1].startswith("Demo logins: alice (admin), bob (adult), mia (child)")
    assert lines[2].startswith("Hearth demo: Lin family home, 600× speed; ")
    assert (tmp_path / "demo.db").exists() and (tmp_path / "demo.users.db").exists()
    assert lines[-1].startswith("end: ")
    assert any("Model Y: IsMoving False → True" in line for line in lines), proc.stdout
    assert any("Bob: zone office → away" in line for line in lines), proc.stdout
    assert "\x1b[" not in proc.stdout  # no terminal control codes when piped


def test_demo_rejects_a_bad_start_time() -> None:
    proc = subprocess.run(
        [sys.executable, "-c", "from hearth.cli import main; main()", "demo", "--duration", "0", "--start", "25:99"],
        capture_output=True, text=True, timeout=60,
    )
    assert proc.returncode == 1 and "--start" in proc.stderr


def test_start_time_is_today_in_the_home_zone() -> None:
    import datetime as dt
    from zoneinfo import ZoneInfo

    ts = start_time("Asia/Shanghai", "17:30")
    assert ts is not None
    local = dt.datetime.fromtimestamp(ts, ZoneInfo("Asia/Shanghai"))
    assert (local.hour, local.minute) == (17, 30)
    assert start_time("UTC", "now") is None
    ts = start_time("Asia/Shanghai", "08:00", "2026-01-01")
    assert ts == 1_767_225_600.0


@pytest.mark.parametrize(
    ("prop", "shown"),
    [("Vehicle.IsMoving", True), ("Vehicle.CurrentLocation.Latitude", False), ("zone", True),
     ("temperature", False), ("status", True)],
)
def test_only_key_changes_are_printed(prop: str, shown: bool) -> None:
    assert is_key_change(StateChanged(0.0, "d", "s", prop, 1, 2)) is shown
