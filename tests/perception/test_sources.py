from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from hearth.errors import AdapterError
from hearth.perception import (
    CameraSettings,
    FolderSource,
    MjpegSource,
    SnapshotSource,
    VideoSource,
    encode_jpeg,
    open_source,
)
from tests.perception.camera_server import CameraServer
from tests.perception.conftest import inline, write_video


def _mean(image: np.ndarray) -> float:
    return float(image.mean())


async def test_video_file_is_read_at_the_cameras_rate_and_loops(tmp_path: Path, empty_room: np.ndarray,
                                                                 visitor: np.ndarray) -> None:
    video = write_video(tmp_path / "door.avi", [empty_room] * 10 + [visitor] * 10, fps=10)
    source = VideoSource(str(video), fps=5, width=320, loop=True, offload=inline)
    await source.open()
    frames = [await source.read() for _ in range(12)]
    await source.close()
    assert all(f is not None and f.shape == (240, 320, 3) for f in frames)
    # every second frame of the 10 fps file: 5 empty, 5 with the visitor, then from the start again
    with_visitor = [abs(_mean(f) - _mean(cv2.resize(visitor, (320, 240)))) < 3 for f in frames if f is not None]
    assert with_visitor == [False] * 5 + [True] * 5 + [False] * 2


async def test_video_file_ends_when_not_looping(tmp_path: Path, astronaut: np.ndarray) -> None:
    video = write_video(tmp_path / "short.avi", [astronaut] * 3, fps=2)
    source = VideoSource(str(video), fps=2, width=640, loop=False, offload=inline)
    await source.open()
    assert [await source.read() is not None for _ in range(4)] == [True, True, True, False]
    await source.close()


async def test_missing_video_is_an_adapter_error(tmp_path: Path) -> None:
    with pytest.raises(AdapterError, match="no video file"):
        await VideoSource(str(tmp_path / "none.mp4"), 1, 640, offload=inline).open()


async def test_image_folder_in_name_order(tmp_path: Path, astronaut: np.ndarray, coffee: np.ndarray) -> None:
    cv2.imwrite(str(tmp_path / "b.jpg"), coffee)
    cv2.imwrite(str(tmp_path / "a.png"), astronaut)
    (tmp_path / "notes.txt").write_text("not an image")
    source = FolderSource(str(tmp_path), width=640, loop=False, offload=inline)
    await source.open()
    shapes = [(await source.read()) for _ in range(3)]
    assert [s.shape if s is not None else None for s in shapes] == [(512, 512, 3), (400, 600, 3), None]
    (tmp_path / "empty").mkdir()
    with pytest.raises(AdapterError, match="no images"):
        await FolderSource(str(tmp_path / "empty"), 640).open()
    with pytest.raises(AdapterError, match="no image folder"):
        await FolderSource(str(tmp_path / "missing"), 640).open()


async def test_http_snapshots_are_polled(astronaut: np.ndarray, coffee: np.ndarray) -> None:
    async with CameraServer([encode_jpeg(astronaut), encode_jpeg(coffee)]) as camera:
        settings = CameraSettings.parse("door", {"source": f"{camera.url}/snapshot.jpg", "width": 320})
        source = open_source(settings, lambda: 0.0, inline)
        assert isinstance(source, SnapshotSource)
        await source.open()
        first = await source.read()
        camera.current = 1
        second = await source.read()
        camera.fail_with = 503
        with pytest.raises(AdapterError, match="HTTP 503"):
            await source.read()
        await source.close()
    assert first is not None and first.shape == (320, 320, 3)
    assert second is not None and second.shape == (213, 320, 3)


async def test_mjpeg_stream_is_split_into_frames_and_throttled(astronaut: np.ndarray, coffee: np.ndarray) -> None:
    jpegs = [encode_jpeg(astronaut), encode_jpeg(coffee)] * 3
    clock = iter([0.0, 0.1, 0.6, 0.7, 1.2, 1.3])  # the stream sends faster than the camera's 2 fps
    async with CameraServer(jpegs) as camera:
        source = MjpegSource(f"{camera.url}/video.mjpg", fps=2, width=640, now=lambda: next(clock), offload=inline)
        await source.open()
        kept = [await source.read() for _ in range(4)]
        await source.close()
    assert [k.shape if k is not None else None for k in kept] == [(512, 512, 3)] * 3 + [None]


async def test_mjpeg_refused_is_an_adapter_error() -> None:
    async with CameraServer([b""]) as camera:
        camera.fail_with = 401
        with pytest.raises(AdapterError, match="HTTP 401"):
            await MjpegSource(f"{camera.url}/video.mjpg", 2, 640, lambda: 0.0).open()


async def test_a_live_http_stream_through_opencv(astronaut: np.ndarray) -> None:
    # The server sends its frames at once; a live source skips those that come faster than its rate,
    # so there are plenty and the rate is high.
    small = cv2.resize(astronaut, (256, 256), interpolation=cv2.INTER_AREA)
    async with CameraServer([encode_jpeg(small)] * 300) as camera:
        settings = CameraSettings.parse("door", {"source": f"{camera.url}/live", "fps": 50, "width": 320})
        assert settings.kind == "stream"
        source = VideoSource(f"{camera.url}/video.mjpg", fps=1000, width=128, live=True)
        await source.open()
        frames = [await source.read() for _ in range(3)]
        await source.close()
    assert [f.shape if f is not None else None for f in frames] == [(128, 128, 3)] * 3
    with pytest.raises(AdapterError, match="OpenCV cannot open"):
        await VideoSource("rtsp://127.0.0.1:9/none", fps=1, width=320, live=True).open()
