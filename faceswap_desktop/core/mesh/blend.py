"""Blending a swapped face region into the target frame: feathered alpha, Poisson, multi-band."""

from __future__ import annotations

import cv2
import numpy as np

from ..errors import BadInput
from ..types import FloatArray, Image


def blend_alpha(foreground: Image, background: Image, alpha: FloatArray) -> Image:
    """out = fg * a + bg * (1 - a), a in [0, 1] per pixel."""
    weight = np.ascontiguousarray(alpha, dtype=np.float32)
    return cv2.blendLinear(foreground, background, weight, 1.0 - weight)


def blend_poisson(foreground: Image, background: Image, mask: FloatArray, strength: float = 1.0) -> Image:
    """Poisson seamless clone (gradient domain) of the masked foreground into the background."""
    binary = (mask > 0.5).astype(np.uint8) * 255
    ys, xs = np.nonzero(binary)
    if len(xs) < 16:
        return background.copy()
    # seamlessClone fails when the mask touches the border; keep a 1 px frame clear.
    binary[[0, -1], :] = 0
    binary[:, [0, -1]] = 0
    x0, x1, y0, y1 = xs.min(), xs.max(), ys.min(), ys.max()
    centre = (int((x0 + x1 + 1) // 2), int((y0 + y1 + 1) // 2))
    try:
        cloned = cv2.seamlessClone(foreground, background, binary, centre, cv2.NORMAL_CLONE)
    except cv2.error:
        return blend_alpha(foreground, background, mask * strength)
    # Use the feathered mask on top so the clone's hard edge does not show.
    return blend_alpha(cloned, background, mask * strength)


def _pyramid_levels(height: int, width: int, requested: int) -> int:
    levels = 0
    while levels < requested and min(height, width) >> (levels + 1) >= 8:
        levels += 1
    return levels


def blend_multiband(foreground: Image, background: Image, mask: FloatArray, levels: int = 5) -> Image:
    """Laplacian-pyramid blending: low frequencies mix over wide regions, fine detail over narrow ones."""
    count = _pyramid_levels(mask.shape[0], mask.shape[1], levels)
    fg, bg = foreground.astype(np.float32), background.astype(np.float32)
    gauss_mask = [mask.astype(np.float32)]
    gauss_fg, gauss_bg = [fg], [bg]
    for _ in range(count):
        gauss_mask.append(cv2.pyrDown(gauss_mask[-1]))
        gauss_fg.append(cv2.pyrDown(gauss_fg[-1]))
        gauss_bg.append(cv2.pyrDown(gauss_bg[-1]))
    blended = gauss_fg[count] * gauss_mask[count][..., None] + gauss_bg[count] * (
        1 - gauss_mask[count][..., None]
    )
    for level in range(count - 1, -1, -1):
        size = (gauss_fg[level].shape[1], gauss_fg[level].shape[0])
        lap_fg = gauss_fg[level] - cv2.pyrUp(gauss_fg[level + 1], dstsize=size)
        lap_bg = gauss_bg[level] - cv2.pyrUp(gauss_bg[level + 1], dstsize=size)
        m = gauss_mask[level][..., None]
        blended = cv2.pyrUp(blended, dstsize=size) + lap_fg * m + lap_bg * (1 - m)
    # Outside the mask's support the pyramid may ring slightly; pin those pixels to the background.
    support = (cv2.dilate((mask > 0.01).astype(np.uint8), np.ones((3, 3), np.uint8)) > 0)[..., None]
    out = np.where(support, blended, bg)
    return np.clip(out + 0.5, 0, 255).astype(np.uint8)


def blend_into_frame(
    mode: str, foreground: Image, background: Image, mask: FloatArray, strength: float
) -> Image:
    """Dispatch by the ``blend_mode`` setting's value; ``strength`` in [0, 1] scales the swap's weight."""
    if mode == "alpha":
        return blend_alpha(foreground, background, mask * strength)
    if mode == "poisson":
        return blend_poisson(foreground, background, mask, strength)
    if mode == "multiband":
        blended = blend_multiband(foreground, background, mask)
        if strength >= 1.0:
            return blended
        return blend_alpha(blended, background, np.full(mask.shape, strength, dtype=np.float32))
    raise BadInput(f"unknown blend mode {mode!r}")
