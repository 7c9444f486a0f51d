"""``models calibrate NAME DIR``: fit the likeness gauge of a user recognizer on the user's own labelled
photos (one folder per person), as scripts/calibrate_judges.py fits the packaged judges' (core/identity.py
explains the rule). Without a calibration a recognizer cannot be the judge: the gauge never shows a
made-up percentage.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..core.errors import BadInput
from ..core.identity import Calibration, cosine, fit_calibration
from ..core.media.image_io import read_image
from .context import AppContext

MIN_AUC = 0.9
"""Below this the recognizer does not tell the people in the folder apart: no calibration is stored."""
_IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".webp", ".bmp"}


@dataclass(frozen=True)
class CalibrationReport:
    """The fitted calibration and the pair statistics it came from."""

    calibration: Calibration
    photos: int
    same: int
    different: int
    auc: float

    def describe(self) -> str:
        c = self.calibration
        return (
            f"{c.model}: {self.photos} photos, {self.same} same-person / {self.different} different-person "
            f"pairs, AUC {self.auc:.3f}; gauge centre {c.centre:.3f}, slope {c.slope}"
        )


def calibrate_recognizer(context: AppContext, name: str, folder: Path) -> CalibrationReport:
    """Embed the largest face of every photo under ``folder/<person>/`` with recognizer ``name``, fit
    its calibration, record it with the user model and use it from now on."""
    from ..inference.user_models import set_calibration, user_model

    models = context.models
    store = getattr(models, "store", None)
    if store is None or user_model(store, name).role != "recognizer":
        raise BadInput(f"{name!r} is not a user recognizer")
    people = sorted(p for p in folder.iterdir() if p.is_dir()) if folder.is_dir() else []
    detector, recognizer = context.detector(), context.recognizer(name)
    embedded: list[tuple[str, np.ndarray]] = []
    for person in people:
        for path in sorted(p for p in person.iterdir() if p.suffix.lower() in _IMAGE_SUFFIXES):
            image = read_image(path)
            faces = detector.detect_faces(image)
            if faces:
                face = max(faces, key=lambda f: f.width * f.height)
                embedded.append((person.name, recognizer.embed(image, face)))
    same: list[float] = []
    different: list[float] = []
    for (pa, ea), (pb, eb) in itertools.combinations(embedded, 2):
        (same if pa == pb else different).append(cosine(ea, eb))
    if not same or not different:
        raise BadInput(
            f"{folder} needs a folder per person, at least two people and one of them with two photos "
            f"(found {len(embedded)} faces in {len(people)} folders)"
        )
    s, d = np.asarray(same), np.asarray(different)
    auc = float(np.mean((s[:, None] > d[None, :]) + 0.5 * (s[:, None] == d[None, :])))
    if auc < MIN_AUC:
        raise BadInput(f"{name} separates these people poorly (AUC {auc:.3f} < {MIN_AUC}); not calibrated")
    calibration = fit_calibration(recognizer.name, same, different)
    set_calibration(store, name, calibration.centre, calibration.slope)
    context.calibrations.add(calibration)
    return CalibrationReport(calibration, len(embedded), len(same), len(different), auc)
