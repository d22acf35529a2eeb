"""`hearth rules …` from the command line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from hearth.automation import TimerStore
from hearth.cli import app
from hearth.cli._app import _register

SCENARIO = Path(__file__).with_name("data") / "demo_scenario.yaml"
DEMO_RULES = Path(__file__).resolve().parents[2] / "src" / "hearth" / "data" / "demo_rules.yaml"

_register()
runner = CliRunner()


@pytest.fixture(autouse=True)
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("HEARTH_DATA_DIR", str(tmp_path))
    return tmp_path


def test_list_and_show() -> None:
    out = runner.invoke(app, ["rules", "list", "--json"])
    assert out.exit_code == 0, out.output
    assert {r["id"] for r in json.loads(out.output)} >= {"front_door_open", "offpeak_charging"}
    out = runner.invoke(app, ["rules", "show", "front_door_open"])
    assert out.exit_code == 0 and "StateTrigger" in out.output and "hold=300.0" in out.output


def test_enable_and_disable_are_persisted(data_dir: Path) -> None:
    assert runner.invoke(app, ["rules", "disable", "alice_asleep"]).exit_code == 0
    rows = {r["id"]: r["enabled"] for r in json.loads(runner.invoke(app, ["rules", "list", "--json"]).output)}
    assert rows["alice_asleep"] is False and rows["everyone_left"] is True
    assert json.loads((data_dir / "rules.json").read_text())["enabled"] == {"alice_asleep": False}
    assert runner.invoke(app, ["rules", "enable", "alice_asleep"]).exit_code == 0
    rows = {r["id"]: r["enabled"] for r in json.loads(runner.invoke(app, ["rules", "list", "--json"]).output)}
    assert rows["alice_asleep"] is True
    out = runner.invoke(app, ["rules", "disable", "nope"])
    assert out.exit_code == 1 and "no rule 'nope'" in out.output


def test_check_reports_ok_and_errors(tmp_path: Path) -> None:
    out = runner.invoke(app, ["rules", "check", str(DEMO_RULES)])
    assert out.exit_code == 0 and "ok: 5 rules, 1 scenes" in out.output
    bad = tmp_path / "bad.yaml"
    bad.write_text("- id: x\n  triggers: [{trigger: time, at: '25:00'}]\n  actions: [{stop: s}]\n")
    with pytest.raises(Exception) as err:  # main() turns this into one line; the app raises it
        runner.invoke(app, ["rules", "check", str(bad)], catch_exceptions=False)
    assert "bad.yaml:2: rule 'x': triggers[0].at: expected a time of day" in str(err.value)


def test_test_runs_a_scenario_and_prints_json() -> None:
    out = runner.invoke(app, ["rules", "test", str(DEMO_RULES), "--scenario", str(SCENARIO), "--json"])
    assert out.exit_code == 0, out.output
    report = json.loads(out.output)
    assert {r["rule"] for r in report["fired"]} == {"car_home_after_dark", "offpeak_charging", "front_door_open",
                                                   "alice_asleep", "everyone_left"}
    assert report["final_states"]["garage_door"] == {"garage-door.target-position": 100}
    text = runner.invoke(app, ["rules", "test", str(DEMO_RULES), "--scenario", str(SCENARIO)])
    assert "command porch_light light.on = True (ok) by car_home_after_dark" in text.output


def test_trace_reads_the_hub_database(data_dir: Path) -> None:
    db = data_dir / "demo.db"
    store = TimerStore(db)
    store.save_traces("front_door_open", [{
        "rule": "front_door_open", "run": 1, "started": 1_767_240_000.0, "ended": 1_767_240_000.0,
        "trigger": {"kind": "state", "device": "front_door_sensor", "to": True}, "outcome": "done", "message": "",
        "conditions": [], "steps": [{"path": "0", "kind": "notify", "time": 1_767_240_000.0, "elapsed_ms": 0.01,
                                     "ok": True, "message": "to alice, bob"}]}], keep=20)
    store.close()
    out = runner.invoke(app, ["rules", "trace", "front_door_open"])
    assert out.exit_code == 0, out.output
    assert "run 1 at 2026-01-01T12:00:00+08:00: done" in out.output and "✓ 0 notify" in out.output
    missing = runner.invoke(app, ["rules", "trace", "x", "--db", str(data_dir / "none.db")])
    assert missing.exit_code == 1 and "no hub database" in missing.output
