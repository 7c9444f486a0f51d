"""The models shipped inside the package (no download): files, hashes, licences, and verified loading.

Each file is converted once by a script in ``scripts/`` and committed under ``resources/models``; nothing
converts at run time. The sha256 here pins the shipped file (a test checks it, and the file is verified
before its first load, so a damaged install fails with a clear error instead of wrong outputs).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from ..core.errors import ModelMissing
from ..core.file_digest import file_sha256


@dataclass(frozen=True)
class EmbeddedModel:
    """One model file in ``faceswap_desktop/resources/models``."""

    id: str
    file: str
    sha256: str
    licence: str
    source: str
    converter: str


DLIB_RESNET = EmbeddedModel(
    id="dlib_resnet_v1",
    file="dlib_resnet_v1.onnx",
    sha256="7b23b7f8ad2d23e39cc7d3b13a6fc31c6a73d78a6ee57cad730ec2f12494cfcf",
    licence="public domain (Davis King, dlib-models)",
    source="dlib_face_recognition_resnet_model_v1.dat from PyPI face-recognition-models 0.3.0",
    converter="scripts/convert_dlib_judge.py",
)

_MEDIAPIPE_LICENCE = "Apache-2.0 (The MediaPipe Authors)"
_MEDIAPIPE_CONVERTER = "scripts/convert_mediapipe_models.py"

FACE_DETECTION_SHORT_RANGE = EmbeddedModel(
    id="face_detection_short_range",
    file="face_detection_short_range.onnx",
    sha256="78d5aa5e4994665804cfc557d41524d44687db66cb5e488f1e0e0d92db4118fe",
    licence=_MEDIAPIPE_LICENCE,
    source="mediapipe/modules/face_detection/face_detection_short_range.tflite from PyPI mediapipe 0.10.21",
    converter=_MEDIAPIPE_CONVERTER,
)

FACE_DETECTION_FULL_RANGE = EmbeddedModel(
    id="face_detection_full_range",
    file="face_detection_full_range.onnx",
    sha256="9593553e7a05ccc91b46ec5f0985a4c162a98e66744de320945e6b97d1a5f3d0",
    licence=_MEDIAPIPE_LICENCE,
    source="mediapipe/modules/face_detection/face_detection_full_range_sparse.tflite from PyPI "
    "mediapipe 0.10.21 (sparse weights densified)",
    converter=_MEDIAPIPE_CONVERTER,
)

FACE_LANDMARKS_ATTENTION = EmbeddedModel(
    id="face_landmark_with_attention",
    file="face_landmark_with_attention.onnx",
    sha256="5b875a2b6e2a0fabc13e755024e2b22109c2fdaa41a0f6d73341f81bea9ff6a2",
    licence=_MEDIAPIPE_LICENCE,
    source="mediapipe/modules/face_landmark/face_landmark_with_attention.tflite from PyPI mediapipe 0.10.21 "
    "(custom ops in standard ONNX ops)",
    converter=_MEDIAPIPE_CONVERTER,
)

EMBEDDED_MODELS: tuple[EmbeddedModel, ...] = (
    DLIB_RESNET,
    FACE_DETECTION_SHORT_RANGE,
    FACE_DETECTION_FULL_RANGE,
    FACE_LANDMARKS_ATTENTION,
)

_verified: set[str] = set()
_lock = threading.Lock()


def models_folder() -> Path:
    """The package's folder of embedded model files."""
    return Path(str(resources.files("faceswap_desktop") / "resources" / "models"))


def embedded_model_path(model: EmbeddedModel) -> Path:
    """The model's file, checked against its sha256 once per process.

    Raises :class:`ModelMissing` when the file is absent or altered (a damaged install).
    """
    path = models_folder() / model.file
    with _lock:
        if model.id in _verified:
            return path
        if not path.is_file():
            raise ModelMissing(f"the embedded model {model.file} is missing from the installation ({path})")
        digest = file_sha256(path)
        if digest != model.sha256:
            raise ModelMissing(
                f"the embedded model {model.file} is damaged (sha256 {digest}, expected {model.sha256}); "
                "reinstall faceswap-desktop"
            )
        _verified.add(model.id)
    return path
