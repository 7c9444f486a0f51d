"""The mesh engine's own cost: ``prepare_source`` and ``swap`` alone (no detection), medians in ms.

Run from a tree's root: ``PYTHONPATH=. .venv/bin/python benchmarks/bench_mesh_swap.py``; run it in two
trees alternately (e.g. main and a branch) on the same machine and compare the numbers as ratios.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path.cwd()))

from faceswap_desktop.app.context import create_context
from faceswap_desktop.core.media.image_io import read_image
from faceswap_desktop.core.mesh.mesh_engine import MeshSwapper
from faceswap_desktop.core.roles import SourcePhoto
from faceswap_desktop.core.settings import SwapSettings

SHARED = Path(os.environ.get("FACESWAP_SHARED_DIR") or Path.cwd().parent / "shared")
IMAGES = SHARED / "media" / "images"
TARGETS = ("identity/deepface_p07/img29.jpg", "identity/biden/biden2.jpg")


def main() -> None:
    detector = create_context().detector("mediapipe")
    source = read_image(IMAGES / "identity/obama/obama.jpg")
    source_face = detector.detect_faces(source)[0]
    swapper = MeshSwapper()
    times = []
    for _ in range(5):
        start = time.perf_counter()
        prepared = swapper.prepare_source([SourcePhoto(source, source_face)])
        times.append(time.perf_counter() - start)
    print(f"prepare_source (obama.jpg): {np.median(times) * 1000:.1f} ms")
    for name in TARGETS:
        target = read_image(IMAGES / name)
        face = detector.detect_faces(target)[0]
        swapper.swap(target, face, prepared, SwapSettings())
        times = []
        for _ in range(15):
            start = time.perf_counter()
            swapper.swap(target, face, prepared, SwapSettings())
            times.append(time.perf_counter() - start)
        print(f"swap onto {name} {target.shape[1]}x{target.shape[0]}: {np.median(times) * 1000:.1f} ms")


if __name__ == "__main__":
    main()
