"""The embedded face models (BlazeFace detectors, FaceMesh with attention) as ONNX sessions.

The ``.onnx`` files ship in ``faceswap_desktop/resources/models`` (converted once from the mediapipe
0.10.21 wheel by ``scripts/convert_mediapipe_models.py``; Apache-2.0, see ``NOTICE.md`` there) and are
checked against their pinned sha256 (``embedded.py``) before their first session is made.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from faceswap_desktop.core.face_roi import BlazeFaceSpec, Detections, decode_detections, ssd_anchors
from faceswap_desktop.core.types import FloatArray, Image

from .sessions import InferenceRunner

MESH_SIZE = 192

# Where the attention model's refined regions go in the 478-point mesh (MediaPipe's
# LandmarksRefinementCalculator for face_landmark_with_attention): lips and eyes replace x and y of
# these mesh points (z stays the mesh's), the irises append points 468-472 (subject's right eye, image
# left on a frontal face) and 473-477, with z the mean z of their eye's contour.
LIPS = (
    61, 146, 91, 181, 84, 17, 314, 405, 321, 375, 291, 185, 40, 39, 37, 0, 267, 269, 270, 409, 78, 95,
    88, 178, 87, 14, 317, 402, 318, 324, 308, 191, 80, 81, 82, 13, 312, 311, 310, 415, 76, 77, 90, 180,
    85, 16, 315, 404, 320, 307, 306, 184, 74, 73, 72, 11, 302, 303, 304, 408, 62, 96, 89, 179, 86, 15,
    316, 403, 319, 325, 292, 183, 42, 41, 38, 12, 268, 271, 272, 407,
)  # fmt: skip
LEFT_EYE = (
    33, 7, 163, 144, 145, 153, 154, 155, 133, 246, 161, 160, 159, 158, 157, 173, 130, 25, 110, 24, 23,
    22, 26, 112, 243, 247, 30, 29, 27, 28, 56, 190, 226, 31, 228, 229, 230, 231, 232, 233, 244, 113,
    225, 224, 223, 222, 221, 189, 35, 124, 46, 53, 52, 65, 143, 111, 117, 118, 119, 120, 121, 128, 245,
    156, 70, 63, 105, 66, 107, 55, 193,
)  # fmt: skip
RIGHT_EYE = (
    263, 249, 390, 373, 374, 380, 381, 382, 362, 466, 388, 387, 386, 385, 384, 398, 359, 255, 339, 254,
    253, 252, 256, 341, 463, 467, 260, 259, 257, 258, 286, 414, 446, 261, 448, 449, 450, 451, 452, 453,
    464, 342, 445, 444, 443, 442, 441, 413, 265, 353, 276, 283, 282, 295, 372, 340, 346, 347, 348, 349,
    350, 357, 465, 383, 300, 293, 334, 296, 336, 285, 417,
)  # fmt: skip
EYE_CONTOUR = 16
"""The first 16 points of each eye region are its contour: the irises take their mean depth."""


def assemble_landmarks(outputs: Mapping[str, Any]) -> tuple[FloatArray, float]:
    """(478, 3) landmarks in model-input pixels and the face presence probability, from the attention
    model's seven outputs by name."""
    mesh = np.asarray(outputs["output_mesh_identity"], np.float32).reshape(468, 3)
    points = np.empty((478, 3), np.float32)
    points[:468] = mesh
    points[list(LIPS), :2] = np.asarray(outputs["output_lips"], np.float32).reshape(-1, 2)
    points[list(LEFT_EYE), :2] = np.asarray(outputs["output_left_eye"], np.float32).reshape(-1, 2)
    points[list(RIGHT_EYE), :2] = np.asarray(outputs["output_right_eye"], np.float32).reshape(-1, 2)
    for first, iris, eye in ((468, "output_left_iris", LEFT_EYE), (473, "output_right_iris", RIGHT_EYE)):
        points[first : first + 5, :2] = np.asarray(outputs[iris], np.float32).reshape(5, 2)
        points[first : first + 5, 2] = points[list(eye[:EYE_CONTOUR]), 2].mean()
    logit = float(np.asarray(outputs["conv_faceflag"]).reshape(-1)[0])
    return points, float(1.0 / (1.0 + np.exp(-np.clip(logit, -100.0, 100.0))))


class BlazeFaceModel:
    """One BlazeFace detector session: letterboxed [-1, 1] RGB in, decoded tensor-unit detections out."""

    def __init__(self, session: InferenceRunner, spec: BlazeFaceSpec) -> None:
        self.spec = spec
        self._session = session
        self._input = str(session.get_inputs()[0].name)
        outputs = session.get_outputs()
        # Regressors have 16 values per anchor, scores 1: order by that, not by the export's names.
        by_width = sorted(outputs, key=lambda o: -int(o.shape[-1]))
        self._outputs = [str(o.name) for o in by_width]
        self._anchors = ssd_anchors(spec)

    def detect(self, tensor_rgb: Image, threshold: float) -> Detections:
        """Detections in [0, 1] units of ``tensor_rgb`` (``spec.size`` square, uint8 RGB)."""
        blob = (tensor_rgb.astype(np.float32) * (2.0 / 255.0) - 1.0)[None]
        regressors, logits = self._session.run(self._outputs, {self._input: blob})
        return decode_detections(
            np.asarray(regressors), np.asarray(logits), self._anchors, float(self.spec.size), threshold
        )


class FaceMeshModel:
    """The 478-point attention landmark session on a 192x192 uint8 RGB input."""

    def __init__(self, session: InferenceRunner) -> None:
        self._session = session
        self._input = str(session.get_inputs()[0].name)
        self._outputs = [str(o.name) for o in session.get_outputs()]

    def landmarks(self, tensor_rgb: Image) -> tuple[FloatArray, float]:
        """(478, 3) landmarks in input pixels and the face presence probability."""
        blob = (tensor_rgb.astype(np.float32) * (1.0 / 255.0))[None]
        values = self._session.run(self._outputs, {self._input: blob})
        return assemble_landmarks(dict(zip(self._outputs, values, strict=False)))
