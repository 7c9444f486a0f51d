"""Learned face maskers: occluder, DeepFaceLab XSeg and a BiSeNet face parser.

Contracts as VisoMaster feeds these exact files (visomaster-assets): the face is aligned to the
ArcFace-128 template scaled to the model's size (VisoMaster's 512 crop resized to 256 for the occluder and
XSeg; 512 for the parser), RGB.

- occluder: input ``img`` [1,3,256,256] in [0,1]; output [1,1,256,256]; > 0 marks visible face.
- XSeg: input ``in_face:0`` in [0,1]; output ``out_mask:0`` face probability; values < 0.1 are dropped.
  DFL's own exports are NHWC, VisoMaster's binding is NCHW: the layout is read from the session.
- face parser: input [1,3,512,512], x/255 then ImageNet mean/std; output [1,19,512,512] logits of the
  CelebAMask-HQ classes; the mask is the union of the chosen face regions.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import cv2
import numpy as np
from numpy.typing import NDArray

from faceswap_desktop.core.geometry import align_face
from faceswap_desktop.core.types import Face, FloatArray, Image

from .facecrop import image_to_blob, input_dtype, mask_to_frame
from .sessions import InferenceRunner

FACE_PARSER_REGIONS: dict[str, int] = {
    "skin": 1,
    "left-eyebrow": 2,
    "right-eyebrow": 3,
    "left-eye": 4,
    "right-eye": 5,
    "glasses": 6,
    "nose": 10,
    "mouth": 11,
    "upper-lip": 12,
    "lower-lip": 13,
}
"""CelebAMask-HQ class ids of the regions that make up the visible face (FaceFusion's region names)."""

_IMAGENET_MEAN = (123.675, 116.28, 103.53)
_IMAGENET_STD = (58.395, 57.12, 57.375)


def soften(mask: FloatArray, size: int) -> FloatArray:
    """Smooth a hard crop mask without growing it: blur, then keep only the inner half of the ramp.

    Occluded pixels stay 0 (the swap never paints over a hand); the face edge becomes a soft ramp.
    """
    blurred = cv2.GaussianBlur(mask.astype(np.float32), (0, 0), sigmaX=size / 100.0)
    return ((np.clip(blurred, 0.5, 1.0) - 0.5) * 2.0).astype(np.float32)


class _CropMasker:
    """Aligns the face to the model's crop, runs the session, maps the crop mask back to the frame."""

    crop_size = 256

    def __init__(self, session: InferenceRunner, name: str) -> None:
        self.name = name
        self._session = session
        model_input = session.get_inputs()[0]
        self._input_name = str(model_input.name)
        self._input_dtype = input_dtype(model_input)
        self._input_shape = list(model_input.shape)
        self._output_name = str(session.get_outputs()[0].name)

    def face_mask(self, frame: Image, face: Face) -> FloatArray:
        """Frame-sized float32 [0, 1] mask of the visible face (0 outside the model's crop)."""
        crop, matrix = align_face(frame, face.keypoints_5, self.crop_size)
        output = self._session.run([self._output_name], {self._input_name: self._blob(crop)})[0]
        crop_mask = soften(self._crop_mask(np.asarray(output, np.float32)), self.crop_size)
        return mask_to_frame(crop_mask, matrix, frame.shape)

    def _blob(self, crop: Image) -> NDArray[Any]:
        return image_to_blob(crop, (0.0, 0.0, 0.0), (255.0, 255.0, 255.0), self._input_dtype)

    def _crop_mask(self, output: NDArray[Any]) -> FloatArray:
        raise NotImplementedError


class OccluderMasker(_CropMasker):
    """Implements :class:`faceswap_desktop.core.roles.Masker` with the ``occluder`` model."""

    def __init__(self, session: InferenceRunner, name: str = "occluder") -> None:
        super().__init__(session, name)

    def _crop_mask(self, output: NDArray[Any]) -> FloatArray:
        return (output.reshape(self.crop_size, self.crop_size) > 0).astype(np.float32)


class XSegMasker(_CropMasker):
    """Implements :class:`faceswap_desktop.core.roles.Masker` with DeepFaceLab's XSeg model."""

    def __init__(self, session: InferenceRunner, name: str = "xseg") -> None:
        super().__init__(session, name)
        self._channels_last = len(self._input_shape) == 4 and self._input_shape[-1] == 3

    def _blob(self, crop: Image) -> NDArray[Any]:
        blob = super()._blob(crop)
        return np.ascontiguousarray(blob.transpose(0, 2, 3, 1)) if self._channels_last else blob

    def _crop_mask(self, output: NDArray[Any]) -> FloatArray:
        mask = np.clip(output.reshape(self.crop_size, self.crop_size), 0.0, 1.0)
        mask[mask < 0.1] = 0.0  # XSeg's low-confidence haze, dropped as VisoMaster does
        return mask.astype(np.float32)


class FaceParserMasker(_CropMasker):
    """Implements :class:`faceswap_desktop.core.roles.Masker` with the BiSeNet face parser."""

    crop_size = 512
    parses_swap = True
    """The pipeline hands it the swapped face, as FaceFusion and VisoMaster parse the swapped crop."""

    def __init__(
        self,
        session: InferenceRunner,
        name: str = "faceparser_resnet34",
        regions: Iterable[str] = tuple(FACE_PARSER_REGIONS),
    ) -> None:
        super().__init__(session, name)
        unknown = set(regions) - set(FACE_PARSER_REGIONS)
        if unknown:
            raise ValueError(f"unknown face region(s): {', '.join(sorted(unknown))}")
        self._class_ids = np.array(sorted(FACE_PARSER_REGIONS[r] for r in regions), np.int64)

    def _blob(self, crop: Image) -> NDArray[Any]:
        return image_to_blob(crop, _IMAGENET_MEAN, _IMAGENET_STD, self._input_dtype)

    def _crop_mask(self, output: NDArray[Any]) -> FloatArray:
        classes = output.reshape(-1, self.crop_size, self.crop_size).argmax(axis=0)
        return np.isin(classes, self._class_ids).astype(np.float32)
