"""The eye-edge check (core/mesh/faults.py) on eye openings that differ (issue #19: "doubled, ghosted
eyes ... when the source's and target's eye openings differ").

Biden's narrowed eyes swapped onto Jennifer Aniston's open ones (a 163 px face) put his brow and lid
lines where her brow and lids are, closer together than in his photo: measured against his own eye, those
lines read as an echo (a doubled edge) that is not there. The check compares with his eye as the swap
places it, and must still see a real ghost.
"""

from __future__ import annotations

import numpy as np
import pytest

from faceswap_desktop.core.mesh import faults
from faceswap_desktop.core.mesh.mesh_engine import MeshSwapper
from faceswap_desktop.core.mesh.mesh_topology import LEFT_EYE_RING, RIGHT_EYE_RING
from faceswap_desktop.core.roles import SourcePhoto
from faceswap_desktop.core.settings import SwapSettings

SOURCE = "identity/biden/biden.jpg"
TARGET = "identity/deepface_p04/img12.jpg"


@pytest.fixture(scope="module")
def swap(analysed):  # type: ignore[no-untyped-def]
    source_image, source_faces = analysed(SOURCE)
    image, faces = analysed(TARGET)
    source_face, face = source_faces[0], faces[0]
    swapper = MeshSwapper()
    prepared = swapper.prepare_source([SourcePhoto(source_image, source_face)])
    result = swapper.swap(image, face, prepared, SwapSettings()).frame
    return result, image, face, source_image, source_face


def _report(result, image, face, source_image, source_face) -> faults.FaultReport:  # type: ignore[no-untyped-def]
    return faults.check_swap(
        result,
        image,
        face.landmarks_478,
        face.size,
        source_image,
        source_face.landmarks_478,
        source_face.size,
    )


def test_a_narrowed_source_eye_on_an_open_target_eye_is_not_a_doubled_edge(swap) -> None:  # type: ignore[no-untyped-def]
    result, image, face, source_image, source_face = swap
    report = _report(result, image, face, source_image, source_face)
    assert "eye_edges" not in report.flags, report
    # The check as it was (the strongest repeat at any shift against the source's own eye, its lines at
    # its own spacing) read the same result as doubled.
    target = faults._upright(image, face.landmarks_478, face.size)
    swapped = faults._upright(result, face.landmarks_478, face.size, target.matrix)
    source = faults._upright(source_image, source_face.landmarks_478, source_face.size)

    def strongest(canvas: faults._Canvas, ring: tuple[int, ...]) -> float:
        window = faults._eye_window(canvas, ring)
        assert window is not None
        return faults._echo(canvas, window)

    before = max(
        strongest(swapped, ring) - max(strongest(target, ring), strongest(source, ring))
        for ring in (RIGHT_EYE_RING, LEFT_EYE_RING)
    )
    assert before > 0.2


@pytest.mark.xfail(
    strict=True,
    reason="open: the check takes the strongest repeat at any spacing, so an eye's own repeat at one "
    "spacing (the placed source's brow over lid, 0.38; the target's, 0.32) hides a ghost at another on "
    "this 163 px face (+0.10 with the source, +0.16 without); comparing spacing by spacing flagged 8 "
    "validation pairs, some clean (docs/likeness.md)",
)
def test_a_ghosted_eye_is_still_flagged_with_that_source(swap) -> None:  # type: ignore[no-untyped-def]
    """The source's placed eye should excuse its own lines, not a ghost (of the target's eye here)."""
    _, image, face, source_image, source_face = swap
    report = _report(_ghost(image, face), image, face, source_image, source_face)
    assert "eye_edges" in report.flags, report


def _ghost(image: np.ndarray, face) -> np.ndarray:  # type: ignore[no-untyped-def]
    """Each eye blended with itself shifted by a third of the eye's width (as in test_swap_faults)."""
    landmarks = face.landmarks_478
    ghost = image.copy()
    for centre, corner in ((468, 33), (473, 263)):
        width = float(np.linalg.norm(landmarks[centre, :2] - landmarks[corner, :2])) * 2
        x, y = np.round(landmarks[centre, :2]).astype(int)
        half, shift = int(width * 0.8), int(width / 3)
        box = image[y - half : y + half, x - half : x + half].astype(np.float32)
        above = image[y - half - shift : y + half - shift, x - half : x + half].astype(np.float32)
        ghost[y - half : y + half, x - half : x + half] = np.clip(0.5 * box + 0.5 * above, 0, 255)
    return ghost
