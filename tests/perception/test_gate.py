from __future__ import annotations

import numpy as np

from hearth.perception import MotionGate, PrivacyMask, Region
from hearth.perception._gate import thresholds


def test_a_still_scene_keeps_the_gate_shut(empty_room: np.ndarray) -> None:
    rng = np.random.default_rng(7)
    noise = rng.normal(0, 2.5, empty_room.shape)
    noisy = [np.clip(empty_room + np.roll(noise, i * 7), 0, 255).astype(np.uint8) for i in range(4)]
    gate = MotionGate()
    results = [gate.update(noisy[i % 4], i * 0.5) for i in range(40)]
    assert not any(r.open for r in results)
    assert gate.open_frames == 0


def test_a_person_walking_in_opens_it_and_it_shuts_once_they_stand_still(empty_room: np.ndarray,
                                                                         visitor: np.ndarray) -> None:
    gate = MotionGate(hold=2.0, settle=4.0)
    for i in range(10):
        gate.update(empty_room, i * 0.5)
    arrived = gate.update(visitor, 5.0)
    assert arrived.open and arrived.opened and arrived.motion
    x, _, w, h = arrived.regions[0]
    assert 150 < x + w / 2 < 490 and h > 150  # around the person in the middle
    later = [gate.update(visitor, 5.0 + i * 0.5) for i in range(1, 60)]
    assert later[-1].open is False
    assert any(r.closed for r in later)


def test_an_ignored_region_does_not_count(empty_room: np.ndarray, visitor: np.ndarray) -> None:
    everywhere_but = MotionGate(masks=[Region.parse([0.0, 0.0, 1.0, 1.0])])
    everywhere_but.update(empty_room, 0.0)
    assert not everywhere_but.update(visitor, 0.5).motion
    tv_only = MotionGate(masks=[Region.parse([0, 0, 120, 120])])  # a TV in the corner
    tv_only.update(empty_room, 0.0)
    assert tv_only.update(visitor, 0.5).motion


def test_higher_sensitivity_means_lower_thresholds() -> None:
    low, high = thresholds(0.1), thresholds(0.9)
    assert high[0] < low[0] and high[1] < low[1]


def test_a_small_change_passes_a_sensitive_gate_only(empty_room: np.ndarray) -> None:
    changed = empty_room.copy()
    changed[200:240, 300:340] = 255  # a small bright object, about half a percent of the picture
    verdicts = []
    for sensitivity in (0.0, 1.0):
        gate = MotionGate(sensitivity=sensitivity)
        gate.update(empty_room, 0.0)
        verdicts.append(gate.update(changed, 0.5).motion)
    assert verdicts == [False, True]


def test_privacy_mask_blacks_out_before_anything_sees_it(astronaut: np.ndarray) -> None:
    mask = PrivacyMask([Region.parse([150, 40, 150, 150])])  # the face
    hidden = mask.apply(astronaut)
    assert hidden[40:190, 150:300].max() == 0
    assert np.array_equal(hidden[300:, :], astronaut[300:, :])
    assert astronaut[40:190, 150:300].max() > 0  # the original is untouched
    assert PrivacyMask([]).apply(astronaut) is astronaut
