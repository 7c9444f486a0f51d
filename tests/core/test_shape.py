"""Shape transfer on real meshes: proportions move toward the source, the head-pose proxies stay."""

import numpy as np
import pytest

from faceswap_desktop.core.geometry import head_pose_proxies, keypoints_from_mesh
from faceswap_desktop.core.mesh.shape import pose_keeping_correction, transfer_shape

PAIRS = [
    ("identity/obama/obama.jpg", "identity/biden/biden2.jpg"),
    ("identity/deepface_p05/img16.jpg", "identity/deepface_p07/img29.jpg"),
    ("identity/alex_lacamoire/alex_lacamoire1.jpg", "identity/obama/obama.jpg"),
]


def _mesh(analysed, path: str) -> np.ndarray:
    _image, faces = analysed(path)
    return faces[0].landmarks_478


def _proxies(landmarks: np.ndarray) -> np.ndarray:
    return np.array(head_pose_proxies(keypoints_from_mesh(landmarks)))


@pytest.mark.parametrize(("source_path", "target_path"), PAIRS)
def test_shape_moves_toward_the_source_and_keeps_the_pose_proxies(analysed, source_path, target_path) -> None:
    source, target = _mesh(analysed, source_path), _mesh(analysed, target_path)
    moved = transfer_shape(target, source, 1.0)
    roll, yaw, pitch = np.abs(_proxies(moved) - _proxies(target))
    assert roll < 0.3 and yaw < 0.003 and pitch < 0.003
    # The outline did move: by a few percent of the face's height on average.
    height = float(np.ptp(target[:468, 1]))
    assert np.linalg.norm(moved[:468, :2] - target[:468, :2], axis=1).mean() > 0.01 * height


def test_pose_correction_is_zero_for_offsets_that_keep_the_pose(analysed) -> None:
    target = _mesh(analysed, "identity/obama/obama.jpg")[:468, :2].astype(np.float64)
    centre = target.mean(0)
    # A shift and a uniform scaling change no proxy (they are ratios in the face's own frame).
    for offset in (np.full_like(target, 5.0), (target - centre) * 0.05):
        assert np.abs(pose_keeping_correction(target, offset)).max() < 1e-3


def test_pose_correction_cancels_a_pitch_change_and_only_that(analysed) -> None:
    from faceswap_desktop.core.geometry import NOSE_TIP

    target = _mesh(analysed, "identity/obama/obama.jpg")[:468, :2].astype(np.float64)
    offset = np.zeros_like(target)
    offset[NOSE_TIP, 1] = 8.0  # the nose tip 8 px lower: a pitch-proxy change
    correction = pose_keeping_correction(target, offset)
    assert np.abs(correction).max() > 1.0
    corrected = target + offset - correction
    assert np.abs(_proxies(corrected) - _proxies(target)).max() < 1e-4
    # Least squares over the 5 keypoints: spread over them, smaller than simply undoing the nose's 8 px.
    per_keypoint = keypoints_from_mesh(correction)
    assert np.linalg.norm(per_keypoint) < 8.0
    assert np.abs(per_keypoint[2, 1]) < 8.0


def test_batched_pose_proxies_agree_with_head_pose_proxies(analysed) -> None:
    from faceswap_desktop.core.mesh.shape import _pose_proxies

    rng = np.random.default_rng(0)
    base = keypoints_from_mesh(_mesh(analysed, "identity/obama/obama.jpg")).astype(np.float64)
    batch = base.reshape(1, 10) + rng.normal(0.0, 4.0, (32, 10))
    batch[0] = base.reshape(10)
    expected = np.array([head_pose_proxies(row.reshape(5, 2)) for row in batch])
    expected[:, 0] = np.radians(expected[:, 0])
    assert np.abs(_pose_proxies(batch) - expected).max() < 1e-12


def test_inside_convex_agrees_with_point_polygon_test() -> None:
    import cv2

    from faceswap_desktop.core.mesh.shape import _inside_convex

    rng = np.random.default_rng(1)
    hull = cv2.convexHull(rng.uniform(0, 100, (40, 2)).astype(np.float32))
    points = rng.uniform(-20, 120, (500, 2))
    expected = np.array([cv2.pointPolygonTest(hull, (float(x), float(y)), False) > 0 for x, y in points])
    assert (_inside_convex(hull.reshape(-1, 2).astype(np.float64), points) == expected).all()


def _mouth_opening(landmarks: np.ndarray, width_of: np.ndarray | None = None) -> float:
    """Inner-lip gap over mouth width (what mesh_engine.mouth_is_open thresholds); the width is
    ``width_of``'s when given (the shape transfer may change the width, which is not the opening)."""
    gap = np.linalg.norm(landmarks[13, :2] - landmarks[14, :2])
    reference = landmarks if width_of is None else width_of
    return float(gap / np.linalg.norm(reference[61, :2] - reference[291, :2]))


@pytest.mark.parametrize(
    ("source_path", "target_path"),
    [
        # An open smile onto a closed mouth (strips row 1: the mouth opened and showed the target's lips
        # stretched into the hole), and a closed mouth onto an open smile.
        ("identity/alex_lacamoire/alex_lacamoire1.jpg", "identity/deepface_p02/img26.jpg"),
        ("identity/deepface_p07/img29.jpg", "identity/alex_lacamoire/alex_lacamoire1.jpg"),
    ],
)
def test_shape_keeps_the_targets_mouth_opening(analysed, source_path, target_path) -> None:
    source, target = _mesh(analysed, source_path), _mesh(analysed, target_path)
    assert abs(_mouth_opening(source) - _mouth_opening(target)) > 0.1, "the pair must differ in opening"
    moved = transfer_shape(target, source, 1.0)
    assert _mouth_opening(moved, width_of=target) == pytest.approx(_mouth_opening(target), abs=0.01)


def _eye_openings(landmarks: np.ndarray, width_of: np.ndarray) -> np.ndarray:
    """Each eye's lid gap (middle pair) over that eye's width in ``width_of``."""
    pairs = ((159, 145, 33, 133), (386, 374, 263, 362))
    return np.array(
        [
            np.linalg.norm(landmarks[a, :2] - landmarks[b, :2])
            / np.linalg.norm(width_of[c, :2] - width_of[d, :2])
            for a, b, c, d in pairs
        ]
    )


@pytest.mark.parametrize(
    ("source_path", "target_path"),
    [
        # A smiling squint onto wide-open eyes, and wide-open eyes onto a smiling squint: the smoothed
        # eyelid offsets used to carry the source's opening (0.35 -> 0.20 and 0.22 -> 0.37 of the width).
        ("identity/obama/obama.jpg", "identity/deepface_p01/img1.jpg"),
        ("identity/deepface_p06/img13.jpg", "identity/obama/obama.jpg"),
    ],
)
def test_shape_keeps_the_targets_eye_opening(analysed, source_path, target_path) -> None:
    source, target = _mesh(analysed, source_path), _mesh(analysed, target_path)
    assert np.abs(_eye_openings(source, source) - _eye_openings(target, target)).min() > 0.06
    moved = transfer_shape(target, source, 1.0)
    assert np.abs(_eye_openings(moved, target) - _eye_openings(target, target)).max() < 0.02
