"""Paste-back of a learned swapper's crop, with InsightFace's mask (``insightface/model_zoo/inswapper.py``).

The reference warps a white crop into the frame, sets every value above 20 to 255, measures the warped
square's bounding box (``mask_size = int(sqrt(h * w))``), erodes it with a ``max(mask_size // 10, 10)``
square kernel (about 5% per side) and blurs it with a ``2 * max(mask_size // 20, 5) + 1`` Gaussian
(sigma from the kernel size). This module computes exactly that, on a region around the face instead of
the whole frame (the region is padded so that neither the erosion nor the blur ever sees its edge: the
result equals the full-frame computation).

The settings act relative to the reference: ``mask_padding`` (% of the face size) shrinks (+) or grows
(-) the erosion kernel by twice that many pixels, and ``mask_feather`` scales the blur kernel by
``mask_feather / 5``: at the defaults (0 and 5) the mask is InsightFace's, pixel for pixel.
"""

from __future__ import annotations

import math

import cv2
import numpy as np

from faceswap_desktop.core.face_roi import box_back
from faceswap_desktop.core.settings import SwapSettings
from faceswap_desktop.core.types import Face, FloatArray, Image

from .facecrop import warp_to_frame

REFERENCE_FEATHER = 5
"""The ``mask_feather`` value at which the blur kernel is InsightFace's."""


def _crop_box(matrix: FloatArray, size: int) -> tuple[float, float, float, float]:
    """The frame box around the ``size`` px crop that ``matrix`` (frame -> crop) cuts."""
    inverse = cv2.invertAffineTransform(matrix.astype(np.float64))
    return box_back((0.0, 0.0, float(size), float(size)), inverse)


def padded_roi(
    matrix: FloatArray, size: int, shape: tuple[int, ...], margin: int
) -> tuple[int, int, int, int]:
    """The crop's bounding box in the frame, grown by ``margin`` px and clipped to the frame."""
    bx0, by0, bx1, by1 = _crop_box(matrix, size)
    height, width = shape[:2]
    x0, y0 = math.floor(bx0) - 1 - margin, math.floor(by0) - 1 - margin
    x1, y1 = math.ceil(bx1) + 1 + margin, math.ceil(by1) + 1 + margin
    return max(x0, 0), max(y0, 0), min(x1, width), min(y1, height)


def kernel_sizes(mask_size: int) -> tuple[int, int]:
    """InsightFace's (erode kernel, blur kernel) edges for a warped crop of ``mask_size`` px."""
    return max(mask_size // 10, 10), 2 * max(mask_size // 20, 5) + 1


def insightface_mask(
    matrix: FloatArray,
    size: int,
    shape: tuple[int, ...],
    face: Face | None = None,
    settings: SwapSettings | None = None,
) -> tuple[tuple[int, int, int, int], FloatArray]:
    """(roi, mask): the paste-back mask in [0, 1] over the frame region ``roi`` = (x0, y0, x1, y1).

    ``matrix`` maps the frame to a ``size`` px crop. Without ``settings`` (or at padding 0, feather 5) it
    is InsightFace's mask; ``face`` gives the face size the padding percentage refers to.
    """
    settings = settings or SwapSettings()
    bx0, by0, bx1, by1 = _crop_box(matrix, size)
    extent = max(bx1 - bx0, by1 - by0)
    pad_px = settings.mask_padding / 100.0 * (face.size if face is not None else extent / 2.0)
    # Room for the blur's reach and a dilation (positive padding): outside the warped crop the mask is
    # 0, so a zero band that wide around it makes the blur's reflected border equal the frame's zeros.
    # (The erosion needs none: the 1 px zero ring round the crop already bounds every window.)
    _, blur_k = kernel_sizes(int(extent) + 2)
    margin = int(blur_k * max(1.0, settings.mask_feather / REFERENCE_FEATHER) + 2 * abs(pad_px) + 4)
    roi = padded_roi(matrix, size, shape, margin)
    x0, y0, x1, y1 = roi
    if x1 <= x0 or y1 <= y0:
        return roi, np.zeros((max(y1 - y0, 0), max(x1 - x0, 0)), np.float32)
    white = np.full((size, size), 255.0, np.float32)
    mask = warp_to_frame(white, matrix, shape, roi)
    mask[mask > 20] = 255.0
    rows, cols = np.where(mask == 255.0)
    if rows.size == 0:
        return roi, np.zeros_like(mask)
    mask_size = int(np.sqrt(float(rows.max() - rows.min()) * float(cols.max() - cols.min())))
    erode_k, blur_k = kernel_sizes(mask_size)
    # Padding grows (+) the mask by shrinking the erosion; past zero it dilates instead.
    erode_k = int(round(erode_k - 2.0 * pad_px))
    if erode_k > 1:
        mask = cv2.erode(mask, np.ones((erode_k, erode_k), np.uint8), iterations=1)
    elif erode_k < -1:
        mask = cv2.dilate(mask, np.ones((-erode_k, -erode_k), np.uint8), iterations=1)
    half = int(round((blur_k // 2) * settings.mask_feather / REFERENCE_FEATHER))
    if half > 0:
        mask = cv2.GaussianBlur(mask, (2 * half + 1, 2 * half + 1), 0)
    return roi, np.asarray(mask / 255.0, np.float32)


def paste_swapped(
    frame: Image, crop_bgr: FloatArray, matrix: FloatArray, face: Face, settings: SwapSettings
) -> tuple[Image, FloatArray]:
    """Blend a swapped crop (BGR float 0..255, aligned by ``matrix``) into a copy of ``frame`` through
    InsightFace's mask x ``settings.strength``. Returns the new frame and the frame-sized mask used."""
    size = crop_bgr.shape[0]
    roi, crop_alpha = insightface_mask(matrix, size, frame.shape, face, settings)
    result = frame.copy()
    full_mask = np.zeros(frame.shape[:2], np.float32)
    opacity = settings.strength / 100.0
    x0, y0, x1, y1 = roi
    if x1 <= x0 or y1 <= y0 or opacity <= 0:
        return result, full_mask
    alpha = np.clip(crop_alpha * opacity, 0.0, 1.0)
    face_pixels = warp_to_frame(crop_bgr.astype(np.float32), matrix, frame.shape, roi)
    region = frame[y0:y1, x0:x1].astype(np.float32)
    blended = region + (face_pixels - region) * alpha[:, :, None]
    result[y0:y1, x0:x1] = np.clip(np.rint(blended), 0, 255).astype(np.uint8)
    full_mask[y0:y1, x0:x1] = alpha
    return result, full_mask
