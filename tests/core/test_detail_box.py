"""The target-detail step blends only the box where its weight is nonzero: the same pixels as its
whole-box form (kept here as the reference), on a real face."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from faceswap_desktop.core.mesh import detail

TARGET = "identity/deepface_p07/img29.jpg"


def _whole_box(face, target, landmarks, face_size, where) -> None:  # type: ignore[no-untyped-def]
    """keep_target_detail as first written: the target's blur, the detail and the blend over the box."""
    x, y, w, h = cv2.boundingRect((where > 0).view(np.uint8))
    if w == 0:
        return
    reach = 4
    height, width = face.shape[:2]
    x0, y0 = max(x - reach, 0), max(y - reach, 0)
    x1, y1 = min(x + w + reach, width), min(y + h + reach, height)
    face_box, target_box = face[y0:y1, x0:x1], target[y0:y1, x0:x1]
    stride = max(1, int(face_size / 64))
    small = ((x1 - x0 - 1) // stride + 1, (y1 - y0 - 1) // stride + 1)
    sigma = max(face_size * 0.04 / stride, 0.7)

    def energy(image):  # type: ignore[no-untyped-def]
        luma = cv2.cvtColor(image, cv2.COLOR_BGR2GRAY)
        magnitude = cv2.absdiff(luma, cv2.GaussianBlur(luma, (0, 0), detail.DETAIL_SIGMA))
        return cv2.GaussianBlur(detail.area_mean(magnitude, small), (0, 0), sigma)

    ratio = np.clip(energy(face_box) / (energy(target_box) + 1e-3), 0.0, 1.0)
    deficit = np.sqrt(1.0 - ratio * ratio)
    local = (landmarks[:, :2] - (x0, y0)) / stride
    weight_small = (deficit * detail.feature_weight(local, (small[1], small[0]), face_size / stride)).astype(
        np.float32
    )
    target_blurred = cv2.GaussianBlur(target_box, (0, 0), detail.DETAIL_SIGMA)
    weight = cv2.resize(weight_small, (x1 - x0, y1 - y0), interpolation=cv2.INTER_LINEAR)
    weight *= where[y0:y1, x0:x1]
    detailed = cv2.add(face_box, cv2.subtract(target_box, target_blurred, dtype=cv2.CV_16S), dtype=cv2.CV_8U)
    face_box[:] = cv2.blendLinear(face_box, detailed, 1.0 - weight, weight)


@pytest.mark.parametrize("softness", [0.0, 1.2, 3.0])
@pytest.mark.parametrize("where_kind", ["oval", "edge", "patch"])
def test_keep_target_detail_equals_its_whole_box_form(analysed, softness: float, where_kind: str) -> None:  # type: ignore[no-untyped-def]
    image, faces = analysed(TARGET)
    face = faces[0]
    # A softer "swapped face" (less detail than the target) in part of the image, untouched elsewhere.
    swapped = image.copy()
    if softness:
        swapped = cv2.GaussianBlur(image, (0, 0), softness)
        swapped[:, : image.shape[1] // 2] = image[:, : image.shape[1] // 2]
    height, width = image.shape[:2]
    where = np.zeros((height, width), np.float32)
    hull = cv2.convexHull(np.round(face.landmarks_478[:, :2]).astype(np.int32))
    if where_kind == "oval":
        cv2.fillConvexPoly(where, hull, 1.0)
        where = cv2.GaussianBlur(where, (0, 0), 6.0)
    elif where_kind == "edge":  # reaching the image's edges: their borders must be kept
        where[:, : width // 3] = 0.8
        where[: height // 4] = 0.5
    else:
        for cheek in (50, 280):  # hard-edged patches on both cheeks
            x, y = np.round(face.landmarks_478[cheek, :2]).astype(int)
            where[y - 6 : y + 6, x - 15 : x + 15] = 1.0
    expected = swapped.copy()
    _whole_box(expected, image, face.landmarks_478, face.size, where)
    result = swapped.copy()
    detail.keep_target_detail(result, image, face.landmarks_478, face.size, where)
    assert np.array_equal(result, expected)
    if softness:
        assert not np.array_equal(result, swapped), "the soft face gained the target's detail"
