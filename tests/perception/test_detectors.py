from __future__ import annotations

import numpy as np

from hearth.perception import Detectors, Scene, compose, decode_jpeg, encode_jpeg


def test_astronaut_photo_has_one_face_and_one_person(astronaut: np.ndarray) -> None:
    found = Detectors().detect(astronaut)
    assert found.count("face") == 1
    assert found.count("person") == 1
    x, y, w, h = found.by_kind["face"].boxes[0]
    assert 150 < x + w / 2 < 300 and 60 < y + h / 2 < 180
    assert 0 < found.by_kind["face"].confidence <= 1


def test_hog_finds_a_person_in_the_photo_at_full_size(astronaut: np.ndarray) -> None:
    found = Detectors(("person",), width=512).detect(astronaut)
    assert found.count("person") >= 1
    assert found.by_kind["person"].confidence > 0


def test_nobody_in_a_photo_without_people(coffee: np.ndarray) -> None:
    found = Detectors().detect(coffee)
    assert found.count("person") == 0 and found.count("face") == 0


def test_counts_people_in_the_twins_picture() -> None:
    detectors = Detectors()
    for people in ((), (("a", 0.2), ("b", 0.8)), (("a", 0.05), ("b", 0.5), ("c", 0.95))):
        frame = decode_jpeg(encode_jpeg(compose(Scene(people), 640)[0]))  # as a camera would send it
        assert detectors.detect(frame).count("person") == len(people)


def test_only_the_configured_detectors_run(astronaut: np.ndarray) -> None:
    found = Detectors(("face",)).detect(astronaut)
    assert [d.kind for d in found.detections] == ["face"]
    assert found.seconds > 0
