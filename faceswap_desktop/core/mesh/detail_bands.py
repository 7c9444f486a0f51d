"""The target's skin texture at scales coarser than the finest detail layer, on large faces (issue #19:
a 163 px source face warped onto a 1400 px target face stayed visibly softer than the photo around it,
with only the target's 1 px grain added).

A source face of ``s`` px warped onto a target face of ``t`` px has no detail finer than about ``t / s``
target pixels. :func:`~.detail.keep_target_detail` restores the finest layer (the residue of a 1 px
Gaussian); on a large face the skin's texture (pores, stubble, grain) also lives in the next octaves,
which that layer does not reach. Here the target's detail between the Gaussians of 1 px and of
:data:`TEXTURE_SCALE` of the face is split into bands about an octave wide, and each band of the target
is added where the swapped face has less energy in that band than the target has (in quadrature, as the
finest layer), off the features. Anything coarser (freckles, moles, wrinkle folds: the target person's
own marks) is never taken.
"""

from __future__ import annotations

import math

import cv2
import numpy as np
from numpy.typing import NDArray

from ..types import FloatArray, Image
from .detail import DETAIL_SIGMA, add_correction, area_mean, feature_weight, keep_target_detail

TEXTURE_SCALE = 0.003
"""The coarsest band's Gaussian, as a fraction of the face size (about 0.5 mm of a face: the scale of
pores, stubble and grain, under that of freckles and wrinkle folds). Faces under ~470 px get no band
beyond the finest layer: there 1 px is already that coarse."""


def band_count(face_size: float) -> int:
    """How many octaves of texture lie between the finest layer (:data:`~.detail.DETAIL_SIGMA`) and
    :data:`TEXTURE_SCALE` of ``face_size``, rounded: 0 under ~470 px, 1 up to ~940 px, then 2, ..."""
    top = TEXTURE_SCALE * face_size / DETAIL_SIGMA
    return max(round(math.log2(top)), 0) if top > 1.0 else 0


def _pyramid(image: Image, levels: int) -> list[NDArray[np.float32]]:
    """Levels 1..``levels`` of ``image``'s Gaussian pyramid, in float32 (the first reduction on the
    8-bit pixels, OpenCV's fast path: its rounding, half a level at most, is far under the bands')."""
    pyramid = [cv2.pyrDown(image).astype(np.float32)]
    for _ in range(levels - 1):
        pyramid.append(cv2.pyrDown(pyramid[-1]))
    return pyramid


def _up(image: NDArray[np.float32], like: NDArray[np.float32]) -> NDArray[np.float32]:
    return cv2.pyrUp(image, dstsize=(like.shape[1], like.shape[0]))


def coarse_detail(
    face: Image, target: Image, landmarks: FloatArray, face_size: float, where: FloatArray
) -> tuple[tuple[slice, slice], NDArray[np.int16]] | None:
    """The target's texture bands that ``face`` (the swapped result, read only) lacks, weighted by
    ``where`` (the swap's blend weight) and off the features: ``(box, correction)``, the int16
    correction to add to ``face[box]``; None for a face too small for any band (:func:`band_count`).

    The bands are the levels 1..n of a Laplacian pyramid (level k: the detail between Gaussians of
    about 2^(k-1) and 2^k px, at 1/2^k of the resolution; level 0 is the finest layer's); each level's
    energy, face against target, is compared on a sampling of ~64 cells across the face, as the finest
    layer does, and the weighted target levels are collapsed back to full resolution.
    """
    count = band_count(face_size)
    x, y, w, h = cv2.boundingRect((where > 0).view(np.uint8))
    if count < 1 or w == 0:
        return None
    reach = 6 * 2**count
    height, width = face.shape[:2]
    x0, y0 = max(x - reach, 0), max(y - reach, 0)
    x1, y1 = min(x + w + reach, width), min(y + h + reach, height)
    box = (slice(y0, y1), slice(x0, x1))
    stride = max(1, int(face_size / 64))
    small = ((x1 - x0 - 1) // stride + 1, (y1 - y0 - 1) // stride + 1)
    sigma = max(face_size * 0.04 / stride, 0.7)
    features = feature_weight(
        (landmarks[:, :2] - (x0, y0)) / stride, (small[1], small[0]), face_size / stride
    )

    lumas = cv2.merge(
        [cv2.cvtColor(face[box], cv2.COLOR_BGR2GRAY), cv2.cvtColor(target[box], cv2.COLOR_BGR2GRAY)]
    )
    luma_pyramid = _pyramid(lumas, count + 1)
    colour_pyramid = _pyramid(target[box], count + 1)
    collapsed: NDArray[np.float32] | None = None
    for level in range(count - 1, -1, -1):
        luma, colour = luma_pyramid[level], colour_pyramid[level]
        magnitudes = np.abs(luma - _up(luma_pyramid[level + 1], luma))
        face_energy, target_energy = (
            cv2.GaussianBlur(area_mean(np.ascontiguousarray(magnitudes[..., channel]), small), (0, 0), sigma)
            for channel in (0, 1)
        )
        # Uncorrelated detail adds in quadrature (as in the finest layer).
        ratio = np.clip(face_energy / (target_energy + 1e-3), 0.0, 1.0)
        deficit = (np.sqrt(1.0 - ratio * ratio) * features).astype(np.float32)
        weight = cv2.resize(deficit, (luma.shape[1], luma.shape[0]), interpolation=cv2.INTER_LINEAR)
        band = (colour - _up(colour_pyramid[level + 1], colour)) * weight[..., None]
        collapsed = band if collapsed is None else band + _up(collapsed, band)
    assert collapsed is not None
    full = cv2.pyrUp(collapsed, dstsize=(x1 - x0, y1 - y0))
    # Only the swapped face changes: the correction times the blend weight, rounded to int16.
    weight = cv2.cvtColor(np.ascontiguousarray(where[box]), cv2.COLOR_GRAY2BGR)
    return box, cv2.multiply(full, weight, dtype=cv2.CV_16S)


def keep_target_texture(
    face: Image, target: Image, landmarks: FloatArray, face_size: float, where: FloatArray
) -> None:
    """:func:`~.detail.keep_target_detail` (the finest layer) and, on a large face, the coarser texture
    bands of :func:`coarse_detail`, both measured on the face as it was (so neither counts the other's
    addition as the face's own detail); ``face`` written in place."""
    coarse = coarse_detail(face, target, landmarks, face_size, where)
    keep_target_detail(face, target, landmarks, face_size, where)
    if coarse is not None:
        box, correction = coarse
        add_correction(face[box], correction)
