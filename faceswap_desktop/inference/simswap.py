"""The simswap_512_unoff engine (SimSwap, unofficial 512 px training), per the contract in docs/models.md.

target: the face aligned to the ArcFace template laid out for 128 px (+8 px in x) scaled by 4 to 512 px,
        RGB in [0, 1], NCHW 1x3x512x512 (VisoMaster's "arcface128" crop at 512, the same crop inswapper
        uses, four times larger).
source: the L2-normalised identity embedding of simswap_arcface_model, 1x512. Unlike inswapper there is no
        projection matrix: SimSwap's generator takes the normalised ArcFace vector itself.
output: RGB in [0, 1], pasted back through InsightFace's mask, as inswapper (paste_mask.py).

Tensor names differ between exports of this network: the file the registry pins (VisoMaster's
``simswap_512_unoff.onnx``) is bound as ``input`` / ``onnx::Gemm_1`` -> ``output``; FaceFusion's copy is
named ``target`` / ``source``. The wrapper therefore finds the image input and the identity input by their
rank (4-D image, 2-D vector), never by name.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from faceswap_desktop.core.errors import ModelIntegrityError
from faceswap_desktop.core.geometry import align_face
from faceswap_desktop.core.roles import Recognizer, SourcePhoto, SwapOutput
from faceswap_desktop.core.settings import SwapSettings
from faceswap_desktop.core.types import Face, FloatArray, Image

from .facecrop import blob_to_image, image_to_blob, input_dtype
from .inswapper import l2_normalise, mean_source_embedding
from .paste_mask import paste_swapped
from .sessions import InferenceRunner

MODEL_ID = "simswap_512_unoff"
ENCODER_ID = "simswap_arcface_model"
ENCODER_NAME = "SimSwap ArcFace (512-d)"
"""The encoder's recognizer name. It conditions the swap, so it is never the gauge's judge."""

CROP_SIZE = 512
EMBEDDING_SIZE = 512


@dataclass(frozen=True)
class SimSwapSource:
    """A prepared source identity: the averaged unit embedding, which is also the generator's latent."""

    embedding: FloatArray
    latent: FloatArray
    photo_count: int


def _static_dims(node_arg: Any) -> list[int | None]:
    """The declared shape with symbolic/unknown dimensions as ``None``."""
    return [dim if isinstance(dim, int) and dim > 0 else None for dim in list(getattr(node_arg, "shape", []))]


def _split_inputs(session: InferenceRunner, model_name: str) -> tuple[Any, Any]:
    """(image input, identity input) of a SimSwap graph, told apart by rank, with their shapes checked."""
    inputs = list(session.get_inputs())
    images = [arg for arg in inputs if len(_static_dims(arg)) == 4]
    vectors = [arg for arg in inputs if len(_static_dims(arg)) == 2]
    if len(inputs) != 2 or len(images) != 1 or len(vectors) != 1:
        described = ", ".join(f"{arg.name} {list(getattr(arg, 'shape', []))}" for arg in inputs)
        raise ModelIntegrityError(
            f"{model_name}: expected a 4-D image input and a 2-D identity input, got {described or 'none'}"
        )
    image, vector = images[0], vectors[0]
    _, channels, height, width = _static_dims(image)
    if channels not in (None, 3) or height not in (None, CROP_SIZE) or width not in (None, CROP_SIZE):
        raise ModelIntegrityError(
            f"{model_name}: image input {image.name} is {list(image.shape)}, expected [1,3,512,512]"
        )
    if _static_dims(vector)[1] not in (None, EMBEDDING_SIZE):
        raise ModelIntegrityError(
            f"{model_name}: identity input {vector.name} is {list(vector.shape)}, expected [1,512]"
        )
    return image, vector


class SimSwapSwapper:
    """Implements :class:`faceswap_desktop.core.roles.Swapper` with a simswap_512_unoff session.

    ``recognizer`` must be the model's own encoder (simswap_arcface_model): the generator was trained on
    that network's identity space, and any other recognizer's vectors mean nothing to it.
    """

    def __init__(self, session: InferenceRunner, recognizer: Recognizer, name: str = MODEL_ID) -> None:
        self.name = name
        self._session = session
        self._recognizer = recognizer
        image, vector = _split_inputs(session, name)
        self._target_name, self._source_name = str(image.name), str(vector.name)
        self._target_dtype = input_dtype(image)
        self._source_dtype = input_dtype(vector)
        self._output_name = str(session.get_outputs()[0].name)

    @property
    def recognizer_name(self) -> str:
        """The name of the encoder that conditions this engine."""
        return self._recognizer.name

    def latent_from_embedding(self, embedding: NDArray[Any]) -> FloatArray:
        """The identity input for an encoder embedding: the embedding at unit length, shape (1, 512)."""
        return l2_normalise(embedding)[None, :]

    def prepare_source(self, photos: Sequence[SourcePhoto]) -> SimSwapSource:
        """Embed every source photo with the encoder, average the unit vectors and renormalise."""
        mean = mean_source_embedding(self._recognizer, photos, f"SimSwap needs {ENCODER_ID}")
        return SimSwapSource(mean, self.latent_from_embedding(mean), len(photos))

    def swap(self, frame: Image, target: Face, prepared: object, settings: SwapSettings) -> SwapOutput:
        """Swap the prepared identity onto ``target``; ``frame`` is not modified."""
        if not isinstance(prepared, SimSwapSource):
            raise TypeError("prepared must come from SimSwapSwapper.prepare_source")
        crop, matrix = align_face(frame, target.keypoints_5, CROP_SIZE)
        feeds = {
            self._target_name: image_to_blob(
                crop, (0.0, 0.0, 0.0), (255.0, 255.0, 255.0), self._target_dtype
            ),
            self._source_name: prepared.latent.astype(self._source_dtype),
        }
        output = np.asarray(self._session.run([self._output_name], feeds)[0], np.float32)
        if output.shape != (1, 3, CROP_SIZE, CROP_SIZE):
            raise ModelIntegrityError(f"{self.name} returned {list(output.shape)}, expected [1,3,512,512]")
        swapped = blob_to_image(output, 0.0, 1.0)
        result, frame_mask = paste_swapped(frame, swapped, matrix, target, settings)
        return SwapOutput(result, frame_mask)
