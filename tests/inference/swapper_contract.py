"""Checks every learned swapper wrapper must pass (inswapper, SimSwap), on synthetic graphs with the real
tensor names: the test modules differ only in the graph they build and in how much a round trip through
the model's crop size may lose."""

from __future__ import annotations

import numpy as np

from faceswap_desktop.core.roles import Swapper
from faceswap_desktop.core.settings import SwapSettings
from faceswap_desktop.core.types import Face, FloatArray, Image


class FixedRecognizer:
    """A Recognizer that returns queued 512-d vectors (unnormalised, to check our normalisation)."""

    name = "fixed"

    def __init__(self, vectors: list[np.ndarray]) -> None:
        self.vectors = list(vectors)

    def embed(self, image: Image, face: Face) -> FloatArray:
        return self.vectors.pop(0).astype(np.float32)


def check_identity_model_gives_back_the_frame(
    swapper: Swapper, prepared: object, frame: Image, face: Face, inside_mean_below: float
) -> None:
    """A model that returns its input: the frame comes back, changed inside the mask by at most
    ``inside_mean_below`` grey levels on average (resampling) and not at all outside it."""
    before = frame.copy()
    out = swapper.swap(frame, face, prepared, SwapSettings())
    np.testing.assert_array_equal(frame, before)  # input untouched
    inside = out.mask > 0.5
    assert inside.sum() > 0.3 * face.size**2  # the mask covers the face
    diff = np.abs(out.frame.astype(np.int16) - frame.astype(np.int16))
    assert float(diff[inside].mean()) < inside_mean_below
    assert int(diff[~(out.mask > 0)].max()) == 0  # outside the mask: bit-exact


def check_constant_colour_only_inside_the_mask(
    swapper: Swapper, prepared: object, frame: Image, face: Face
) -> None:
    """A model that paints orange (RGB 1, 0.5, 0; R != B catches channel swaps): orange in the mask's
    core, the nose fully swapped, nothing changed outside the mask."""
    out = swapper.swap(frame, face, prepared, SwapSettings())
    changed = np.any(out.frame != frame, axis=2)
    assert changed.any()
    assert not np.any(changed & (out.mask == 0))
    core = out.mask > 0.99
    np.testing.assert_allclose(out.frame[core].mean(0), [0, 127.5, 255], atol=2)  # orange in BGR
    cx, cy = face.keypoints_5[2]
    assert out.mask[int(cy), int(cx)] > 0.99  # the nose is fully swapped
    assert out.mask[0, 0] == 0 and out.mask[-1, -1] == 0
