"""Embedded face analysis, ONNX Runtime (CPU provider) against MediaPipe's TFLite runtime, in one run.

Run: ``PYTHONPATH=. .venv/bin/python benchmarks/bench_face_analysis.py [--repeats N] [--frames N]``.
Needs mediapipe 0.10.21 for the comparison (it is the baseline). Prints numbers; asserts nothing.

* Photo: ``detect_faces`` (detection + 478 landmarks of every face) on every shared identity and group
  photo fitted into a 1920x1080 frame; median ms per photo over ``--repeats`` warm runs, the two
  analysers alternating photo by photo so that load on the machine hits both alike.
* Video: the tracking stage per frame (``FaceTracker.update`` seeded on the largest face: the follower's
  refit every frame, full detection every 10th), on the first ``--frames`` decoded frames of each shared
  clip held in memory; mean ms per frame, the two analysers alternating clip by clip, twice.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "scripts"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_photo import fit_1080p
from mediapipe_analyser import MediaPipeFaceAnalyser

from faceswap_desktop.core.media.image_io import read_image
from faceswap_desktop.core.media.video_io import VideoReader
from faceswap_desktop.core.video.tracking import FaceTracker
from faceswap_desktop.inference.face_analyser import OnnxFaceAnalyser
from faceswap_desktop.inference.sessions import SessionCache

SHARED = Path(os.environ.get("FACESWAP_SHARED_DIR", Path(__file__).resolve().parents[2] / "shared"))


def time_photo(analyser: object, frame: np.ndarray, repeats: int) -> tuple[float, float, int]:
    """(median wall ms, median process CPU ms, faces) of ``detect_faces``. CPU time counts every thread
    of the process (MediaPipe runs its graph on its own threads) and is less sensitive than wall time to
    other work on a shared machine."""
    detect = analyser.detect_faces  # type: ignore[attr-defined]
    faces = len(detect(frame))  # warm-up
    wall, cpu = [], []
    for _ in range(repeats):
        start, start_cpu = time.perf_counter(), time.process_time()
        detect(frame)
        wall.append((time.perf_counter() - start) * 1000)
        cpu.append((time.process_time() - start_cpu) * 1000)
    return statistics.median(wall), statistics.median(cpu), faces


def time_tracking(analyser: object, frames: list[np.ndarray], fps: float) -> tuple[float, float]:
    """(wall, process CPU) mean ms per frame of the tracking stage, seeded on the largest face of frame 0."""
    faces = analyser.detect_faces(frames[0])  # type: ignore[attr-defined]
    if not faces:
        return float("nan"), float("nan")
    follower = analyser.landmark_follower()  # type: ignore[attr-defined]
    tracker = FaceTracker(analyser, None, None, 0.5, 0.3, refitter=follower)  # type: ignore[arg-type]
    tracker.seed(max(faces, key=lambda f: f.width * f.height), 0)
    start, start_cpu = time.perf_counter(), time.process_time()
    for index, frame in enumerate(frames[1:], start=1):
        tracker.update(frame, index, index / fps)
    elapsed, elapsed_cpu = time.perf_counter() - start, time.process_time() - start_cpu
    tracker.close()
    return elapsed * 1000 / (len(frames) - 1), elapsed_cpu * 1000 / (len(frames) - 1)


def _row(baseline: float, ours: float) -> str:
    return f"{baseline:>11.1f}{ours:>8.1f}{ours / baseline:>7.2f}"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--frames", type=int, default=120)
    args = parser.parse_args()
    onnx = OnnxFaceAnalyser(SessionCache("cpu"))
    tflite = MediaPipeFaceAnalyser()
    print(f"cores: {len(os.sched_getaffinity(0))}")

    photos = sorted((SHARED / "media" / "images" / "identity").glob("*/*"))
    photos += sorted((SHARED / "media" / "images" / "multi_face").glob("*"))
    print(f"\n== photo detect + landmarks at 1080p (median ms of {args.repeats} warm runs) ==")
    print(f"{'':<50}{'--------- wall ---------':>26}{'--------- CPU ----------':>26}")
    header = f"{'mediapipe':>11}{'onnx':>8}{'ratio':>7}"
    print(f"{'photo':<44}{'faces':>6}{header}{header}")
    totals = np.zeros(4)
    for path in photos:
        frame = fit_1080p(read_image(path))
        mp_ms, mp_cpu, mp_faces = time_photo(tflite, frame, args.repeats)
        ox_ms, ox_cpu, ox_faces = time_photo(onnx, frame, args.repeats)
        totals += (mp_ms, ox_ms, mp_cpu, ox_cpu)
        name = str(path.relative_to(SHARED / "media" / "images"))
        faces = f"{mp_faces}" if mp_faces == ox_faces else f"{mp_faces}/{ox_faces}"
        print(f"{name:<44}{faces:>6}{_row(mp_ms, ox_ms)}{_row(mp_cpu, ox_cpu)}")
    m = totals / len(photos)
    print(f"{'mean per photo':<50}{_row(m[0], m[1])}{_row(m[2], m[3])}")

    print(f"\n== video tracking stage per frame ({args.frames} frames in memory, mean ms; 2 rounds) ==")
    print(f"{'':<45}{'--------- wall ---------':>26}{'--------- CPU ----------':>26}")
    print(f"{'clip':<34}{'size':>11}{header}{header}")
    for clip in sorted((SHARED / "media" / "videos").glob("*.mp4")):
        with VideoReader(clip) as reader:
            fps = float(reader.info.fps)
            frames = [frame for _, frame in reader.frames(0, args.frames)]
        results: dict[str, list[tuple[float, float]]] = {"mediapipe": [], "onnx": []}
        for _ in range(2):
            results["mediapipe"].append(time_tracking(tflite, frames, fps))
            results["onnx"].append(time_tracking(onnx, frames, fps))
        mp_ms, mp_cpu = (min(values) for values in zip(*results["mediapipe"], strict=True))
        ox_ms, ox_cpu = (min(values) for values in zip(*results["onnx"], strict=True))
        size = f"{frames[0].shape[1]}x{frames[0].shape[0]}"
        print(f"{clip.name:<34}{size:>11}{_row(mp_ms, ox_ms)}{_row(mp_cpu, ox_cpu)}")
    tflite.close()


if __name__ == "__main__":
    main()
