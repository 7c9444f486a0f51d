"""Face masks: hull of the mesh, grown/eroded and feathered in proportion to the face size."""

from __future__ import annotations

import cv2
import numpy as np
from numpy.typing import NDArray

from ..types import FloatArray
from .mesh_topology import feature_indices
from .warp import Roi

Polygon = FloatArray


def unit_mask(mask: NDArray[np.uint8]) -> FloatArray:
    """An 8-bit mask (0-255) as float32 in [0, 1].

    Monotonic per pixel, so it commutes with per-pixel maxima and minima and with dilation and erosion:
    masks combined that way in 8 bits and converted once equal their float versions combined.
    """
    return (mask.astype(np.float32) / 255.0).astype(np.float32)


def polygon_mask_u8(polygon: Polygon, roi: Roi) -> NDArray[np.uint8]:
    """:func:`polygon_mask` in 8 bits (0-255), before its conversion."""
    mask = np.zeros((roi.height, roi.width), dtype=np.uint8)
    pts = np.round((polygon[:, :2] - (roi.x0, roi.y0)) * 16).astype(np.int32)
    hull = cv2.convexHull(pts)
    cv2.fillConvexPoly(mask, hull, 255, lineType=cv2.LINE_AA, shift=4)
    return mask


def boxed_morphology(
    operation: int, mask: NDArray[np.uint8], element: NDArray[np.uint8]
) -> NDArray[np.uint8]:
    """``cv2.dilate`` (``operation`` = ``cv2.MORPH_DILATE``) or ``cv2.erode`` (``cv2.MORPH_ERODE``) of an
    8-bit mask with OpenCV's default borders, the same values, computed on the box of its nonzero pixels
    grown by the element's reach only (a face's mask on a work grid covers part of it).

    Outside that box the mask is 0: so is its erosion there, and its dilation beyond the element's reach
    (0 is the least value). Inside, the grown box holds every pixel a window around the mask's own box
    reads, but for the frame's edges, where the cut is the frame's and the default border is kept.
    """
    x, y, w, h = cv2.boundingRect(mask)
    out = np.zeros_like(mask)
    if w == 0:
        return out
    reach_y, reach_x = element.shape[0] // 2, element.shape[1] // 2
    height, width = mask.shape
    # (An element's anchor is its centre: it reaches its half size either way.)
    rows = slice(max(y - reach_y - 1, 0), min(y + h + reach_y + 1, height))
    cols = slice(max(x - reach_x - 1, 0), min(x + w + reach_x + 1, width))
    if operation == cv2.MORPH_ERODE:
        out[rows, cols] = cv2.erode(mask[rows, cols], element)
    else:
        out[rows, cols] = cv2.dilate(mask[rows, cols], element)
    return out


def polygon_mask(polygon: Polygon, roi: Roi) -> FloatArray:
    """A float32 {0, 1} ROI-sized mask of a filled convex hull of ``polygon`` (frame pixel coords)."""
    return unit_mask(polygon_mask_u8(polygon, roi))


def ring_mask_u8(ring: Polygon, roi: Roi, grow_px: float = 0.0) -> NDArray[np.uint8]:
    """:func:`ring_mask` in 8 bits (0-255), before its conversion."""
    mask = np.zeros((roi.height, roi.width), dtype=np.uint8)
    pts = np.round((ring[:, :2] - (roi.x0, roi.y0)) * 16).astype(np.int32)
    cv2.fillPoly(mask, [pts], 255, lineType=cv2.LINE_AA, shift=4)
    if grow_px >= 1:
        mask = dilate_ellipse(mask, int(round(grow_px)) * 2 + 1)
    return mask


ELLIPSE_BY_RECTANGLES = 21
"""Element size from which :func:`dilate_ellipse` goes through rectangles (below, OpenCV's own is faster)."""


def dilate_ellipse(mask: NDArray[np.uint8], size: int) -> NDArray[np.uint8]:
    """``cv2.dilate(mask, getStructuringElement(MORPH_ELLIPSE, (size, size)))``, the same values.

    OpenCV dilates by a non-rectangular element pixel by pixel of the element (~0.8 ms for 29 px on a
    work grid); by a rectangle, in two one-dimensional passes. The ellipse is the union of the rectangles
    its rows make (half-width w_k over rows -k..k; w_k shrinks as k grows), and a dilation by a union is
    the maximum of the dilations, each a row pass then a column pass. Nested as
    ``col(k0)(A0 v col(k1 - k0)(A1 v ...))``, ``A_j`` the row passes from the narrowest up, it takes about
    half the time from 21 px up. Flat rectangles compose exactly, the image's edges included (a window's
    row pass stays on the rows the column pass reaches from inside the image).
    """
    element = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (size, size))
    if size < ELLIPSE_BY_RECTANGLES:
        return cv2.dilate(mask, element)
    centre = size // 2
    runs: list[tuple[int, int]] = []  # (half-width, last row offset with it): widths falling, rows rising
    for k in range(centre + 1):
        half = int(element[centre + k].sum()) // 2
        if runs and runs[-1][0] == half:
            runs[-1] = (half, k)
        else:
            runs.append((half, k))
    rows: list[NDArray[np.uint8]] = [mask] * len(runs)
    done, current = 0, mask
    for j in range(len(runs) - 1, -1, -1):
        half = runs[j][0]
        if half > done:
            current = cv2.dilate(current, np.ones((1, 2 * (half - done) + 1), np.uint8))
            done = half
        rows[j] = current
    result = rows[-1]
    for j in range(len(runs) - 1, 0, -1):
        reach = runs[j][1] - runs[j - 1][1]
        result = cv2.max(cv2.dilate(result, np.ones((2 * reach + 1, 1), np.uint8)), rows[j - 1])
    if runs[0][1] > 0:
        result = cv2.dilate(result, np.ones((2 * runs[0][1] + 1, 1), np.uint8))
    return result


def ring_mask(ring: Polygon, roi: Roi, grow_px: float = 0.0) -> FloatArray:
    """A filled (not necessarily convex) polygon in ROI coords, optionally grown by ``grow_px``."""
    return unit_mask(ring_mask_u8(ring, roi, grow_px))


def grow_or_erode(mask: FloatArray, pixels: float) -> FloatArray:
    """Dilate (pixels > 0) or erode (pixels < 0) a {0,1} mask by an elliptical element."""
    radius = int(round(abs(pixels)))
    if radius < 1:
        return mask
    element = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * radius + 1, 2 * radius + 1))
    op = cv2.dilate if pixels > 0 else cv2.erode
    return op(mask, element)


def feather(mask: FloatArray, radius_px: float) -> FloatArray:
    """Soften the edge inward: erode by the radius, then blur, so nothing leaks past the original edge."""
    if radius_px < 0.5:
        return mask
    inner = grow_or_erode(mask, -radius_px)
    sigma = max(radius_px / 2.0, 0.5)
    return cv2.GaussianBlur(inner, (0, 0), sigmaX=sigma, sigmaY=sigma).astype(np.float32)


def feature_hulls_u8(
    landmarks: FloatArray,
    shape: tuple[int, int],
    extra: tuple[int, ...],
    face_size: float,
    grow_fraction: float,
) -> NDArray[np.uint8]:
    """{0, 1} mask, in an image of ``shape``, of the convex hulls of the face's features (brows, eyes,
    lips) and of the ``extra`` landmarks (a part of the nose), grown by ``grow_fraction`` of
    ``face_size`` (elliptic dilation, at least 1 px each way)."""
    mask = np.zeros(shape, dtype=np.uint8)
    for indices in [*feature_indices(), np.array(extra, dtype=np.int32)]:
        cv2.fillConvexPoly(mask, cv2.convexHull(np.round(landmarks[indices, :2]).astype(np.int32)), 1)
    grow = max(int(round(face_size * grow_fraction)), 1) * 2 + 1
    return boxed_morphology(
        cv2.MORPH_DILATE, mask, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (grow, grow))
    )
