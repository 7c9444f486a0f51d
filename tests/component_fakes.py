"""Fake restorer and mask components that record their calls (registered in a test's own context)."""

from __future__ import annotations

import numpy as np

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
