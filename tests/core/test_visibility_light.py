"""The source visibility mask's light joins (core/mesh/visibility.py, issue #19: light source occluders).

A blond strand across a source's forehead is neither dark nor, at a small face, unlike skin in colour;
the light joins take it into the mask inside the oval (where the texture is always shown), and take
nothing on a clean forehead.
"""

import numpy as np
import pytest

from faceswap_desktop.core.mesh import visibility
from faceswap_desktop.core.mesh.warp import roi_around

from .test_swap_faults import BLOND, _strand


def _crop(analysed, relative: str):  # type: ignore[no-untyped-def]
    """The source's texture crop and landmarks, as ``MeshSwapper.prepare_source`` takes them."""
    image, faces = analysed(relative)
    face = faces[0]
    landmarks = face.landmarks_478.copy()
    roi = roi_around(landmarks, margin=face.size * 0.4, width=image.shape[1], height=image.shape[0])
    landmarks[:, 0] -= roi.x0
    landmarks[:, 1] -= roi.y0
    return np.ascontiguousarray(image[roi.slices]), landmarks, face.size


def _masks(texture, landmarks, size, monkeypatch):  # type: ignore[no-untyped-def]
    """The mask inside the oval with the light joins off and with the defaults."""
    inside = visibility._inside_oval(landmarks, texture.shape[:2], size)
    with monkeypatch.context() as patch:
        patch.setattr(visibility, "LIGHT_JOIN_LIKELIHOOD", 0.0)
        off = visibility.occluded_skin(texture, landmarks, size) > 0
    return off & inside, (visibility.occluded_skin(texture, landmarks, size) > 0) & inside


@pytest.mark.parametrize(
    "relative", ["identity/deepface_p07/img29.jpg", "identity/alex_lacamoire/alex_lacamoire1.jpg"]
)
def test_a_blond_strand_touching_no_dark_hair_is_masked_inside_the_oval(
    analysed, monkeypatch, relative
) -> None:
    texture, landmarks, size = _crop(analysed, relative)
    painted = _strand(texture, landmarks, size, BLOND)
    strand = np.abs(painted.astype(int) - texture.astype(int)).sum(axis=2) > 60
    inside = visibility._inside_oval(landmarks, texture.shape[:2], size)
    forehead = visibility._upper_face(landmarks, texture.shape[:2], size, margin=0.04, temples=False) > 0
    on_forehead = strand & inside & forehead
    assert on_forehead.sum() > 50
    off, on = _masks(painted, landmarks, size, monkeypatch)
    # Without the light joins the strand is not masked (nothing dark touches it), with them most of it is.
    assert (off & on_forehead).sum() < 0.2 * on_forehead.sum()
    assert (on & on_forehead).sum() > 0.8 * on_forehead.sum()


@pytest.mark.parametrize(
    "relative", ["identity/deepface_p01/img1.jpg", "identity/biden/biden.jpg", "identity/obama/obama.jpg"]
)
def test_the_light_joins_take_nothing_on_a_clean_forehead(analysed, monkeypatch, relative) -> None:
    """deepface_p01's shiny forehead, biden's white hair and wrinkles, obama's grey hairline: the mask is
    the one without the light joins, to the pixel."""
    off, on = _masks(*_crop(analysed, relative), monkeypatch)
    assert np.array_equal(off, on)


def test_the_regions_the_light_joins_reach_are_filled_from_skin(analysed, monkeypatch) -> None:
    """deepface_p04's fringe (its right side, where the light joins reach): marked in the mask, and
    filled closer to her forehead skin's colour than the plain Telea fill, which spreads the hair's."""
    texture, landmarks, size = _crop(analysed, "identity/deepface_p04/img12.jpg")
    mask = visibility.occluded_skin(texture, landmarks, size)
    light = mask == visibility.LIGHT_REGION
    assert light.sum() > 100
    inside = visibility._inside_oval(landmarks, texture.shape[:2], size)
    region = light & inside
    forehead = (visibility._upper_face(landmarks, texture.shape[:2], size, temples=False) > 0) & inside
    skin = np.median(texture[forehead & (mask == 0)].astype(float), axis=0)

    def distance(filled: np.ndarray) -> float:
        return float(np.linalg.norm(filled[region].astype(float).mean(0) - skin))

    skin_fed = distance(visibility.fill_occluded(texture, mask, landmarks, size))
    monkeypatch.setattr(visibility, "LIGHT_JOIN_SKIN_FILL", False)
    plain = distance(visibility.fill_occluded(texture, (mask > 0).astype(np.uint8), landmarks, size))
    assert skin_fed < plain, (skin_fed, plain)
