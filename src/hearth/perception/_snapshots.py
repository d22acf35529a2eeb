"""Perception events with their snapshots: JPEGs on disk only for events, pruned by age and count."""

from __future__ import annotations

import itertools
import json
import threading
from collections import deque
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from hearth.errors import StoreError
from hearth.perception._gate import Box

_ids = itertools.count(1)


@dataclass(frozen=True, slots=True)
class CameraEvent:
    """A perception event worth keeping: a rule that fired or a detector's new finding."""

    id: str
    time: float
    camera: str
    kind: str
    label: str = ""
    count: int = 0
    confidence: float = 0.0
    boxes: tuple[Box, ...] = ()
    reason: str = ""
    snapshot: bool = False

    def as_dict(self) -> dict[str, Any]:
        """Plain JSON-ready data."""
        data = asdict(self)
        data["boxes"] = [list(b) for b in self.boxes]
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> CameraEvent:
        """Read back what `as_dict` wrote."""
        boxes = tuple((int(b[0]), int(b[1]), int(b[2]), int(b[3])) for b in data.get("boxes", ()))
        return cls(str(data["id"]), float(data["time"]), str(data["camera"]), str(data["kind"]),
                   str(data.get("label", "")), int(data.get("count", 0)), float(data.get("confidence", 0.0)),
                   boxes, str(data.get("reason", "")), bool(data.get("snapshot", False)))


def new_event_id(time: float, camera: str) -> str:
    """A unique, sortable, URL-safe event id."""
    return f"{int(time * 1000):015d}-{camera}-{next(_ids)}"


class EventLog:
    """Recent perception events; with a directory, also `events.jsonl` and one `<id>.jpg` per snapshot.

    Retention: events older than `keep_days` and all but the newest `keep` are dropped with their JPEG.
    Without a directory, snapshots stay in memory for the newest `keep` events only. Thread-safe, since
    snapshots are written off the event loop.
    """

    def __init__(self, directory: Path | None = None, keep_days: float = 7.0, keep: int = 500) -> None:
        self.directory, self.keep_days, self.keep = directory, keep_days, keep
        self._events: deque[CameraEvent] = deque()
        self._memory: dict[str, bytes] = {}
        self._lock = threading.Lock()
        if directory is not None:
            try:
                directory.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise StoreError(f"cannot create the snapshot folder {directory}: {exc.strerror}") from exc
            self._events.extend(self._read_index()[-keep:])

    @property
    def _index(self) -> Path:
        assert self.directory is not None
        return self.directory / "events.jsonl"

    def _read_index(self) -> list[CameraEvent]:
        if not self._index.exists():
            return []
        events = []
        for line in self._index.read_text(encoding="utf-8").splitlines():
            try:
                events.append(CameraEvent.from_dict(json.loads(line)))
            except (ValueError, KeyError, TypeError, IndexError):
                continue  # a torn last line after a crash loses one event, not the log
        return events

    def add(self, event: CameraEvent, jpeg: bytes | None = None) -> None:
        """Keep an event and its snapshot, then apply retention (blocking file I/O: call it off the loop)."""
        with self._lock:
            self._events.append(event)
            if jpeg is not None:
                if self.directory is None:
                    self._memory[event.id] = jpeg
                else:
                    (self.directory / f"{event.id}.jpg").write_bytes(jpeg)
            if self.directory is not None:
                with self._index.open("a", encoding="utf-8") as index:
                    index.write(json.dumps(event.as_dict(), ensure_ascii=False) + "\n")
            self._prune(event.time)

    def _prune(self, now: float) -> None:
        dropped = []
        while self._events and (len(self._events) > self.keep or
                                self._events[0].time < now - self.keep_days * 86400):
            dropped.append(self._events.popleft())
        for old in dropped:
            self._memory.pop(old.id, None)
            if self.directory is not None:
                (self.directory / f"{old.id}.jpg").unlink(missing_ok=True)
        if dropped and self.directory is not None:
            lines = "".join(json.dumps(e.as_dict(), ensure_ascii=False) + "\n" for e in self._events)
            tmp = self._index.with_suffix(".tmp")
            tmp.write_text(lines, encoding="utf-8")
            tmp.replace(self._index)

    def recent(self, camera: str | None = None, limit: int = 50, cameras: set[str] | None = None) -> list[CameraEvent]:
        """The newest events first, optionally of one camera or of a set of cameras."""
        with self._lock:
            found = [e for e in reversed(self._events)
                     if (camera is None or e.camera == camera) and (cameras is None or e.camera in cameras)]
        return found[:limit]

    def get(self, event_id: str) -> CameraEvent | None:
        """One event by id."""
        with self._lock:
            return next((e for e in self._events if e.id == event_id), None)

    def snapshot(self, event_id: str) -> bytes | None:
        """An event's JPEG, if it has one still kept."""
        event = self.get(event_id)
        if event is None or not event.snapshot:
            return None
        if self.directory is None:
            return self._memory.get(event_id)
        path = self.directory / f"{event_id}.jpg"
        return path.read_bytes() if path.is_file() else None
