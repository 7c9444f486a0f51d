"""Identity similarity: cosine of embeddings, calibrated per model to a percentage and a verdict.

Calibration: percent = 100 * sigmoid(k * (cosine - c)). ``c`` is the model's equal-error threshold
measured on labelled pairs; ``k`` is the smallest slope that puts the 95th percentile of different-person
pairs at <= 10% and the median same-person pair at >= 90% (docs/models.md). The raw cosine and the model
name always travel with the percentage.

Evidence (``scripts/calibrate_judges.py`` on ``../shared/media/images/identity``: 10 people, 28 photos,
26 same-person and 352 different-person pairs, faces from our MediaPipe analyser):

- dlib ResNet (128-d), measured with dlib's own pipeline (5-point shape predictor): same mean 0.962 /
  median 0.963 / min 0.924; different mean 0.821 / p95 0.882 / max 0.904; AUC 1.000; FAR = FRR = 0 for
  any threshold in (0.904, 0.924), c = 0.914 (the midpoint). k >= 68.7 (p95 rule) and >= 44.8 (median
  rule): k = 70. Re-measured with the embedded ONNX judge that replaced it (the same network, chip from
  the mesh landmarks; inference/dlib_judge.py): same mean 0.961 / median 0.963 / min 0.924; different
  mean 0.820 / p95 0.880 / max 0.900; AUC 1.000; fitted c = 0.912, k = 68.2. The shipped (0.914, 70)
  still puts every pair on its side, the p95 different pair at 8.4% and the median same pair at 96.9%,
  so it stays (dlib's own pipeline, re-run the same day: p95 0.880, max 0.903, min same 0.924).
- MobileFaceNet (PaddleX, 128-d, the shared test judge): same mean 0.683 / median 0.703 / min 0.508;
  different mean 0.013 / p95 0.160 / max 0.280; AUC 1.000; EER gap (0.280, 0.508), c = 0.394.
  k >= 9.4 and >= 7.1: k = 10.
- ArcFace w600k_r50 (512-d, downloadable): no weights here; published reference points (same person
  about 0.7-0.8, different about 0.0-0.1, common match threshold 0.40): c = 0.40, k = 8 (p95 of
  different pairs at 0.12 -> 9.6%; a same pair at 0.70 -> 91.7%).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from .errors import UnknownComponent
from .types import FloatArray, Identity, Similarity


@dataclass(frozen=True)
class Calibration:
    """Logistic mapping of one model's cosine to a percentage."""

    model: str
    centre: float
    slope: float

    def percent(self, cosine: float) -> float:
        """The calibrated likeness percentage, 0-100."""
        z = self.slope * (cosine - self.centre)
        return 100.0 / (1.0 + math.exp(-max(min(z, 60.0), -60.0)))


VERDICTS: tuple[tuple[float, str], ...] = (
    (90.0, "strong match"),
    (60.0, "likely same"),
    (25.0, "uncertain"),
    (0.0, "different person"),
)
"""(lowest percent, verdict) bands, highest first."""


def verdict_for(percent: float) -> str:
    """The words shown with a percentage."""
    for lowest, words in VERDICTS:
        if percent >= lowest:
            return words
    return VERDICTS[-1][1]


def fit_calibration(model: str, same: Sequence[float], different: Sequence[float]) -> Calibration:
    """Fit c (EER threshold, midpoint of a perfect-separation gap) and k (see module doc) from pairs."""
    same_arr, diff_arr = np.sort(np.asarray(same, float)), np.sort(np.asarray(different, float))
    thresholds = np.unique(np.concatenate([same_arr, diff_arr]))
    far = np.array([(diff_arr >= t).mean() for t in thresholds])
    frr = np.array([(same_arr < t).mean() for t in thresholds])
    gap = np.abs(far - frr)
    best = thresholds[gap == gap.min()]
    if far[np.argmin(gap)] == 0 and frr[np.argmin(gap)] == 0:
        # Perfect separation: any threshold between the worst pairs works; take the midpoint.
        centre = float((diff_arr.max() + same_arr.min()) / 2)
    else:
        centre = float(best.mean())
    logit_90 = math.log(9.0)
    needs = [1.0]
    p95 = float(np.percentile(diff_arr, 95))
    if centre - p95 > 1e-6:
        needs.append(logit_90 / (centre - p95))
    median_same = float(np.median(same_arr))
    if median_same - centre > 1e-6:
        needs.append(logit_90 / (median_same - centre))
    # Round the slope up, never down: rounding down would break the rules it was fitted to meet.
    return Calibration(model=model, centre=centre, slope=math.ceil(max(needs) * 10) / 10)


def cosine(a: FloatArray, b: FloatArray) -> float:
    """Cosine similarity of two vectors (normalised here, whatever their length)."""
    na, nb = float(np.linalg.norm(a)), float(np.linalg.norm(b))
    if na < 1e-12 or nb < 1e-12:
        return 0.0
    return float(np.dot(a, b) / (na * nb))


def mean_identity(embeddings: Sequence[FloatArray], model: str) -> Identity:
    """The source identity: L2-normalised mean of the L2-normalised embeddings of all source photos."""
    stacked = np.stack([e / max(float(np.linalg.norm(e)), 1e-12) for e in embeddings])
    mean = stacked.mean(axis=0)
    return Identity(
        embedding=(mean / max(float(np.linalg.norm(mean)), 1e-12)).astype(np.float32),
        model=model,
        photo_count=len(embeddings),
    )


class CalibrationTable:
    """Calibrations by model name; a model without one is an error, never a made-up percentage."""

    def __init__(self, calibrations: Sequence[Calibration]) -> None:
        self._by_model = {c.model: c for c in calibrations}

    def add(self, calibration: Calibration) -> None:
        """Add (or replace) the calibration of ``calibration.model`` (a user recognizer's, fitted by
        ``models calibrate``)."""
        self._by_model[calibration.model] = calibration

    def get(self, model: str) -> Calibration:
        try:
            return self._by_model[model]
        except KeyError:
            raise UnknownComponent(f"no identity calibration for model {model!r}") from None

    def similarity(self, embedding: FloatArray, identity: Identity) -> Similarity:
        """Cosine, percent and verdict of one face embedding against the source identity."""
        value = cosine(embedding, identity.embedding)
        percent = self.get(identity.model).percent(value)
        return Similarity(cosine=value, percent=percent, verdict=verdict_for(percent), model=identity.model)


DLIB_CALIBRATION = Calibration("dlib ResNet-34 (128-d)", centre=0.914, slope=70.0)
MOBILEFACENET_CALIBRATION = Calibration("MobileFaceNet PaddleX (128-d)", centre=0.394, slope=10.0)
ARCFACE_W600K_CALIBRATION = Calibration("ArcFace w600k_r50 (512-d)", centre=0.40, slope=8.0)

DEFAULT_CALIBRATIONS: tuple[Calibration, ...] = (
    DLIB_CALIBRATION,
    MOBILEFACENET_CALIBRATION,
    ARCFACE_W600K_CALIBRATION,
)
