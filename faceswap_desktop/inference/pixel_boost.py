"""Pixel boost: a 128 px swapper run on the k x k sub-pixel-shifted tiles of a k*128 px aligned crop.

As FaceFusion's ``implode_pixel_boost`` / ``explode_pixel_boost`` (and Rope's and VisoMaster's tiling):
tile (i, j) is ``crop[i::k, j::k]``, i.e. the whole face sampled on a 128 px grid shifted by (i, j) / k
pixel. Each tile goes through the model; the outputs are interleaved back into a k*128 px crop, so a
swapper that returns its input gives back the aligned crop exactly.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np
from numpy.typing import NDArray

from faceswap_desktop.core.errors import BadInput

TILE = 128
BOOST_SIZES: tuple[int, ...] = (128, 256, 384, 512)


def boost_size(setting: str, frame_extent: float, tile: int = TILE) -> int:
    """The aligned crop size for a pixel-boost ``setting`` ("128".."512" or "auto").

    ``frame_extent``: how many frame pixels the native ``tile`` px crop spans. "auto" picks the smallest
    size that does not downsample the face (the crop has at least as many pixels as the frame region),
    at most 512; a face smaller than the native crop stays native.
    """
    if setting == "auto":
        for size in BOOST_SIZES:
            if size >= frame_extent:
                return size
        return BOOST_SIZES[-1]
    try:
        size = int(setting)
    except ValueError:
        raise BadInput(f"pixel boost {setting!r} is not one of 128, 256, 384, 512, auto") from None
    if size not in BOOST_SIZES or size % tile:
        raise BadInput(f"pixel boost {setting!r} is not one of 128, 256, 384, 512, auto")
    return size


def implode(crop: NDArray[Any], tile: int = TILE) -> NDArray[Any]:
    """(k*k, tile, tile, C) tiles of a (k*tile, k*tile, C) crop; tile i*k + j is ``crop[i::k, j::k]``."""
    size, channels = crop.shape[0], crop.shape[2]
    k = size // tile
    if k * tile != size or crop.shape[1] != size:
        raise ValueError(f"a pixel-boost crop must be a square multiple of {tile} px, got {crop.shape}")
    grid = crop.reshape(tile, k, tile, k, channels).transpose(1, 3, 0, 2, 4)
    return np.ascontiguousarray(grid.reshape(k * k, tile, tile, channels))


def explode(tiles: NDArray[Any], tile: int = TILE) -> NDArray[Any]:
    """The inverse of :func:`implode`: interleave k*k tiles back into one (k*tile, k*tile, C) crop."""
    count, channels = tiles.shape[0], tiles.shape[3]
    k = math.isqrt(count)
    if k * k != count:
        raise ValueError(f"{count} tiles do not form a square grid")
    grid = tiles.reshape(k, k, tile, tile, channels).transpose(2, 0, 3, 1, 4)
    return np.ascontiguousarray(grid.reshape(k * tile, k * tile, channels))


def run_boosted(
    crop: NDArray[Any], run_tile: Callable[[NDArray[Any]], NDArray[Any]], tile: int = TILE
) -> NDArray[Any]:
    """Run ``run_tile`` (a tile px crop -> a tile px float crop) on every tile and reassemble."""
    if crop.shape[0] == tile:
        return run_tile(crop)
    outputs = [run_tile(piece) for piece in implode(crop, tile)]
    return explode(np.stack(outputs), tile)
