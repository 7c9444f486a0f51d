import cv2
import numpy as np
import pytest

from faceswap_desktop.core.errors import BadInput
from faceswap_desktop.core.mesh.blend import blend_alpha, blend_into_frame, blend_multiband, blend_poisson
from faceswap_desktop.core.mesh.color import transfer_colour
from faceswap_desktop.core.mesh.masks import (
    boxed_morphology,
    dilate_ellipse,
    feather,
    grow_or_erode,
    polygon_mask,
)
from faceswap_desktop.core.mesh.warp import Roi

RNG = np.random.default_rng(1)


def _disc(size: int = 120, radius: int = 40) -> np.ndarray:
    mask = np.zeros((size, size), np.float32)
    cv2.circle(mask, (size // 2, size // 2), radius, 1.0, -1)
    return mask


def test_polygon_mask_fills_the_hull() -> None:
    square = np.array([[10, 10], [50, 10], [50, 30], [10, 30], [30, 20]], np.float32)
    mask = polygon_mask(square, Roi(0, 0, 60, 40))
    assert mask[20, 30] == 1.0 and mask[5, 5] == 0.0
    # Pixel centres 10..50 x 10..30 inclusive (41 x 21), plus anti-aliased edge coverage.
    assert abs(mask.sum() - 41 * 21) < 60


def test_grow_and_erode_change_area_monotonically() -> None:
    disc = _disc()
    assert grow_or_erode(disc, 5).sum() > disc.sum() > grow_or_erode(disc, -5).sum()
    assert np.array_equal(grow_or_erode(disc, 0.2), disc)


def test_feather_stays_inside_the_original_edge() -> None:
    disc = _disc()
    soft = feather(disc, 10)
    assert soft[disc == 0].max() < 0.02
    assert soft[60, 60] > 0.99
    assert 0.05 < soft[60, 60 + 33] < 0.95  # a soft ramp near the edge


def _face_like(mean: tuple[int, int, int], spread: int) -> np.ndarray:
    base = np.array(mean, np.float32)[None, None]
    noise = RNG.normal(0, spread, (120, 120, 3)).astype(np.float32)
    return np.clip(base + noise, 0, 255).astype(np.uint8)


@pytest.mark.parametrize("method", ["lab", "lab_mean", "histogram", "lowfreq"])
def test_colour_transfer_moves_the_source_toward_the_target(method: str) -> None:
    source, target, mask = _face_like((60, 90, 160), 12), _face_like((150, 160, 200), 6), _disc()
    out = transfer_colour(method, source, target, mask, face_size=80)
    inside = mask > 0.5
    before = np.abs(source[inside].mean(0) - target[inside].mean(0)).sum()
    after = np.abs(out[inside].astype(float).mean(0) - target[inside].mean(0)).sum()
    assert after < before * 0.2


def test_lab_mean_transfer_keeps_the_source_contrast() -> None:
    source, target, mask = _face_like((60, 90, 160), 14), _face_like((150, 160, 200), 4), _disc()
    inside = mask > 0.5

    def lab_std(image: np.ndarray) -> np.ndarray:
        return cv2.cvtColor(image, cv2.COLOR_BGR2LAB)[inside].astype(float).std(0)

    mean_only = transfer_colour("lab_mean", source, target, mask, face_size=80)
    mean_std = transfer_colour("lab", source, target, mask, face_size=80)
    # The mean/std transfer shrinks the source's spread toward the target's; the mean-only one keeps it.
    assert np.allclose(lab_std(mean_only), lab_std(source), rtol=0.1)
    assert (lab_std(mean_std) < lab_std(source) * 0.7).all()


def test_lab_transfer_never_exaggerates_the_sources_colours() -> None:
    """A target more varied in colour raises the lightness contrast but not the a*/b* spread: amplified
    chroma turned a source's brown irises blue (docs/likeness.md, strips row 1)."""
    source, target, mask = _face_like((60, 90, 160), 4), _face_like((150, 160, 200), 14), _disc()
    inside = mask > 0.5

    def lab_std(image: np.ndarray) -> np.ndarray:
        return cv2.cvtColor(image, cv2.COLOR_BGR2LAB)[inside].astype(float).std(0)

    out, before, wanted = (
        transfer_colour("lab", source, target, mask, face_size=80),
        lab_std(source),
        lab_std(target),
    )
    assert wanted[0] > before[0] * 1.5 and (wanted[1:] > before[1:] * 1.5).all(), "the target must vary more"
    assert lab_std(out)[0] > before[0] * 1.3
    assert (lab_std(out)[1:] < before[1:] * 1.1).all()


def test_colour_transfer_none_is_identity_and_unknown_is_an_error() -> None:
    source = _face_like((60, 90, 160), 12)
    assert transfer_colour("none", source, source, _disc(), 80) is source
    with pytest.raises(BadInput):
        transfer_colour("sepia", source, source, _disc(), 80)


def test_alpha_blend_endpoints() -> None:
    fg, bg = _face_like((200, 0, 0), 0), _face_like((0, 0, 200), 0)
    assert np.array_equal(blend_alpha(fg, bg, np.zeros((120, 120), np.float32)), bg)
    assert np.array_equal(blend_alpha(fg, bg, np.ones((120, 120), np.float32)), fg)


@pytest.mark.parametrize("mode", ["alpha", "poisson", "multiband"])
def test_blend_modes_leave_pixels_outside_the_mask_alone(mode: str) -> None:
    fg, bg = _face_like((40, 200, 40), 5), _face_like((120, 120, 120), 5)
    fg[::8] = 255  # stripes: structure that every mode (Poisson included, which keeps gradients) carries over
    mask = feather(_disc(), 6)
    out = blend_into_frame(mode, fg, bg, mask, 1.0)
    outside = cv2.dilate((mask > 0).astype(np.uint8), np.ones((5, 5), np.uint8)) == 0
    assert np.array_equal(out[outside], bg[outside])
    centre = (slice(50, 70), slice(50, 70))
    assert np.abs(out[centre].astype(int) - bg[centre]).mean() > 20


def test_strength_zero_changes_nothing() -> None:
    fg, bg = _face_like((40, 200, 40), 5), _face_like((120, 120, 120), 5)
    for mode in ("alpha", "poisson", "multiband"):
        assert np.array_equal(blend_into_frame(mode, fg, bg, _disc(), 0.0), bg)


def test_poisson_and_multiband_run_on_tiny_regions() -> None:
    fg, bg = _face_like((40, 200, 40), 5)[:12, :12], _face_like((120, 120, 120), 5)[:12, :12]
    mask = np.zeros((12, 12), np.float32)
    assert np.array_equal(blend_poisson(fg, bg, mask), bg)
    assert blend_multiband(fg, bg, mask).shape == bg.shape


@pytest.mark.parametrize("method", ["lab", "lab_mean"])
@pytest.mark.parametrize(
    "region",
    [
        (slice(15, 110), slice(12, 104)),  # holds the whole disc: statistics from the box's LAB
        (slice(40, 120), slice(0, 60)),  # cuts through it: statistics converted separately
        (slice(0, 120), slice(0, 120)),
    ],
)
def test_lab_transfer_on_a_region_is_the_whole_transfer_there(
    method: str, region: tuple[slice, slice]
) -> None:
    source, target, mask = _face_like((60, 90, 160), 12), _face_like((150, 160, 200), 6), _disc()
    whole = transfer_colour(method, source, target, mask, face_size=80)
    cut = transfer_colour(method, source, target, mask, face_size=80, region=region)
    assert not np.array_equal(whole[region], source[region])
    assert np.array_equal(cut[region], whole[region])
    outside = np.ones(mask.shape, dtype=bool)
    outside[region] = False
    assert np.array_equal(cut[outside], source[outside])


@pytest.mark.parametrize("operation", [cv2.MORPH_DILATE, cv2.MORPH_ERODE])
@pytest.mark.parametrize(
    "box", [(20, 30, 50, 60), (0, 0, 40, 45), (10, 5, 70, 80), (50, 60, 70, 80), (0, 0, 0, 0)]
)
def test_boxed_morphology_is_the_whole_mask_operation(operation: int, box: tuple[int, int, int, int]) -> None:
    """Masks well inside the frame, touching its edges (the default border kept there) and empty."""
    rng = np.random.default_rng(6)
    mask = np.zeros((70, 80), np.uint8)
    y0, x0, y1, x1 = box
    mask[y0:y1, x0:x1] = rng.integers(0, 256, (y1 - y0, x1 - x0), dtype=np.uint8)
    mask[y0 : y0 + 3, x0 : x0 + 3] = 0
    for size in (3, 9, 15):
        element = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (size, size))
        expected = cv2.dilate(mask, element) if operation == cv2.MORPH_DILATE else cv2.erode(mask, element)
        assert np.array_equal(boxed_morphology(operation, mask, element), expected)


@pytest.mark.parametrize("size", [3, 9, 21, 23, 29, 41, 57])
def test_dilate_ellipse_is_opencvs_ellipse_dilation(size: int) -> None:
    """Grey values, a filled shape and points at every edge and corner of the image."""
    rng = np.random.default_rng(size)
    mask = ((rng.random((90, 70)) < 0.01) * rng.integers(0, 256, (90, 70))).astype(np.uint8)
    cv2.ellipse(mask, (35, 45), (20, 30), 15, 0, 360, 200, -1, cv2.LINE_AA)
    mask[0, 0] = mask[-1, -1] = mask[0, -1] = mask[-1, 0] = mask[0, 33] = mask[44, -1] = 255
    element = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (size, size))
    assert np.array_equal(dilate_ellipse(mask, size), cv2.dilate(mask, element))
