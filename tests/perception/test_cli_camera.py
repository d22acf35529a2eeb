"""`hearth camera` commands on the demo home, a real video and a stored event log."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from typer.testing import CliRunner

import hearth.cli._camera  # noqa: F401  (registers `hearth camera`)
from hearth.cli._app import app
from hearth.perception import CameraEvent, EventLog, decode_jpeg, encode_jpeg
from tests.perception.conftest import write_video

runner = CliRunner()


def test_list_and_rules_of_the_demo_home() -> None:
    listed = runner.invoke(app, ["camera", "list", "--json"])
    assert listed.exit_code == 0, listed.output
    assert json.loads(listed.output)[0] | {"name": None} == {
        "id": "front_camera", "name": None, "area": "entrance", "source": "twin", "kind": "twin", "fps": 1.0,
        "vlm": False, "privacy_masks": 0}
    rules = runner.invoke(app, ["camera", "rules", "--json"])
    assert [r["id"] for r in json.loads(rules.output)] == ["someone_at_door", "front_door_occupied"]


def test_a_bad_rules_file_is_one_clear_line(tmp_path: Path) -> None:
    bad = tmp_path / "camera_rules.yaml"
    bad.write_text("camera_rules: [{id: x, camera: front_camera, detect: cat}]")
    result = runner.invoke(app, ["camera", "rules", "--rules", str(bad)])
    assert result.exit_code != 0 and "detect" in str(result.exception)


def test_trying_a_video_reports_the_person(tmp_path: Path, empty_room: np.ndarray, visitor: np.ndarray) -> None:
    video = write_video(tmp_path / "door.avi", [empty_room] * 4 + [visitor] * 3, fps=5)
    result = runner.invoke(app, ["camera", "test", str(video), "--frames", "7", "--fps", "50", "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert (report["frames"], report["size"], report["max_people"], report["max_faces"]) == (7, "640×480", 1, 1)
    assert report["gate_frames"] >= 1 and report["detector_runs"] < 7


def test_snapshot_of_the_twins_camera(tmp_path: Path) -> None:
    out = tmp_path / "front.jpg"
    result = runner.invoke(app, ["camera", "snapshot", "front_camera", "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert decode_jpeg(out.read_bytes()).shape == (240, 320, 3)


def test_events_from_the_data_dir(tmp_path: Path, astronaut: np.ndarray) -> None:
    log = EventLog(tmp_path / "perception")
    log.add(CameraEvent("e1", 1_767_225_600.0, "front_camera", "rule", "someone_at_door", 1, 0.8, snapshot=True),
            encode_jpeg(astronaut))
    shown = runner.invoke(app, ["camera", "events", "--data-dir", str(tmp_path)])
    assert shown.exit_code == 0 and "front_camera  rule someone_at_door ×1" in shown.output
    assert "e1.jpg" in shown.output
    missing = runner.invoke(app, ["camera", "events", "--data-dir", str(tmp_path / "nothing")])
    assert missing.exit_code == 1 and "no perception events" in missing.output
