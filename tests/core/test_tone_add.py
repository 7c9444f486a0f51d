"""add_correction (the tone step's saturated add) equals OpenCV's mixed-type add to the bit."""

from __future__ import annotations

import cv2
import numpy as np

from faceswap_desktop.core.mesh.detail import add_correction


def test_add_correction_matches_cv2_add_on_a_strided_view() -> None:
    rng = np.random.default_rng(3)
    frame = rng.integers(0, 256, (60, 70, 3), dtype=np.uint8)
    correction = rng.integers(-300, 300, (60, 70, 3)).astype(np.int16)
    # The int16 extremes and the 8-bit ends, where both forms saturate.
    correction[0, :4] = [[32767] * 3, [-32768] * 3, [255] * 3, [-255] * 3]
    frame[0, :2] = 255
    frame[0, 2:4] = 0
    region = (slice(0, 50), slice(5, 61))
    expected = frame.copy()
    shown = expected[region]
    cv2.add(shown, correction[region], dst=shown, dtype=cv2.CV_8U)
    out = frame.copy()
    add_correction(out[region], correction[region])
    assert np.array_equal(out, expected)
    assert not np.array_equal(out, frame)
    assert (out[region] == 0).any() and (out[region] == 255).any()
