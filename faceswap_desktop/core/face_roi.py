"""Pure geometry of the BlazeFace + FaceMesh pipeline: SSD anchors and box decoding, weighted NMS,
rotated regions of interest, the crops around detections and the projection of landmarks back.

No model runs here (the networks live in ``inference/face_analyser.py``); every function reproduces the
corresponding MediaPipe 0.10 calculator (``SsdAnchorsCalculator``, ``TensorsToDetectionsCalculator``,
``NonMaxSuppressionCalculator`` (weighted), ``DetectionsToRectsCalculator`` +
``RectTransformationCalculator``, ``ImageToTensorCalculator``'s OpenCV warp, ``LandmarkProjection``), so
that the ONNX analyser finds the faces and landmarks users had with MediaPipe.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import cv2
import numpy as np

from .geometry import box_iou, transform_points
from .types import FloatArray, Image

Box = tuple[float, float, float, float]


@dataclass(frozen=True)
class BlazeFaceSpec:
    """Anchor layout and decoding scale of one BlazeFace model."""

    size: int
    strides: tuple[int, ...]
    anchors_per_layer: int
    """2 for short range (aspect ratio 1 + the interpolated scale), 1 for full range."""


SHORT_RANGE = BlazeFaceSpec(128, (8, 16, 16, 16), 2)
FULL_RANGE = BlazeFaceSpec(192, (4,), 1)


def ssd_anchors(spec: BlazeFaceSpec) -> FloatArray:
    """Anchor centres (n, 2) in [0, 1]; fixed anchor size 1, consecutive layers of one stride merged."""
    centres: list[FloatArray] = []
    layer = 0
    while layer < len(spec.strides):
        stride = spec.strides[layer]
        count = 0
        while layer < len(spec.strides) and spec.strides[layer] == stride:
            count += spec.anchors_per_layer
            layer += 1
        cells = int(math.ceil(spec.size / stride))
        ys, xs = np.meshgrid(np.arange(cells), np.arange(cells), indexing="ij")
        grid = np.stack([(xs.ravel() + 0.5) / cells, (ys.ravel() + 0.5) / cells], axis=-1)
        centres.append(np.repeat(grid, count, axis=0))
    return np.concatenate(centres).astype(np.float32)


@dataclass(frozen=True)
class Detections:
    """Decoded detections: boxes (n, 4) x0, y0, x1, y1, keypoints (n, 6, 2), scores (n,)."""

    boxes: FloatArray
    keypoints: FloatArray
    scores: FloatArray


def decode_detections(
    regressors: FloatArray, logits: FloatArray, anchors: FloatArray, scale: float, threshold: float
) -> Detections:
    """Boxes and 6 keypoints (eyes, nose, mouth, ears) in tensor units [0, 1] of detections scoring
    at least ``threshold`` (sigmoid of the logit clipped to +-100)."""
    scores = 1.0 / (1.0 + np.exp(-np.clip(logits.reshape(-1).astype(np.float64), -100.0, 100.0)))
    keep = np.flatnonzero(scores >= threshold)
    raw = regressors.reshape(-1, 16)[keep].astype(np.float32)
    centre = raw[:, :2] / scale + anchors[keep]
    half = raw[:, 2:4] / scale / 2
    boxes = np.concatenate([centre - half, centre + half], axis=1)
    keypoints = raw[:, 4:16].reshape(-1, 6, 2) / scale + anchors[keep][:, None, :]
    return Detections(boxes, keypoints.astype(np.float32), scores[keep].astype(np.float32))


def _iou_many(box: FloatArray, others: FloatArray) -> FloatArray:
    ix = np.clip(np.minimum(box[2], others[:, 2]) - np.maximum(box[0], others[:, 0]), 0, None)
    iy = np.clip(np.minimum(box[3], others[:, 3]) - np.maximum(box[1], others[:, 1]), 0, None)
    inter = ix * iy
    area = (box[2] - box[0]) * (box[3] - box[1])
    areas = (others[:, 2] - others[:, 0]) * (others[:, 3] - others[:, 1])
    union = area + areas - inter
    return np.where(union > 0, inter / np.where(union > 0, union, 1), 0.0)


def weighted_nms(detections: Detections, threshold: float = 0.3) -> Detections:
    """MediaPipe's weighted NMS: each cluster (IoU above ``threshold`` with its best box) becomes the
    score-weighted mean of its boxes and keypoints, keeping the best score; best first."""
    order = np.argsort(-detections.scores, kind="stable")
    boxes, keypoints, scores = [], [], []
    while order.size:
        best = order[0]
        overlap = _iou_many(detections.boxes[best], detections.boxes[order])
        cluster = order[overlap > threshold]
        if cluster.size == 0:  # a degenerate box overlaps nothing, not even itself
            cluster = order[:1]
        weights = detections.scores[cluster][:, None]
        total = float(weights.sum())
        boxes.append((detections.boxes[cluster] * weights).sum(0) / total)
        keypoints.append((detections.keypoints[cluster] * weights[:, :, None]).sum(0) / total)
        scores.append(detections.scores[best])
        order = order[overlap <= threshold] if overlap[0] > threshold else order[1:]
    if not boxes:
        return Detections(
            np.zeros((0, 4), np.float32), np.zeros((0, 6, 2), np.float32), np.zeros(0, np.float32)
        )
    return Detections(
        np.array(boxes, np.float32), np.array(keypoints, np.float32), np.array(scores, np.float32)
    )


def letterbox_matrix(width: int, height: int, size: int) -> FloatArray:
    """2x3 affine from an image to its letterboxed ``size`` square (the whole image, centred)."""
    side = max(width, height)
    s = size / side
    return np.array(
        [[s, 0.0, -s * (width - side) / 2], [0.0, s, -s * (height - side) / 2]], dtype=np.float64
    ).astype(np.float32)


def letterbox_to_image(points: FloatArray, width: int, height: int) -> FloatArray:
    """Letterbox-normalised [0, 1] points (..., 2) to image pixels."""
    side = max(width, height)
    offset = np.array([(width - side) / 2, (height - side) / 2], np.float32)
    return points * side + offset


@dataclass(frozen=True)
class RotatedRect:
    """A square-ish region in pixels: centre, size and rotation (radians, image y axis down)."""

    cx: float
    cy: float
    width: float
    height: float
    rotation: float


def roi_from_points(box: Box, start: FloatArray, end: FloatArray, scale: float = 1.5) -> RotatedRect:
    """The landmark model's region: ``box`` (pixels) squared on its longer side and scaled, rotated so
    that ``start`` -> ``end`` (the eyes) is horizontal (``DetectionsToRects`` + ``RectTransformation``)."""
    rotation = -math.atan2(-(float(end[1]) - float(start[1])), float(end[0]) - float(start[0]))
    rotation = (rotation + math.pi) % (2 * math.pi) - math.pi
    side = max(box[2] - box[0], box[3] - box[1]) * scale
    return RotatedRect((box[0] + box[2]) / 2, (box[1] + box[3]) / 2, side, side, rotation)


def roi_matrix(rect: RotatedRect, size: int) -> FloatArray:
    """2x3 affine from the image to the ``size`` x ``size`` model input of ``rect``: the rect's corners go
    to the tensor's corners (OpenCV's pixel convention, as MediaPipe's CPU ``ImageToTensor`` warps)."""
    c, s = math.cos(rect.rotation), math.sin(rect.rotation)
    sx, sy = size / rect.width, size / rect.height
    # u = sx * (R^T (p - centre)).x + size / 2
    linear = np.array([[c * sx, s * sx], [-s * sy, c * sy]], dtype=np.float64)
    offset = np.array([size / 2, size / 2]) - linear @ np.array([rect.cx, rect.cy])
    return np.concatenate([linear, offset[:, None]], axis=1).astype(np.float32)


def project_landmarks(points: FloatArray, rect: RotatedRect, size: int) -> FloatArray:
    """Landmarks (n, 3) in model-input pixels back to image pixels; z scaled like x."""
    c, s = math.cos(rect.rotation), math.sin(rect.rotation)
    u = (points[:, 0] / size - 0.5) * rect.width
    v = (points[:, 1] / size - 0.5) * rect.height
    out = np.empty_like(points, dtype=np.float32)
    out[:, 0] = c * u - s * v + rect.cx
    out[:, 1] = s * u + c * v + rect.cy
    out[:, 2] = points[:, 2] / size * rect.width
    return out


def warp_roi(image: Image, matrix: FloatArray, size: int, border: int) -> Image:
    """The ``size`` square model input cut from ``image`` by ``matrix`` (bilinear, uint8 like MediaPipe)."""
    return cv2.warpAffine(image, matrix, (size, size), flags=cv2.INTER_LINEAR, borderMode=border)


def tile_grid(width: int, height: int) -> list[tuple[int, int, int]]:
    """Overlapping square tiles of 60% of the longer side covering the image: (x, y, side)."""
    side = int(max(width, height) * 0.6)
    side = min(side, max(width, height))
    return [(x, y, side) for y in _tile_starts(height, side) for x in _tile_starts(width, side)]


def _tile_starts(length: int, side: int) -> list[int]:
    if length <= side:
        return [0]
    count = int(np.ceil((length - side) / (side * 0.5))) + 1
    return [int(round(i * (length - side) / (count - 1))) for i in range(count)]


def non_max_suppression(boxes: list[tuple[Box, float]], iou_threshold: float) -> list[tuple[Box, float]]:
    """Greedy NMS by score; a box that overlaps a kept one by more than the threshold is dropped."""
    kept: list[tuple[Box, float]] = []
    for box, score in sorted(boxes, key=lambda item: -item[1]):
        if all(box_iou(box, other) <= iou_threshold for other, _ in kept):
            kept.append((box, score))
    return kept


def padded_crop(image: Image, x0: int, y0: int, side: int) -> Image:
    """The ``side`` square at (x0, y0), black where it leaves the image (the face stays centred)."""
    height, width = image.shape[:2]
    crop = np.zeros((side, side, 3), dtype=np.uint8)
    sx0, sy0 = max(x0, 0), max(y0, 0)
    sx1, sy1 = min(x0 + side, width), min(y0 + side, height)
    if sx1 > sx0 and sy1 > sy0:
        crop[sy0 - y0 : sy1 - y0, sx0 - x0 : sx1 - x0] = image[sy0:sy1, sx0:sx1]
    return crop


def landmarks_match_box(landmarks: FloatArray, box: Box) -> bool:
    """Reject a mesh fitted to a different face than the detection (possible in crowded crops)."""
    cx, cy = landmarks[:, 0].mean(), landmarks[:, 1].mean()
    bw, bh = box[2] - box[0], box[3] - box[1]
    return bool(abs(cx - (box[0] + box[2]) / 2) < bw * 0.6 and abs(cy - (box[1] + box[3]) / 2) < bh * 0.6)


def box_of(landmarks: FloatArray, width: int, height: int) -> Box:
    """The landmarks' bounding box, clipped to the image."""
    x0, y0 = float(landmarks[:, 0].min()), float(landmarks[:, 1].min())
    x1, y1 = float(landmarks[:, 0].max()), float(landmarks[:, 1].max())
    return (max(x0, 0.0), max(y0, 0.0), min(x1, float(width)), min(y1, float(height)))


# --- Rolled faces: BlazeFace and FaceMesh see faces upright (issue #19) ------------------------------


def eye_line_degrees(start: FloatArray, end: FloatArray) -> float:
    """The angle of the eye line ``start`` -> ``end`` (the face's right eye to its left) in degrees, image
    y axis down: 0 for an upright face, 90 for a face turned a quarter clockwise on screen."""
    return math.degrees(math.atan2(float(end[1]) - float(start[1]), float(end[0]) - float(start[0])))


def wrap_degrees(angle: float) -> float:
    """``angle`` in (-180, 180]."""
    wrapped = (angle + 180.0) % 360.0 - 180.0
    return 180.0 if wrapped == -180.0 else wrapped


def turn_square(side: int, degrees: float) -> FloatArray:
    """2x3 affine turning a ``side`` square image about its centre by ``degrees`` (counter-clockwise on
    screen): a face whose :func:`eye_line_degrees` is ``degrees`` comes out upright."""
    centre = (side - 1) / 2.0
    return cv2.getRotationMatrix2D((centre, centre), degrees, 1.0).astype(np.float64)


def apply_affine(points: FloatArray, matrix: FloatArray) -> FloatArray:
    """``points`` (n, 2+) with x and y moved by the 2x3 ``matrix`` (further columns, such as the
    landmarks' depth, kept: a rotation does not scale them)."""
    out = np.array(points, dtype=np.float32, copy=True)
    out[:, :2] = transform_points(points, matrix)
    return out


def quarter_turn(width: int, height: int, quarters: int) -> tuple[FloatArray, tuple[int, int]]:
    """The 2x3 affine of ``np.rot90(image, quarters)`` (counter-clockwise quarter turns, exact on pixel
    centres) for a ``width`` x ``height`` image, and the turned image's (width, height)."""
    quarters %= 4
    if quarters == 1:
        return np.array([[0.0, 1.0, 0.0], [-1.0, 0.0, width - 1.0]]), (height, width)
    if quarters == 2:
        return np.array([[-1.0, 0.0, width - 1.0], [0.0, -1.0, height - 1.0]]), (width, height)
    if quarters == 3:
        return np.array([[0.0, -1.0, height - 1.0], [1.0, 0.0, 0.0]]), (height, width)
    return np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]]), (width, height)


def box_back(box: Box, inverse: FloatArray) -> Box:
    """The axis-aligned box around ``box``'s corners moved by the 2x3 ``inverse`` affine."""
    corners = np.array([[box[0], box[1]], [box[2], box[1]], [box[2], box[3]], [box[0], box[3]]])
    moved = corners @ inverse[:, :2].T + inverse[:, 2]
    return (
        float(moved[:, 0].min()),
        float(moved[:, 1].min()),
        float(moved[:, 0].max()),
        float(moved[:, 1].max()),
    )
