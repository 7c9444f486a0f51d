"""Shared crop plumbing for face models: tensors in and out, crop masks, and paste-back into the frame."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import cv2
import numpy as np
from numpy.typing import NDArray

from faceswap_desktop.core.types import FloatArray, Image

FFHQ_TEMPLATE_512: FloatArray = np.array(
    [
        [192.98138, 239.94708],
        [318.90277, 240.1936],
        [256.63416, 314.01935],
        [201.26117, 371.41043],
        [313.08905, 371.15118],
    ],
    dtype=np.float32,
)
"""GFPGAN's 5-point FFHQ template for a 512x512 crop (same keypoint order as ArcFace)."""

_ORT_DTYPES: dict[str, type[np.floating[Any]]] = {
    "tensor(float)": np.float32,
    "tensor(float16)": np.float16,
    "tensor(double)": np.float64,
}


def input_dtype(node_arg: Any) -> type[np.floating[Any]]:
    """The numpy dtype an ONNX input expects (fp16 exports may keep fp32 I/O or not)."""
    return _ORT_DTYPES.get(str(getattr(node_arg, "type", "tensor(float)")), np.float32)


def image_to_blob(
    crop_bgr: Image, mean: Sequence[float], std: Sequence[float], dtype: type[np.floating[Any]] = np.float32
) -> NDArray[Any]:
    """BGR uint8 HxWx3 -> RGB NCHW ``(x - mean) / std`` (per-channel R, G, B in 0..255 units)."""
    rgb = crop_bgr[:, :, ::-1].astype(np.float32)
    normalised = (rgb - np.asarray(mean, np.float32)) / np.asarray(std, np.float32)
    return np.ascontiguousarray(normalised.transpose(2, 0, 1)[None]).astype(dtype)


def blob_to_image(blob: NDArray[Any], low: float, high: float) -> FloatArray:
    """RGB NCHW output with values in [low, high] -> BGR HxWx3 float32 in 0..255 (not rounded)."""
    chw = np.asarray(blob, dtype=np.float32)[0]
    scaled = (np.clip(chw, low, high) - low) * (255.0 / (high - low))
    return np.ascontiguousarray(scaled.transpose(1, 2, 0)[:, :, ::-1])


def matrix_scale(matrix: FloatArray) -> float:
    """The uniform scale of a similarity matrix (crop pixels per frame pixel)."""
    return math.sqrt(abs(float(np.linalg.det(matrix[:, :2].astype(np.float64)))))


def rect_mask(size: int, inset: float, feather: float) -> FloatArray:
    """A ``size`` square mask: 1 inside a rectangle ``inset`` px from the border, blurred by ``feather``.

    The inset never drops below the feather radius, so the mask is ~0 on the crop's border and the crop
    edge never shows as a seam in the frame.
    """
    inset = min(max(inset, feather, 1.0), size / 2 - 1)
    mask = np.zeros((size, size), np.float32)
    lo, hi = round(inset), size - round(inset)
    mask[lo:hi, lo:hi] = 1.0
    if feather >= 0.5:
        mask = np.asarray(cv2.GaussianBlur(mask, (0, 0), sigmaX=feather / 2.0), np.float32)
    return mask


def _roi(matrix: FloatArray, size: int, shape: tuple[int, ...]) -> tuple[int, int, int, int]:
    inverse = cv2.invertAffineTransform(matrix)
    corners = np.array([[0, 0], [size, 0], [0, size], [size, size]], np.float32)
    frame_pts = corners @ inverse[:, :2].T + inverse[:, 2]
    x0, y0 = np.floor(frame_pts.min(0)).astype(int) - 1
    x1, y1 = np.ceil(frame_pts.max(0)).astype(int) + 1
    height, width = shape[:2]
    return max(x0, 0), max(y0, 0), min(x1, width), min(y1, height)


def warp_to_frame(
    crop: NDArray[Any], matrix: FloatArray, shape: tuple[int, ...], roi: tuple[int, int, int, int]
) -> NDArray[Any]:
    """Warp a crop (aligned by ``matrix``) back into the frame region ``roi`` = (x0, y0, x1, y1)."""
    x0, y0, x1, y1 = roi
    shifted = matrix.astype(np.float64).copy()
    shifted[:, 2] += shifted[:, :2] @ np.array([x0, y0], np.float64)  # frame origin moves to the ROI corner
    return cv2.warpAffine(
        crop,
        shifted,
        (x1 - x0, y1 - y0),
        flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP,
        borderMode=cv2.BORDER_CONSTANT,
    )


def mask_to_frame(crop_mask: FloatArray, matrix: FloatArray, shape: tuple[int, ...]) -> FloatArray:
    """A crop-space mask as a frame-sized float32 mask (0 outside the crop)."""
    full = np.zeros(shape[:2], np.float32)
    roi = _roi(matrix, crop_mask.shape[0], shape)
    x0, y0, x1, y1 = roi
    if x1 > x0 and y1 > y0:
        full[y0:y1, x0:x1] = warp_to_frame(crop_mask.astype(np.float32), matrix, shape, roi)
    return full


def paste_back(
    frame: Image, crop_bgr: FloatArray, matrix: FloatArray, crop_mask: FloatArray, opacity: float = 1.0
) -> tuple[Image, FloatArray]:
    """Blend a processed crop into a copy of ``frame`` through ``crop_mask`` x ``opacity``.

    Only the crop's bounding box in the frame is warped and blended, so cost follows the face, not the
    frame. Returns the new frame and the frame-sized float32 mask that was applied.
    """
    result = frame.copy()
    full_mask = np.zeros(frame.shape[:2], np.float32)
    roi = _roi(matrix, crop_mask.shape[0], frame.shape)
    x0, y0, x1, y1 = roi
    if x1 <= x0 or y1 <= y0 or opacity <= 0:
        return result, full_mask
    face = warp_to_frame(crop_bgr.astype(np.float32), matrix, frame.shape, roi)
    alpha = np.clip(warp_to_frame(crop_mask.astype(np.float32), matrix, frame.shape, roi) * opacity, 0, 1)
    region = frame[y0:y1, x0:x1].astype(np.float32)
    blended = region + (face - region) * alpha[:, :, None]
    result[y0:y1, x0:x1] = np.clip(np.rint(blended), 0, 255).astype(np.uint8)
    full_mask[y0:y1, x0:x1] = alpha
    return result, full_mask
