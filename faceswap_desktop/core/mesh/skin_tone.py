"""The target's skin tone and lighting on the swapped face's skin, measured on the skin itself (issue #19).

The colour transfer and the tone step's broad means compared the whole blend mask: brows, eyes, lips, a
beard and the hair the skin extension reaches are part of it. A source with white brows (biden) then got
a skin darker than the target's, a source with a dark beard (alex_lacamoire) a lighter one: of the 40
tone flags on the validation pairs, 15 were such whole-face offsets of the skin's lightness, 19 a local
lightness step on one zone (12 of them the source's own lit or shadowed cheek), 5 a hue difference and
1 a zone partly on the target's hair (docs/likeness.md, "Tone on the skin"). The lighting model of
:mod:`.lighting` removed its own level ("the colour transfer already matched the mean").

Two parts, both used by ``tone.match_tone_near_edge``:

- :func:`skin_weights`: which tone samples are skin in both images (off the features' hulls from the
  mesh, off the luma outliers: a beard, hair, teeth), so the broad means compare skin with skin;
- :func:`skin_tone_delta`: on the skin vertices of the mesh (the 468 minus brows, eyes and lips), each
  colour channel of the blurred swapped face and of the target fitted robustly as ``a + b . n``
  (:func:`~.lighting.fit_shading`), the target's with the target's normals, the face's with the source's.
  The difference of the two fitted fields per vertex is the correction: its level (the skin's colour
  under the target's light) in full, its direction part (the target's light direction in place of the
  source's) times the caller's weight (faded on turned heads). The face's albedo, features and detail
  stay. Numpy/OpenCV only;
- :func:`beard_drop`: the lower face, when it is darker than the upper face's skin (a beard), leaves both.
"""

from __future__ import annotations

import cv2
import numpy as np
from numpy.typing import NDArray

from ..types import FloatArray
from .color import LUMA_BGR
from .lighting import (
    fit_skin_shadings,
    lighting_basis,
    skin_vertices,
    spread_vertex_values,
)
from .mesh_topology import feature_indices
from .slow_stats import SkinSpreads, SlowStats, StatsTicket


def in_frame_share(landmarks: FloatArray, width: int, height: int) -> float:
    """The share of the mesh's skin vertices (:func:`~.lighting.skin_vertices`) inside a frame of
    ``width`` x ``height`` pixels."""
    points = landmarks[skin_vertices(), :2]
    inside = (points[:, 0] >= 0) & (points[:, 0] < width) & (points[:, 1] >= 0) & (points[:, 1] < height)
    return float(inside.mean())


def skin_tone_delta(
    face: FloatArray,
    target: FloatArray,
    mask: FloatArray,
    points: FloatArray,
    face_normals: FloatArray,
    target_normals: FloatArray,
    direction_weight: float = 1.0,
    exclude: FloatArray | None = None,
    remembered: SlowStats | None = None,
    ticket: StatsTicket | None = None,
) -> FloatArray | None:
    """A smooth (height, width, 3) correction, in levels of ``face``'s channels, that gives the swapped
    face's skin the target's skin colour and lighting, or None when too little skin is shown.

    ``face``, ``target``, ``mask``: the swapped face (colour-transferred), the (liquified) target and the
    face's mask on one coarse sampling; ``points``: the swapped mesh's vertices in that sampling's
    coordinates; ``face_normals`` / ``target_normals``: :func:`~.lighting.vertex_normals` of the source's
    and of the target's mesh; ``direction_weight``: the share of the light-direction part applied (the
    level part is always applied in full); ``exclude``: samples whose vertices leave the fits (a beard:
    :func:`beard_drop`). ``remembered``: a video's fits of an earlier frame, used instead of fitting
    (the correction is still evaluated at this frame's normals and points); ``ticket``: a measuring
    frame's, through which the fresh fits pass (see :mod:`.slow_stats`).
    """
    if remembered is not None and remembered.shading_known:
        fits = remembered.shading
    else:
        fits = fit_skin_shadings(face, target, mask, points, face_normals, target_normals, exclude)
        if ticket is not None:
            fits = ticket.settle_shading(fits)
    if fits is None:
        return None
    face_fit, target_fit, usable = fits
    wanted = lighting_basis(target_normals[:468]) @ target_fit
    present = lighting_basis(face_normals[:468]) @ face_fit
    delta = (wanted - present).reshape(468, -1)
    level = np.median(delta[skin_vertices()][usable], axis=0)
    delta = level + (delta - level) * float(np.clip(direction_weight, 0.0, 1.0))
    return spread_vertex_values(delta.astype(np.float32), points, (face.shape[0], face.shape[1]))


SKIN_OUTLIER = 2.5
"""Samples whose luma is more than this many robust deviations from the face's (or the target's) skin
median leave the skin weights: a beard, stubble, hair over the forehead, teeth, glasses."""


SKIN_DARK_OUTLIER = 2.5
"""The same on the dark side (a beard, stubble, hair are darker than the skin). Stricter values were
measured and not kept (docs/likeness.md, realism5): at 2.0 / 1.5 they leave deepface_p05's grey beard
mostly in and take obama's shaded cheek out (his pairs' tone checks rise by up to 1.1)."""


def skin_weights(
    face: FloatArray, target: FloatArray, inside: FloatArray, points: FloatArray, grow: float
) -> FloatArray:
    """:func:`skin_weights_spreads`' weights."""
    return skin_weights_spreads(face, target, inside, points, grow)[0]


def skin_weights_spreads(
    face: FloatArray,
    target: FloatArray,
    inside: FloatArray,
    points: FloatArray,
    grow: float,
    spreads: SkinSpreads | None = None,
) -> tuple[FloatArray, SkinSpreads | None]:
    """Per tone sample, 1 where both the swapped face and the target show skin: ``inside`` (the mask's
    inside, 0/1) less the brows, eyes and lips (their hulls from the mesh ``points``, grown by ``grow``
    samples) and less the samples whose luma is an outlier of either image's skin (:data:`SKIN_OUTLIER`).

    The tone step's broad means over these weights compare skin with skin: over the whole mask, a
    source's white brows or dark beard moved its skin's level the other way (biden's results came out
    5-7 lightness levels darker than every target's skin, alex_lacamoire's 4-8 lighter).

    Also returns each image's skin luma median and deviation (None when too few samples are skin: the
    weights are ``inside`` then). ``spreads``: a video's of an earlier frame (they follow the light, see
    :mod:`.slow_stats`), used instead of measuring them; the outlier test is still this frame's."""
    height, width = inside.shape
    features = np.zeros((height, width), dtype=np.uint8)
    for region in feature_indices():
        hull = cv2.convexHull(np.round(points[region[region < len(points)], :2]).astype(np.int32))
        cv2.fillConvexPoly(features, hull, 1)
    size = max(int(round(grow)), 0) * 2 + 1
    if size > 1:
        features = cv2.dilate(features, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (size, size)))
    weights = inside * (1.0 - features.astype(np.float32))
    chosen = weights > 0.5
    if chosen.sum() < 16:
        return inside, None
    measured = []
    for k, image in enumerate((face, target)):
        luma = _luma(image)
        median, deviation = _skin_spread(luma[chosen]) if spreads is None else spreads[k]
        measured.append((median, deviation))
        offset = luma - median
        weights = weights * ((offset < SKIN_OUTLIER * deviation) & (-offset < SKIN_DARK_OUTLIER * deviation))
    result: FloatArray = weights.astype(np.float32)
    return (result if float(result.sum()) >= 16 else inside), (measured[0], measured[1])


def beard_drop(
    face: FloatArray, target: FloatArray, weights: FloatArray, points: FloatArray, gap: float
) -> FloatArray | None:
    """Per tone sample, 1 on the lower face (below the nose's base, along the face's own up axis) when in
    either image that part's skin is darker than the upper face's by more than ``gap`` robust deviations
    of the upper face's luma (a beard, stubble); None when neither is.

    A grey or light beard is not a luma outlier of the skin (deepface_p05's: realism5 in
    docs/likeness.md), yet it pulls the skin's level down: the faces swapped onto a bearded target came
    out darker than its cheeks (by 9-17 lightness units on deepface_p05). Compared as a region, the lower
    face of a bearded photo is darker than its cheeks and forehead; a clean-shaven face's is close to
    them (its shading under a top light is a few levels)."""
    lower = lower_face(points, weights.shape)
    chosen = weights > 0.5
    if (chosen & lower).sum() < 8 or (chosen & ~lower).sum() < 8:
        return None
    for image in (face, target):
        luma = _luma(image)
        median, deviation = _skin_spread(luma[chosen & ~lower])
        if median - float(np.median(luma[chosen & lower])) > gap * deviation:
            drop: FloatArray = lower.astype(np.float32)
            return drop
    return None


def lower_face(points: FloatArray, shape: tuple[int, ...]) -> NDArray[np.bool_]:
    """Per sample of an array of ``shape`` (``points``: the mesh in its coordinates), whether it lies
    below the nose's base along the face's own up axis (what :func:`beard_drop` compares and drops)."""
    top, chin = points[10, :2], points[152, :2]
    up = (top - chin) / max(float(np.linalg.norm(top - chin)), 1e-6)
    base = points[2, :2]
    height, width = shape[:2]
    xs, ys = np.arange(width, dtype=np.float32), np.arange(height, dtype=np.float32)
    above = ((xs - base[0]) * up[0])[None, :] + ((ys - base[1]) * up[1])[:, None]
    lower: NDArray[np.bool_] = above < 0
    return lower


def _luma(image: FloatArray) -> FloatArray:
    """The luma of a float BGR image (a 2-D image is luma already)."""
    luma: FloatArray = image @ LUMA_BGR if image.ndim == 3 else image
    return luma


def _skin_spread(values: FloatArray) -> tuple[float, float]:
    """The median of skin ``values`` and their robust deviation (1.4826 x the median absolute deviation,
    plus one level so that a flat patch still has some)."""
    median = float(np.median(values))
    return median, 1.4826 * float(np.median(np.abs(values - median))) + 1.0
