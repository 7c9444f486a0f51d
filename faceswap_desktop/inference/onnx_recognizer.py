"""A generic ONNX recognizer for ArcFace-style 112x112 aligned inputs (w600k_r50, MobileFaceNet...)."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import onnxruntime as ort

from ..core.geometry import align_face
from ..core.types import Face, FloatArray, Image


class OnnxRecognizer:
    """Recognizer role for an ONNX model taking an aligned RGB crop in NCHW and returning an embedding.

    Input size and tensor names are read from the session; normalisation ``(x - mean) / std`` comes from
    the registry entry (ArcFace: 127.5/127.5; the shared MobileFaceNet: 127.5/128). ``mean`` and ``std``
    are one number for all channels or an (R, G, B) triple in 0..255 units (SimSwap's encoder uses
    ImageNet's per-channel statistics).
    """

    def __init__(
        self,
        model_path: str | Path,
        name: str,
        mean: float | Sequence[float] = 127.5,
        std: float | Sequence[float] = 127.5,
        session: Any | None = None,
    ) -> None:
        self.name = name
        self.mean = _per_channel(mean, "mean")
        self.std = _per_channel(std, "std")
        if np.any(self.std <= 0):
            raise ValueError("std must be positive")
        self._session = session or ort.InferenceSession(str(model_path), providers=["CPUExecutionProvider"])
        model_input = self._session.get_inputs()[0]
        self._input_name = model_input.name
        self._output_name = self._session.get_outputs()[0].name
        shape = model_input.shape
        self.size = int(shape[2]) if isinstance(shape[2], int) else 112
        self.embedding_size = self._session.get_outputs()[0].shape[-1]
        self._lock = threading.Lock()

    def preprocess(self, image: Image, face: Face) -> FloatArray:
        """The aligned, normalised 1x3xSxS input for one face."""
        crop, _ = align_face(image, face.keypoints_5, self.size)
        rgb = cv2.cvtColor(crop, cv2.COLOR_BGR2RGB).astype(np.float32)
        blob = (rgb - self.mean) / self.std
        return np.ascontiguousarray(blob.transpose(2, 0, 1)[None])

    def embed(self, image: Image, face: Face) -> FloatArray:
        """L2-normalised embedding of ``face`` in ``image`` (BGR)."""
        blob = self.preprocess(image, face)
        with self._lock:
            output = self._session.run([self._output_name], {self._input_name: blob})[0]
        vector = np.asarray(output, dtype=np.float32).reshape(-1)
        return vector / max(float(np.linalg.norm(vector)), 1e-9)


def _per_channel(value: float | Sequence[float], what: str) -> FloatArray:
    """A float32 (R, G, B) vector from one number or a triple (broadcasts over an HxWx3 RGB crop)."""
    vector = np.asarray(value, np.float32).reshape(-1)
    if vector.size == 1:
        vector = np.repeat(vector, 3)
    if vector.size != 3:
        raise ValueError(f"{what} must be one number or three (R, G, B), got {vector.size}")
    return vector
