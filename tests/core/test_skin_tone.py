"""The skin-based tone (core/mesh/skin_tone.py, issue #19's tone fault): the broad tone compares the face's
skin with the target's, not the whole mask with its brows, eyes, lips, beard and hair.

Biden's white brows and hair made the mask's mean lighter than his skin's: matched on the mask, his skin
came out darker than every target's (onto obama the fault check's worst zone read 10.1 delta E, the
three zones 6.7 lightness units darker on average).
"""

import numpy as np

from faceswap_desktop.core.mesh import faults, skin_tone, tone
from faceswap_desktop.core.mesh.mesh_engine import MeshSwapper
from faceswap_desktop.core.mesh.mesh_topology import feature_indices
from faceswap_desktop.core.roles import SourcePhoto
from faceswap_desktop.core.settings import SwapSettings


def _tone(skin: bool, analysed, monkeypatch) -> float:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(tone, "SKIN_WEIGHTED_TONE", skin)
    monkeypatch.setattr(tone, "SKIN_TONE", skin)
    source, source_faces = analysed("identity/biden/biden.jpg")
    target, target_faces = analysed("identity/obama/obama.jpg")
    swapper = MeshSwapper()
    prepared = swapper.prepare_source([SourcePhoto(source, source_faces[0])])
    result = swapper.swap(target, target_faces[0], prepared, SwapSettings()).frame
    face = target_faces[0]
    return faults.check_swap(result, target, face.landmarks_478, face.size).tone


def test_a_source_with_white_brows_gets_the_targets_skin_tone(analysed, monkeypatch) -> None:
    on_the_mask = _tone(False, analysed, monkeypatch)
    # The fault is real on this pair without the skin-based tone: over the check's limit.
    assert on_the_mask > faults.TONE_LIMIT, on_the_mask
    on_the_skin = _tone(True, analysed, monkeypatch)
    assert on_the_skin < faults.TONE_LIMIT - 0.5, (on_the_mask, on_the_skin)


def test_skin_weights_leave_out_the_features_and_a_beard() -> None:
    rng = np.random.default_rng(1)
    size = 48
    face = np.full((size, size, 3), 150.0, dtype=np.float32) + rng.normal(0, 2.0, (size, size, 3))
    target = np.full((size, size, 3), 120.0, dtype=np.float32) + rng.normal(0, 2.0, (size, size, 3))
    face[34:44, 14:34] = 40.0  # a dark beard on the swapped face only
    inside = np.zeros((size, size), dtype=np.float32)
    inside[4:46, 6:42] = 1.0
    # A mesh whose features all sit in one small box at (20..24, 10..14).
    points = np.zeros((478, 2), dtype=np.float32)
    points[:] = (30.0, 30.0)
    for region in feature_indices():
        count = len(region)
        points[region, 0] = 10 + (np.arange(count) % 5)
        points[region, 1] = 20 + (np.arange(count) // 5) % 5
    weights = skin_tone.skin_weights(face.astype(np.float32), target.astype(np.float32), inside, points, 1.0)
    assert weights[34:44, 14:34].max() == 0.0  # the beard
    assert weights[20:25, 10:15].max() == 0.0  # the features' hull
    assert weights[inside == 0].max() == 0.0
    assert weights[8:16, 20:40].min() == 1.0  # plain skin


def _mesh_on_grid(analysed):  # type: ignore[no-untyped-def]
    """A frontal mesh (obama's) on a 48-sample tone grid, its normals, and a mask over the grid."""
    from faceswap_desktop.core.mesh.lighting import vertex_normals

    _, faces = analysed("identity/obama/obama.jpg")
    landmarks = faces[0].landmarks_478.astype(np.float32)
    x0, y0 = landmarks[:468, 0].min(), landmarks[:468, 1].min()
    scale = 40.0 / float(np.ptp(landmarks[:468, 1]))
    points = landmarks.copy()
    points[:, 0] = (landmarks[:, 0] - x0) * scale + 4
    points[:, 1] = (landmarks[:, 1] - y0) * scale + 4
    mask = np.zeros((48, 48), dtype=np.float32)
    mask[2:46, 2:46] = 1.0
    return mask, points, vertex_normals(landmarks)


def test_a_beard_is_found_as_a_darker_lower_face(analysed) -> None:
    mask, points, _ = _mesh_on_grid(analysed)
    face = np.full((48, 48, 3), 130.0, dtype=np.float32)
    target = np.full_like(face, 140.0)
    ys = np.mgrid[0:48, 0:48][0].astype(np.float32)
    nose_base = float(points[2, 1])
    # A grey beard: 12 levels darker than the skin, on most of the face below the nose.
    target[(ys > nose_base)] -= 12.0
    rng = np.random.default_rng(2)
    target += rng.normal(0, 1.5, target.shape).astype(np.float32)
    # (A grey beard is no luma outlier of the skin, realism5: the skin weights keep it; here the mask.)
    beard = skin_tone.beard_drop(face, target, mask, points, 1.5)
    assert beard is not None
    assert beard[ys > nose_base + 1].min() == 1.0 and beard[ys < nose_base - 1].max() == 0.0
    # A clean-shaven target: no beard found.
    assert (
        skin_tone.beard_drop(
            face,
            np.full_like(target, 140.0) + rng.normal(0, 1.5, target.shape).astype(np.float32),
            mask,
            points,
            1.5,
        )
        is None
    )


def test_a_bearded_targets_beard_leaves_the_skin_tone(analysed, monkeypatch) -> None:
    """deepface_p07 onto deepface_p05 (a grey beard): the face came out darker than his cheeks."""
    source, source_faces = analysed("identity/deepface_p07/img29.jpg")
    target, target_faces = analysed("identity/deepface_p05/img16.jpg")
    swapper = MeshSwapper()
    prepared = swapper.prepare_source([SourcePhoto(source, source_faces[0])])
    tones = []
    for gap in (0.0, tone.SKIN_BEARD_GAP):
        monkeypatch.setattr(tone, "SKIN_BEARD_GAP", gap)
        result = swapper.swap(target, target_faces[0], prepared, SwapSettings()).frame
        face = target_faces[0]
        tones.append(faults.check_swap(result, target, face.landmarks_478, face.size).tone)
    assert tones[1] < tones[0] - 2.0, tones
