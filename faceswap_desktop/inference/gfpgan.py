"""GFPGAN v1.4 face restorer: FFHQ-aligned 512 crop in, restored crop out, feathered paste-back."""

from __future__ import annotations

import cv2
import numpy as np

from faceswap_desktop.core.geometry import estimate_similarity
from faceswap_desktop.core.types import Face, Image

from .facecrop import FFHQ_TEMPLATE_512, blob_to_image, image_to_blob, input_dtype, paste_back, rect_mask
from .sessions import InferenceRunner

CROP_SIZE = 512
# The restored crop is blended through a rectangle inset by 1/16 of the crop and blurred over another
# 1/16: the FFHQ crop reaches well past the face, so this keeps hair and background untouched at edges.
_INSET = CROP_SIZE / 16
_FEATHER = CROP_SIZE / 16


class GfpganEnhancer:
    """Implements :class:`faceswap_desktop.core.roles.Enhancer` with a GFPGAN ONNX session.

    Input RGB (x / 255 - 0.5) / 0.5, NCHW 1x3x512x512; output the same layout in [-1, 1].
    """

    def __init__(self, session: InferenceRunner, name: str = "gfpgan_1.4") -> None:
        self.name = name
        self._session = session
        model_input = session.get_inputs()[0]
        self._input_name = str(model_input.name)
        self._input_dtype = input_dtype(model_input)
        self._output_name = str(session.get_outputs()[0].name)

    def enhance(self, frame: Image, face: Face, amount: float) -> Image:
        """A copy of ``frame`` with ``face`` restored, blended in at ``amount`` (0 = unchanged)."""
        amount = float(np.clip(amount, 0.0, 1.0))
        if amount <= 0.0:
            return frame.copy()
        matrix = estimate_similarity(face.keypoints_5, FFHQ_TEMPLATE_512)
        crop = np.asarray(
            cv2.warpAffine(
                frame, matrix, (CROP_SIZE, CROP_SIZE), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE
            ),
            np.uint8,
        )
        blob = image_to_blob(crop, (127.5,) * 3, (127.5,) * 3, self._input_dtype)
        output = self._session.run([self._output_name], {self._input_name: blob})[0]
        restored = blob_to_image(np.asarray(output, np.float32), -1.0, 1.0)
        result, _ = paste_back(frame, restored, matrix, rect_mask(CROP_SIZE, _INSET, _FEATHER), amount)
        return result
