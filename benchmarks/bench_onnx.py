"""ONNX path benchmark: real small models through the app's SessionCache on a chosen provider.

Runs the shared SCRFD-2.5G detector and the shared MobileFaceNet recognizer (the only real ONNX weights
available offline) and prints per-stage median milliseconds and the provider each session really runs on
(with the fallback reason, if any). Usage:

    .venv/bin/python benchmarks/bench_onnx.py [--provider auto|cpu|cuda|tensorrt|dml|coreml]
        [--models DIR] [--image PATH] [--repeats N]

``--models`` defaults to ``../shared/models``; on a GPU machine pass copies of the two files.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import cv2
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from faceswap_desktop.inference.onnx_recognizer import OnnxRecognizer
from faceswap_desktop.inference.scrfd import ScrfdDetector
from faceswap_desktop.inference.sessions import SessionCache

SHARED = Path(__file__).resolve().parents[2] / "shared"


def median_ms(function, repeats: int) -> float:  # type: ignore[no-untyped-def]
    function()  # warm-up (first CUDA run builds kernels)
    samples = []
    for _ in range(repeats):
        start = time.perf_counter()
        function()
        samples.append((time.perf_counter() - start) * 1000)
    return statistics.median(samples)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--provider", default="auto")
    parser.add_argument("--models", type=Path, default=SHARED / "models")
    parser.add_argument("--image", type=Path, default=SHARED / "media/images/multi_face/insightface_t1.jpg")
    parser.add_argument("--repeats", type=int, default=30)
    args = parser.parse_args()

    scrfd_path = next(args.models.rglob("scrfd_2.5g_bnkps.onnx"))
    mfn_path = next(args.models.rglob("mobilefacenet_paddlex_128d.onnx"))
    image = cv2.imdecode(np.fromfile(str(args.image), np.uint8), cv2.IMREAD_COLOR)

    sessions = SessionCache(args.provider)
    print(f"available providers: {sessions.available}; chosen: {sessions.provider}")
    detector = ScrfdDetector(sessions.session(scrfd_path), name="scrfd_2.5g_bnkps")
    recognizer = OnnxRecognizer(mfn_path, "MobileFaceNet", 127.5, 128.0, session=sessions.session(mfn_path))
    for info in sessions.infos():
        note = f" (fell back: {info.reason})" if info.fell_back else ""
        print(f"  {info.model_path.name}: requested {info.requested}, runs on {info.provider}{note}")

    faces = detector.detect_faces(image)
    print(f"image {args.image.name} {image.shape[1]}x{image.shape[0]}: {len(faces)} faces")
    detect_ms = median_ms(lambda: detector.detect_faces(image), args.repeats)
    embed_ms = median_ms(lambda: recognizer.embed(image, faces[0]), args.repeats)
    embed_all_ms = median_ms(lambda: [recognizer.embed(image, f) for f in faces], args.repeats)
    print(f"scrfd detect (640 letterbox, decode + NMS): {detect_ms:.2f} ms")
    print(f"mobilefacenet embed, 1 face (align + run):   {embed_ms:.2f} ms")
    print(f"mobilefacenet embed, {len(faces)} faces:              {embed_all_ms:.2f} ms")


if __name__ == "__main__":
    main()
