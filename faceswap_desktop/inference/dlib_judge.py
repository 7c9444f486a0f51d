"""The embedded identity judge: dlib's ResNet face descriptor (128-d) converted to ONNX.

The network is dlib's own (``scripts/convert_dlib_judge.py``; outputs within 2.4e-7 of dlib's on the same
chip); the 150-px chip comes from the mesh landmarks with dlib's chip template (:mod:`.dlib_chip`) instead of
dlib's 5-point shape predictor. It runs through the session cache, so on whatever execution provider the
user picked (CPU fallback included), and ONNX Runtime releases the GIL while it computes. dlib documents
99.38% on LFW with a Euclidean threshold of 0.6; we L2-normalise the descriptor and compare by cosine like
every other recognizer.
"""

from __future__ import annotations

import cv2
import numpy as np

from ..core.types import Face, FloatArray, Image
from .dlib_chip import CHIP_SIZE, extract_chip, face_chip_matrix
from .embedded import DLIB_RESNET, embedded_model_path
from .sessions import InferenceRunner, SessionCache

DLIB_MODEL_NAME = "dlib ResNet-34 (128-d)"
"""The judge's name, shared with its calibration (core.identity.DLIB_CALIBRATION)."""


class DlibOnnxRecognizer:
    """Recognizer role: dlib's face descriptor network in ONNX Runtime, on a chip built from the mesh.

    Thread-safe: the session serialises itself where its provider needs it (see sessions.py); the chip
    is built per call.
    """

    name = DLIB_MODEL_NAME

    def __init__(self, session: InferenceRunner) -> None:
        self._session = session
        self._input = session.get_inputs()[0].name
        self._output = session.get_outputs()[0].name

    def chip(self, image: Image, face: Face) -> Image:
        """The 150x150 RGB chip dlib's network reads, for ``face`` in ``image`` (BGR)."""
        rgb = cv2.cvtColor(image, cv2.COLOR_BGR2RGB)
        return extract_chip(rgb, face_chip_matrix(face), CHIP_SIZE)

    def describe_chips(self, chips: Image) -> FloatArray:
        """dlib's raw descriptors (N, 128) of RGB chips (N, 150, 150, 3) uint8."""
        blob = np.ascontiguousarray(np.asarray(chips, np.float32).transpose(0, 3, 1, 2))
        output = self._session.run([self._output], {self._input: blob})[0]
        return np.asarray(output, np.float32).reshape(len(blob), -1)

    def embed(self, image: Image, face: Face) -> FloatArray:
        """L2-normalised 128-d descriptor of ``face`` in ``image`` (BGR)."""
        vector = self.describe_chips(self.chip(image, face)[None])[0]
        return vector / max(float(np.linalg.norm(vector)), 1e-9)


def embedded_dlib_judge(sessions: SessionCache) -> DlibOnnxRecognizer:
    """The judge on the package's verified ONNX file, with a session from ``sessions``."""
    return DlibOnnxRecognizer(sessions.session(embedded_model_path(DLIB_RESNET)))
