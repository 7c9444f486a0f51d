"""Measure the identity judges on labelled pairs and fit their gauge calibration (core/identity.py).

Run: ``python scripts/calibrate_judges.py``. For each judge it embeds the largest face of every photo in
``../shared/media/images/identity`` (10 people, 28 photos: 26 same-person and 352 different-person pairs),
prints the pair statistics, the calibration :func:`fit_calibration` derives from them, and how the
calibration the app ships for that model scores the same pairs. Judges: the embedded dlib judge (ONNX),
the shared MobileFaceNet, and dlib's own pipeline when dlib is installed (``scripts/dlib_reference.py``).
"""

from __future__ import annotations

import itertools
import os
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

from faceswap_desktop.app.context import create_context  # noqa: E402
from faceswap_desktop.core.identity import (  # noqa: E402
    DEFAULT_CALIBRATIONS,
    Calibration,
    cosine,
    fit_calibration,
)
from faceswap_desktop.core.media.image_io import read_image  # noqa: E402
from faceswap_desktop.core.roles import Recognizer  # noqa: E402
from faceswap_desktop.inference.onnx_recognizer import OnnxRecognizer  # noqa: E402

SHARED = Path(os.environ.get("FACESWAP_SHARED_DIR", ROOT.parent / "shared"))
IDENTITY = SHARED / "media" / "images" / "identity"
MOBILEFACENET = SHARED / "models" / "recognition" / "mobilefacenet_paddlex_128d.onnx"


def pairs(judge: Recognizer, photos: list[tuple[str, object, object]]) -> tuple[list[float], list[float]]:
    embeddings = [(person, judge.embed(image, face)) for person, image, face in photos]  # type: ignore[arg-type]
    same, different = [], []
    for (pa, ea), (pb, eb) in itertools.combinations(embeddings, 2):
        (same if pa == pb else different).append(cosine(ea, eb))
    return same, different


def report(name: str, same: list[float], different: list[float], shipped: Calibration | None) -> None:
    s, d = np.asarray(same), np.asarray(different)
    auc = float(np.mean([(a > b) + 0.5 * (a == b) for a in s for b in d]))
    print(f"{name}: {s.size} same / {d.size} different pairs, AUC {auc:.4f}")
    print(f"  same: mean {s.mean():.3f} median {np.median(s):.3f} min {s.min():.3f}")
    print(f"  different: mean {d.mean():.3f} p95 {np.percentile(d, 95):.3f} max {d.max():.3f}")
    fitted = fit_calibration(name, same, different)
    print(f"  fitted: centre {fitted.centre:.3f}, slope {fitted.slope}")
    if shipped is not None:
        errors = int((s < shipped.centre).sum()) + int((d >= shipped.centre).sum())
        print(
            f"  shipped ({shipped.centre}, {shipped.slope}): pairs on the wrong side {errors}; "
            f"p95 different -> {shipped.percent(float(np.percentile(d, 95))):.1f}%, "
            f"median same -> {shipped.percent(float(np.median(s))):.1f}%, "
            f"min same -> {shipped.percent(float(s.min())):.1f}%, "
            f"max different -> {shipped.percent(float(d.max())):.1f}%"
        )


def main() -> int:
    context = create_context("cpu")
    detector = context.detector()
    photos = []
    for folder in sorted(IDENTITY.iterdir()):
        for path in sorted(folder.iterdir()):
            image = read_image(path)
            face = max(detector.detect_faces(image), key=lambda f: f.width * f.height)
            photos.append((folder.name, image, face))
    shipped = {c.model: c for c in DEFAULT_CALIBRATIONS}
    judges: list[tuple[str, Recognizer]] = [("dlib ONNX judge (mesh chip)", context.recognizer("dlib"))]
    try:
        from dlib_reference import DlibRecognizer

        judges.append(("dlib's own pipeline (shape predictor)", DlibRecognizer()))
    except ImportError:
        print("dlib is not installed: its own pipeline is skipped")
    if MOBILEFACENET.is_file():
        judges.append(
            ("MobileFaceNet", OnnxRecognizer(MOBILEFACENET, "MobileFaceNet PaddleX (128-d)", 127.5, 128.0))
        )
    for label, judge in judges:
        same, different = pairs(judge, photos)
        report(f"{label} [{judge.name}]", same, different, shipped.get(judge.name))
    return 0


if __name__ == "__main__":
    sys.exit(main())
