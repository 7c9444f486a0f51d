"""The ONNX face analyser's parts: embedded model files, BlazeFace geometry, sessions and provider policy.

Parity with MediaPipe's own results is in ``test_face_analyser_parity.py``.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from faceswap_desktop.core.face_roi import (
    FULL_RANGE,
    SHORT_RANGE,
    Detections,
    RotatedRect,
    decode_detections,
    letterbox_matrix,
    letterbox_to_image,
    project_landmarks,
    roi_from_points,
    roi_matrix,
    ssd_anchors,
    weighted_nms,
)
from faceswap_desktop.inference.embedded import (
    EMBEDDED_MODELS,
    FACE_DETECTION_FULL_RANGE,
    FACE_DETECTION_SHORT_RANGE,
    FACE_LANDMARKS_ATTENTION,
    embedded_model_path,
    models_folder,
)
from faceswap_desktop.inference.face_analyser import MODEL_THREADS, OnnxFaceAnalyser
from faceswap_desktop.inference.providers import CPU
from faceswap_desktop.inference.sessions import SessionCache


def test_embedded_face_models_are_pinned_with_their_licence() -> None:
    # Every entry of EMBEDDED_MODELS is checked against its file and <file>.sha256 in test_dlib_judge.py,
    # and the refusal of a missing or altered file there too.
    pinned = {model.file: model for model in EMBEDDED_MODELS}
    for model in (FACE_DETECTION_SHORT_RANGE, FACE_DETECTION_FULL_RANGE, FACE_LANDMARKS_ATTENTION):
        assert pinned[model.file] is model and model.licence.startswith("Apache-2.0")
        assert embedded_model_path(model).stat().st_size > 100_000
    notice = (models_folder() / "NOTICE.md").read_text()
    assert "Apache License 2.0" in notice and "The MediaPipe Authors" in notice
    for model in (FACE_DETECTION_SHORT_RANGE, FACE_DETECTION_FULL_RANGE, FACE_LANDMARKS_ATTENTION):
        assert model.file in notice


def test_anchor_layouts_match_the_models_outputs() -> None:
    short, full = ssd_anchors(SHORT_RANGE), ssd_anchors(FULL_RANGE)
    assert short.shape == (896, 2) and full.shape == (2304, 2)
    # Short range: 16x16 cells x 2 anchors, then 8x8 cells x 6 (three stride-16 layers merged).
    np.testing.assert_allclose(short[0], [0.5 / 16, 0.5 / 16])
    np.testing.assert_allclose(short[512], [0.5 / 8, 0.5 / 8])
    assert (short[512:518] == short[512]).all()
    np.testing.assert_allclose(full[-1], [47.5 / 48, 47.5 / 48])


def test_decoding_offsets_boxes_and_keypoints_from_their_anchor() -> None:
    anchors = np.array([[0.25, 0.5], [0.75, 0.5]], np.float32)
    raw = np.zeros((2, 16), np.float32)
    raw[0, :4] = [12.8, 0.0, 25.6, 12.8]  # centre +0.1 x, size 0.2 x 0.1 (scale 128)
    raw[0, 4:6] = [-12.8, 0.0]
    logits = np.array([3.0, -3.0], np.float32)
    found = decode_detections(raw, logits, anchors, 128.0, 0.5)
    assert found.scores.shape == (1,)
    np.testing.assert_allclose(found.boxes[0], [0.25, 0.45, 0.45, 0.55], atol=1e-6)
    np.testing.assert_allclose(found.keypoints[0, 0], [0.15, 0.5], atol=1e-6)
    assert found.scores[0] == pytest.approx(1 / (1 + math.exp(-3.0)), rel=1e-6)


def test_weighted_nms_averages_a_cluster_by_score_and_keeps_the_best_score() -> None:
    boxes = np.array([[0, 0, 10, 10], [1, 0, 11, 10], [50, 50, 60, 60]], np.float32)
    keypoints = np.zeros((3, 6, 2), np.float32)
    keypoints[:, 0] = [[2, 2], [4, 2], [55, 55]]
    scores = np.array([0.9, 0.6, 0.7], np.float32)
    merged = weighted_nms(Detections(boxes, keypoints, scores), 0.3)
    np.testing.assert_allclose(merged.scores, [0.9, 0.7])
    np.testing.assert_allclose(merged.boxes[0], [0.4, 0, 10.4, 10], atol=1e-5)
    np.testing.assert_allclose(merged.keypoints[0, 0], [2.8, 2], atol=1e-5)
    np.testing.assert_allclose(merged.boxes[1], boxes[2])


def test_letterbox_and_its_inverse_agree() -> None:
    matrix = letterbox_matrix(400, 200, 128)
    point = np.array([300.0, 50.0])
    tensor = matrix[:, :2] @ point + matrix[:, 2]
    back = letterbox_to_image((tensor / 128).astype(np.float32), 400, 200)
    np.testing.assert_allclose(back, point, atol=1e-3)


def test_roi_is_level_with_the_eyes_and_landmarks_project_back() -> None:
    # Eyes on a line descending 30 degrees to the right: the region turns with them.
    start, end = (
        np.array([100.0, 100.0]),
        np.array([100 + 50 * math.cos(0.5236), 100 + 50 * math.sin(0.5236)]),
    )
    rect = roi_from_points((80.0, 60.0, 160.0, 180.0), start, end, 1.5)
    assert rect.rotation == pytest.approx(0.5236, abs=1e-4)
    assert rect.width == rect.height == pytest.approx(180.0)
    matrix = roi_matrix(rect, 192)
    points = np.array([[30.0, 40.0, 5.0], [150.0, 96.0, -2.0]], np.float32)
    in_image = project_landmarks(points, rect, 192)
    back = (matrix[:, :2] @ in_image[:, :2].T).T + matrix[:, 2]
    np.testing.assert_allclose(back, points[:, :2], atol=1e-3)
    np.testing.assert_allclose(in_image[:, 2], points[:, 2] * 180 / 192, rtol=1e-5)
    # Both eyes land on one row of the model input.
    eyes = (matrix[:, :2] @ np.stack([start, end]).T).T + matrix[:, 2]
    assert eyes[0, 1] == pytest.approx(eyes[1, 1], abs=1e-3)


def test_rect_without_rotation_maps_corners_to_corners() -> None:
    matrix = roi_matrix(RotatedRect(50.0, 40.0, 20.0, 20.0, 0.0), 192)
    np.testing.assert_allclose(matrix @ np.array([40.0, 30.0, 1.0]), [0, 0], atol=1e-4)
    np.testing.assert_allclose(matrix @ np.array([60.0, 50.0, 1.0]), [192, 192], atol=1e-4)


def test_sessions_come_from_the_apps_cache_on_one_thread_with_the_provider_policy() -> None:
    created: list[tuple[str, int]] = []

    def factory(path: str, options: Any, providers: list[str]) -> Any:
        import onnxruntime as ort

        created.append((Path(path).name, options.intra_op_num_threads))
        return ort.InferenceSession(path, sess_options=options, providers=providers)

    cache = SessionCache("FakeExecutionProvider", available=[CPU], factory=factory)
    analyser = OnnxFaceAnalyser(cache)
    files = [FACE_DETECTION_FULL_RANGE.file, FACE_DETECTION_SHORT_RANGE.file, FACE_LANDMARKS_ATTENTION.file]
    assert sorted(name for name, _ in created) == sorted(files)
    assert {threads for _, threads in created} == {MODEL_THREADS}
    infos = cache.infos()
    assert len(infos) == 3 and all(i.fell_back and i.provider == CPU for i in infos)
    assert all("not available" in i.reason for i in infos)
    assert analyser.detect_faces(np.zeros((240, 320, 3), np.uint8)) == []
