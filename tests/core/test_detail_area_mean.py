"""The target-detail step's area shrink matches OpenCV's INTER_AREA resize it replaces (speed only)."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from faceswap_desktop.core.mesh.detail import area_mean


@pytest.mark.parametrize(
    ("height", "width", "stride"), [(301, 263, 3), (100, 90, 1), (57, 64, 5), (640, 587, 9)]
)
def test_area_mean_matches_opencv_area_resize(height: int, width: int, stride: int) -> None:
    values = np.random.default_rng(stride).integers(0, 60, (height, width)).astype(np.uint8)
    size = ((width - 1) // stride + 1, (height - 1) // stride + 1)
    expected = cv2.resize(values.astype(np.float32), size, interpolation=cv2.INTER_AREA)
    result = area_mean(values, size)
    assert result.dtype == np.float32
    assert result.shape == expected.shape
    np.testing.assert_allclose(result, expected, atol=1e-4)
