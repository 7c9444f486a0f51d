"""dlib's 150-px face chip, rebuilt from the FaceMesh landmarks instead of dlib's 5-point shape predictor.

dlib's ``get_face_chip_details`` maps five points (the outer and inner corner of each eye and the base of
the nose) to a fixed template with a similarity transform; ``extract_image_chip`` then samples the chip
bilinearly, from a 2x image pyramid when the face is more than twice the chip's size. This module does
the same with the mesh's matching landmarks: 263/362 (subject's left eye, outer/inner), 33/133 (right eye,
outer/inner) and 2 (subnasale, the 68-point model's point 33).

A face without a mesh (a 5-keypoint detector such as SCRFD) is aligned by its ArcFace keypoints to
:data:`ARCFACE_KEYPOINTS_IN_CHIP`: where those keypoints sit on average in dlib's own chip, measured with
``scripts/record_dlib_judge_fixture.py`` (mean over the shared identity photos; see that script).
"""

from __future__ import annotations

import math

import cv2
import numpy as np
from numpy.typing import NDArray

from ..core.geometry import estimate_similarity
from ..core.types import Face, FloatArray, Image

Points = NDArray[np.float64]
"""(N, 2) points or a 2x3 matrix, in float64: dlib computes its chip geometry in double precision."""

CHIP_SIZE = 150
CHIP_PADDING = 0.25

DLIB_5_POINT_TEMPLATE: Points = np.array(
    [
        [0.8595674595992, 0.2134981538014],
        [0.6460604764104, 0.2289674387677],
        [0.1205750620789, 0.2137274526848],
        [0.3340850613712, 0.2290642403242],
        [0.4901123135679, 0.6277975316475],
    ],
    dtype=np.float64,
)
"""dlib's 5-point chip template (``get_face_chip_details``), unpadded, in units of the chip's side:
left eye outer, left eye inner, right eye outer, right eye inner corner (subject's sides), nose base."""

MESH_CHIP_POINTS: tuple[int, ...] = (263, 362, 33, 133, 2)
"""FaceMesh indices of the template's points, in the template's order."""

ARCFACE_KEYPOINTS_IN_CHIP: Points = np.array(
    [
        [47.52, 46.18],
        [100.27, 46.22],
        [74.09, 81.27],
        [49.01, 100.64],
        [99.71, 99.70],
    ],
    dtype=np.float64,
)
"""Mean position of the 5 ArcFace keypoints (mesh-derived) in dlib's own 150-px chip (padding 0.25, from
dlib's shape predictor), over the 28 faces of the shared identity photos."""


def chip_template(size: int = CHIP_SIZE, padding: float = CHIP_PADDING) -> Points:
    """The template's points in a padded ``size`` chip, as ``get_face_chip_details`` places them."""
    return (padding + DLIB_5_POINT_TEMPLATE) / (2 * padding + 1) * size


def chip_points_from_mesh(landmarks_478: FloatArray) -> Points:
    """The template's 5 points (pixels) from 478 FaceMesh landmarks."""
    return np.asarray(landmarks_478, np.float64)[list(MESH_CHIP_POINTS), :2]


def chip_to_image(chip_points: Points, image_points: Points, size: int = CHIP_SIZE) -> Points:
    """The 2x3 affine matrix taking chip pixels to image pixels, as dlib's chip extraction does.

    dlib fits a similarity from the chip points to the image points, keeps its angle, scale and the image
    position of the chip's centre, and builds a rectangle of ``size * scale - 1`` pixels per side around
    it (``centered_drect``); the chip's corner pixels 0 and ``size - 1`` land on that rectangle's corners.
    """
    # Umeyama's least squares, dlib's find_similarity_transform too (float32 out: < 0.001 px here).
    similarity = estimate_similarity(
        np.asarray(chip_points, np.float32), np.asarray(image_points, np.float32)
    ).astype(np.float64)
    axis = similarity[:, 0]
    angle, scale = math.atan2(axis[1], axis[0]), float(np.hypot(axis[0], axis[1]))
    centre = similarity @ np.array([size / 2.0, size / 2.0, 1.0])
    half = (size * scale - 1.0) / 2.0
    rotation = np.array([[math.cos(angle), -math.sin(angle)], [math.sin(angle), math.cos(angle)]])
    top_left = centre + rotation @ np.array([-half, -half])
    top_right = centre + rotation @ np.array([half, -half])
    bottom_left = centre + rotation @ np.array([-half, half])
    matrix = np.empty((2, 3), np.float64)
    matrix[:, 0] = (top_right - top_left) / (size - 1)
    matrix[:, 1] = (bottom_left - top_left) / (size - 1)
    matrix[:, 2] = top_left
    return matrix


def extract_chip(rgb: Image, matrix: Points, size: int = CHIP_SIZE) -> Image:
    """The ``size`` x ``size`` chip of ``rgb`` under ``matrix`` (chip -> image), zero outside the image.

    Like dlib, a face more than twice the chip's size is first halved with a 5-tap Gaussian pyramid
    (dlib's ``pyramid_down<2>`` filter) until it is not, so that bilinear sampling does not alias.
    """
    matrix = np.asarray(matrix, np.float64)
    corners = np.array([[0, 0, 1], [size - 1, 0, 1], [0, size - 1, 1], [size - 1, size - 1, 1]], np.float64)
    mapped = corners @ matrix.T
    height, width = rgb.shape[:2]
    side = float(np.hypot(*matrix[:, 0])) * size
    levels = 0
    while side > 2 * size:
        side /= 2
        levels += 1
    margin = 2 + 4 * 2**levels  # the pyramid filter's reach, so the crop's border does not show
    x0 = int(max(0, math.floor(mapped[:, 0].min()) - margin))
    y0 = int(max(0, math.floor(mapped[:, 1].min()) - margin))
    x1 = int(min(width, math.ceil(mapped[:, 0].max()) + margin + 1))
    y1 = int(min(height, math.ceil(mapped[:, 1].max()) + margin + 1))
    if x1 <= x0 or y1 <= y0:
        return np.zeros((size, size, 3), np.uint8)
    region = rgb[y0:y1, x0:x1]
    shift = np.array([x0, y0], np.float64)
    for _ in range(levels):
        region = cv2.pyrDown(region)
    level_matrix = matrix.copy()
    level_matrix[:, 2] -= shift
    level_matrix /= 2**levels  # cv2.pyrDown keeps pixel centres: x -> x / 2
    chip = cv2.warpAffine(
        region,
        level_matrix,
        (size, size),
        flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP,
        borderMode=cv2.BORDER_CONSTANT,
        borderValue=(0, 0, 0),
    )
    return np.asarray(chip, np.uint8)


def face_chip_matrix(face: Face) -> Points:
    """The chip -> image matrix of dlib's 150-px chip (padding 0.25) for ``face``: from its mesh when it
    has one, else from its 5 ArcFace keypoints."""
    if face.landmarks_478 is not None:
        return chip_to_image(chip_template(), chip_points_from_mesh(face.landmarks_478))
    return chip_to_image(ARCFACE_KEYPOINTS_IN_CHIP, np.asarray(face.keypoints_5, np.float64))
