"""Face analysis on real shared photos, cross-checked with an independent detector (OpenCV YuNet)."""

from pathlib import Path

import cv2
import numpy as np
import pytest

from faceswap_desktop.core.media.image_io import read_image

from ..conftest import YUNET


def _yunet_count(image: np.ndarray) -> int:
    detector = cv2.FaceDetectorYN.create(str(YUNET), "", (image.shape[1], image.shape[0]), 0.6)
    _, faces = detector.detect(image)
    return 0 if faces is None else len(faces)


@pytest.mark.parametrize("name", ["facenet_multiface.jpg", "insightface_t1.jpg", "two_people.jpg"])
def test_every_face_of_a_group_photo_is_found(analysed, name: str) -> None:
    image, faces = analysed(f"multi_face/{name}")
    assert len(faces) == _yunet_count(image)
    centres = [f.center[0] for f in faces]
    assert centres == sorted(centres), "faces are ordered left to right"


def test_obama_and_biden_includes_the_partly_hidden_child(analysed) -> None:
    # YuNet finds 2 here; our detector also finds the child's face at the bottom right (checked by eye).
    _image, faces = analysed("multi_face/obama_and_biden.jpg")
    assert len(faces) == 3
    child = faces[-1]
    assert child.center[1] > 1000 and child.width < 150


def test_each_identity_photo_has_exactly_one_face_with_full_landmarks(media: Path, analyser) -> None:
    for path in sorted((media / "identity").glob("*/*")):
        faces = analyser.detect_faces(read_image(path))
        assert len(faces) == 1, path.name
        face = faces[0]
        assert face.landmarks_478 is not None and face.landmarks_478.shape == (478, 3)
        x0, y0, x1, y1 = face.box
        kps = face.keypoints_5
        assert np.all((kps[:, 0] > x0) & (kps[:, 0] < x1) & (kps[:, 1] > y0) & (kps[:, 1] < y1))
        # Semantics: the subject's right eye is left of the left eye; eyes above nose above mouth.
        assert kps[0, 0] < kps[1, 0]
        assert kps[:2, 1].mean() < kps[2, 1] < kps[3:, 1].mean()


def test_keypoints_agree_with_yunet(analysed) -> None:
    image, faces = analysed("identity/obama/obama.jpg")
    detector = cv2.FaceDetectorYN.create(str(YUNET), "", (image.shape[1], image.shape[0]), 0.6)
    _, found = detector.detect(image)
    yunet_eyes = found[0][4:8].reshape(2, 2)  # YuNet: right eye, left eye (image order) first
    ours = faces[0].keypoints_5[:2]
    eye_distance = float(np.linalg.norm(ours[0] - ours[1]))
    assert np.linalg.norm(ours - yunet_eyes, axis=1).max() < 0.15 * eye_distance


def test_rotated_face_is_found(analysed) -> None:
    _image, faces = analysed("misc/rotate_rot_90.jpg")
    assert len(faces) == 1


def test_blank_image_has_no_face(analyser) -> None:
    assert analyser.detect_faces(np.full((480, 640, 3), 128, np.uint8)) == []


@pytest.mark.parametrize("zoom", [1.0, 1.6, 3.0])
def test_refit_in_a_box_matches_detection_at_any_face_size(analysed, analyser, zoom: float) -> None:
    # The refit crops straight from the BGR frame (bilinear down to 0.6x, area resize below that); its
    # landmarks must agree with detection's own fit for small faces, big ones and very big ones.
    image, _faces = analysed("identity/obama/obama.jpg")
    image = cv2.resize(image, None, fx=zoom, fy=zoom, interpolation=cv2.INTER_CUBIC)
    detected = analyser.detect_faces(image)[0]
    refit = analyser.landmarks_in_box(image, detected.box, detected.score)
    assert refit is not None and refit.landmarks_478 is not None and detected.landmarks_478 is not None
    gap = np.linalg.norm(refit.landmarks_478[:, :2] - detected.landmarks_478[:, :2], axis=1).mean()
    assert gap < 0.01 * detected.size, (zoom, gap, detected.size)
