"""Target occluders: what covers the target's face (glasses, a hand in shadow, hair over the forehead)
stays in front of the swapped face, whole (issue #19: a target's glasses lost an arm and left a grey
patch where the source's eyes were warped over the lens).

On the work grid of the target's face region (a coarse sampling: no per-pixel cost at 1080p), pixels
much darker than the target's own local skin tone that also fail its skin test (colour and smoothness,
:func:`~.skin_extension.skin_likelihood`) are candidates. The face's own dark features (eyes, brows,
nostrils, lips) and everything below the nose (beards, the mouth's shadow) are expected to be dark, so a
candidate region counts as an occluder only where it reaches well outside them: a lens spreads over the
cheek and temple, a strand of hair over the forehead. Each occluder is taken whole (the connected region,
features included), so a lens keeps the eye under it rather than a source eye drawn over half of it.
"""

from __future__ import annotations

from typing import Any

import cv2
import numpy as np
from numpy.typing import NDArray

from ..types import FloatArray, Image
from .masks import feature_hulls_u8, ring_mask_u8
from .mesh_topology import LEFT_EYE_RING, RIGHT_EYE_RING
from .skin_extension import lab_float, oval_ring, skin_likelihood_model, skin_reference
from .slow_stats import SkinModel, StatsTicket
from .visibility import SEED_DARKNESS, SEED_LIKELIHOOD
from .warp import Roi

OCCLUDER_AREA = 0.02
"""Area (in face-size squared) a dark region must cover on the forehead, off the brows, to count."""

LENS_SPREAD = 12.0
"""Standard deviation of lightness (0-255) inside an eye's outline under which it is covered by a lens."""

_NOSE = (168, 6, 197, 195, 5, 4, 1, 19, 94, 2, 98, 327, 129, 358, 48, 278, 64, 294, 240, 460)
"""The nose's bridge, tip and wings (MediaPipe has no connection set for it): nostrils are dark."""


FaceAxis = tuple[NDArray[np.floating[Any]], NDArray[np.floating[Any]], FloatArray]
"""What :func:`_face_axis` returns."""


def _face_axis(landmarks: FloatArray, shape: tuple[int, int]) -> FaceAxis:
    """The eyes' midpoint, the unit vector from it to the chin, and every pixel's distance along that
    axis from the eyes (an array of ``shape``)."""
    eyes = (landmarks[33, :2] + landmarks[263, :2]) / 2
    chin = landmarks[152, :2]
    down = (chin - eyes) / (float(np.linalg.norm(chin - eyes)) + 1e-6)
    xs, ys = np.arange(shape[1], dtype=np.float32), np.arange(shape[0], dtype=np.float32)
    along: FloatArray = ((xs - eyes[0]) * down[0])[None, :] + ((ys - eyes[1]) * down[1])[:, None]
    return eyes, down, along


def _features(
    landmarks: FloatArray, shape: tuple[int, int], face_size: float, axis: FaceAxis
) -> tuple[NDArray[np.uint8], NDArray[np.bool_]]:
    """The face's own dark parts (brows, eyes, nose, lips; grown by 4 % of the face) as a {0, 1} mask,
    and what lies below the nose tip (beards, the mouth's shadow: never taken for an occluder);
    ``axis``: :func:`_face_axis`."""
    mask = feature_hulls_u8(landmarks, shape, _NOSE, face_size, 0.04)
    eyes, down, along = axis
    below = along > float((landmarks[1, :2] - eyes) @ down)
    return mask, below


def _above_brows(landmarks: FloatArray, face_size: float, axis: FaceAxis) -> NDArray[np.bool_]:
    """Pixels more than 3 % of the face above the brows' highest point, along the face's own axis
    (``axis``: :func:`_face_axis`)."""
    eyes, down, along = axis
    brows = min(float((landmarks[index, :2] - eyes) @ down) for index in (105, 334, 66, 296))
    above: NDArray[np.bool_] = along < brows - 0.03 * face_size
    return above


def target_occluders(
    image: Image,
    landmarks: FloatArray,
    face_size: float,
    remembered: SkinModel | None = None,
    ticket: StatsTicket | None = None,
) -> FloatArray:
    """A float32 [0, 1] mask (``image``'s size) of what covers the face in ``image`` (see the module
    docstring); ``landmarks`` and ``face_size`` in ``image``'s pixels. All zeros when nothing does.

    ``remembered``: a video's skin model of the target from an earlier frame (its skin's mean colour,
    spread and texture: they follow the light, see :mod:`.slow_stats`), used instead of measuring them;
    ``ticket``: a measuring frame's, to which the model measured here is published at once."""
    shape = (image.shape[0], image.shape[1])
    roi = Roi(0, 0, shape[1], shape[0])
    zone = ring_mask_u8(landmarks[oval_ring()], roi, face_size * 0.08) > 127
    none = np.zeros(shape, dtype=np.float32)
    if int(zone.sum()) < 64:
        if ticket is not None:
            ticket.settle_skin_model(None)
        return none
    reference = skin_reference(landmarks, roi, face_size)
    lab = lab_float(image)
    likelihood, model = skin_likelihood_model(image, reference, face_size, lab, remembered)
    if ticket is not None:
        ticket.settle_skin_model(model)
    lightness = lab[..., 0]
    skin = (zone & (likelihood > 0.3)).astype(np.float32)
    # The local skin lightness is a smooth field (a Gaussian of 8 % of the face): its masked mean is taken
    # on an area-averaged shrink (~64 cells across the face; cell centres line up with the resize back)
    # and resized back: the occluder masks' IoU with the full-resolution blur's >= 0.999 on a target with
    # hair over the face at 7 scales, at a fraction of the cost of a ~160-tap blur per pixel.
    stride = max(1, int(face_size / 64))
    sigma = max(face_size * 0.08 / stride, 1.0)
    small = (-(-shape[1] // stride), -(-shape[0] // stride))
    small_skin = cv2.resize(skin, small, interpolation=cv2.INTER_AREA)
    small_lit = cv2.resize(lightness * skin, small, interpolation=cv2.INTER_AREA)
    small_local = cv2.GaussianBlur(small_lit, (0, 0), sigma) / (
        cv2.GaussianBlur(small_skin, (0, 0), sigma) + 1e-4
    )
    local = cv2.resize(small_local, (shape[1], shape[0]), interpolation=cv2.INTER_LINEAR)
    darkness = local - lightness
    axis = _face_axis(landmarks, shape)
    features, below = _features(landmarks, shape, face_size, axis)
    # Only clearly dark, non-skin pixels (a face's own shading connects everything at a lower bar), with
    # small gaps closed so a lens's highlight or a strand's break does not split the occluder.
    seeds = ((darkness > SEED_DARKNESS) & (likelihood < SEED_LIKELIHOOD) & zone & ~below).astype(np.uint8)
    if not seeds.any():
        return none
    close = max(int(round(face_size * 0.01)), 1) * 2 + 1
    seeds = cv2.morphologyEx(
        seeds, cv2.MORPH_CLOSE, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (close, close))
    )
    count, labels = cv2.connectedComponents(seeds, connectivity=8)
    occluding = np.zeros(count, dtype=bool)
    # Over the forehead (above the brows, off them): hair, a hat's brim, a hand.
    above = _above_brows(landmarks, face_size, axis)
    forehead = np.bincount(labels[above & (features == 0) & (seeds > 0)].ravel(), minlength=count)
    occluding |= forehead >= OCCLUDER_AREA * face_size**2
    # Over an eye whose white does not show (a lens): the region covering it, lens, frame and arms.
    for ring in (RIGHT_EYE_RING, LEFT_EYE_RING):
        eye_u8 = ring_mask_u8(landmarks[list(ring)], roi)
        # Read on the box of the eye's pixels only: a boolean gather walks its whole mask, and the box's
        # pixels come in the same (row-major) order, so the same values in the same order.
        x, y, w, h = cv2.boundingRect(eye_u8)
        box = (slice(y, y + h), slice(x, x + w))
        eye = eye_u8[box] > 127
        # No white showing (even the brightest 5 % is dark) and flat (an eye's white, iris and lashes
        # spread its lightness far more): tinted glass, not a squint or dark make-up. (The spread first:
        # an open eye fails it, and it costs a third of the percentile.)
        if (
            eye.sum() >= 4
            and float(lightness[box][eye].std()) < LENS_SPREAD
            and float(np.percentile(darkness[box][eye], 5)) > SEED_DARKNESS
        ):
            occluding[np.unique(labels[box][eye & (seeds[box] > 0)])] = True
    occluding[0] = False
    if not occluding.any():
        return none
    mask = occluding[labels].astype(np.float32)
    # A little past the region's edge (its anti-aliased rim), softened so it blends without a line.
    grow = max(int(round(face_size * 0.015)), 1) * 2 + 1
    mask = cv2.dilate(mask, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (grow, grow)))
    return cv2.GaussianBlur(mask, (0, 0), max(face_size * 0.006, 0.5)).astype(np.float32)
