"""The source's visibility mask: which of its upper-face pixels are not visible skin, and their fill.

A strand of hair across the source's forehead, a fringe, the shadow of one, or the hairline reaching into
the mesh at a temple is part of the source's texture; warped onto a target it became a grey-brown blot at
the top of every target's forehead (issue #19). Before the texture is used, the upper face (the forehead
above the brows up to :data:`BAND_REACH` past the oval, away from the brows and eyes) is tested against
the face's own skin. Seeds: pixels much darker or lighter than the local skin tone that also fail the
skin test (colour and smoothness, see :func:`~.skin_extension.skin_likelihood`), and pixels yellower and
less red than the skin (blond hair, which passes the skin test at a small face). The mask grows from them
over the connected pixels 10+ levels off the skin tone that are not clearly skin (the strand's soft edge
and shadow). The masked pixels, closed over the gaps between strands, are filled from the forehead's
visible skin around them (a push-pull pyramid: colour and shading carried in from every side), inside
the oval and above it, once per source; the skin extension's band then carries skin, not hair.

By default only the dark seeds are used, the mask grows without the skin guard and is filled by Telea
inpainting inside the oval only (the skin extension's own skin test stops its band above it): the
switches below select the rest, measured but not yet the default. What the defaults add (branch
fringe7): a seeded region also grows over the connected pixels that are clearly not skin whatever their
lightness (:data:`LIGHT_JOIN_LIKELIHOOD`), and light non-skin pixels seed it (:data:`LIGHT_JOIN_SEEDS`),
on the forehead inside the oval only, so the light strands of a fringe beside its shaded edge are filled
with it (deepface_p04's blond strand); those regions are filled from the skin around them only
(:data:`LIGHT_JOIN_SKIN_FILL`). No other source's mask or fill changes on the shared set.

A forehead line is ~10 levels darker than the skin, a dark strand 40-100; blond hair on a light forehead
is 10-45 levels darker or lighter, with LAB a* 5-8 under the skin's (deepface_p04).
"""

from __future__ import annotations

import cv2
import numpy as np
from numpy.typing import NDArray

from ..types import FloatArray, Image
from . import face_mesh_connections as mesh_connections
from .masks import polygon_mask_u8, ring_mask_u8
from .mirror_fill import mirrored_detail
from .skin_extension import oval_ring, skin_likelihood, skin_reference
from .warp import Roi

SEED_DARKNESS = 25.0
"""LAB lightness levels (0-255) under the local skin tone at which a non-skin pixel seeds the mask."""

GROW_DARKNESS = 10.0
"""Darkness from which the pixels connected to a seed join the mask (the strand's soft edge, its shadow)."""

# The switches below select the mask and fill (issue #19, branch realism3; every variant's numbers in
# docs/likeness.md "Source visibility, light occluders"). The defaults are the mask of before (dark seeds
# only, no growth guard, Telea inside the oval, temples to 0.05 below the eyes). "The realism3 mask"
# (LIGHT_SEEDS, HUE_SEEDS, GROW_LIKELIHOOD 0.3, FILL "pushpull", TEMPLES_BELOW_EYES -0.08) takes most of
# deepface_p04's blond fringe off every target and lowers validation half B's flagged pairs 0.43 -> 0.35
# (ratio 0.673 -> 0.674, pose 0.96 -> 0.98) but raises its mean seam 1.12 -> 1.15 (three pairs), brings
# deepface_p05's red forehead back (a* +2.7 over the target's, test_mesh_engine) and drops two of the
# hamilton clip's judged frames under the gain test (test_person_map): not the default yet.
# Branch realism4 added the mirrored fill (FILL "mirror") and the rim (RIM_WIDTH): the realism3 mask with
# the mirrored fill is the best variant measured on both halves, but not the default either (numbers and
# the causes of the seam, red-forehead and hamilton costs in docs/likeness.md "Mirrored fill").

LIGHT_SEEDS = False
"""Also seed the mask with non-skin pixels *lighter* than the local skin tone by :data:`SEED_DARKNESS`
(white or grey hair: biden's)."""

FILL = "telea"
"""How the masked pixels are filled: "pushpull" (the visible skin's colour spread into them from every
side, coarse to fine: :func:`_push_pull`, also above the oval with :data:`FILL_BAND`, so the skin
extension's band no longer carries the source's hair or fringe to the target's hairline), "mirror" (the
same, plus the fine grain of the pixel's mirror image across the face where that is clean skin:
:mod:`.mirror_fill`; no flat cap where one side of the forehead is clean) or "telea" (OpenCV's
inpainting, inside the oval only: blotchy over large areas, deepface_p06's temples)."""

FILL_BAND = True
"""With "pushpull" or "mirror": fill the masked pixels above the oval too (the skin extension's band)."""

HUE_SEEDS = False
"""Also seed the mask with pixels yellower and less red than the local skin (:data:`HUE_YELLOW`,
:data:`HUE_LESS_RED`): blond hair has skin's lightness and, at a small face, its smoothness, but not its
redness (deepface_p04's fringe: LAB a* 137-139 against the skin's 145 +- 2.4, b* the same)."""

HUE_YELLOW = 6.0
"""LAB (b* - a*) over the local skin's at which a pixel counts as yellower than skin."""

HUE_LESS_RED = 4.0
"""LAB a* under the local skin's at which a pixel counts as less red than skin."""

GROW_LIKELIHOOD: float | None = None
"""Skin likelihood under which a pixel connected to a seed joins the mask (None: any 10+ levels off the
skin tone joins, which on a lit forehead took most of alex_lacamoire's and deepface_p01's foreheads; 0.3
keeps it to the hair: docs/likeness/visibility_masks.jpg)."""

FILL_CLOSE = 0.04
"""With "pushpull": gaps in the mask narrower than about twice this (face sizes) are filled too."""

FILL_SOFT = 0.005
"""With "pushpull": the fill's soft edge over the skin around it (a Gaussian, face sizes)."""

FILL_GROW = 0.015
"""With "pushpull": the mask grows by this much (face sizes) before the fill."""

RIM_WIDTH = 0.0
"""How far (face sizes) around the grown mask its edge is looked for (0: not at all); see
:data:`RIM_LEVELS`. The shaded skin along a fringe's edge passes the growth guard and stayed as a thin
line along the fill's edge (deepface_p04's diagonal line): 0.02 thins it, 0.05 removes it but also took
the shaded sides of alex_lacamoire's forehead (identity ratio -0.015 on both halves)."""

RIM_LEVELS = 10.0
"""Lightness levels under the local skin tone at which a pixel of the mask's rim joins the mask."""

RIM_LIKELIHOOD = 1.0
"""Skin likelihood under which a pixel of the rim may join (1: any; lower keeps the shaded sides of a
forehead, which are clearly skin)."""

LIGHT_JOIN_LIKELIHOOD = 0.15
"""Skin likelihood under which a pixel connected to a seeded region joins the mask *whatever its
lightness*, on the forehead inside the oval only (:data:`LIGHT_JOIN_INSET`; 0: off, only pixels darker
than the skin tone join). A fringe's shaded edge is seeded as dark, the lighter strands beside it were
not (deepface_p04's blond strand crossing every target's forehead inside the oval). Unlike the light and
hue *seeds* it starts nothing by itself: a lit forehead or a highlight with no dark hair next to it never
joins, and on the shared set only deepface_p04's mask changes (docs/likeness.md "Light strands")."""

LIGHT_JOIN_SEEDS = True
"""With the light joins: also start them from non-skin pixels (skin likelihood under
:data:`SEED_LIKELIHOOD`) :data:`SEED_DARKNESS` *lighter* than the skin tone, kept to the same region:
a blond strand that touches no dark hair (a strand painted on each of the ten shared sources is masked
on all ten with it, on four without). On the ten clean sources it starts nothing: no lit forehead or
highlight inside the oval is that light and that unlike skin."""

LIGHT_JOIN_SKIN_FILL = True
"""With "telea": the regions the light joins reached are filled from the skin around them only (the
non-skin pixels within the fill's reach are filled as well, then dropped), not from the mask's edge:
there the edge is the fringe's shaded side and the hair beside the oval, which the fill spread as a
brownish smudge across deepface_p04's targets. Fed from skin for every source's mask instead, the fill
cost half A 0.011 of ratio (docs/likeness.md "Light strands")."""

LIGHT_REGION = 2
"""The value :func:`occluded_skin` gives the regions the light joins reached (1 elsewhere in the mask)."""

LIGHT_JOIN_INSET = 0.02
"""Face sizes inside the oval's edge that the light joins keep to (before the mask's final growth by
0.01): the pixels at the oval's edge are the skin extension's first band samples, and a fill there lets
its rays run on into the source's hair (obama -> deepface_p06's seam 1.22 -> 1.65 without it)."""

SEED_LIKELIHOOD = 0.1
"""Skin likelihood under which a dark pixel seeds the mask (a dark but skin-like pixel is shading)."""

_AVOID = (
    mesh_connections.FACEMESH_LEFT_EYEBROW,
    mesh_connections.FACEMESH_RIGHT_EYEBROW,
    mesh_connections.FACEMESH_LEFT_EYE,
    mesh_connections.FACEMESH_RIGHT_EYE,
)


TEMPLES_BELOW_EYES = 0.05
"""How far below the eyes' line (face sizes) the temples beside the eyes belong to the zone (negative:
only above it). At 0.05 the outer eye corners were masked on six of the ten sources (crow's feet, eye-liner:
deepface_p02's flick was cut square) and the push-pull fill there cost tuning half A 0.014 of ratio."""

BAND_REACH = 0.3
"""How far above the oval (face sizes) the mask looks: past the skin extension's band (20 % by default),
which carries the source's forehead up to its hairline."""


def _inside_oval(landmarks: FloatArray, shape: tuple[int, int], face_size: float) -> NDArray[np.bool_]:
    """The face oval grown by 2 % of the face: where the texture is shown whatever the skin tests say."""
    return ring_mask_u8(landmarks[oval_ring()], Roi(0, 0, shape[1], shape[0]), face_size * 0.02) > 127


def _upper_face(
    landmarks: FloatArray,
    shape: tuple[int, int],
    face_size: float,
    margin: float = 0.04,
    temples: bool = True,
) -> NDArray[np.uint8]:
    """The forehead above the brows (up to :data:`BAND_REACH` past the oval's top) and (``temples``) the
    temples beside the eyes, ``margin`` (face sizes) off the brows and eyes (the skin between and around
    them is shaded by the face's own shape, not occluded)."""
    roi = Roi(0, 0, shape[1], shape[0])
    oval = landmarks[oval_ring(), :2]
    raised = oval + (landmarks[10, :2] - landmarks[152, :2]) / max(
        float(np.linalg.norm(landmarks[10, :2] - landmarks[152, :2])), 1e-6
    ) * (BAND_REACH * face_size)
    zone = _inside_oval(landmarks, shape, face_size) | (
        polygon_mask_u8(np.concatenate([oval, raised]), roi) > 127
    )
    eyes = (landmarks[33, :2] + landmarks[263, :2]) / 2
    chin = landmarks[152, :2]
    down = (chin - eyes) / (float(np.linalg.norm(chin - eyes)) + 1e-6)
    across = np.array([-down[1], down[0]], dtype=np.float32)
    xs, ys = np.arange(shape[1], dtype=np.float32), np.arange(shape[0], dtype=np.float32)
    along = ((xs - eyes[0]) * down[0])[None, :] + ((ys - eyes[1]) * down[1])[:, None]
    side = np.abs(((xs - eyes[0]) * across[0])[None, :] + ((ys - eyes[1]) * across[1])[:, None])
    brows = min(float((landmarks[index, :2] - eyes) @ down) for index in (105, 334, 66, 296))
    corners = max(abs(float((landmarks[index, :2] - eyes) @ across)) for index in (33, 263))
    forehead = along < brows - (margin - 0.01) * face_size
    beside = (side > corners + 0.02 * face_size) & (along < TEMPLES_BELOW_EYES * face_size)
    zone &= (forehead | beside) if temples else forehead
    features = np.zeros(shape, dtype=np.uint8)
    for region in _AVOID:
        indices = sorted({i for edge in region for i in edge})
        hull = cv2.convexHull(np.round(landmarks[indices, :2]).astype(np.int32))
        cv2.fillConvexPoly(features, hull, 1)
    grow = max(int(round(face_size * margin)), 1) * 2 + 1
    features = cv2.dilate(features, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (grow, grow)))
    return (zone & (features == 0)).astype(np.uint8)


def _hair_hue(texture: Image, reference: FloatArray, face_size: float) -> NDArray[np.bool_]:
    """Pixels yellower (b* - a*) and less red (a*) than the local skin colour (a wide masked mean of the
    ``reference`` skin, which falls back to its overall mean far from it): see :data:`HUE_SEEDS`."""
    lab = cv2.cvtColor(
        cv2.GaussianBlur(texture, (0, 0), max(face_size * 0.004, 0.7)), cv2.COLOR_BGR2LAB
    ).astype(np.float32)
    skin = (reference > 0.5).astype(np.float32)
    if skin.sum() < 32:
        return np.zeros(texture.shape[:2], dtype=bool)
    overall = lab[skin > 0].mean(0)
    # The local skin colour is a very smooth field: computed on a coarse sampling (~32 cells across the
    # face, as skin_likelihood's) and resized back, so the wide blur costs the same at any face size.
    stride = max(1, int(face_size / 32))
    small_lab, small_skin = lab[::stride, ::stride], skin[::stride, ::stride]
    sigma = max(face_size * 0.15 / stride, 1.0)
    weight = cv2.GaussianBlur(small_skin, (0, 0), sigma) + 1e-4
    floor = 0.05 * float(weight.max())
    small_local = (cv2.GaussianBlur(small_lab * small_skin[..., None], (0, 0), sigma) + floor * overall) / (
        weight[..., None] + floor
    )
    local = cv2.resize(small_local, (lab.shape[1], lab.shape[0]), interpolation=cv2.INTER_LINEAR)
    yellow = (lab[..., 2] - lab[..., 1]) - (local[..., 2] - local[..., 1])
    less_red = local[..., 1] - lab[..., 1]
    hue: NDArray[np.bool_] = (yellow > HUE_YELLOW) & (less_red > HUE_LESS_RED)
    return hue


def occluded_skin(texture: Image, landmarks: FloatArray, face_size: float) -> NDArray[np.uint8]:
    """A mask of the upper face's pixels that are not visible skin (see the module docstring): 1, or
    :data:`LIGHT_REGION` on the connected regions the light joins reached (:data:`LIGHT_JOIN_SKIN_FILL`);
    0 elsewhere."""
    shape = texture.shape[:2]
    zone = _upper_face(landmarks, (shape[0], shape[1]), face_size)
    if int(zone.sum()) < 64:
        return np.zeros(shape, dtype=np.uint8)
    roi = Roi(0, 0, shape[1], shape[0])
    reference = skin_reference(landmarks, roi, face_size)
    likelihood = skin_likelihood(texture, reference, face_size)
    lightness = cv2.cvtColor(texture, cv2.COLOR_BGR2LAB)[..., 0].astype(np.float32)
    # The local skin tone: a wide masked mean over the likely-skin pixels of the zone, so the occluder
    # itself hardly pulls it down.
    skin = (zone * (likelihood > 0.3)).astype(np.float32)
    sigma = max(face_size * 0.08, 1.0)
    weight = cv2.GaussianBlur(skin, (0, 0), sigma) + 1e-4
    local = cv2.GaussianBlur(lightness * skin, (0, 0), sigma) / weight
    darkness = local - lightness
    if LIGHT_SEEDS:
        # Lighter occluders (blond hair) as well: the offset from the skin tone either way.
        darkness = np.abs(darkness)
    seeds = ((darkness > SEED_DARKNESS) & (likelihood < SEED_LIKELIHOOD) & (zone > 0)).astype(np.uint8)
    if HUE_SEEDS:
        seeds |= (_hair_hue(texture, reference, face_size) & (zone > 0)).astype(np.uint8)
    seeds = cv2.morphologyEx(seeds, cv2.MORPH_OPEN, np.ones((2, 2), np.uint8))
    if not seeds.any() and not LIGHT_JOIN_SEEDS:
        return seeds
    # A seeded region may grow closer to the brows than a seed may lie (a strand ending on a brow).
    near = _upper_face(landmarks, (shape[0], shape[1]), face_size, margin=0.012)
    joins = (darkness > GROW_DARKNESS) & (near > 0)
    if GROW_LIKELIHOOD is not None:
        joins &= likelihood < GROW_LIKELIHOOD
    mask = _seeded(seeds, joins)
    light = np.zeros_like(mask)
    if LIGHT_JOIN_LIKELIHOOD > 0:
        light_seeds = seeds
        if LIGHT_JOIN_SEEDS:
            # Light and unlike skin (a blond strand), opened as the dark seeds are: no single specks.
            lighter = ((-darkness > SEED_DARKNESS) & (likelihood < SEED_LIKELIHOOD) & (zone > 0)).astype(
                np.uint8
            )
            light_seeds = seeds | cv2.morphologyEx(lighter, cv2.MORPH_OPEN, np.ones((2, 2), np.uint8))
        light = _light_joins(mask, light_seeds, joins, likelihood, near, landmarks, face_size)
        mask |= light
    if RIM_WIDTH > 0:
        # The occluder's edge: where hair meets skin the skin is shaded by it over a few pixels, skin-like
        # enough to pass the growth guard; left out, it stays as a line along the fill's edge (the
        # diagonal line of deepface_p04's fringe). Within a narrow rim of the mask, pixels darker than
        # the skin tone by RIM_LEVELS join it (lighter ones too took lit foreheads: obama's).
        rim_size = max(int(round(face_size * RIM_WIDTH)), 1) * 2 + 1
        rim = cv2.dilate(mask, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (rim_size, rim_size)))
        off_tone = ((local - lightness) > RIM_LEVELS) & (likelihood < RIM_LIKELIHOOD)
        mask |= ((rim > 0) & off_tone & (near > 0)).astype(np.uint8)
    size = max(int(round(face_size * 0.01)), 1) * 2 + 1
    grown: NDArray[np.uint8] = cv2.dilate(mask, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (size, size)))
    if LIGHT_JOIN_SKIN_FILL and LIGHT_JOIN_LIKELIHOOD > 0 and light.any():
        # The regions the light joins reached are marked LIGHT_REGION for the fill (fill_occluded).
        reached = _seeded(light, grown > 0)
        grown = np.where(reached > 0, np.uint8(LIGHT_REGION), grown).astype(np.uint8)
    return grown


def _seeded(seeds: NDArray[np.uint8], joins: NDArray[np.bool_]) -> NDArray[np.uint8]:
    """The connected regions of ``joins`` (and the seeds) that hold a seed, as {0, 1}."""
    count, labels = cv2.connectedComponents(joins.astype(np.uint8) | seeds, connectivity=8)
    seeded = np.zeros(count, dtype=bool)
    seeded[np.unique(labels[seeds > 0])] = True
    seeded[0] = False
    mask: NDArray[np.uint8] = seeded[labels].astype(np.uint8)
    return mask


def _light_joins(
    mask: NDArray[np.uint8],
    seeds: NDArray[np.uint8],
    joins: NDArray[np.bool_],
    likelihood: FloatArray,
    near: NDArray[np.uint8],
    landmarks: FloatArray,
    face_size: float,
) -> NDArray[np.uint8]:
    """The pixels that join a seeded region when any pixel of skin likelihood under
    :data:`LIGHT_JOIN_LIKELIHOOD` may join, whatever its lightness, kept to the forehead inside the oval
    (:data:`LIGHT_JOIN_INSET` in from its edge): see :data:`LIGHT_JOIN_LIKELIHOOD`."""
    shape = (mask.shape[0], mask.shape[1])
    light = _seeded(seeds, joins | ((likelihood < LIGHT_JOIN_LIKELIHOOD) & (near > 0)))
    forehead = _upper_face(landmarks, shape, face_size, margin=0.012, temples=False)
    inset = max(int(round(face_size * LIGHT_JOIN_INSET)), 1) * 2 + 1
    oval = polygon_mask_u8(landmarks[oval_ring(), :2], Roi(0, 0, shape[1], shape[0]))
    oval = cv2.erode(oval, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (inset, inset)))
    added: NDArray[np.uint8] = light & (1 - mask) & forehead & (oval > 127).astype(np.uint8)
    return added


def _skin_fed_fill(
    filled: Image,
    texture: Image,
    light: NDArray[np.uint8],
    landmarks: FloatArray,
    face_size: float,
    radius: float,
) -> Image:
    """``filled`` with the ``light`` pixels filled again by Telea from ``texture``'s skin only: the
    non-skin pixels within the fill's ``radius`` of them are inpainted too, then dropped."""
    shape = (texture.shape[0], texture.shape[1])
    skin = skin_likelihood(
        texture, skin_reference(landmarks, Roi(0, 0, shape[1], shape[0]), face_size), face_size
    )
    reach = int(round(radius)) * 2 + 1
    around = cv2.dilate(light, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (reach, reach)))
    hidden = light | ((around > 0) & (skin < 0.3)).astype(np.uint8)
    inpainted = cv2.inpaint(texture, hidden * 255, radius, cv2.INPAINT_TELEA)
    out: Image = np.where(light[..., None] > 0, inpainted, filled)
    return out


def _push_pull(image: FloatArray, valid: FloatArray) -> FloatArray:
    """``image`` (float, H x W x C) with every pixel filled from the ``valid`` ones (weights in [0, 1]):
    a pyramid of weighted means, each level's holes filled from the coarser level's estimate (push-pull),
    so a hole takes the colour and shading of the skin on all its sides without streaks."""
    levels: list[tuple[FloatArray, FloatArray]] = []
    colour, weight = image * valid[..., None], valid
    while min(weight.shape[:2]) > 8:
        levels.append((colour, weight))
        colour, weight = cv2.pyrDown(colour), cv2.pyrDown(weight)
    total = float(weight.sum())
    mean = colour.reshape(-1, colour.shape[-1]).sum(0) / max(total, 1e-6)
    estimate: FloatArray = np.where(
        weight[..., None] > 1e-4, colour / np.maximum(weight, 1e-4)[..., None], mean
    ).astype(np.float32)
    for colour, weight in reversed(levels):
        coarse = cv2.pyrUp(estimate, dstsize=(weight.shape[1], weight.shape[0]))
        alpha = np.clip(weight * 2.0, 0.0, 1.0)[..., None]
        own = colour / np.maximum(weight, 1e-4)[..., None]
        estimate = (alpha * own + (1.0 - alpha) * coarse).astype(np.float32)
    return estimate


def fill_occluded(texture: Image, mask: NDArray[np.uint8], landmarks: FloatArray, face_size: float) -> Image:
    """``texture`` with ``mask``'s pixels filled from the visible skin around them (a copy; ``texture`` as
    is when there are none). See :data:`FILL` and :data:`FILL_BAND`."""
    shape = (texture.shape[0], texture.shape[1])
    inside = _inside_oval(landmarks, shape, face_size).astype(np.uint8)
    light = (mask == LIGHT_REGION).astype(np.uint8)
    mask = (mask > 0).astype(np.uint8)
    if FILL == "telea" or not FILL_BAND:
        mask = mask & inside
    if not mask.any():
        return texture
    if FILL == "telea":
        radius = max(face_size * 0.02, 3.0)
        filled: Image = cv2.inpaint(texture, mask * 255, radius, cv2.INPAINT_TELEA)
        light &= mask
        if light.any():
            filled = _skin_fed_fill(filled, texture, light, landmarks, face_size, radius)
        return filled
    # Only a box around the mask (and the skin beside it) is filled: a fraction of the texture.
    x, y, w, h = cv2.boundingRect(mask)
    pad = int(round(face_size * 0.3))
    box = (
        slice(max(y - pad, 0), min(y + h + pad, shape[0])),
        slice(max(x - pad, 0), min(x + w + pad, shape[1])),
    )
    crop = texture[box]
    roi = Roi(0, 0, shape[1], shape[0])
    skin = skin_likelihood(texture, skin_reference(landmarks, roi, face_size), face_size)[box]
    # Closed over the gaps between strands (a hair-coloured speck left inside the fill shows as a dark
    # dot) and grown over the occluder's soft edge, which would otherwise stay as a line around the fill.
    close = max(int(round(face_size * FILL_CLOSE)), 1) * 2 + 1
    grow = max(int(round(face_size * FILL_GROW)), 1) * 2 + 1
    occluded_u8 = cv2.morphologyEx(
        mask[box], cv2.MORPH_CLOSE, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (close, close))
    )
    occluded_u8 = cv2.dilate(occluded_u8, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (grow, grow)))
    occluded = occluded_u8.astype(np.float32)
    # The face's own visible skin only (not the background past the temples, nor the brows and eyes).
    face = (inside | _upper_face(landmarks, shape, face_size))[box]
    valid = ((skin > 0.3) & (occluded == 0) & (face > 0)).astype(np.float32)
    estimate = _push_pull(crop.astype(np.float32), valid)
    if FILL == "mirror":
        # Where the mirror image is clean skin its grain is added to the smooth fill (mirror_fill).
        clean = np.zeros(shape, dtype=bool)
        clean[box] = valid > 0
        estimate = estimate + mirrored_detail(texture, clean, box, landmarks, face_size)[0]
    # A soft edge (:data:`FILL_SOFT`) so the smooth fill meets the textured skin without a line.
    soft = np.maximum(cv2.GaussianBlur(occluded, (0, 0), max(face_size * FILL_SOFT, 0.7)), occluded)[
        ..., None
    ]
    out = texture.copy()
    out[box] = np.clip(crop * (1.0 - soft) + estimate * soft + 0.5, 0, 255).astype(np.uint8)
    return out
