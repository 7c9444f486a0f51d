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


def _area_mean_every_row(values: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """The first form of area_mean: every row of the integral interpolated across, then the cells' rows
    picked (the reference its row-picking form must equal to the bit)."""
    height, width = values.shape
    integral = cv2.integral(values, sdepth=cv2.CV_64F)
    scale_x, scale_y = width / size[0], height / size[1]

    def corners(count: int, scale: float, limit: int) -> tuple[np.ndarray, np.ndarray]:
        edges = np.minimum(np.arange(count + 1) * scale, limit)
        lower = np.minimum(np.floor(edges).astype(np.intp), limit - 1)
        return lower, edges - lower

    x0, fx = corners(size[0], scale_x, width)
    y0, fy = corners(size[1], scale_y, height)
    columns = integral[:, x0] * (1.0 - fx) + integral[:, x0 + 1] * fx
    at = columns[y0] * (1.0 - fy)[:, None] + columns[y0 + 1] * fy[:, None]
    sums = at[1:, 1:] - at[:-1, 1:] - at[1:, :-1] + at[:-1, :-1]
    return (sums / (scale_x * scale_y)).astype(np.float32)


@pytest.mark.parametrize(
    ("height", "width", "stride"), [(301, 263, 3), (100, 90, 1), (57, 64, 5), (414, 315, 5), (640, 587, 9)]
)
def test_area_mean_equals_its_every_row_form(height: int, width: int, stride: int) -> None:
    values = np.random.default_rng(stride + height).integers(0, 256, (height, width)).astype(np.uint8)
    size = ((width - 1) // stride + 1, (height - 1) // stride + 1)
    assert np.array_equal(area_mean(values, size), _area_mean_every_row(values, size))
