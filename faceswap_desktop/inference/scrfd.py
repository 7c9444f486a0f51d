"""SCRFD face detector (InsightFace export layout: ``scrfd_*_bnkps.onnx``, ``det_10g.onnx``).

The input is letterboxed into a square (top-left aligned, zero padding, as InsightFace does), RGB,
(x - 127.5) / 128. The graph has 9 outputs: per stride 8/16/32 a score map [N, 1], box distances [N, 4]
and keypoint offsets [N, 10], two anchors per cell, all in units of the stride. Outputs are grouped by
their last dimension and ordered by anchor count, so the decoder does not depend on the tensor names.
"""

from __future__ import annotations

import copy
from typing import Any

import cv2
import numpy as np
from numpy.typing import NDArray

from faceswap_desktop.core.types import Face, FloatArray, Image

from .facecrop import input_dtype
from .sessions import InferenceRunner

_STRIDES = (8, 16, 32)
_ANCHORS_PER_CELL = 2


class ScrfdDetector:
    """Implements :class:`faceswap_desktop.core.roles.Detector` with an SCRFD ONNX session."""

    def __init__(
        self,
        session: InferenceRunner,
        name: str = "scrfd",
        input_size: int = 640,
        score_threshold: float = 0.5,
        nms_threshold: float = 0.4,
    ) -> None:
        self.name = name
        self.input_size = input_size
        self.score_threshold = score_threshold
        self.nms_threshold = nms_threshold
        self._session = session
        model_input = session.get_inputs()[0]
        self._input_name = str(model_input.name)
        self._input_dtype = input_dtype(model_input)
        self._output_names = [str(output.name) for output in session.get_outputs()]
        if len(self._output_names) != 9:
            raise ValueError(f"SCRFD with keypoints has 9 outputs, this model has {len(self._output_names)}")

    def at_input_size(self, input_size: int) -> ScrfdDetector:
        """The same detector (same session) letterboxing into ``input_size`` px (a multiple of 32)."""
        if input_size == self.input_size:
            return self
        twin = copy.copy(self)
        twin.input_size = input_size
        return twin

    def detect_faces(self, image: Image) -> list[Face]:
        """All faces above the score threshold, ordered left-to-right by box centre."""
        blob, scale = self._letterbox(image)
        outputs = self._session.run(self._output_names, {self._input_name: blob})
        scores, boxes, keypoints = self._decode([np.asarray(o, np.float32) for o in outputs])
        if scores.size == 0:
            return []
        boxes /= scale
        keypoints /= scale
        keep = _nms(boxes, scores, self.nms_threshold)
        faces = [
            Face(
                box=(float(boxes[i, 0]), float(boxes[i, 1]), float(boxes[i, 2]), float(boxes[i, 3])),
                score=float(scores[i]),
                keypoints_5=keypoints[i].reshape(5, 2).astype(np.float32),
                landmarks_478=None,
                detector="scrfd",
            )
            for i in keep
        ]
        return sorted(faces, key=lambda face: face.center[0])

    def _letterbox(self, image: Image) -> tuple[NDArray[Any], float]:
        """The input blob and the scale to divide outputs by, exactly as InsightFace's SCRFD.detect:
        the long side becomes ``input_size``, the short side is truncated (``int``), and the scale is
        the resized height over the image height."""
        height, width = image.shape[:2]
        if height / width > 1.0:  # taller than the square input
            new_h = self.input_size
            new_w = max(1, int(new_h / (height / width)))
        else:
            new_w = self.input_size
            new_h = max(1, int(new_w * (height / width)))
        canvas = np.zeros((self.input_size, self.input_size, 3), np.uint8)
        canvas[:new_h, :new_w] = cv2.resize(image, (new_w, new_h), interpolation=cv2.INTER_LINEAR)
        rgb = canvas[:, :, ::-1].astype(np.float32)
        blob = ((rgb - 127.5) / 128.0).transpose(2, 0, 1)[None]
        return np.ascontiguousarray(blob, dtype=self._input_dtype), new_h / height

    def _decode(self, outputs: list[NDArray[Any]]) -> tuple[FloatArray, FloatArray, FloatArray]:
        flat = [o.reshape(-1, o.shape[-1]) for o in outputs]  # drop a leading batch dim if present

        def group(width: int) -> list[NDArray[Any]]:
            maps = [o for o in flat if o.shape[1] == width]
            if len(maps) != 3:
                raise ValueError(f"expected 3 SCRFD outputs of width {width}, got {len(maps)}")
            return sorted(maps, key=lambda m: -m.shape[0])  # most anchors = stride 8

        all_scores, all_boxes, all_kps = [], [], []
        for stride, score_map, box_map, kps_map in zip(_STRIDES, group(1), group(4), group(10), strict=True):
            cells = self.input_size // stride
            grid_y, grid_x = np.mgrid[:cells, :cells]
            centres = np.stack([grid_x, grid_y], axis=-1).reshape(-1, 2).astype(np.float32) * stride
            centres = np.repeat(centres, _ANCHORS_PER_CELL, axis=0)
            if centres.shape[0] != score_map.shape[0]:
                raise ValueError("SCRFD output size does not match the input size")
            hits = np.where(score_map[:, 0] >= self.score_threshold)[0]
            anchor = centres[hits]
            dist = box_map[hits] * stride
            all_boxes.append(np.concatenate([anchor - dist[:, :2], anchor + dist[:, 2:]], axis=1))
            offsets = kps_map[hits].reshape(-1, 5, 2) * stride
            all_kps.append((anchor[:, None, :] + offsets).reshape(-1, 10))
            all_scores.append(score_map[hits, 0])
        return (
            np.concatenate(all_scores).astype(np.float32),
            np.concatenate(all_boxes).astype(np.float32),
            np.concatenate(all_kps).astype(np.float32),
        )


def _nms(boxes: FloatArray, scores: FloatArray, threshold: float) -> list[int]:
    """Greedy non-maximum suppression; returns kept indices, best score first."""
    x0, y0, x1, y1 = boxes.T
    areas = (x1 - x0 + 1) * (y1 - y0 + 1)  # +1 as in InsightFace's reference decoder
    order = scores.argsort()[::-1]
    keep: list[int] = []
    while order.size:
        best = int(order[0])
        keep.append(best)
        rest = order[1:]
        inter_w = np.maximum(0.0, np.minimum(x1[best], x1[rest]) - np.maximum(x0[best], x0[rest]) + 1)
        inter_h = np.maximum(0.0, np.minimum(y1[best], y1[rest]) - np.maximum(y0[best], y0[rest]) + 1)
        inter = inter_w * inter_h
        iou = inter / (areas[best] + areas[rest] - inter)
        order = rest[iou <= threshold]
    return keep
