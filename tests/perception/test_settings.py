from __future__ import annotations

from pathlib import Path

import pytest

from hearth.errors import HomeFileError
from hearth.hub import load_home_or_demo
from hearth.model import parse_home
from hearth.perception import CameraSettings, Region, camera_settings
from hearth.perception._settings import region_mask, source_kind


@pytest.mark.parametrize(("source", "kind"), [
    ("rtsp://user:pw@10.0.0.5/stream1", "stream"),
    ("http://cam.local/snapshot.jpg", "snapshot"),
    ("http://cam.local/cgi-bin/snapshot.cgi?chn=1", "snapshot"),
    ("http://cam.local/video.mjpg", "mjpeg"),
    ("http://cam.local/live", "stream"),
    ("file:///var/clips/door.mp4", "file"),
    ("twin", "twin"),
])
def test_source_kind_from_address(source: str, kind: str) -> None:
    assert source_kind(source) == kind


def test_a_folder_is_read_as_images(tmp_path: Path) -> None:
    assert source_kind(str(tmp_path)) == "folder"


def test_binding_is_validated_with_the_camera_and_field_named() -> None:
    with pytest.raises(HomeFileError, match=r"camera 'door': binding.fps"):
        CameraSettings.parse("door", {"source": "twin", "fps": 0})
    with pytest.raises(HomeFileError, match=r"camera 'door'.*mask"):
        CameraSettings.parse("door", {"source": "twin", "masks": [[1, 2]]})


def test_binding_fields_are_read() -> None:
    s = CameraSettings.parse("door", {"source": "http://x/snapshot.jpg", "fps": 0.5, "masks": [[0, 0, 10, 10]],
                                      "privacy_masks": [[[0, 0], [0.5, 0], [0.5, 0.5]]], "vlm": True})
    assert (s.kind, s.fps, s.vlm, len(s.masks), len(s.privacy_masks)) == ("snapshot", 0.5, True, 1, 1)


def test_regions_in_pixels_or_fractions() -> None:
    rect = Region.parse([10, 20, 30, 40])
    assert rect.pixels(640, 480).tolist() == [[10, 20], [40, 20], [40, 60], [10, 60]]
    half = Region.parse([[0, 0], [0.5, 0], [0.5, 1], [0, 1]])
    mask = region_mask([half], 100, 50)
    assert mask is not None and mask[:, :50].min() == 255 and mask[:, 52:].max() == 0


def test_demo_camera_is_the_twins_when_simulating_and_absent_otherwise() -> None:
    home = load_home_or_demo(None)
    assert camera_settings(home)["front_camera"].kind == "twin"
    assert camera_settings(home, simulate=False) == {}


def test_a_bound_camera_in_a_home_file() -> None:
    home = parse_home("""
areas: [{id: porch, name: Porch}]
devices:
  - {id: cam, name: Cam, type: camera, area: porch, adapter: camera,
     binding: {source: "http://192.168.1.9/snapshot.jpg", fps: 1}}
""")
    settings = camera_settings(home, simulate=False)["cam"]
    assert (settings.kind, settings.area) == ("snapshot", "porch")
