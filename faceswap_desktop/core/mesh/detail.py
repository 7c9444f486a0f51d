"""Keep the target's fine texture where the source has none (issue #19: a ~100 px source face became a
soft, blurred face inside a sharp photo).

The finest detail layer (an image minus its Gaussian of ~1 px: grain, pores, stubble, JPEG texture) of
the swapped face is compared with the target's, locally. Where the swapped face has less, the target's
own detail layer makes up the difference; the eyes, brows, nostrils and lips are left out, where the
target's edges would show as a second outline (their detail is the face's identity, not texture).
"""

from __future__ import annotations

import cv2
import numpy as np
from numpy.typing import NDArray

from ..types import FloatArray, Image
from .masks import feature_hulls_u8

DETAIL_SIGMA = 1.0
"""Gaussian (px, at the frame's resolution) whose residue is the detail layer."""

_NOSE_WINGS = (98, 327, 2, 64, 294, 48, 278, 240, 460, 19, 94)


def feature_weight(landmarks: FloatArray, shape: tuple[int, int], face_size: float) -> FloatArray:
    """1 away from the eyes, brows, nostrils and lips (each grown by 3 % of the face), softened."""
    mask = feature_hulls_u8(landmarks, shape, _NOSE_WINGS, face_size, 0.03)
    soft = cv2.GaussianBlur(mask.astype(np.float32), (0, 0), max(face_size * 0.01, 0.5))
    return (1.0 - soft).astype(np.float32)


def area_mean(values: NDArray[np.uint8] | FloatArray, size: tuple[int, int]) -> FloatArray:
    """``cv2.resize(values, size, interpolation=cv2.INTER_AREA)`` for a shrink, in float32, from the
    integral image: each cell the mean over its exact (fractional) footprint, as OpenCV's area resize
    computes it, but ~10x faster where the ratio is not an integer (OpenCV's slow path there).

    The pixels are piecewise constant, so their integral at a fractional point is the bilinear
    interpolation of the integral image at the pixel corners around it (exact).
    """
    height, width = values.shape
    integral = cv2.integral(values, sdepth=cv2.CV_64F)
    scale_x, scale_y = width / size[0], height / size[1]

    def corners(count: int, scale: float, limit: int) -> tuple[NDArray[np.intp], NDArray[np.float64]]:
        edges = np.minimum(np.arange(count + 1) * scale, limit)
        lower = np.minimum(np.floor(edges).astype(np.intp), limit - 1)
        return lower, edges - lower

    x0, fx = corners(size[0], scale_x, width)
    y0, fy = corners(size[1], scale_y, height)
    # Only the integral's rows at the cells' edges are interpolated across (the same products, row by
    # row, as interpolating every row first): ~1/stride of the rows.
    upper, lower = integral[y0], integral[y0 + 1]
    below = upper[:, x0] * (1.0 - fx) + upper[:, x0 + 1] * fx
    above = lower[:, x0] * (1.0 - fx) + lower[:, x0 + 1] * fx
    at = below * (1.0 - fy)[:, None] + above * fy[:, None]
    sums = at[1:, 1:] - at[:-1, 1:] - at[1:, :-1] + at[:-1, :-1]
    return (sums / (scale_x * scale_y)).astype(np.float32)


def keep_target_detail(
    face: Image, target: Image, landmarks: FloatArray, face_size: float, where: FloatArray
) -> None:
    """Add to ``face`` (the swapped result, same size as ``target``; written in place) the target's
    detail layer where its own is weaker, weighted by ``where`` (the swap's blend weight: only the
    swapped face changes); ``landmarks``: the swapped face's mesh in these pixels.

    Only the box of ``where``'s support (and the detail filter's reach around it) is read or written;
    the local energies and the feature mask are smooth, so they are computed on a sampling of ~64 cells
    across the face and resized back. The ~1 px Gaussians run on 8-bit pixels (OpenCV's fixed-point
    path, several times faster than on floats: each is off by at most half a level), the energies on the
    luma alone, and the detail is added as a per-pixel blend of the face with the face plus the whole
    detail layer (``cv2.blendLinear``: 8-bit passes instead of three float ones; the same values but
    where the face plus the full detail would leave 0-255, ~1 % of the result's cost at 1080p).
    """
    x, y, w, h = cv2.boundingRect((where > 0).view(np.uint8))
    if w == 0:
        return
    reach = 4
    height, width = face.shape[:2]
    x0, y0 = max(x - reach, 0), max(y - reach, 0)
    x1, y1 = min(x + w + reach, width), min(y + h + reach, height)
    face_box = face[y0:y1, x0:x1]
    target_box = target[y0:y1, x0:x1]
    stride = max(1, int(face_size / 64))
    small = ((x1 - x0 - 1) // stride + 1, (y1 - y0 - 1) // stride + 1)
    sigma = max(face_size * 0.04 / stride, 0.7)

    # The luma's detail: enough to compare how much texture each has (a third of the work). Both lumas
    # blurred as one two-channel image (channels are filtered apart, the same values; OpenCV's 8-bit
    # Gaussian costs ~0.7x per channel that way).
    lumas = cv2.merge(
        [cv2.cvtColor(face_box, cv2.COLOR_BGR2GRAY), cv2.cvtColor(target_box, cv2.COLOR_BGR2GRAY)]
    )
    magnitudes = cv2.absdiff(lumas, cv2.GaussianBlur(lumas, (0, 0), DETAIL_SIGMA))

    def energy(channel: int) -> FloatArray:
        magnitude = np.ascontiguousarray(magnitudes[..., channel])
        return cv2.GaussianBlur(area_mean(magnitude, small), (0, 0), sigma)

    # Uncorrelated detail adds in quadrature: this much of the target's tops the face's up to its level.
    ratio = np.clip(energy(0) / (energy(1) + 1e-3), 0.0, 1.0)
    deficit = np.sqrt(1.0 - ratio * ratio)
    local = (landmarks[:, :2] - (x0, y0)) / stride
    weight_small = (deficit * feature_weight(local, (small[1], small[0]), face_size / stride)).astype(
        np.float32
    )
    weight = cv2.resize(weight_small, (x1 - x0, y1 - y0), interpolation=cv2.INTER_LINEAR)
    weight *= where[y0:y1, x0:x1]
    # Where the weight is 0 (the face has the target's detail, the features, outside the mask: ~99 % of
    # the box on the benchmark clip) the blend returns the face to the bit (weights 1 and 0): only the
    # box of the rest is blended, with the target's blur taken on that box grown by the blur's reach
    # (within the face's box, whose own edges keep their border): the same pixels as over the whole box.
    bx, by, bw, bh = cv2.boundingRect((weight > 0).view(np.uint8))
    if bw == 0:
        return
    rows, cols = slice(by, by + bh), slice(bx, bx + bw)
    blur_reach = 4  # (OpenCV's 8-bit Gaussian of sigma 1 has 7 taps: 3 each side)
    ry0, rx0 = max(by - blur_reach, 0), max(bx - blur_reach, 0)
    ry1, rx1 = min(by + bh + blur_reach, y1 - y0), min(bx + bw + blur_reach, x1 - x0)
    target_blurred = cv2.GaussianBlur(target_box[ry0:ry1, rx0:rx1], (0, 0), DETAIL_SIGMA)
    target_blurred = target_blurred[by - ry0 : by - ry0 + bh, bx - rx0 : bx - rx0 + bw]
    face_part, part_weight = face_box[rows, cols], weight[rows, cols]
    # face + weight * detail, as (1 - weight) * face + weight * (face + detail) in 8 bits.
    detailed = face_part.copy()
    add_correction(detailed, cv2.subtract(target_box[rows, cols], target_blurred, dtype=cv2.CV_16S))
    face_part[:] = cv2.blendLinear(face_part, detailed, 1.0 - part_weight, part_weight)


def add_correction(pixels: Image, correction: NDArray[np.int16]) -> None:
    """``pixels`` += ``correction``, saturated to 0-255, in place (``pixels`` may be a strided view).

    What ``cv2.add(pixels, correction, dtype=cv2.CV_8U)`` gives, to the bit, at ~2/5 of its cost (its
    mixed-type path converts block by block): the sum in int16 saturates only where the 8-bit result
    would be 0 or 255 anyway, then the clip to 0-255 and the cast back.
    """
    total = cv2.add(pixels.astype(np.int16), correction)
    np.clip(total, 0, 255, out=total)
    pixels[...] = total
