"""Typed values passed between pipeline stages."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

Image = NDArray[np.uint8]
"""A BGR (OpenCV order) uint8 image, HxWx3."""

FloatArray = NDArray[np.float32]


@dataclass(frozen=True, eq=False)
class Face:
    """One detected face in one image.

    ``box`` is (x0, y0, x1, y1) in pixels. ``landmarks_478`` holds MediaPipe FaceMesh points in pixels
    (x, y) plus a relative depth z in the same pixel scale, shape (478, 3); ``None`` for detectors that
    give only 5 keypoints. ``keypoints_5`` are the ArcFace keypoints (subject's right eye, left eye, nose
    tip, right mouth corner, left mouth corner), shape (5, 2).
    """

    box: tuple[float, float, float, float]
    score: float
    keypoints_5: FloatArray
    landmarks_478: FloatArray | None = None
    detector: str = "mediapipe"

    @property
    def width(self) -> float:
        return self.box[2] - self.box[0]

    @property
    def height(self) -> float:
        return self.box[3] - self.box[1]

    @property
    def center(self) -> tuple[float, float]:
        return ((self.box[0] + self.box[2]) / 2.0, (self.box[1] + self.box[3]) / 2.0)

    @property
    def size(self) -> float:
        """A scale for the face: the inter-ocular to mouth triangle's extent, robust to box jitter."""
        kps = self.keypoints_5
        eye_dist = float(np.linalg.norm(kps[0] - kps[1]))
        eye_mouth = float(np.linalg.norm((kps[0] + kps[1]) / 2 - (kps[3] + kps[4]) / 2))
        return max(eye_dist, eye_mouth) * 2.5


@dataclass(frozen=True)
class Identity:
    """The identity of the source person: an L2-normalised embedding from a named model."""

    embedding: FloatArray
    model: str
    photo_count: int = 1


@dataclass(frozen=True)
class Similarity:
    """How much a face resembles an identity, as measured by a named recognizer."""

    cosine: float
    percent: float
    verdict: str
    model: str

    def to_dict(self) -> dict[str, float | str]:
        return {
            "cosine": round(self.cosine, 4),
            "percent": round(self.percent, 1),
            "verdict": self.verdict,
            "model": self.model,
        }


@dataclass
class StageTimings:
    """Milliseconds per named pipeline stage, accumulated in call order."""

    ms: dict[str, float] = field(default_factory=dict)

    def add(self, stage: str, milliseconds: float) -> None:
        self.ms[stage] = self.ms.get(stage, 0.0) + milliseconds

    @property
    def total(self) -> float:
        return sum(self.ms.values())
