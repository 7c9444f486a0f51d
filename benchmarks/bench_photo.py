"""Photo swap benchmark: warm per-swap time by stage (native size and 1080p), identity ratio, leakage.

Run: ``make bench`` or ``.venv/bin/python benchmarks/bench_photo.py [--repeats N]``. Prints numbers; it
asserts nothing (targets live in the issue notes, not in timed tests).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import cv2
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from identity_eval import MOBILEFACENET, evaluate, load_people, summarise

from faceswap_desktop.app.context import create_context
from faceswap_desktop.core.pipeline import FaceSelection
from faceswap_desktop.core.settings import SwapSettings
from faceswap_desktop.inference.onnx_recognizer import OnnxRecognizer


def fit_1080p(image: np.ndarray) -> np.ndarray:
    """The photo scaled to fit 1920x1080 and padded with flat grey to exactly that size.

    Flat, not mirrored: reflect padding put mirror copies of the face beside it (3-4 faces detected in
    a "single-face" frame), so detection timed several faces.
    """
    h, w = image.shape[:2]
    scale = min(1920 / w, 1080 / h)
    resized = cv2.resize(image, (round(w * scale), round(h * scale)), interpolation=cv2.INTER_CUBIC)
    pad_x, pad_y = 1920 - resized.shape[1], 1080 - resized.shape[0]
    return cv2.copyMakeBorder(
        resized,
        pad_y // 2,
        pad_y - pad_y // 2,
        pad_x // 2,
        pad_x - pad_x // 2,
        cv2.BORDER_CONSTANT,
        value=(128, 128, 128),
    )


def time_stages(pipeline, prepared, frame, settings, repeats: int) -> dict[str, float]:
    """Median ms per stage over ``repeats`` warm runs (detect + swap + score, as a user's swap runs)."""
    pipeline.process_frame(frame, prepared, settings, FaceSelection())  # warm-up
    runs: list[dict[str, float]] = []
    for _ in range(repeats):
        start = time.perf_counter()
        result = pipeline.process_frame(frame, prepared, settings, FaceSelection())
        stages = dict(result.timings.ms)
        stages["total"] = (time.perf_counter() - start) * 1000
        stages["total_without_score"] = stages["total"] - stages.get("score", 0.0)
        runs.append(stages)
    return {key: statistics.median(run[key] for run in runs) for key in runs[0]}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args()
    context = create_context()
    pipeline = context.build_pipeline(judge="dlib")
    settings = SwapSettings()
    people = load_people(context.build_pipeline(judge=None))
    print(f"cores: {len(__import__('os').sched_getaffinity(0))}; settings: {settings.to_dict()}")

    source = people[8]  # obama: photo 0 drives the swap
    prepared = pipeline.prepare_source([source.images[0]])
    print("\n== warm time per single-face swap (median ms; score = dlib judge) ==")
    columns = [("size", 11), ("face px", 9), ("detect", 8), ("swap", 7), ("score", 7)]
    columns += [("no-score", 10), ("total", 8)]
    print(f"{'target':<34}" + "".join(f"{name:>{width}}" for name, width in columns))
    totals: dict[str, list[float]] = {"native": [], "1080p": []}
    for person in people[:8]:
        for label, frame in (("native", person.images[0]), ("1080p", fit_1080p(person.images[0]))):
            stages = time_stages(pipeline, prepared, frame, settings, args.repeats)
            face_px = pipeline.detect(frame)[0].width
            totals[label].append(stages["total_without_score"])
            size = f"{frame.shape[1]}x{frame.shape[0]}"
            name = f"{person.name}/{person.photos[0].name}"
            print(
                f"{name:<34}{size:>11}{face_px:>9.0f}{stages['detect']:>8.1f}"
                f"{stages['swap']:>7.1f}{stages['score']:>7.1f}{stages['total_without_score']:>10.1f}"
                f"{stages['total']:>8.1f}"
            )
    for label, values in totals.items():
        print(f"{label}: median detect+swap {statistics.median(values):.1f} ms, worst {max(values):.1f} ms")

    print("\n== identity (judge: shared MobileFaceNet, independent of the engine) ==")
    judge = OnnxRecognizer(MOBILEFACENET, "MobileFaceNet PaddleX (128-d)", mean=127.5, std=128.0)
    summary = summarise(evaluate(context.build_pipeline(judge=None), judge, people, settings))
    for key, value in summary.items():
        print(f"{key:<26}{value:.3f}")


if __name__ == "__main__":
    main()
