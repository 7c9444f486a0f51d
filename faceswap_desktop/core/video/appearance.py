"""What a person wears: a colour descriptor of the region under the face, a second cue for the cast.

On small, blurred video faces the identity embedder's cosines crowd together: the same person seen in
two shots and two different people can score the same (0.928 and 0.927 on the shared clips). Within one
clip people mostly keep their clothes, so the cast scan also describes the clothing under each face and
lets two tracks whose faces are only nearly similar join when their clothing agrees as well
(:func:`~.clustering.cluster_tracks`).

The descriptor is a histogram of the region under the face (from 0.2 to 1.5 face heights below the box,
half a face width wider on each side): the colour of its coloured pixels (hue x saturation, 12 x 3 bins)
and the share of its grey and dark ones (one bin), and the value channel after standardising it within
the region (8 bins), so that a shot that is darker or brighter overall (a wide shot against a
close-up, stage light against house light) changes the histogram little. Two descriptors compare by
their Bhattacharyya coefficient (1 for the same histogram, 0 for disjoint ones).

Grey and dark pixels get no hue: a dark suit, a white shirt or a shadow has a hue that is only the
noise of the encoder, so binned by hue they scattered over all 12 hue bins differently in every
encoding of the same clip (Hamilton re-encoded at 0.5x-2x: the singer's two shots overlapped 0.916-0.965
against a bar that moved 0.950-0.977; with a grey bin 0.99 against 0.945-0.954, ``docs/cast.md``).
Their brightness is left to the standardised value half, which does not move with the light.
Nor does the descriptor depend on pixel counts: it is sampled on a grid of at most
:data:`HISTOGRAM_SIDE` a side, and a region mostly outside the frame (a face at the bottom edge) has none,
whatever the clip's resolution.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from collections.abc import Set as AbstractSet

import cv2
import numpy as np

from ..types import FloatArray, Image

Box = tuple[float, float, float, float]

HUE_BINS, SATURATION_BINS, GREY_BINS, VALUE_BINS = 12, 3, 1, 8
DESCRIPTOR_LENGTH = HUE_BINS * SATURATION_BINS + GREY_BINS + VALUE_BINS
MIN_SATURATION, MIN_BRIGHTNESS = 64, 40
"""OpenCV HSV levels (0-255) under which a pixel counts as grey or dark (no hue): a quarter of the
saturation range, and about the black level of broadcast video (16) plus the encoder's noise."""
HISTOGRAM_SIDE = 64
"""The region's pixels are sampled on a grid of at most about this many a side for its histogram."""
MIN_VISIBLE = 0.5
"""A region less than this fraction of which lies inside the frame (a face near the bottom edge) has no
descriptor: what is left of it is mostly the face's neck or the edge, not clothing. A fraction, not a
number of pixels, so that the same face at another resolution gets the same answer."""


def clothing_region(box: Box, width: int, height: int) -> tuple[int, int, int, int] | None:
    """The pixel rectangle (x0, y0, x1, y1) under a face box, clipped to the frame (None: less than
    :data:`MIN_VISIBLE` of it inside the frame)."""
    x0, y0, x1, y1 = box
    face_w, face_h = x1 - x0, y1 - y0
    left, right = max(int(x0 - 0.5 * face_w), 0), min(int(x1 + 0.5 * face_w), width)
    top, bottom = max(int(y1 + 0.2 * face_h), 0), min(int(y1 + 1.5 * face_h), height)
    whole = (2.0 * face_w) * (1.3 * face_h)
    if right - left < 2 or bottom - top < 2 or (right - left) * (bottom - top) < MIN_VISIBLE * whole:
        return None
    return left, top, right, bottom


def clothing_histogram(image: Image, box: Box) -> FloatArray | None:
    """The clothing descriptor (sums to 1) of the face in ``box`` of a BGR ``image``; None when the
    face leaves no room under it."""
    height, width = image.shape[:2]
    region = clothing_region(box, width, height)
    if region is None:
        return None
    left, top, right, bottom = region
    # Every step-th pixel: a histogram needs no more (a 230 px face at 1080p took 5.5 ms a sighting in
    # full, 0.4 ms so).
    step = max(1, math.ceil(max(bottom - top, right - left) / HISTOGRAM_SIDE))
    patch = np.ascontiguousarray(image[top:bottom:step, left:right:step])
    hsv = cv2.cvtColor(patch, cv2.COLOR_BGR2HSV)
    saturation, value = hsv[..., 1], hsv[..., 2]
    coloured = ((saturation >= MIN_SATURATION) & (value >= MIN_BRIGHTNESS)).astype(np.uint8)
    hue_saturation = cv2.calcHist(
        [hsv], [0, 1], coloured, [HUE_BINS, SATURATION_BINS], [0, 180, MIN_SATURATION, 256]
    )
    greys = np.array([coloured.size - int(np.count_nonzero(coloured))], np.float64)  # GREY_BINS == 1
    value = value.astype(np.float32)
    standardised = (value - value.mean()) / max(float(value.std()), 1.0)
    levels, _edges = np.histogram(np.clip(standardised, -2.5, 2.5), bins=VALUE_BINS, range=(-2.5, 2.5))
    colour = np.concatenate([hue_saturation.ravel().astype(np.float64), greys])
    parts = [colour, levels.astype(np.float64)]
    # Each half weighs the same: colour and the spread of light and dark.
    halves = np.concatenate([part / max(float(part.sum()), 1.0) for part in parts]) / 2
    return halves.astype(np.float32)


def mean_descriptor(descriptors: list[FloatArray]) -> FloatArray | None:
    """The mean of a track's descriptors (None when it has none)."""
    return np.mean(np.stack(descriptors), axis=0).astype(np.float32) if descriptors else None


def bhattacharyya(a: FloatArray, b: FloatArray) -> float:
    """Overlap of two histograms that sum to 1: 1 when equal, 0 when disjoint."""
    return float(np.sqrt(np.clip(a, 0, None) * np.clip(b, 0, None)).sum())


MIN_PAIRS_SEEN_TOGETHER = 5
"""Pairs of tracks seen in one frame that a clip needs before its clothing is trusted at all."""


def clothing_bar(clothing: Sequence[FloatArray | None], frames: Sequence[AbstractSet[int]]) -> float | None:
    """How alike the clothing of two different people of this clip can look: the highest overlap of
    two tracks seen in the same frame (two people, whatever their faces say). None when the clip has
    fewer than :data:`MIN_PAIRS_SEEN_TOGETHER` such pairs with descriptors: then nothing says how well
    clothing tells its people apart, and it is not used.

    Calibrating on the clip itself rather than on a fixed number: a clip where everybody wears a dark
    suit raises the bar until clothing stops counting, a clip of colourful clothes lowers it."""
    overlaps = [
        bhattacharyya(a, b)
        for i, a in enumerate(clothing)
        for j in range(i + 1, len(clothing))
        if a is not None and (b := clothing[j]) is not None and frames[i] & frames[j]
    ]
    return max(overlaps) if len(overlaps) >= MIN_PAIRS_SEEN_TOGETHER else None
