"""Faces lying on their side or upside down (issue #19): found, fitted like the upright face, swapped with
the pose kept and the likeness of the upright swap (``OnnxFaceAnalyser``'s quarter turns and refit)."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from faceswap_desktop.core.face_roi import apply_affine, box_back, quarter_turn, turn_square
from faceswap_desktop.core.geometry import head_pose_proxies
from faceswap_desktop.core.identity import cosine
from faceswap_desktop.core.pipeline import FaceSelection
from faceswap_desktop.core.settings import SwapSettings
from faceswap_desktop.core.types import Face, FloatArray, Image

TARGET, SOURCE = "identity/biden/biden2.jpg", "identity/obama/obama.jpg"
SIDE = 400
"""The target photo is downscaled to this (a few seconds for the whole module)."""


def _turned(image: Image, degrees: float) -> tuple[Image, FloatArray]:
    """``image`` turned ``degrees`` counter-clockwise on an enlarged canvas, and the 2x3 affine."""
    height, width = image.shape[:2]
    matrix = cv2.getRotationMatrix2D((width / 2, height / 2), degrees, 1.0)
    cos, sin = abs(matrix[0, 0]), abs(matrix[0, 1])
    new_w, new_h = int(height * sin + width * cos), int(height * cos + width * sin)
    matrix[0, 2] += new_w / 2 - width / 2
    matrix[1, 2] += new_h / 2 - height / 2
    turned = cv2.warpAffine(image, matrix, (new_w, new_h), borderMode=cv2.BORDER_REFLECT101)
    return turned, matrix


def _nearest(faces: list[Face], centre: FloatArray) -> Face:
    assert faces, "no face found"
    return min(faces, key=lambda f: float(np.linalg.norm(np.subtract(f.center, centre))))


@pytest.fixture(scope="module")
def target(analysed):  # type: ignore[no-untyped-def]
    image, _faces = analysed(TARGET)
    small = cv2.resize(image, (SIDE, SIDE * image.shape[0] // image.shape[1]), interpolation=cv2.INTER_AREA)
    return np.ascontiguousarray(small)


def test_quarter_turns_and_box_back_match_numpy() -> None:
    image = np.arange(5 * 7).reshape(5, 7)
    for quarters in range(4):
        matrix, (width, height) = quarter_turn(7, 5, quarters)
        turned = np.rot90(image, quarters)
        assert turned.shape == (height, width)
        for y, x in ((0, 0), (4, 6), (2, 3), (1, 5)):
            u, v = apply_affine(np.array([[x, y]], np.float32), matrix)[0]
            assert turned[int(round(v)), int(round(u))] == image[y, x]
        back = cv2.invertAffineTransform(matrix)
        assert np.allclose(box_back((0, 0, width - 1, height - 1), back), (0, 0, 6, 4), atol=1e-5)
    # turn_square levels a line at the angle it is given
    line = apply_affine(np.array([[10.0, 10.0], [20.0, 20.0]]), turn_square(64, 45.0))
    assert abs(line[1, 1] - line[0, 1]) < 1e-4


@pytest.mark.parametrize("degrees", [90, 180, 270, 35, 60])
def test_a_turned_photo_gets_the_upright_photos_landmarks(analyser, target, degrees: int) -> None:  # type: ignore[no-untyped-def]
    upright = max(analyser.detect_faces(target), key=lambda f: f.size)
    turned, matrix = _turned(target, degrees)
    expected = apply_affine(upright.landmarks_478, matrix)
    face = _nearest(analyser.detect_faces(turned), expected[:, :2].mean(0))
    error = np.linalg.norm(face.landmarks_478[:, :2] - expected[:, :2], axis=1).mean() / upright.size
    # Measured 0.004-0.006 (before the quarter turns and the refit: 0.03 at 90 degrees; upside down the
    # face was not found or was fitted upside down, ~0.6).
    assert error < 0.015, f"{degrees} degrees: mean landmark error {error:.4f} of the face size"


@pytest.fixture(scope="module")
def swap_turned(context, analysed, mobilefacenet, target):  # type: ignore[no-untyped-def]
    pipeline = context.build_pipeline(judge=None)
    source_image, _ = analysed(SOURCE)
    prepared = pipeline.prepare_source([source_image])

    def run(degrees: float) -> tuple[Face, Face | None, Image, FloatArray]:
        turned, matrix = _turned(target, degrees)
        faces = pipeline.detect(turned)
        face = max(faces, key=lambda f: f.size)
        out = pipeline.process_frame(
            turned, prepared, SwapSettings(), FaceSelection(), faces=[face], score="none"
        )
        again = pipeline.detect(out.frame)
        result_face = _nearest(again, np.asarray(face.center)) if again else None
        return face, result_face, out.frame, matrix

    return run


def _pose_kept(result: Face | None, target: Face) -> bool:
    """The benchmark's rule (benchmarks/identity_eval.py): roll within 6 degrees, yaw/pitch within 0.08."""
    if result is None:
        return False
    r_roll, r_yaw, r_pitch = head_pose_proxies(result.keypoints_5)
    t_roll, t_yaw, t_pitch = head_pose_proxies(target.keypoints_5)
    roll = (r_roll - t_roll + 180) % 360 - 180
    return abs(roll) <= 6 and abs(r_yaw - t_yaw) <= 0.08 and abs(r_pitch - t_pitch) <= 0.08


@pytest.mark.parametrize("degrees", [90, 180, 270, 35])
def test_a_turned_photo_swaps_like_the_upright_one(swap_turned, mobilefacenet, degrees: int) -> None:  # type: ignore[no-untyped-def]
    face_up, result_up, frame_up, _ = swap_turned(0)
    face, result_face, frame, matrix = swap_turned(degrees)
    assert _pose_kept(result_up, face_up)
    assert _pose_kept(result_face, face), f"{degrees} degrees: the head pose was not kept"
    # The result turned back upright looks like the upright swap to the judge (MobileFaceNet).
    back = cv2.warpAffine(frame, cv2.invertAffineTransform(matrix), frame_up.shape[1::-1])
    similarity = cosine(mobilefacenet.embed(back, result_up), mobilefacenet.embed(frame_up, result_up))
    assert similarity > 0.85, f"{degrees} degrees: cos {similarity:.3f} to the upright swap"


def test_an_upside_down_swap_changes_what_the_upright_one_does(context, analysed) -> None:  # type: ignore[no-untyped-def]
    """Upside down, the head's roll sits at +-180 degrees: the shape transfer's pose correction took the
    jump to -180 for a turn of 360 and threw the liquify across the whole photo (90 % of it changed)."""
    pipeline = context.build_pipeline(judge=None)
    source_image, _ = analysed("identity/deepface_p06/img13.jpg")
    prepared = pipeline.prepare_source([source_image])
    image, _ = analysed("misc/single_paul_rudd.jpg")
    small = cv2.resize(image, (400, 400 * image.shape[0] // image.shape[1]), interpolation=cv2.INTER_AREA)
    changed = []
    for quarters in (0, 2):
        frame = np.ascontiguousarray(np.rot90(small, quarters))
        face = max(pipeline.detect(frame), key=lambda f: f.size)
        out = pipeline.process_frame(
            frame, prepared, SwapSettings(), FaceSelection(), faces=[face], score="none"
        )
        changed.append(float((np.abs(out.frame.astype(int) - frame).max(2) > 10).mean()))
    assert changed[1] < changed[0] * 1.3, (
        f"changed share upright {changed[0]:.2f}, upside down {changed[1]:.2f}"
    )


def test_an_upside_down_face_is_found_once_and_fitted_turned(analyser, analysed) -> None:  # type: ignore[no-untyped-def]
    """BlazeFace boxes parts of this upside-down face (the photo saved as a JPEG, as a user has it): one
    crop finds it in a half turn, another finds a weak "face" as it stands that FaceMesh fitted upright,
    and the CLI swapped that one (the source's eyes on the target's mouth)."""
    image, faces = analysed("misc/single_paul_rudd.jpg")
    upright = max(faces, key=lambda f: f.size)
    _ok, encoded = cv2.imencode(".jpg", np.ascontiguousarray(np.rot90(image, 2)))
    turned = cv2.imdecode(encoded, cv2.IMREAD_COLOR)
    found = analyser.detect_faces(turned)
    assert len(found) == 1
    height, width = image.shape[:2]
    expected = np.array([width - 1, height - 1]) - upright.landmarks_478[:, :2]
    error = np.linalg.norm(found[0].landmarks_478[:, :2] - expected, axis=1).mean() / upright.size
    assert error < 0.015
