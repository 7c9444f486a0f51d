"""The reference: MediaPipe's own TFLite face analyser, as the app ran it before its models were
converted to ONNX (``inference/face_analyser.py``). Kept for the fixture recorder and the benchmarks that
compare the two; needs mediapipe 0.10.21 (Python <= 3.12, numpy < 2), which the app no longer depends on.

Face analysis with MediaPipe's bundled models: detection (full-range BlazeFace) + 478-point FaceMesh.

The detector finds every face in the whole image; FaceMesh then runs on a square crop around each
detection, so group photos get landmarks for all faces (FaceMesh alone misses small faces) and each face's
landmarks are computed at a useful resolution.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from typing import Any

import cv2
import numpy as np
from mediapipe_loader import mp

from faceswap_desktop.core.face_roi import (
    box_of,
    landmarks_match_box,
    non_max_suppression,
    padded_crop,
    tile_grid,
)
from faceswap_desktop.core.geometry import keypoints_from_mesh
from faceswap_desktop.core.types import Face, FloatArray, Image

log = logging.getLogger(__name__)

MESH_CROP_SCALE = 1.7
"""Side of the square crop given to FaceMesh, relative to the detection box's larger side."""

TILE_WHEN_FACES_BELOW = 0.2
"""Scan tiles when the largest face found is smaller than this fraction of the image's shorter side."""

MESH_INPUT_MAX = 512
"""Crops larger than this are downscaled before FaceMesh (its network input is 192 px anyway)."""


@dataclass(frozen=True)
class AnalyserOptions:
    """Detector thresholds; defaults suit photos and video frames alike."""

    min_detection_confidence: float = 0.5
    min_face_px: int = 24
    max_faces: int = 32
    tiled: bool = True
    """Also scan overlapping tiles: BlazeFace sees the image at 192 px, so faces under ~8% of the image
    side are missed on the whole-image pass alone (measured on the shared group photos)."""


class MediaPipeFaceAnalyser:
    """Detector role with landmarks: finds every face and fits 478 landmarks to each.

    MediaPipe graphs are not thread-safe, so calls are serialised by a lock; create one analyser per
    worker thread for parallelism.
    """

    name = "mediapipe"

    def __init__(self, options: AnalyserOptions | None = None) -> None:
        self.options = options or AnalyserOptions()
        self._lock = threading.Lock()
        confidence = self.options.min_detection_confidence
        # Full-range for far/small faces, short-range for close-ups (full-range misses some portraits).
        self._full_range = mp.solutions.face_detection.FaceDetection(
            model_selection=1, min_detection_confidence=confidence
        )
        self._short_range = mp.solutions.face_detection.FaceDetection(
            model_selection=0, min_detection_confidence=confidence
        )
        self._mesh = _face_mesh(static=True)

    def close(self) -> None:
        """Release the MediaPipe graphs."""
        with self._lock:
            self._full_range.close()
            self._short_range.close()
            self._mesh.close()

    def detect_faces(self, image: Image) -> list[Face]:
        """Every face with box, score, 478 landmarks and 5 keypoints, ordered left-to-right."""
        rgb = cv2.cvtColor(image, cv2.COLOR_BGR2RGB)
        with self._lock:
            boxes = self._detect_boxes(rgb)
            faces = [face for box, score in boxes if (face := self._fit_mesh(rgb, box, score)) is not None]
        faces.sort(key=lambda face: face.center[0])
        return faces

    def landmarks_in_box(
        self, image: Image, box: tuple[float, float, float, float], score: float = 1.0
    ) -> Face | None:
        """Fit landmarks around a known box (used by video tracking to skip detection)."""
        with self._lock:
            return _fit_mesh(self._mesh, image, box, score, from_bgr=True)

    def landmark_follower(self) -> LandmarkFollower:
        """A new :class:`LandmarkFollower` (its own FaceMesh graph) for one video's tracked face."""
        return LandmarkFollower()

    def _detect_boxes(self, rgb: Image) -> list[tuple[tuple[float, float, float, float], float]]:
        height, width = rgb.shape[:2]
        boxes = self._run_detector(self._full_range, rgb, 0, 0)
        boxes += self._run_detector(self._short_range, rgb, 0, 0)
        largest = max((min(b[2] - b[0], b[3] - b[1]) for b, _ in boxes), default=0.0)
        # Tiles cost ~6 more detector runs; a frame whose faces are all big (a portrait, a close-up video)
        # does not need them. Small or no faces suggest a group or a wide shot where BlazeFace misses some.
        if (
            self.options.tiled
            and max(height, width) >= 480
            and largest < TILE_WHEN_FACES_BELOW * min(height, width)
        ):
            for tx, ty, side in tile_grid(width, height):
                tile = np.ascontiguousarray(rgb[ty : ty + side, tx : tx + side])
                boxes += self._run_detector(self._full_range, tile, tx, ty)
        boxes = [b for b in boxes if min(b[0][2] - b[0][0], b[0][3] - b[0][1]) >= self.options.min_face_px]
        return non_max_suppression(boxes, iou_threshold=0.3)[: self.options.max_faces]

    @staticmethod
    def _run_detector(
        detector: object, rgb: Image, offset_x: int, offset_y: int
    ) -> list[tuple[tuple[float, float, float, float], float]]:
        height, width = rgb.shape[:2]
        result = detector.process(rgb)  # type: ignore[attr-defined]
        boxes: list[tuple[tuple[float, float, float, float], float]] = []
        for detection in result.detections or []:
            rel = detection.location_data.relative_bounding_box
            x0, y0 = rel.xmin * width + offset_x, rel.ymin * height + offset_y
            x1, y1 = x0 + rel.width * width, y0 + rel.height * height
            boxes.append(((x0, y0, x1, y1), float(detection.score[0])))
        return boxes

    def _fit_mesh(self, rgb: Image, box: tuple[float, float, float, float], score: float) -> Face | None:
        return _fit_mesh(self._mesh, rgb, box, score)


class LandmarkFollower:
    """FaceMesh in video mode on crops around one moving face: the refit of video tracking.

    In image mode FaceMesh runs its own face detector inside every crop before the landmark network; in
    video mode it places the landmark network from the previous frame's landmarks and detects only when
    the face is lost, which is ~45% less CPU per frame (measured on the 720p benchmark clip: 4.4 vs 7.9
    ms). The crops stay centred on the tracked face, so the previous frame's landmarks are a good guess;
    landmark jitter and fit are the same as in image mode (~1.4 px apart on a 600 px crop). Feed one
    face of one video; :meth:`reset` after a scene cut or when following someone else.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._mesh = _face_mesh(static=False)

    def landmarks_in_box(
        self, image: Image, box: tuple[float, float, float, float], score: float = 1.0
    ) -> Face | None:
        """Landmarks of the face around ``box`` (the tracked face's box in the previous frame)."""
        with self._lock:
            return _fit_mesh(self._mesh, image, box, score, from_bgr=True)

    def reset(self) -> None:
        """Forget the previous frame's landmarks."""
        with self._lock:
            self._mesh.reset()

    def close(self) -> None:
        """Release the FaceMesh graph."""
        with self._lock:
            self._mesh.close()


def _face_mesh(static: bool) -> Any:
    return mp.solutions.face_mesh.FaceMesh(
        static_image_mode=static, max_num_faces=1, refine_landmarks=True, min_detection_confidence=0.3
    )


def _fit_mesh(
    mesh: Any,
    image: Image,
    box: tuple[float, float, float, float],
    score: float,
    from_bgr: bool = False,
) -> Face | None:
    """FaceMesh on a square crop around ``box``; the face in image coordinates, or None.

    ``image`` is RGB, or BGR with ``from_bgr``: then the crop is cut and scaled in one bilinear
    ``warpAffine`` and only the crop is converted to RGB. That is the per-frame path of video tracking,
    where the whole-frame conversion, the zero-padded copy and an area resize by a fractional factor
    cost ~3 ms a frame, more than the landmark network's own work on the calling thread.
    """
    height, width = image.shape[:2]
    cx, cy = (box[0] + box[2]) / 2, (box[1] + box[3]) / 2
    side = max(box[2] - box[0], box[3] - box[1]) * MESH_CROP_SCALE
    x0, y0 = int(round(cx - side / 2)), int(round(cy - side / 2))
    side_px = max(int(round(side)), 8)
    scale = MESH_INPUT_MAX / side_px if side_px > MESH_INPUT_MAX else 1.0
    if from_bgr:
        # Bilinear sampling is as good as an area resize down to ~0.6x; beyond that it would alias, so
        # the crop is cut unscaled (an exact copy) and area-resized as below.
        out = max(int(round(side_px * scale)), 8) if scale >= 0.6 else side_px
        inside = x0 >= 0 and y0 >= 0 and x0 + side_px <= width and y0 + side_px <= height
        if inside:
            crop = cv2.resize(
                image[y0 : y0 + side_px, x0 : x0 + side_px], (out, out), interpolation=cv2.INTER_LINEAR
            )
        else:
            # Pixels outside the image are black, as the padded crop below makes them; the same pixel
            # centres as cv2.resize: crop pixel u samples x0 + (u + 0.5) / s - 0.5.
            s = out / side_px
            offset_x, offset_y = s * (0.5 - x0) - 0.5, s * (0.5 - y0) - 0.5
            matrix = np.array([[s, 0.0, offset_x], [0.0, s, offset_y]], dtype=np.float64)
            crop = cv2.warpAffine(image, matrix, (out, out), flags=cv2.INTER_LINEAR, borderValue=(0, 0, 0))
        if out != MESH_INPUT_MAX and scale != 1.0:
            crop = cv2.resize(crop, (MESH_INPUT_MAX, MESH_INPUT_MAX), interpolation=cv2.INTER_AREA)
        scale = crop.shape[0] / side_px
        crop = cv2.cvtColor(crop, cv2.COLOR_BGR2RGB)
    else:
        # Pad instead of clamping so the face stays centred in the crop near image borders.
        crop = padded_crop(image, x0, y0, side_px)
        if scale != 1.0:
            crop = cv2.resize(crop, (MESH_INPUT_MAX, MESH_INPUT_MAX), interpolation=cv2.INTER_AREA)
    result = mesh.process(crop)
    if not result.multi_face_landmarks:
        log.debug("FaceMesh found no face in the crop of a detection at %s", box)
        return None
    crop_side = crop.shape[0]
    points = landmark_array(result.multi_face_landmarks[0])
    landmarks = np.empty_like(points)
    landmarks[:, 0] = points[:, 0] * crop_side / scale + x0
    landmarks[:, 1] = points[:, 1] * crop_side / scale + y0
    landmarks[:, 2] = points[:, 2] * crop_side / scale
    if not landmarks_match_box(landmarks, box):
        return None
    mesh_box = box_of(landmarks, width, height)
    return Face(
        box=mesh_box, score=score, keypoints_5=keypoints_from_mesh(landmarks), landmarks_478=landmarks
    )


_LANDMARK_RECORD = np.dtype(
    {"names": ["x", "y", "z"], "formats": ["<f4"] * 3, "offsets": [3, 8, 13], "itemsize": 17}
)
"""One landmark of a serialised ``NormalizedLandmarkList``: field 1 (tag 0x0a, length 15) holding x, y
and z as fixed32 fields 1-3 (tags 0x0d, 0x15, 0x1d)."""

_LANDMARK_TAGS = np.array([0x0A, 0x0F, 0x0D, 0x15, 0x1D], np.uint8)
_LANDMARK_TAG_COLUMNS = [0, 1, 2, 7, 12]


def landmark_array(landmarks: Any) -> FloatArray:
    """(n, 3) float32 x, y, z of a MediaPipe ``NormalizedLandmarkList``.

    Reading 478 landmark messages attribute by attribute costs ~0.5 ms holding the GIL, once per fit:
    every frame on the video export's tracking thread, while the swap workers wait for the GIL. The
    serialised list (~25 us) is read directly instead when every landmark is exactly x, y and z (FaceMesh
    sets no visibility or presence; proto3 leaves out a coordinate that is exactly 0, and any other layout
    takes the attribute path). Same float32 values either way.
    """
    data = landmarks.SerializeToString()
    count = len(landmarks.landmark)
    if count and len(data) == count * _LANDMARK_RECORD.itemsize:
        tags = np.frombuffer(data, np.uint8).reshape(count, _LANDMARK_RECORD.itemsize)
        if (tags[:, _LANDMARK_TAG_COLUMNS] == _LANDMARK_TAGS).all():
            records = np.frombuffer(data, _LANDMARK_RECORD)
            points = np.empty((count, 3), np.float32)
            points[:, 0], points[:, 1], points[:, 2] = records["x"], records["y"], records["z"]
            return points
    return np.array([(p.x, p.y, p.z) for p in landmarks.landmark], dtype=np.float32).reshape(-1, 3)
