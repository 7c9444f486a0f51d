"""The mesh engine's tone step: the swapped face's colour and light matched to the target's skin.

:func:`match_tone_near_edge` corrects the colour-transferred face on a coarse sample grid (~48 samples
across the face): the target's local tone wins in a band inside the mask's edge, the broad tone
difference is taken over the interior (on the *skin* of both faces, :mod:`.skin_tone`), the forehead
takes the target's hue, and the mesh gives the face the target's lighting (:mod:`.lighting`). The
module constants are the measured switches of docs/likeness.md; the swap reads them at call time, so a
test or a benchmark may set them on this module.
"""

from __future__ import annotations

from typing import cast

import cv2
import numpy as np

from ..types import Face, FloatArray, Image
from .color import LUMA_BGR, Region
from .detail import add_correction
from .lighting import MIN_IN_FRAME, relight_delta
from .quality import frontal_weight
from .skin_tone import (
    beard_drop,
    in_frame_share,
    lower_face,
    skin_tone_delta,
    skin_weights,
    skin_weights_spreads,
)
from .slow_stats import SlowStats, StatsTicket

EDGE_TONE_BAND = 0.1
"""Width of the band inside the mask edge, as a fraction of face size, where the target's local tone wins."""


INTERIOR_TONE = 1.0
"""Share of the broad tone difference (masked means over a quarter of the face) applied inside the edge
band. Validation half B (docs/likeness.md): tone flags 34 -> 19 of 49 pairs, identity ratio 0.693 ->
0.688; over an eighth of the face 11 flags but 0.670."""

RELIGHT_MIN_FACE = 150.0
"""Faces smaller than this (px) are not relit. Measured, not derived: at 128 px the hamilton clip's
~120 px singer was relit, which changed the encoded frames enough that MediaPipe no longer found the
71-93 px profile of the other mapped person in 3 of 6 output frames (tests/video/test_person_map.py; 5+
of 6 without the relighting). Its gain on faces this small is unmeasured (one 112 px validation target)."""

RELIGHT = True
"""Give the face the target's lighting direction in place of the source's (:mod:`~.lighting`).
Validation half A: tone flags 30 -> 25 of 50 pairs, identity ratio 0.587 -> 0.582, pose 0.94 kept; tuning
half B: 18 -> 15, 0.683 -> 0.673 (docs/likeness.md)."""

SKIN_WEIGHTED_TONE = True
"""The broad interior tone (:data:`INTERIOR_TONE`) compares the face's and the target's *skin*: means
weighted by :func:`~.skin_tone.skin_weights` (off the brows, eyes, lips, beards and hair), not the mask,
measured after the edge band's and the forehead hue's corrections, plus the skin's hue over a finer scale
(:data:`SKIN_CHROMA_SCALE`); faded out on turned heads, small faces and faces cut by the frame
(:func:`skin_tone_share`). Tuning half B (docs/likeness.md, "Tone on the skin"), with :data:`SKIN_TONE`:
tone flags 15 -> 4 of 49, identity ratio 0.673 -> 0.671, pose 0.96 kept (not faded: 0.90-0.92)."""

WIDE_TONE_SCALE = 4.0
"""The broad interior tone's Gaussian over the mask's means is the face size over this."""

SKIN_WIDE_TONE_SCALE = 4.0
"""The same over the skin's means (:data:`SKIN_WEIGHTED_TONE`). Over a sixth of the face the tone flags
were the same on B (4) for less identity (B 0.666, the floor test's 30 pairs 0.734 against 0.741)."""

SKIN_CHROMA_SCALE = 20.0
"""With the skin-based tone, the skin's hue (not its lightness) also matched over a Gaussian of the face
size over this (0: not): a target's blush or a source's red cheek is a hue the broad means leave. The
lightness is not matched this finely (over an eighth of the face: B 0.664; the source's shading within a
feature is part of the likeness)."""

SKIN_TONE = True
"""Match the skin's colour and light on the mesh's skin vertices (:mod:`~.skin_tone`: the level of each
colour channel in full, the light direction as :data:`RELIGHT`), in place of the luma-only relighting."""

SKIN_BEARD_GAP = 2.0
"""With the skin-based tone: when either image's lower face (below the nose) is darker than its upper
face's skin by more than this many robust deviations (:func:`~.skin_tone.beard_drop`: a beard), the
lower face leaves the tone's skin samples and the lighting fit (0: never). Tuned on half A's sources
alex_lacamoire, deepface_p03, deepface_p07 (1.5 and 2.0 the same, 3.0 finds one beard of three);
validated on A's deepface_p01, deepface_p05: tone flags 10 -> 6 of 20, identity ratio 0.547 -> 0.549;
half B: 4 -> 4 (its flags are not on beards), 0.671 -> 0.670; pose, seam, other flags kept
(docs/likeness.md, "Beards and the skin tone")."""

RELIGHT_COLOUR = False
"""Relight each colour channel (the light's colour per direction too), not the luma alone."""

FOREHEAD_RAMP = 0.5
"""Share of the way from the brows to the top of the face oval over which the forehead's hue matching
(:func:`match_tone_near_edge`) ramps from none to full."""


def forehead_weight(landmarks: FloatArray, shape: tuple[int, ...]) -> FloatArray:
    """Per pixel of an array of ``shape`` (landmarks in its pixel coordinates): 0 at and below the brows,
    rising to 1 at :data:`FOREHEAD_RAMP` of the way up to the oval's top, along the face's own up axis
    (chin to oval top), so it follows the head's roll."""
    top, chin = landmarks[10, :2], landmarks[152, :2]
    brows = (landmarks[105, :2] + landmarks[334, :2]) / 2
    up = (top - chin) / max(float(np.linalg.norm(top - chin)), 1e-6)
    height = max(float((top - brows) @ up), 1e-6)
    # Per column and per row, then broadcast: the same float32 operations as on full coordinate grids.
    xs, ys = np.arange(shape[1], dtype=np.float32), np.arange(shape[0], dtype=np.float32)
    above = (((xs - brows[0]) * up[0])[None, :] + ((ys - brows[1]) * up[1])[:, None]) / height
    weight: FloatArray = np.clip(above / FOREHEAD_RAMP, 0.0, 1.0).astype(np.float32)
    return weight


def tone_stride(face_size: float) -> int:
    """The sampling step of :func:`match_tone_near_edge`'s tone field: ~48 samples across the face."""
    return max(1, int(face_size / 48))


def match_tone_near_edge(
    coloured: Image,
    background: Image,
    grid_mask: FloatArray,
    face_size: float,
    landmarks: FloatArray,
    region: Region | None = None,
    small_mask: FloatArray | None = None,
    in_place: bool = False,
    normals: tuple[FloatArray, FloatArray] | None = None,
    relight_weight: float = 1.0,
    skin_share: float = 0.0,
    remembered: SlowStats | None = None,
    ticket: StatsTicket | None = None,
) -> Image:
    """Shift the swapped face's low-frequency tone to the target's near the mask edge, fading to none
    inside, and its low-frequency hue to the target's over the forehead.

    A global colour transfer matches the face on average, but where the source's forehead or jaw is lit
    differently from the target's, a tone step shows along the edge (a line across the forehead). The
    correction is the difference of masked Gaussian means (target minus swapped), computed on a coarse
    sampling: it removes that step while the face's interior keeps the source's own shading.

    The forehead also takes the hue part of that difference all the way in (``landmarks``: the swapped
    face's mesh in ``coloured``'s pixels). A source whose forehead is redder than its cheeks (sunburn,
    flush) carried that patch onto the target, more of it since the skin extension reaches the hairline
    (docs/likeness.md, strips row 2); the global transfer only matches the face's mean. Only the hue, and
    only above the brows: the shading (what shows the forehead's shape) stays the source's, and the hue of
    cheeks, nose and lips (more of a person's look, and where a target's make-up would come in) too.

    With ``region`` only that rectangle is corrected; the rest of ``coloured`` is returned as it was.
    ``small_mask``: :func:`tone_mask_samples` of ``grid_mask`` when the caller has it already.
    ``in_place`` (with ``region``): the corrected rectangle is written into ``coloured`` itself.
    ``normals``: the source's and the target's :func:`~.lighting.vertex_normals`; with them the face's
    shading is first turned to the target's lighting direction (:func:`~.lighting.relight_delta`).
    ``skin_share`` (0-1): how far the broad interior tone moves from the mask's means over a quarter of
    the face to the *skin's* means (:func:`~.skin_tone.skin_weights`) over a sixth of it (see
    :func:`skin_tone_share`).
    ``remembered`` / ``ticket``: a video's slow statistics (the beard test's answer and the lighting
    fits, the skin weights' spreads, see :mod:`.slow_stats`): reused from an earlier frame, or measured
    and passed on.
    """
    # The tone field is far smoother than the texture: ~48 point samples across the face are enough, and
    # keep the blurs cheap whatever the face's size in pixels.
    stride = tone_stride(face_size)
    small_face = coloured[::stride, ::stride].astype(np.float32)
    small_target = background[::stride, ::stride].astype(np.float32)
    if small_mask is None:
        small_mask = tone_mask_samples(grid_mask, coloured.shape[:2], face_size)
    inside = (small_mask > 0.5).astype(np.float32)
    # The swapped mesh on the samples, and how far the skin weights keep off the features (in samples).
    small_points = cast(FloatArray, landmarks / stride)
    feature_margin = face_size / stride * 0.03
    relight = None
    beard = None
    if SKIN_BEARD_GAP > 0 and skin_share > 0:
        if remembered is not None and remembered.beard_known:
            beard = lower_face(small_points, inside.shape).astype(np.float32) if remembered.beard else None
        else:
            beard = beard_drop(
                small_face,
                small_target,
                skin_weights(small_face, small_target, inside, small_points, feature_margin),
                small_points,
                SKIN_BEARD_GAP,
            )
            if ticket is not None:
                ticket.settle_beard(beard is not None)
    if normals is not None:
        relight = _skin_light_delta(
            small_face,
            small_target,
            small_mask,
            small_points,
            normals,
            relight_weight,
            beard,
            remembered,
            ticket,
        )
        if relight is not None:
            relight = relight if relight.ndim == 3 else relight[..., None]
            # The corrections below are then measured on the relit face and added to the relighting.
            small_face += relight
    sigma = max(face_size / stride / 14.0, 1.0)
    weight = cv2.GaussianBlur(inside, (0, 0), sigma) + 1e-4
    mean_face = cv2.GaussianBlur(small_face * inside[..., None], (0, 0), sigma) / weight[..., None]
    mean_target = cv2.GaussianBlur(small_target * inside[..., None], (0, 0), sigma) / weight[..., None]
    depth = cv2.distanceTransform((small_mask > 0.05).astype(np.uint8), cv2.DIST_L2, 5)
    band = np.clip(1.0 - depth / max(EDGE_TONE_BAND * face_size / stride, 1.0), 0.0, 1.0)
    delta = mean_target - mean_face
    # Deeper inside, on the forehead only, the hue part of the same difference (its luminance-neutral
    # part: the shading stays the source's) keeps applying.
    luma = delta @ LUMA_BGR
    chroma = delta - luma[..., None]
    inner = (1.0 - band) * forehead_weight(small_points, band.shape)
    delta = delta * band[..., None] + chroma * inner[..., None]
    if INTERIOR_TONE > 0:
        # The interior's broad lighting (forehead, each cheek) to the target's: a much wider masked mean,
        # so the source's shading within a feature stays, while a cheek lit from the source's side or a
        # pale face under the target's darker light does not (issue #19's tone check).
        scale = WIDE_TONE_SCALE + (SKIN_WIDE_TONE_SCALE - WIDE_TONE_SCALE) * skin_share
        wide = max(face_size / stride / scale, 1.0)
        weights = inside
        if skin_share > 0:
            known = remembered is not None and remembered.spreads_known
            skin, spreads = skin_weights_spreads(
                small_face,
                small_target,
                inside,
                small_points,
                feature_margin,
                remembered.spreads if remembered is not None and known else None,
            )
            if ticket is not None:
                ticket.settle_spreads(spreads)
            if beard is not None:
                skin = skin * (1.0 - beard)
            weights = inside * (1.0 - skin_share) + skin * skin_share
        wide_weight = cv2.GaussianBlur(weights, (0, 0), wide) + 1e-4
        # On the skin, measured after the edge band's and the forehead hue's corrections: the broad tone
        # makes up the rest (measured before them, the forehead's hue difference was applied twice: the
        # red forehead of deepface_p05 came out 4.7 a* units paler than deepface_p07's).
        measured = small_face + delta * skin_share if skin_share > 0 else small_face
        wide_face = cv2.GaussianBlur(measured * weights[..., None], (0, 0), wide) / wide_weight[..., None]
        wide_target = (
            cv2.GaussianBlur(small_target * weights[..., None], (0, 0), wide) / wide_weight[..., None]
        )
        delta = delta + (wide_target - wide_face) * (INTERIOR_TONE * (1.0 - band))[..., None]
        if SKIN_CHROMA_SCALE > 0 and skin_share > 0:
            delta = (
                delta
                + _skin_chroma(small_face + delta, small_target, weights, face_size / stride)
                * (skin_share * (1.0 - band))[..., None]
            )
    if relight is not None:
        delta = delta + relight
    correction = np.round(delta).astype(np.int16)
    # A smooth field: plain bilinear resize is accurate enough (half a cell of offset is invisible).
    correction = cv2.resize(
        correction, (coloured.shape[1], coloured.shape[0]), interpolation=cv2.INTER_LINEAR
    )
    if region is None:
        out = coloured.copy()
        add_correction(out, correction)
        return out
    out = coloured if in_place else coloured.copy()
    add_correction(out[region], correction[region])
    return out


def skin_tone_share(target: Face, width: int, height: int, frontal: float | None = None) -> float:
    """How much of the skin-based tone (:data:`SKIN_WEIGHTED_TONE`) a target face gets: its
    :func:`frontal_weight`, and none for a face under :data:`RELIGHT_MIN_FACE` or cut by the frame (under
    :data:`~.lighting.MIN_IN_FRAME` of its skin vertices inside). As for the relighting, these are the
    faces whose skin the mesh does not show whole (a profile's far side is MediaPipe's guess, a cut face
    has one side only); on the validation pairs their re-detected head pose moved past the limit
    without the fade. ``frontal``: the target's :func:`frontal_weight`, when the caller has it."""
    assert target.landmarks_478 is not None
    if target.size < RELIGHT_MIN_FACE:
        # As for the relighting: on the hamilton clip's ~120 px singer the changed frames lost MediaPipe's
        # detection of the other mapped person's small profile (tests/video/test_person_map.py).
        return 0.0
    if in_frame_share(target.landmarks_478, width, height) < MIN_IN_FRAME:
        return 0.0
    return frontal_weight(target) if frontal is None else frontal


def _skin_chroma(face: FloatArray, target: FloatArray, weights: FloatArray, size: float) -> FloatArray:
    """The hue part (luma-neutral) of the skin's local colour difference, target minus ``face``: means
    weighted by the skin ``weights`` over a Gaussian of ``size`` / :data:`SKIN_CHROMA_SCALE` samples."""
    sigma = max(size / SKIN_CHROMA_SCALE, 1.0)
    norm = cv2.GaussianBlur(weights, (0, 0), sigma)[..., None] + 1e-4
    difference = (
        cv2.GaussianBlur(target * weights[..., None], (0, 0), sigma)
        - cv2.GaussianBlur(face * weights[..., None], (0, 0), sigma)
    ) / norm
    chroma: FloatArray = difference - (difference @ LUMA_BGR)[..., None]
    return chroma


def _skin_light_delta(
    small_face: FloatArray,
    small_target: FloatArray,
    small_mask: FloatArray,
    points: FloatArray,
    normals: tuple[FloatArray, FloatArray],
    weight: float,
    exclude: FloatArray | None = None,
    remembered: SlowStats | None = None,
    ticket: StatsTicket | None = None,
) -> FloatArray | None:
    """:func:`match_tone_near_edge`'s correction from the mesh (on its samples): with :data:`SKIN_TONE`
    the skin's colour and light (:func:`~.skin_tone.skin_tone_delta`), else the light direction's luma
    alone (:func:`~.lighting.relight_delta`)."""
    if SKIN_TONE:
        return skin_tone_delta(
            small_face,
            small_target,
            small_mask,
            points,
            normals[0],
            normals[1],
            weight,
            exclude=exclude,
            remembered=remembered,
            ticket=ticket,
        )
    return relight_delta(
        small_face if RELIGHT_COLOUR else small_face @ LUMA_BGR,
        small_target if RELIGHT_COLOUR else small_target @ LUMA_BGR,
        small_mask,
        points,
        normals[0],
        normals[1],
        weight,
    )


def tone_mask_samples(grid_mask: FloatArray, shape: tuple[int, ...], face_size: float) -> FloatArray:
    """:func:`match_tone_near_edge`'s mask on its samples: ``grid_mask`` area-resized to the size of an
    image of ``shape`` (height, width) sampled every :func:`tone_stride` pixels."""
    stride = tone_stride(face_size)
    small_size = ((shape[1] - 1) // stride + 1, (shape[0] - 1) // stride + 1)
    small: FloatArray = cv2.resize(grid_mask, small_size, interpolation=cv2.INTER_AREA)
    return small
