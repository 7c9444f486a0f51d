"""Skin extension on a real face: the band above the oval, and a coverage that stops at hair."""

import cv2
import numpy as np
import pytest

from faceswap_desktop.core.mesh import face_mesh_connections as mesh_connections
from faceswap_desktop.core.mesh import skin_extension
from faceswap_desktop.core.mesh.masks import ring_mask
from faceswap_desktop.core.mesh.mesh_engine import MeshSwapper
from faceswap_desktop.core.mesh.mesh_topology import face_oval_indices
from faceswap_desktop.core.mesh.skin_extension import (
    band_triangles,
    extended_ring,
    extension_coverage,
    forehead_weight,
    oval_ring,
)
from faceswap_desktop.core.mesh.warp import Roi
from faceswap_desktop.core.roles import SourcePhoto
from faceswap_desktop.core.settings import SwapSettings


@pytest.fixture(scope="module")
def face(analysed):
    """A frontal photo with a high bare forehead (Biden's): skin all the way across the band."""
    image, faces = analysed("identity/biden/biden2.jpg")
    return image, faces[0]


def _above_oval(landmarks: np.ndarray, shape: tuple[int, int], lo: float, hi: float) -> np.ndarray:
    """Pixels at a signed distance of lo..hi px outside the oval's top (forehead side, x within the eyes')."""
    ring = landmarks[oval_ring(), :2].astype(np.float32)
    mask = np.zeros(shape, bool)
    x0, x1 = sorted((int(landmarks[33, 0]), int(landmarks[263, 0])))
    top = int(ring[:, 1].min())
    for y in range(max(top - int(hi) - 2, 0), top + 2):
        for x in range(x0, x1):
            distance = -cv2.pointPolygonTest(ring, (float(x), float(y)), True)
            mask[y, x] = lo <= distance <= hi
    return mask


def test_oval_ring_walks_the_whole_outline_in_order() -> None:
    ring = oval_ring()
    assert sorted(ring.tolist()) == sorted(face_oval_indices().tolist())
    edges = {tuple(sorted(edge)) for edge in mesh_connections.FACEMESH_FACE_OVAL}
    steps = {tuple(sorted((int(a), int(b)))) for a, b in zip(ring, np.roll(ring, -1), strict=True)}
    assert steps == edges


def test_extended_ring_grows_the_forehead_and_leaves_the_rest(face) -> None:
    _image, target = face
    landmarks = target.landmarks_478
    distance = target.size * 0.2
    ring = landmarks[oval_ring(), :2].astype(np.float32)
    outer = extended_ring(landmarks, distance)
    weight = forehead_weight(landmarks[oval_ring()], landmarks)
    assert weight.max() == 1.0 and weight.min() == 0.0
    moved = np.linalg.norm(outer[:, :2] - ring, axis=1)
    # Forehead vertices move out by the full distance, outside the oval; chin and cheeks stay put.
    for point, shift, w in zip(outer, moved, weight, strict=True):
        if w == 1.0:
            assert shift == pytest.approx(distance, rel=1e-3)
            assert cv2.pointPolygonTest(ring, (float(point[0]), float(point[1])), True) < -0.5 * distance
        elif w == 0.0:
            assert shift < 1e-3
    assert outer[moved > 1, 1].max() < landmarks[[33, 263], 1].min(), "only points above the eyes move"


def test_band_triangles_tile_the_band(face) -> None:
    image, target = face
    landmarks = np.concatenate([target.landmarks_478, target.landmarks_478[:1]])  # + a hub-like row
    outer = extended_ring(target.landmarks_478, target.size * 0.2)
    points = np.concatenate([landmarks, outer])
    roi = Roi(0, 0, image.shape[1], image.shape[0])
    band = np.zeros(image.shape[:2], np.uint8)
    for triangle in band_triangles(len(landmarks)):
        cv2.fillConvexPoly(band, np.round(points[triangle, :2]).astype(np.int32), 1)
    oval = ring_mask(landmarks[oval_ring()], roi) > 0.5
    grown = ring_mask(outer, roi) > 0.5
    # The band's triangles cover what the grown outline adds to the oval (up to rasterisation at edges).
    added = grown & ~oval
    assert added.sum() > 1000
    assert (band[added] > 0).mean() > 0.97


def test_coverage_grows_over_skin_and_stops_at_hair(face) -> None:
    image, target = face
    landmarks = target.landmarks_478
    roi = Roi(0, 0, image.shape[1], image.shape[0])
    distance = target.size * 0.2
    outer = extended_ring(landmarks, distance)
    oval = ring_mask(landmarks[oval_ring()], roi) > 0.5

    plain = extension_coverage(image, image, landmarks, outer, roi, target.size)
    near = _above_oval(landmarks, image.shape[:2], 2, 0.15 * distance)
    assert plain[near].mean() > 0.9, "bare forehead above the oval is covered"
    assert (plain[~oval] > 0.5).sum() > near.sum(), "the coverage grew past the oval"

    # A strip of dark, strand-textured 'hair' across the forehead, a little above the oval. The gate is
    # judged on a coarse sampling, so the coverage stops a little before it (hence 'near' stops at 0.15).
    strip = _above_oval(landmarks, image.shape[:2], 0.35 * distance, 0.6 * distance)
    rng = np.random.default_rng(0)
    hairy = image.copy()
    hairy[strip] = np.clip(rng.normal((30, 40, 60), 25, (int(strip.sum()), 3)), 0, 255).astype(np.uint8)
    beyond = _above_oval(landmarks, image.shape[:2], 0.7 * distance, 0.95 * distance)
    for target_image, source_image in ((hairy, image), (image, hairy)):
        stopped = extension_coverage(target_image, source_image, landmarks, outer, roi, target.size)
        assert stopped[strip].mean() < 0.1, "hair in either image is never covered"
        assert stopped[beyond].max() < 0.05, "skin past the hair is not reached"
        assert stopped[near].mean() > 0.9, "skin before the hair still is"


def test_target_hair_margin_stops_short_of_the_targets_hair_only(face, monkeypatch) -> None:
    """``TARGET_HAIR_MARGIN``: the edge keeps that distance from the *target's* hair; hair only in the
    source (the target's skin runs on) still stops the rays where it is, as without the margin."""
    image, target = face
    landmarks = target.landmarks_478
    roi = Roi(0, 0, image.shape[1], image.shape[0])
    distance = target.size * 0.2
    outer = extended_ring(landmarks, distance)
    strip = _above_oval(landmarks, image.shape[:2], 0.5 * distance, 0.8 * distance)
    rng = np.random.default_rng(0)
    hairy = image.copy()
    hairy[strip] = np.clip(rng.normal((30, 40, 60), 25, (int(strip.sum()), 3)), 0, 255).astype(np.uint8)
    before_hair = _above_oval(landmarks, image.shape[:2], 0.25 * distance, 0.38 * distance)
    near = _above_oval(landmarks, image.shape[:2], 2, 0.05 * distance)
    covered = {}
    # The margin alone: the source's dark stop (on by default) also stops rays at Biden's own darker
    # temples, which is not what this test measures.
    monkeypatch.setattr(skin_extension, "SOURCE_DARK_LEVELS", 0.0)
    for margin in (0.0, 0.06):
        monkeypatch.setattr(skin_extension, "TARGET_HAIR_MARGIN", margin)
        for name, target_image, source_image in (("target", hairy, image), ("source", image, hairy)):
            covered[name, margin] = extension_coverage(
                target_image, source_image, landmarks, outer, roi, target.size
            )
    assert covered["target", 0.0][before_hair].mean() > 0.9, "without the margin: up to the target's hair"
    assert covered["target", 0.06][before_hair].mean() < 0.3, "with it: 0.06 face sizes short of it"
    assert covered["target", 0.06][near].mean() > 0.9, "the skin nearer the oval is still covered"
    # Between the eyes Biden's own forehead is bare past the band: the source's hair stops the rays where
    # it is, with or without the margin (at the temples his real hairline does bring the margin in).
    middle = near | before_hair
    assert covered["source", 0.0][middle].mean() > 0.9
    assert covered["source", 0.06][middle].mean() > 0.9, "source hair: no margin"


def test_engine_extends_over_the_forehead_but_not_over_hair(analysed, face) -> None:
    source_image, source_faces = analysed("identity/deepface_p05/img16.jpg")
    prepared = MeshSwapper().prepare_source([SourcePhoto(source_image, source_faces[0])])
    image, target = face
    settings = SwapSettings(shape_transfer=0)  # no liquify: pixels move only where the face is swapped
    landmarks = target.landmarks_478
    above = _above_oval(landmarks, image.shape[:2], 0.02 * target.size, 0.1 * target.size)

    def changed(frame: np.ndarray, extension: int) -> np.ndarray:
        out = MeshSwapper().swap(frame, target, prepared, settings.replace(skin_extension=extension)).frame
        return np.abs(out.astype(int) - frame).max(axis=2) > 8

    assert changed(image, 20)[above].mean() > 3 * changed(image, 0)[above].mean() + 0.2
    green = image.copy()
    green[above] = (40, 200, 40)
    # The skin gate's coarse sampling (~64 cells across the face) may let the edge touch the first pixels.
    inner = cv2.erode(above.astype(np.uint8), np.ones((7, 7), np.uint8)) > 0
    assert not changed(green, 20)[inner].any(), "nothing is swapped over what is not skin"


def test_skin_coloured_strands_stop_the_coverage_too(analysed) -> None:
    """Blond hair can have skin's colour: the texture test stops the coverage at it all the same."""
    image, faces = analysed("identity/deepface_p07/img29.jpg")  # smooth skin, bare forehead
    target = faces[0]
    landmarks = target.landmarks_478
    roi = Roi(0, 0, image.shape[1], image.shape[0])
    distance = target.size * 0.2
    outer = extended_ring(landmarks, distance)
    strip = _above_oval(landmarks, image.shape[:2], 0.35 * distance, 0.6 * distance)
    beyond = _above_oval(landmarks, image.shape[:2], 0.7 * distance, 0.95 * distance)
    assert extension_coverage(image, image, landmarks, outer, roi, target.size)[beyond].mean() > 0.5
    # The strip keeps the forehead's local colour (a blur of it), with strands of lighter and darker
    # luminance on top: a colour test alone passes it.
    lab = cv2.cvtColor(image, cv2.COLOR_BGR2LAB).astype(np.float32)
    smooth = cv2.GaussianBlur(lab, (0, 0), target.size * 0.03)
    width = max(1, round(target.size * 0.02))
    strands = ((np.arange(image.shape[1]) // width) % 2 * 2 - 1).astype(np.float32) * 35.0
    smooth[..., 0] = np.clip(smooth[..., 0] + strands[None, :], 0, 255)
    lab[strip] = smooth[strip]
    combed = cv2.cvtColor(np.round(lab).astype(np.uint8), cv2.COLOR_LAB2BGR)
    stopped = extension_coverage(combed, image, landmarks, outer, roi, target.size)
    assert stopped[strip].mean() < 0.25
    assert stopped[beyond].max() < 0.05


def _trimmed_inverse_before(samples: np.ndarray) -> np.ndarray:
    """The trimming rounds of skin_likelihood as they were (np.cov and einsum), for comparison."""
    for _ in range(3):
        cov = np.cov(samples.T) + np.diag([9.0, 2.25, 2.25])
        cov[0, 0] *= 2.0
        _ok, inverse = cv2.invert(cov, flags=cv2.DECOMP_CHOLESKY)
        distance = np.einsum("ni,ij,nj->n", samples, inverse, samples)
        kept = samples[distance < 9.0]
        if len(kept) < 32 or len(kept) == len(samples):
            break
        samples = kept
    return inverse


def test_trimmed_inverse_matches_the_numpy_rounds_it_replaced(face) -> None:
    """The covariance rounds now run through OpenCV (speed): the same inverse on a real face's skin."""
    from faceswap_desktop.core.mesh.skin_extension import _trimmed_inverse, skin_reference

    image, target = face
    roi = Roi(0, 0, image.shape[1], image.shape[0])
    selected = skin_reference(target.landmarks_478, roi, target.size) > 0.5
    lab = cv2.cvtColor(image, cv2.COLOR_BGR2LAB).astype(np.float32)
    # Residuals about the mean, plus a few far outliers (a fringe, glasses) so the trimming runs.
    residuals = lab[selected] - lab[selected].mean(0)
    residuals[:40] += 60.0
    before = _trimmed_inverse_before(residuals)
    assert np.allclose(_trimmed_inverse(residuals), before, rtol=1e-9, atol=1e-12)
