"""SCRFD on the real scrfd_2.5g_bnkps model and real photos, checked against OpenCV's YuNet."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from faceswap_desktop.inference.scrfd import ScrfdDetector

from .conftest import MEDIA, YUNET_MODEL, read

MULTI_FACE = sorted((MEDIA / "multi_face").glob("*.jpg"))
# YuNet also finds faces far below SCRFD's smallest anchor after the 640 letterbox (an 18x23 px face
# in a 2000 px photo); compare on faces at least this wide.
MIN_FACE_FRACTION = 0.02


def _yunet(image: np.ndarray) -> np.ndarray:
    height, width = image.shape[:2]
    detector = cv2.FaceDetectorYN.create(str(YUNET_MODEL), "", (width, height), 0.6, 0.3, 5000)
    _, faces = detector.detect(image)
    return np.zeros((0, 15), np.float32) if faces is None else faces


def _iou(a: tuple[float, float, float, float], b: np.ndarray) -> float:
    bx0, by0, bx1, by1 = b[0], b[1], b[0] + b[2], b[1] + b[3]
    iw = max(0.0, min(a[2], bx1) - max(a[0], bx0))
    ih = max(0.0, min(a[3], by1) - max(a[1], by0))
    inter = iw * ih
    return float(inter / ((a[2] - a[0]) * (a[3] - a[1]) + b[2] * b[3] - inter))


@pytest.mark.parametrize("path", MULTI_FACE, ids=lambda p: p.name)
def test_multi_face_photos_agree_with_yunet(scrfd: ScrfdDetector, path: Path) -> None:
    image = read(path)
    faces = scrfd.detect_faces(image)
    reference = [f for f in _yunet(image) if f[2] >= MIN_FACE_FRACTION * max(image.shape[:2])]
    assert len(faces) == len(reference) >= 2
    assert [f.center[0] for f in faces] == sorted(f.center[0] for f in faces)  # left to right
    errors = []
    for face in faces:
        match = max(reference, key=lambda r: _iou(face.box, r))
        assert _iou(face.box, match) > 0.5
        assert face.detector == "scrfd" and face.landmarks_478 is None and face.score >= 0.5
        inter_ocular = float(np.linalg.norm(face.keypoints_5[0] - face.keypoints_5[1]))
        eyes = match[4:8].reshape(2, 2)
        errors.extend(np.linalg.norm(face.keypoints_5[:2] - eyes, axis=1) / inter_ocular)
    # Two light detectors disagree by ~5-20% of the inter-ocular distance per eye on 30-50 px faces
    # (up to 0.28 on obama_and_biden.jpg with InsightFace's truncating letterbox; 0.24 with rounding).
    assert max(errors) < 0.3 and float(np.mean(errors)) < 0.15


def test_obama_has_exactly_one_face_with_sane_keypoints(scrfd: ScrfdDetector) -> None:
    image = read(MEDIA / "identity" / "obama" / "obama.jpg")
    faces = scrfd.detect_faces(image)
    assert len(faces) == 1
    face = faces[0]
    kps = face.keypoints_5
    x0, y0, x1, y1 = face.box
    assert np.all((kps[:, 0] > x0) & (kps[:, 0] < x1) & (kps[:, 1] > y0) & (kps[:, 1] < y1))
    assert kps[0, 0] < kps[2, 0] < kps[1, 0]  # image-left eye, nose, image-right eye
    assert max(kps[0, 1], kps[1, 1]) < kps[2, 1] < min(kps[3, 1], kps[4, 1])  # eyes above nose above mouth
    yunet_eyes = _yunet(image)[0][4:8].reshape(2, 2)
    inter_ocular = float(np.linalg.norm(kps[0] - kps[1]))
    assert np.all(np.linalg.norm(kps[:2] - yunet_eyes, axis=1) < 0.1 * inter_ocular)


def test_blank_image_has_no_faces(scrfd: ScrfdDetector) -> None:
    assert scrfd.detect_faces(np.full((480, 640, 3), 127, np.uint8)) == []


def test_detections_scale_with_the_image(scrfd: ScrfdDetector) -> None:
    image = read(MEDIA / "identity" / "obama" / "obama.jpg")
    full = scrfd.detect_faces(image)[0]
    half = scrfd.detect_faces(np.asarray(cv2.resize(image, None, fx=0.5, fy=0.5), np.uint8))[0]
    np.testing.assert_allclose(half.keypoints_5 * 2, full.keypoints_5, atol=0.05 * full.size)


@pytest.mark.parametrize(("height", "width"), [(667, 1000), (1000, 667), (481, 640), (333, 333)])
def test_letterbox_truncates_as_insightface(scrfd: ScrfdDetector, height: int, width: int) -> None:
    """InsightFace's SCRFD.detect: the long side becomes 640, the short side int(...) (truncated), and
    outputs are divided by new_height / height. Rounding (the old code) made 667x1000 427 rows, not 426."""
    im_ratio = height / width
    if im_ratio > 1.0:
        ref_h, ref_w = 640, int(640 / im_ratio)
    else:
        ref_w, ref_h = 640, int(640 * im_ratio)
    blob, scale = scrfd._letterbox(np.full((height, width, 3), 255, np.uint8))
    content = blob[0, 0] > 0  # white content is (255 - 127.5) / 128 > 0; padding is -127.5 / 128
    assert int(content.any(axis=1).sum()) == ref_h
    assert int(content.any(axis=0).sum()) == ref_w
    assert scale == ref_h / height
