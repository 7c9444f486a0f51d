"""Fake restorer and mask components that record their calls (registered in a test's own context)."""

from __future__ import annotations

import numpy as np

from faceswap_desktop.core.roles import SwapOutput
from faceswap_desktop.core.types import Face, FloatArray, Image


class RecordingEnhancer:
    """Paints the face box magenta (so its effect is visible) and records every amount it was given."""

    name = "fake restorer"

    def __init__(self) -> None:
        self.amounts: list[float] = []

    def enhance(self, frame: Image, face: Face, amount: float) -> Image:
        self.amounts.append(amount)
        out = frame.copy()
        x0, y0, x1, y1 = (int(v) for v in face.box)
        out[max(y0, 0) : y1, max(x0, 0) : x1] = (255, 0, 255)
        return out


class HideEverythingMasker:
    """Says no pixel is visible face, so the pipeline must put the whole original back."""

    name = "fake occluder"

    def __init__(self) -> None:
        self.calls = 0

    def face_mask(self, frame: Image, face: Face) -> FloatArray:
        self.calls += 1
        return np.zeros(frame.shape[:2], np.float32)


class PaintingSwapper:
    """A swap engine that paints the target face's box pure green (its output is unmistakable)."""

    name = "painter"

    def __init__(self) -> None:
        self.prepared = 0

    def prepare_source(self, photos: object) -> str:
        self.prepared += 1
        return "painted"

    def swap(self, frame: Image, target: Face, prepared: object, settings: object) -> SwapOutput:
        out = frame.copy()
        x0, y0, x1, y1 = (int(v) for v in target.box)
        out[max(y0, 0) : y1, max(x0, 0) : x1] = (0, 255, 0)
        mask = np.zeros(frame.shape[:2], np.float32)
        mask[max(y0, 0) : y1, max(x0, 0) : x1] = 1.0
        return SwapOutput(out, mask)
