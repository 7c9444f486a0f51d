import math

import numpy as np

from faceswap_desktop.core.geometry import (
    ARCFACE_TEMPLATE_112,
    align_face,
    arcface_template,
    estimate_similarity,
    head_pose_proxies,
    transform_points,
)


def _similarity(scale: float, angle_deg: float, tx: float, ty: float) -> np.ndarray:
    a = math.radians(angle_deg)
    return np.array(
        [[scale * math.cos(a), -scale * math.sin(a), tx], [scale * math.sin(a), scale * math.cos(a), ty]],
        dtype=np.float32,
    )


def test_estimate_similarity_recovers_a_known_transform() -> None:
    truth = _similarity(2.5, 17.0, 40.0, -12.0)
    src = ARCFACE_TEMPLATE_112
    dst = transform_points(src, truth)
    estimated = estimate_similarity(src, dst)
    np.testing.assert_allclose(estimated, truth, atol=1e-4)


def test_inswapper_template_is_the_112_template_shifted_by_8_px() -> None:
    np.testing.assert_allclose(arcface_template(128), ARCFACE_TEMPLATE_112 + [8.0, 0.0])
    np.testing.assert_allclose(arcface_template(112), ARCFACE_TEMPLATE_112)
    np.testing.assert_allclose(arcface_template(224), ARCFACE_TEMPLATE_112 * 2)


def test_align_face_puts_keypoints_on_the_template() -> None:
    image = np.random.default_rng(0).integers(0, 255, (400, 300, 3), dtype=np.uint8)
    keypoints = transform_points(ARCFACE_TEMPLATE_112, _similarity(1.7, -8.0, 60.0, 90.0))
    crop, matrix = align_face(image, keypoints, 112)
    assert crop.shape == (112, 112, 3)
    np.testing.assert_allclose(transform_points(keypoints, matrix), ARCFACE_TEMPLATE_112, atol=1e-3)


def test_head_pose_proxies_are_rotation_and_scale_invariant() -> None:
    base = head_pose_proxies(ARCFACE_TEMPLATE_112)
    rotated = head_pose_proxies(transform_points(ARCFACE_TEMPLATE_112, _similarity(3.0, 30.0, 5.0, 5.0)))
    assert abs(rotated[0] - base[0] - 30.0) < 1e-3
    assert abs(rotated[1] - base[1]) < 1e-5 and abs(rotated[2] - base[2]) < 1e-5
    # The template is frontal: yaw proxy near 0.
    assert abs(base[1]) < 0.02


def test_yaw_proxy_follows_the_nose() -> None:
    turned = ARCFACE_TEMPLATE_112.copy()
    turned[2, 0] += 10.0
    assert head_pose_proxies(turned)[1] > head_pose_proxies(ARCFACE_TEMPLATE_112)[1] + 0.2
