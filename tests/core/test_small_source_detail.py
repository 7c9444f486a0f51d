"""A small source face on a large, sharp target keeps the target's skin texture (issue #19: "a source
face of ~100 px becomes a soft, blurred face on a sharp target").

The source photo is shrunk so its face is ~100 px and swapped onto Paul Rudd's 1400 px face; the
result's skin must not read softer than the photo by the fault check's softness measure. Without the
coarser texture bands (core/mesh/detail_bands.py) it does (the finest layer alone reads ~0.4 there).
"""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from faceswap_desktop.core.mesh import detail_bands, faults
from faceswap_desktop.core.mesh.mesh_engine import MeshSwapper
from faceswap_desktop.core.roles import SourcePhoto
from faceswap_desktop.core.settings import SwapSettings

SOURCE = "identity/obama/obama.jpg"
TARGET = "misc/single_paul_rudd.jpg"


@pytest.fixture(scope="module")
def small_source_swap(analyser, analysed):  # type: ignore[no-untyped-def]
    """A function that swaps the ~100 px source onto the target with the texture bands as configured."""
    source_image, source_faces = analysed(SOURCE)
    scale = 100.0 / source_faces[0].size
    small = cv2.resize(source_image, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    small_face = analyser.detect_faces(small)[0]
    assert 85 <= small_face.size <= 115, small_face.size
    image, faces = analysed(TARGET)
    face = max(faces, key=lambda f: f.size)
    swapper = MeshSwapper()
    prepared = swapper.prepare_source([SourcePhoto(small, small_face)])

    def run() -> tuple[faults.FaultReport, np.ndarray, np.ndarray]:
        """The fault report, the result and the swap's blend weight over the whole frame."""
        output = swapper.swap(image, face, prepared, SwapSettings())
        weight = np.zeros(image.shape[:2], np.float32)
        x0, y0, x1, y1 = output.region
        weight[y0:y1, x0:x1] = output.mask
        report = faults.check_swap(
            output.frame,
            image,
            face.landmarks_478,
            face.size,
            small,
            small_face.landmarks_478,
            small_face.size,
        )
        return report, output.frame, weight

    return run


def test_a_100px_source_is_not_softer_than_a_large_target(small_source_swap, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    run = small_source_swap
    report, result, weight = run()
    assert "softness" not in report.flags, report
    assert report.softness >= faults.SOFTNESS_LIMIT + 0.1, report
    # The fault is there without the coarser bands: the test can fail.
    monkeypatch.setattr(detail_bands, "TEXTURE_SCALE", 0.0)
    without, plain, _ = run()
    assert "softness" in without.flags, without
    # The bands change only the swapped face: where its blend weight is 0 both results are the same.
    assert np.array_equal(result[weight == 0], plain[weight == 0])
    assert not np.array_equal(result, plain)


@pytest.mark.parametrize(
    ("face_size", "count"), [(100, 0), (330, 0), (460, 0), (500, 1), (764, 1), (1400, 2)]
)
def test_texture_bands_reach_only_the_fine_scales_of_large_faces(face_size: float, count: int) -> None:
    assert detail_bands.band_count(face_size) == count


@pytest.mark.parametrize("where_kind", ["corner", "thin", "patch"])
def test_texture_bands_stay_inside_any_blend_weight(analysed, where_kind: str) -> None:  # type: ignore[no-untyped-def]
    """Hard-edged or tiny blend weights, at the frame's edge too: no error, and nothing changes where the
    weight is 0."""
    image, faces = analysed(TARGET)
    face = max(faces, key=lambda f: f.size)
    soft = cv2.GaussianBlur(image, (0, 0), 4.0)
    where = np.zeros(image.shape[:2], np.float32)
    if where_kind == "corner":  # a 3x3 weight in the frame's last corner
        where[-3:, -3:] = 1.0
    elif where_kind == "thin":  # one column at the frame's left edge
        where[:, 0] = 0.7
    else:  # a hard-edged patch on the cheek
        x, y = np.round(face.landmarks_478[50, :2]).astype(int)
        where[y - 40 : y + 40, x - 60 : x + 60] = 1.0
    result = soft.copy()
    detail_bands.keep_target_texture(result, image, face.landmarks_478, face.size, where)
    assert np.array_equal(result[where == 0], soft[where == 0])
    if where_kind == "patch":
        assert not np.array_equal(result, soft)
