"""The inswapper_128 engine (InsightFace), per the contract in docs/models.md.

target: the face aligned to the ArcFace template at 128 px, RGB in [0, 1], NCHW.
source: L2norm(L2norm(ArcFace w600k_r50 embedding) @ emap), 1x512; emap is the graph's last initializer.
output: RGB in [0, 1], pasted back through InsightFace's eroded, blurred mask (see paste_mask.py).
Pixel boost (settings.pixel_boost) runs the model on the sub-pixel-shifted 128 px tiles of a larger
aligned crop (see pixel_boost.py).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from faceswap_desktop.core.errors import BadInput, ModelIntegrityError
from faceswap_desktop.core.geometry import align_face, arcface_template, estimate_similarity
from faceswap_desktop.core.roles import Recognizer, SourcePhoto, SwapOutput
from faceswap_desktop.core.settings import SwapSettings
from faceswap_desktop.core.types import Face, FloatArray, Image

from . import onnx_proto
from .facecrop import blob_to_image, image_to_blob, input_dtype, matrix_scale
from .paste_mask import paste_swapped
from .pixel_boost import boost_size, run_boosted
from .sessions import InferenceRunner

CROP_SIZE = 128
EMBEDDING_SIZE = 512


def read_emap(model_path: Path) -> FloatArray:
    """The 512x512 emap of an inswapper model file (its last initializer), as float32."""
    try:
        emap = onnx_proto.read_last_initializer(model_path)
    except (onnx_proto.OnnxFormatError, OSError, ValueError) as error:
        raise ModelIntegrityError(f"cannot read the emap of {model_path.name}: {error}") from error
    if emap.shape != (EMBEDDING_SIZE, EMBEDDING_SIZE):
        raise ModelIntegrityError(
            f"{model_path.name}: the last initializer has shape {emap.shape}, expected a 512x512 emap"
        )
    return emap


def l2_normalise(vector: NDArray[Any]) -> FloatArray:
    """``vector`` scaled to unit length (float32); a zero vector is an error, not NaNs."""
    flat = np.asarray(vector, np.float32).reshape(-1)
    norm = float(np.linalg.norm(flat))
    if not np.isfinite(norm) or norm < 1e-12:
        raise BadInput("an identity embedding is zero or not finite")
    return flat / norm


def mean_source_embedding(recognizer: Recognizer, photos: Sequence[SourcePhoto], needs: str) -> FloatArray:
    """The unit mean of the source photos' unit 512-d embeddings by ``recognizer`` (the identity a learned
    swapper is conditioned on); ``needs`` names the encoder the engine wants, for the error message."""
    if not photos:
        raise BadInput("at least one source photo is needed")
    embeddings = [l2_normalise(recognizer.embed(photo.image, photo.face)) for photo in photos]
    if any(e.shape != (EMBEDDING_SIZE,) for e in embeddings):
        raise BadInput(f"{recognizer.name} does not give 512-d embeddings; {needs}")
    return l2_normalise(np.mean(embeddings, axis=0))


@dataclass(frozen=True)
class InswapperSource:
    """A prepared source identity: the averaged ArcFace embedding and the swapper's latent."""

    embedding: FloatArray
    latent: FloatArray
    photo_count: int


class InswapperSwapper:
    """Implements :class:`faceswap_desktop.core.roles.Swapper` with an inswapper_128 session."""

    def __init__(
        self, session: InferenceRunner, emap: FloatArray, recognizer: Recognizer, name: str = "inswapper_128"
    ) -> None:
        self.name = name
        self._session = session
        self._recognizer = recognizer
        if emap.shape != (EMBEDDING_SIZE, EMBEDDING_SIZE):
            raise ValueError(f"emap must be 512x512, got {emap.shape}")
        self._emap = emap.astype(np.float32)
        inputs = {str(arg.name): arg for arg in session.get_inputs()}
        if set(inputs) != {"target", "source"}:
            raise ValueError(f"inswapper inputs must be 'target' and 'source', got {sorted(inputs)}")
        self._target_dtype = input_dtype(inputs["target"])
        self._source_dtype = input_dtype(inputs["source"])
        self._output_name = str(session.get_outputs()[0].name)

    @classmethod
    def from_model_file(
        cls, model_path: Path, session: InferenceRunner, recognizer: Recognizer, name: str = "inswapper_128"
    ) -> InswapperSwapper:
        """Build from a verified model file (for the emap) and its session."""
        return cls(session, read_emap(model_path), recognizer, name)

    def latent_from_embedding(self, embedding: NDArray[Any]) -> FloatArray:
        """The ``source`` input for an ArcFace embedding: L2norm(L2norm(e) @ emap), shape (1, 512)."""
        return l2_normalise(l2_normalise(embedding) @ self._emap)[None, :]

    def prepare_source(self, photos: Sequence[SourcePhoto]) -> InswapperSource:
        """Embed every source photo, average the unit embeddings, renormalise, map through the emap."""
        mean = mean_source_embedding(self._recognizer, photos, "inswapper needs w600k_r50")
        return InswapperSource(mean, self.latent_from_embedding(mean), len(photos))

    def swap(self, frame: Image, target: Face, prepared: object, settings: SwapSettings) -> SwapOutput:
        """Swap the prepared identity onto ``target``; ``frame`` is not modified."""
        if not isinstance(prepared, InswapperSource):
            raise TypeError("prepared must come from InswapperSwapper.prepare_source")
        crop, matrix = align_face(frame, target.keypoints_5, self.crop_size(target, settings))
        swapped = self.swap_crop(crop, prepared.latent)
        result, frame_mask = paste_swapped(frame, swapped, matrix, target, settings)
        return SwapOutput(result, frame_mask)

    @staticmethod
    def crop_size(target: Face, settings: SwapSettings) -> int:
        """The aligned crop size for ``settings.pixel_boost`` (128 = native, one model run)."""
        native = estimate_similarity(target.keypoints_5, arcface_template(CROP_SIZE))
        return boost_size(settings.pixel_boost, CROP_SIZE / max(matrix_scale(native), 1e-6))

    def swap_crop(self, crop: Image, latent: FloatArray) -> FloatArray:
        """The swapped face for an aligned BGR crop of 128 px or a multiple (pixel boost), as BGR float
        0..255 of the same size."""

        def run_tile(tile: Image) -> FloatArray:
            feeds = {
                "target": image_to_blob(tile, (0.0, 0.0, 0.0), (255.0, 255.0, 255.0), self._target_dtype),
                "source": latent.astype(self._source_dtype),
            }
            output = self._session.run([self._output_name], feeds)[0]
            return blob_to_image(np.asarray(output, np.float32), 0.0, 1.0)

        return np.asarray(run_boosted(crop, run_tile, CROP_SIZE), np.float32)
