"""Per-swap cost of this tree's mesh engine against other trees', alternated call by call in one process.

Run from a tree's root:
``PYTHONPATH=. .venv/bin/python benchmarks/bench_mesh_swap_ab.py --other realism=/work/wt-realism``
(``--other`` repeatable; ``LABEL=PATH`` of another tree, or ``LABEL=git:REV`` for a commit of this one).
Each other tree's ``faceswap_desktop/core`` is copied under a private package name (core uses relative
imports only), so every engine swaps the same detected faces in turn: photos (medians over ``--rounds``)
and a video-like loop (``--frames`` consecutive frames of a shared clip, faces detected once beforehand,
total ms per engine). The machine is shared: compare the ratios printed, not the absolute numbers.
"""

from __future__ import annotations

import argparse
import importlib
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import cv2
import numpy as np

sys.path.insert(0, str(Path.cwd()))

from faceswap_desktop.app.context import create_context
from faceswap_desktop.core.media.image_io import read_image

SHARED = Path.cwd().parent / "shared" / "media"
SOURCE = "images/identity/obama/obama.jpg"
PHOTOS = (
    "images/identity/deepface_p07/img29.jpg",
    "images/identity/biden/biden2.jpg",
    "images/misc/rotate_rot_90.jpg",
    "images/misc/single_paul_rudd.jpg",
)
VIDEO = "videos/short_hamilton_clip.mp4"


def _load_tree(label: str, where: str, into: Path) -> Any:
    """Another tree's core as package ``fs_<label>`` (a copy under ``into``)."""
    name = f"fs_{label}"
    target = into / name
    if where.startswith("git:"):
        archive = subprocess.run(
            ["git", "archive", where[4:], "faceswap_desktop/core", "faceswap_desktop/__init__.py"],
            check=True,
            capture_output=True,
        ).stdout
        subprocess.run(["tar", "-x", "-C", str(into)], input=archive, check=True)
        (into / "faceswap_desktop").rename(target)
    else:
        shutil.copytree(Path(where) / "faceswap_desktop", target, ignore=shutil.ignore_patterns("qt", "cli"))
    return name


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--other", action="append", default=[], help="LABEL=PATH or LABEL=git:REV")
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--frames", type=int, default=40)
    args = parser.parse_args()
    scratch = Path(tempfile.mkdtemp())
    sys.path.insert(0, str(scratch))
    packages = {"this": "faceswap_desktop"}
    for spec in args.other:
        label, where = spec.split("=", 1)
        packages[label] = _load_tree(label, where, scratch)
    detector = create_context().detector("mediapipe")
    source = read_image(SHARED / SOURCE)
    source_face = detector.detect_faces(source)[0]
    engines = {}
    for label, package in packages.items():
        engine = importlib.import_module(f"{package}.core.mesh.mesh_engine")
        roles = importlib.import_module(f"{package}.core.roles")
        settings = importlib.import_module(f"{package}.core.settings").SwapSettings()
        swapper = engine.MeshSwapper()
        prepared = swapper.prepare_source([roles.SourcePhoto(source, source_face)])
        engines[label] = (swapper, prepared, settings)

    def alternate(frames: list[tuple[np.ndarray, Any]], rounds: int) -> dict[str, list[float]]:
        times: dict[str, list[float]] = {label: [] for label in engines}
        for index in range(rounds + 1):
            for frame, face in frames:
                for label, (swapper, prepared, settings) in engines.items():
                    start = time.perf_counter()
                    swapper.swap(frame, face, prepared, settings)
                    if index > 0:  # the first round warms every engine up
                        times[label].append(time.perf_counter() - start)
        return times

    def report(name: str, values: dict[str, float], unit: str) -> None:
        line = "  ".join(f"{label} {value:7.1f}" for label, value in values.items())
        ratios = "  ".join(
            f"this/{label} {values['this'] / value:.2f}" for label, value in values.items() if label != "this"
        )
        print(f"{name:42s} {unit}: {line}  {ratios}")

    for name in PHOTOS:
        image = read_image(SHARED / name)
        face = detector.detect_faces(image)[0]
        times = alternate([(image, face)], args.rounds)
        report(
            f"{Path(name).name} {image.shape[1]}x{image.shape[0]}",
            {k: float(np.median(v)) * 1e3 for k, v in times.items()},
            "median ms",
        )
    capture = cv2.VideoCapture(str(SHARED / VIDEO))
    clip = []
    while len(clip) < args.frames:
        ok, frame = capture.read()
        if not ok:
            break
        faces = detector.detect_faces(frame)
        if faces:
            clip.append((frame, faces[0]))
    capture.release()
    times = alternate(clip, 1)
    report(
        f"{Path(VIDEO).name} x{len(clip)} frames {clip[0][0].shape[1]}x{clip[0][0].shape[0]}",
        {k: float(np.sum(v)) * 1e3 for k, v in times.items()},
        "total ms",
    )


if __name__ == "__main__":
    main()
