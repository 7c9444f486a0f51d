"""One Euro filter and scene-cut detector."""

from __future__ import annotations

import cv2
import numpy as np

from faceswap_desktop.core.media.video_io import VideoReader
from faceswap_desktop.core.video.temporal import OneEuroFilter, SceneCutDetector

from .conftest import HAMILTON


def run(filter_: OneEuroFilter, signal: np.ndarray, fps: float = 30.0) -> np.ndarray:
    return np.array([filter_(np.array([value]), i / fps)[0] for i, value in enumerate(signal)])


def test_one_euro_smooths_noise_on_a_still_signal() -> None:
    noisy = 5.0 + np.random.default_rng(0).normal(0, 1.0, 300)
    smoothed = run(OneEuroFilter(min_cutoff=1.0, beta=0.0), noisy)
    assert smoothed[50:].std() < noisy[50:].std() * 0.4
    assert abs(smoothed[50:].mean() - 5.0) < 0.3


def test_one_euro_speed_term_cuts_lag_on_fast_motion() -> None:
    ramp = np.arange(60, dtype=float) * 3.0  # 90 units per second
    slow = run(OneEuroFilter(min_cutoff=1.0, beta=0.0), ramp)
    fast = run(OneEuroFilter(min_cutoff=1.0, beta=1.0), ramp)
    assert abs(ramp[-1] - fast[-1]) < abs(ramp[-1] - slow[-1]) / 3


def test_one_euro_reset_and_first_value_pass_through() -> None:
    filter_ = OneEuroFilter()
    assert filter_(np.array([1.0, 2.0]), 0.0).tolist() == [1.0, 2.0]
    filter_(np.array([9.0, 9.0]), 0.1)
    filter_.reset()
    assert filter_(np.array([4.0, 4.0]), 0.2).tolist() == [4.0, 4.0]


def test_scene_cuts_are_found_where_the_shot_changes() -> None:
    detector = SceneCutDetector()
    rng = np.random.default_rng(1)

    def scene() -> np.ndarray:  # a smooth random colour field, like a blurred picture
        return cv2.resize(
            rng.integers(0, 255, (6, 8, 3), dtype=np.uint8), (160, 90), interpolation=cv2.INTER_CUBIC
        )

    first = scene()
    second = np.ascontiguousarray(scene()[..., ::-1] // 2)  # another shot: other colours, darker
    shaken = np.clip(first.astype(int) + rng.integers(-6, 7, first.shape) + 8, 0, 255).astype(np.uint8)
    assert [detector.is_cut(f) for f in (first, shaken, first, second, second)] == [
        False,
        False,
        False,
        True,
        False,
    ]


def test_scene_cut_in_the_shared_clip() -> None:
    detector = SceneCutDetector()
    with VideoReader(HAMILTON) as reader:
        cuts = [index for index, frame in reader.frames(200, 222) if detector.is_cut(frame)]
    assert cuts == [211]


def test_one_euro_treats_both_directions_of_motion_alike() -> None:
    # The cutoff rises with the *magnitude* of the speed: a ramp down is filtered as the mirror of a
    # ramp up (with a signed speed, fast motion one way would be smoothed harder, not less).
    ramp = np.arange(60, dtype=float) * 3.0
    up = run(OneEuroFilter(min_cutoff=1.0, beta=1.0), ramp)
    down = run(OneEuroFilter(min_cutoff=1.0, beta=1.0), -ramp)
    np.testing.assert_allclose(down, -up, rtol=1e-9, atol=1e-9)
