"""The target's lighting direction on the swapped face (core/mesh/lighting.py, issue #19's tone fault),
and the tone check's zones staying inside the photo.

Obama's photo is lit from his right: without the relighting his bright right cheek came onto every target
(on deepface_p07 the result's cheeks differed by 9.6 lightness levels more than the target's own).
"""

import numpy as np
import pytest

from faceswap_desktop.core.mesh import faults, lighting, tone
from faceswap_desktop.core.mesh.mesh_engine import MeshSwapper
from faceswap_desktop.core.roles import SourcePhoto
from faceswap_desktop.core.settings import SwapSettings

TARGET = "identity/deepface_p07/img29.jpg"
SOURCE = "identity/obama/obama.jpg"


def _zone_lightness(result: np.ndarray, target: np.ndarray, face) -> list[float]:  # type: ignore[no-untyped-def]
    """Per tone zone (mid-forehead, right cheek, left cheek): the result's mean lightness minus the
    target's, in the fault check's own crop."""
    target_canvas = faults._upright(target, face.landmarks_478, face.size)
    result_canvas = faults._upright(result, face.landmarks_478, face.size, target_canvas.matrix)
    lab_result, lab_target = faults._lab(result_canvas.image), faults._lab(target_canvas.image)
    return [
        float(lab_result[zone > 0, 0].mean() - lab_target[zone > 0, 0].mean())
        for zone in faults._skin_zones(target_canvas)
    ]


def _cheek_step(relight: bool, analysed, monkeypatch) -> float:  # type: ignore[no-untyped-def]
    # Without: neither the relighting nor the skin-based broad tone (core/mesh/skin_tone.py), which
    # also takes the target's cheek-to-cheek light over a sixth of the face.
    monkeypatch.setattr(tone, "RELIGHT", relight)
    monkeypatch.setattr(tone, "SKIN_WEIGHTED_TONE", relight)
    target, target_faces = analysed(TARGET)
    source, source_faces = analysed(SOURCE)
    swapper = MeshSwapper()
    prepared = swapper.prepare_source([SourcePhoto(source, source_faces[0])])
    result = swapper.swap(target, target_faces[0], prepared, SwapSettings()).frame
    _forehead, right, left = _zone_lightness(result, target, target_faces[0])
    return right - left


def test_the_source_side_light_is_not_carried_onto_the_target(analysed, monkeypatch) -> None:
    carried = _cheek_step(False, analysed, monkeypatch)
    # The fault this guards against is real on this pair: the source's light carried without the model.
    assert abs(carried) > 8.0, carried
    relit = _cheek_step(True, analysed, monkeypatch)
    assert abs(relit) < 6.0, (carried, relit)


def test_the_lighting_fit_recovers_a_light_direction() -> None:
    rng = np.random.default_rng(3)
    normals = rng.normal(size=(300, 3)) * (0.4, 0.4, 1.0)
    normals[:, 2] = -np.abs(normals[:, 2])
    normals /= np.linalg.norm(normals, axis=1, keepdims=True)
    luma = 120 + 40 * normals[:, 0] - 10 * normals[:, 2] + rng.normal(0, 1.0, 300)
    luma[:30] -= 80  # a beard / hair: outliers the robust fit leaves out
    coefficients = lighting.fit_shading(luma.astype(np.float32), normals.astype(np.float32))
    assert coefficients is not None
    # The outliers left out (with them the ambient term reads ~112); the direction kept, shrunk a little by
    # the ridge (lighting.RIDGE).
    assert coefficients[0] == pytest.approx(120, abs=3)
    assert coefficients[1] == pytest.approx(40, rel=0.2) and coefficients[3] == pytest.approx(-10, abs=6)
    assert lighting.fit_shading(luma[:10].astype(np.float32), normals[:10].astype(np.float32)) is None


def test_tone_zones_stay_inside_a_photo_that_cuts_the_face(analysed) -> None:
    """A face cut by the photo's edge (misc/occlusion_obama_partial_face2.jpg): the check compared the
    replicated border past the edge and flagged the tone of skin that is not in the photo."""
    image, faces = analysed(TARGET)
    face = faces[0]
    cut_at = int(round(float(face.landmarks_478[280, 0])))
    cut = np.ascontiguousarray(image[:, :cut_at])
    canvas = faults._upright(cut, face.landmarks_478, face.size)
    zones = faults._skin_zones(canvas)
    assert all(not (zone.astype(bool) & ~canvas.inside).any() for zone in zones)
    whole = faults._skin_zones(faults._upright(image, face.landmarks_478, face.size))
    assert zones[2].sum() < 0.6 * whole[2].sum()
    # A result that differs from the target only past the edge is not that target's tone fault.
    assert faults.check_swap(cut, cut, face.landmarks_478, face.size).tone < 0.5


def test_vertex_normals_are_the_triangles_cross_products_summed_and_normalised(analysed) -> None:  # type: ignore[no-untyped-def]
    """The per-coordinate cross products give ``np.cross``'s bits: the normals as the plain formula's."""
    from faceswap_desktop.core.mesh.mesh_topology import mesh_triangles

    _image, faces = analysed("identity/obama/obama.jpg")
    rng = np.random.default_rng(3)
    for landmarks in (faces[0].landmarks_478, (rng.normal(size=(478, 3)) * 40).astype(np.float32)):
        points = landmarks[:468, :3].astype(np.float64)
        triangles = mesh_triangles()
        a, b, c = points[triangles[:, 0]], points[triangles[:, 1]], points[triangles[:, 2]]
        normals = np.cross(b - a, c - a)
        normals *= np.where(normals[:, 2] > 0, -1.0, 1.0)[:, None]
        summed = np.stack(
            [np.bincount(triangles.ravel(), np.repeat(normals[:, k], 3), minlength=468) for k in range(3)], 1
        )
        expected = (summed / np.maximum(np.linalg.norm(summed, axis=1, keepdims=True), 1e-9)).astype(
            np.float32
        )
        assert lighting.vertex_normals(landmarks).tobytes() == expected.tobytes()
