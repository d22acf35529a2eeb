from __future__ import annotations

from pathlib import Path

from hearth.perception import CameraEvent, EventLog
from hearth.perception._snapshots import new_event_id


def _event(t: float, camera: str = "door", snapshot: bool = True) -> CameraEvent:
    return CameraEvent(new_event_id(t, camera), t, camera, "rule", "someone", 1, 0.9, ((1, 2, 3, 4),),
                       snapshot=snapshot)


def test_events_and_snapshots_survive_a_restart(tmp_path: Path) -> None:
    log = EventLog(tmp_path)
    first = _event(1000.0)
    log.add(first, b"\xff\xd8one\xff\xd9")
    again = EventLog(tmp_path)
    assert again.recent() == [first]
    assert again.snapshot(first.id) == b"\xff\xd8one\xff\xd9"


def test_retention_drops_old_events_with_their_jpeg(tmp_path: Path) -> None:
    log = EventLog(tmp_path, keep_days=1, keep=3)
    old = _event(0.0)
    log.add(old, b"old")
    newer = [_event(90_000.0 + i) for i in range(4)]
    for event in newer:
        log.add(event, b"new")
    assert [e.id for e in log.recent()] == [e.id for e in reversed(newer[1:])]
    assert not (tmp_path / f"{old.id}.jpg").exists()
    assert len(list(tmp_path.glob("*.jpg"))) == 3
    assert len(EventLog(tmp_path).recent()) == 3


def test_in_memory_without_a_folder_and_filtered_by_camera() -> None:
    log = EventLog(None, keep=10)
    log.add(_event(1.0, "door"), b"a")
    log.add(_event(2.0, "garden", snapshot=False))
    assert [e.camera for e in log.recent()] == ["garden", "door"]
    assert [e.camera for e in log.recent(cameras={"door"})] == ["door"]
    door = log.recent("door")[0]
    assert log.snapshot(door.id) == b"a"
    assert log.snapshot(log.recent("garden")[0].id) is None
