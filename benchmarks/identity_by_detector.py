"""The identity benchmark's defaults row with each embedded analyser: ONNX (the default "mediapipe"
detector) against MediaPipe's TFLite runtime (``scripts/mediapipe_analyser.py``), same protocol and judge as
``bench_identity.py`` (see ``identity_eval.py``).

Run: ``PYTHONPATH=. .venv/bin/python benchmarks/identity_by_detector.py``. Needs mediapipe 0.10.21 for the
baseline row. Prints numbers; asserts nothing.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "scripts"))

from identity_eval import MOBILEFACENET, evaluate, load_people, summarise
from mediapipe_analyser import MediaPipeFaceAnalyser

from faceswap_desktop.app.context import create_context
from faceswap_desktop.core.pipeline import FacePipeline
from faceswap_desktop.core.settings import SwapSettings
from faceswap_desktop.inference.onnx_recognizer import OnnxRecognizer


def main() -> None:
    context = create_context("cpu")
    judge = OnnxRecognizer(MOBILEFACENET, "MobileFaceNet PaddleX (128-d)", mean=127.5, std=128.0)
    detectors = {"onnx (default)": context.detector("mediapipe"), "mediapipe tflite": MediaPipeFaceAnalyser()}
    print(f"{'detector':<20}{'ratio':>7}{'leak':>7}{'pose':>7}{'seam':>7}{'success':>9}{'s':>6}")
    for name, detector in detectors.items():
        start = time.perf_counter()
        pipeline = FacePipeline(detector, context.swapper("mesh"), None, context.calibrations)
        people = load_people(pipeline)
        summary = summarise(evaluate(pipeline, judge, people, SwapSettings()))
        print(
            f"{name:<20}{summary['identity_ratio']:>7.3f}{summary['leakage']:>7.3f}"
            f"{summary['pose_kept']:>7.2f}{summary['seam']:>7.2f}{summary['success_rate']:>9.2f}"
            f"{time.perf_counter() - start:>6.0f}"
        )


if __name__ == "__main__":
    main()
