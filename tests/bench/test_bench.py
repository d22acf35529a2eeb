from __future__ import annotations

import json
import subprocess
import sys

import pytest
from typer.testing import CliRunner

from hearth.bench import JOBS, TARGETS, select
from hearth.bench._jobs import pick
from hearth.cli._app import _register, app

_register()  # the sub-command modules attach themselves to `app` on import, as `main` does

CORE = ("bus_events_per_s", "state_changes_per_s", "persisted_changes_per_s", "rss_mb_100k_devices",
        "home_load_s_1000_devices")


@pytest.fixture(scope="module")
def quick_report() -> dict[str, object]:
    # The real command line, as users and CI run it: one JSON object on stdout, progress on stderr.
    done = subprocess.run(
        [sys.executable, "-c", "from hearth.cli import main; main()", "bench", "--json", "--quick"],
        capture_output=True, text=True, timeout=300, check=False,
    )
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert isinstance(report, dict)
    return report


def test_prints_one_json_object_with_every_figure(quick_report: dict[str, object]) -> None:
    figures = quick_report["figures"]
    assert isinstance(figures, dict)
    assert set(figures) == {name for job in JOBS if job.default for name in job.figures}
    for key in ("units", "targets", "pass", "passed", "notes", "sections", "reference", "machine"):
        assert key in quick_report
    assert quick_report["quick"] is True


def test_core_figures_are_positive_numbers(quick_report: dict[str, object]) -> None:
    figures = quick_report["figures"]
    assert isinstance(figures, dict)
    for name in CORE:
        value = figures[name]
        if value is None:  # only an optional section may be missing, and it says so
            assert name == "persisted_changes_per_s"
            assert str(quick_report["notes"][name]).startswith("not available")  # type: ignore[index]
            continue
        assert isinstance(value, float) and value > 0, name


def test_every_figure_has_a_verdict_against_its_target(quick_report: dict[str, object]) -> None:
    figures, passes, targets = quick_report["figures"], quick_report["pass"], quick_report["targets"]
    assert isinstance(figures, dict) and isinstance(passes, dict) and isinstance(targets, dict)
    for name, value in figures.items():
        if name not in TARGETS:
            continue
        assert targets[name] == {"op": TARGETS[name].op, "value": TARGETS[name].value}
        assert passes[name] is (None if value is None else TARGETS[name].met(value))


def test_missing_sections_are_null_and_not_available(quick_report: dict[str, object]) -> None:
    sections, figures, notes = quick_report["sections"], quick_report["figures"], quick_report["notes"]
    assert isinstance(sections, dict) and isinstance(figures, dict) and isinstance(notes, dict)
    for job in (j for j in JOBS if j.default):
        if sections[job.section] == "not available":
            assert all(figures[n] is None and "not available" in notes[n] for n in job.figures)


def test_the_fleet_section_runs_only_when_asked_for() -> None:
    assert "fleet" not in {j.section for j in select()}
    assert [j.name for j in select(["fleet"])] == ["fleet"]


def test_only_runs_the_named_section() -> None:
    result = CliRunner().invoke(app, ["bench", "--json", "--quick", "--only", "bus"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert list(report["figures"]) == ["bus_events_per_s"]
    assert report["figures"]["bus_events_per_s"] > 0


def test_unknown_section_is_one_clear_error() -> None:
    result = CliRunner().invoke(app, ["bench", "--only", "warp-drive"])
    assert result.exit_code == 1
    assert "unknown section 'warp-drive'" in result.output


def test_table_output_names_the_figures() -> None:
    result = CliRunner().invoke(app, ["bench", "--quick", "--only", "state"])
    assert result.exit_code == 0, result.output
    assert "state_changes_per_s" in result.stdout


def test_core_selects_the_five_core_jobs() -> None:
    assert [j.name for j in select(["core"])] == ["bus", "state", "persistence", "memory", "load"]


def test_pick_reads_numbers_and_named_figures() -> None:
    assert pick(12, "x") == 12.0
    assert pick({"per_s": 5, "rate": 7}, "rate", "per_s") == 7.0
    assert pick({"rate": True}, "rate") is None
    assert pick("fast", "rate") is None
