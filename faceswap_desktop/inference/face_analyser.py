"""The embedded face analyser in ONNX Runtime: BlazeFace detection and the 478-point FaceMesh with
attention, reproducing what the MediaPipe analyser (``core/analysis.py``) found.

Per photo (:meth:`OnnxFaceAnalyser.detect_faces`): full-range and short-range BlazeFace on the whole
image, full range again on overlapping tiles when every face found is small, greedy NMS; then for each
box the crop MediaPipe's FaceMesh was given (1.7x the box, padded, at most 512 px), short-range detection
inside it, a region rotated level with the eyes and scaled 1.5x, the 192x192 landmark model, and the
landmarks projected back. :class:`OnnxLandmarkFollower` is FaceMesh's video mode for tracking: the next
frame's region comes from the previous frame's landmarks, and detection runs only when the face is lost.

Sessions come from the app's :class:`~.sessions.SessionCache` (the provider policy of every model, with
its CPU fallback); the geometry is in ``core/face_roi.py``.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass

import cv2
import numpy as np

from faceswap_desktop.core.face_roi import (
    FULL_RANGE,
    SHORT_RANGE,
    Box,
    RotatedRect,
    apply_affine,
    box_back,
    box_of,
    eye_line_degrees,
    landmarks_match_box,
    letterbox_matrix,
    letterbox_to_image,
    non_max_suppression,
    padded_crop,
    project_landmarks,
    quarter_turn,
    roi_from_points,
    roi_matrix,
    tile_grid,
    turn_square,
    warp_roi,
    weighted_nms,
    wrap_degrees,
)
from faceswap_desktop.core.geometry import keypoints_from_mesh
from faceswap_desktop.core.types import Face, FloatArray, Image

from .embedded import (
    FACE_DETECTION_FULL_RANGE,
    FACE_DETECTION_SHORT_RANGE,
    FACE_LANDMARKS_ATTENTION,
    EmbeddedModel,
    embedded_model_path,
)
from .mesh_model import MESH_SIZE, BlazeFaceModel, FaceMeshModel
from .sessions import InferenceRunner, SessionCache

log = logging.getLogger(__name__)

MESH_CROP_SCALE = 1.7
"""Side of the square crop around a detection given to the mesh stage, relative to the box's larger side."""
MESH_INPUT_MAX = 512
"""Crops larger than this are downscaled first (as they were for MediaPipe's FaceMesh)."""
TILE_WHEN_FACES_BELOW = 0.2
"""Scan tiles when the largest face found is smaller than this fraction of the image's shorter side."""
ROI_SCALE = 1.5
MESH_DETECTION_CONFIDENCE = 0.3
"""Detection threshold inside the mesh crop (the app's FaceMesh ``min_detection_confidence``)."""
PRESENCE_THRESHOLD = 0.5
"""Face presence below this drops the landmarks (FaceMesh's ``min_tracking_confidence``)."""
NMS_IOU = 0.3
LEFT_EYE_CORNER, RIGHT_EYE_CORNER = 33, 263
UPRIGHT_ABOVE_DEGREES = 40.0
"""A face whose fitted eye line is tilted more than this is fitted again on the region its own eyes give
(:meth:`_Models.fit_detected`). Chosen on rotated copies of half B's photos (issue #19's protocol): the
landmarks' mean error from the upright photo's, in face sizes, fell 0.011 -> 0.006 at 45 degrees and
0.031 -> 0.006 at 90, but only 0.008 -> 0.006 at 30; and on the parity fixture's two hard video faces
(small, turned, 22 and 26 degrees) the refit moved away from MediaPipe's landmarks (8 and 19 % of the
inter-ocular distance)."""
UPRIGHT_SURE_SCORE = 0.88
"""A detection in the mesh crop scoring this much as it stands is taken without looking at the crop's
other three quarter turns. On half B's photos, upright or tilted 20 degrees, the upright pass scored
0.83-0.95 (0.90 or more untilted); turned a quarter or upside down, at most 0.85 (while the right turn of
the crop scored 0.88-0.99). The check skips three detector runs per face on most photos."""
MODEL_THREADS = 1
"""Intra-op threads of the three small sessions: one thread is as fast on an idle machine and much
faster on a busy one (measured, 2 cores under load: the mesh 7.5 vs 22.7 ms median with 2 threads), and
the app runs them beside its swap workers."""


@dataclass(frozen=True)
class AnalyserOptions:
    """Detector thresholds; defaults suit photos and video frames alike."""

    full_range_confidence: float = 0.6
    short_range_confidence: float = 0.5
    """The detectors' score thresholds: MediaPipe's graph defaults. The MediaPipe analyser asked for 0.5
    for both, but its Python solution never passed that on (measured on the shared photos and their
    crops: the lowest scores returned were 0.600 and 0.500 whether 0.3, 0.5 or 0.7 was asked)."""
    min_face_px: int = 24
    max_faces: int = 32
    tiled: bool = True
    """Also scan overlapping tiles: BlazeFace sees the image at 192 px, so faces under ~8% of the image
    side are missed on the whole-image pass alone."""


class _Models:
    """The three sessions of one analyser."""

    def __init__(self, sessions: SessionCache) -> None:
        def session(model: EmbeddedModel) -> InferenceRunner:
            return sessions.session(embedded_model_path(model), intra_op_threads=MODEL_THREADS)

        self.full_range = BlazeFaceModel(session(FACE_DETECTION_FULL_RANGE), FULL_RANGE)
        self.short_range = BlazeFaceModel(session(FACE_DETECTION_SHORT_RANGE), SHORT_RANGE)
        self.mesh = FaceMeshModel(session(FACE_LANDMARKS_ATTENTION))

    def detect(
        self, model: BlazeFaceModel, rgb: Image, threshold: float
    ) -> list[tuple[Box, FloatArray, float]]:
        """(box in pixels, 6 keypoints in pixels, score) of the faces in ``rgb``, best first."""
        height, width = rgb.shape[:2]
        size = model.spec.size
        tensor = warp_roi(rgb, letterbox_matrix(width, height, size), size, cv2.BORDER_CONSTANT)
        found = weighted_nms(model.detect(tensor, threshold), NMS_IOU)
        boxes = letterbox_to_image(found.boxes.reshape(-1, 2, 2), width, height).reshape(-1, 4)
        keypoints = letterbox_to_image(found.keypoints, width, height)
        return [
            ((float(b[0]), float(b[1]), float(b[2]), float(b[3])), k, float(s))
            for b, k, s in zip(boxes, keypoints, found.scores, strict=True)
        ]

    def fit(self, rgb: Image, rect: RotatedRect) -> tuple[FloatArray, float]:
        """Landmarks (478, 3) in ``rgb`` pixels inside ``rect``, and the face presence."""
        tensor = warp_roi(rgb, roi_matrix(rect, MESH_SIZE), MESH_SIZE, cv2.BORDER_REPLICATE)
        points, presence = self.mesh.landmarks(tensor)
        return project_landmarks(points, rect, MESH_SIZE), presence

    def fit_detected(self, rgb: Image) -> FloatArray | None:
        """FaceMesh's image mode on a square crop around one face: detect (best face only), then fit;
        None if nothing passes (:meth:`fit_scored` without the score)."""
        fitted = self.fit_scored(rgb)
        return None if fitted is None else fitted[0]

    def fit_scored(self, rgb: Image) -> tuple[FloatArray, float, bool] | None:
        """:meth:`fit_detected`'s landmarks, the score of the crop's detection they were fitted from and
        whether that detection was in a quarter or half turn of the crop.

        Rolled faces (issue #19): BlazeFace places its eye keypoints, and so the landmark model's region,
        badly on a face lying on its side, and finds an upside-down face poorly or not at all. A face whose
        fitted eye line is more than :data:`UPRIGHT_ABOVE_DEGREES` off level is fitted again on the region
        its own eyes give (:meth:`_refit`); a face that a quarter or half turn of the crop finds surely
        and better (:data:`UPRIGHT_SURE_SCORE`) is fitted on the crop turned upright, and its landmarks
        turned back (:meth:`_fit_upright`).
        """
        best: tuple[int, tuple[Box, FloatArray, float]] | None = None
        for quarters in range(4):
            turned = rgb if quarters == 0 else np.ascontiguousarray(np.rot90(rgb, quarters))
            found = self.detect(self.short_range, turned, MESH_DETECTION_CONFIDENCE)
            # The crop as it stands, unless a quarter turn of it finds the face surely and better (a
            # face on its side or upside down); a weak detection in a turn is never taken: it does not
            # turn a hard upright face, nor add a face where none was found upright (hamilton's dark
            # audience, frame 27).
            if found and (
                quarters == 0
                or (found[0][2] >= UPRIGHT_SURE_SCORE and (best is None or found[0][2] > best[1][2]))
            ):
                best = (quarters, found[0])
            if quarters == 0 and best is not None and best[1][2] >= UPRIGHT_SURE_SCORE:
                break
        if best is None:
            return None
        quarters, (box, keypoints, score) = best
        if quarters != 0:
            upright = self._fit_upright(rgb, eye_line_degrees(keypoints[0], keypoints[1]) + 90.0 * quarters)
            return None if upright is None else (upright, score, True)
        landmarks, presence = self.fit(rgb, roi_from_points(box, keypoints[0], keypoints[1], ROI_SCALE))
        if presence < PRESENCE_THRESHOLD:
            return None
        # The mesh's own eye line, not BlazeFace's keypoints (noisy on small or hard faces), decides.
        roll = eye_line_degrees(landmarks[LEFT_EYE_CORNER], landmarks[RIGHT_EYE_CORNER])
        if abs(roll) > UPRIGHT_ABOVE_DEGREES:
            return self._refit(rgb, landmarks), score, False
        return landmarks, score, False

    def _refit(self, rgb: Image, landmarks: FloatArray) -> FloatArray:
        """One more fit on the region the first fit's own eyes and extent give (as FaceMesh's video mode
        places the next frame's region): level with the face, where BlazeFace's keypoints were not."""
        side = rgb.shape[0]
        region = roi_from_points(
            box_of(landmarks, side, side), landmarks[LEFT_EYE_CORNER], landmarks[RIGHT_EYE_CORNER], ROI_SCALE
        )
        refined, presence = self.fit(rgb, region)
        return refined if presence >= PRESENCE_THRESHOLD else landmarks

    def _fit_upright(self, rgb: Image, roll: float) -> FloatArray | None:
        """Landmarks of the face in the square crop ``rgb`` whose eye line is at ``roll`` degrees: the
        crop turned by ``roll`` about its centre, detection and fit there, one more fit on the region of
        the first fit's own eyes (as FaceMesh's video mode places it), then the landmarks turned back."""
        side = rgb.shape[0]
        matrix = turn_square(side, wrap_degrees(roll))
        upright = cv2.warpAffine(
            rgb, matrix, (side, side), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT
        )
        found = self.detect(self.short_range, upright, MESH_DETECTION_CONFIDENCE)
        if not found:
            return None
        box, keypoints, _score = found[0]
        landmarks, presence = self.fit(upright, roi_from_points(box, keypoints[0], keypoints[1], ROI_SCALE))
        if presence < PRESENCE_THRESHOLD:
            return None
        return apply_affine(self._refit(upright, landmarks), cv2.invertAffineTransform(matrix))


@dataclass(frozen=True)
class _Crop:
    """A square crop around a box: the RGB pixels, where it starts and its scale (crop px per image px)."""

    rgb: Image
    x0: int
    y0: int
    scale: float


def _crop_for_mesh(image: Image, box: Box, from_bgr: bool) -> _Crop:
    """The crop MediaPipe's FaceMesh was given by ``core/analysis.py`` (same pixels, both paths)."""
    height, width = image.shape[:2]
    cx, cy = (box[0] + box[2]) / 2, (box[1] + box[3]) / 2
    side = max(box[2] - box[0], box[3] - box[1]) * MESH_CROP_SCALE
    x0, y0 = int(round(cx - side / 2)), int(round(cy - side / 2))
    side_px = max(int(round(side)), 8)
    scale = MESH_INPUT_MAX / side_px if side_px > MESH_INPUT_MAX else 1.0
    if from_bgr:
        # One bilinear warp cuts and scales (an area resize only below 0.6x, where bilinear aliases).
        out = max(int(round(side_px * scale)), 8) if scale >= 0.6 else side_px
        inside = x0 >= 0 and y0 >= 0 and x0 + side_px <= width and y0 + side_px <= height
        if inside:
            crop = cv2.resize(
                image[y0 : y0 + side_px, x0 : x0 + side_px], (out, out), interpolation=cv2.INTER_LINEAR
            )
        else:
            s = out / side_px
            offset_x, offset_y = s * (0.5 - x0) - 0.5, s * (0.5 - y0) - 0.5
            matrix = np.array([[s, 0.0, offset_x], [0.0, s, offset_y]], dtype=np.float64)
            crop = cv2.warpAffine(image, matrix, (out, out), flags=cv2.INTER_LINEAR, borderValue=(0, 0, 0))
        if out != MESH_INPUT_MAX and scale != 1.0:
            crop = cv2.resize(crop, (MESH_INPUT_MAX, MESH_INPUT_MAX), interpolation=cv2.INTER_AREA)
        crop = cv2.cvtColor(crop, cv2.COLOR_BGR2RGB)
    else:
        crop = padded_crop(image, x0, y0, side_px)
        if scale != 1.0:
            crop = cv2.resize(crop, (MESH_INPUT_MAX, MESH_INPUT_MAX), interpolation=cv2.INTER_AREA)
    return _Crop(crop, x0, y0, crop.shape[0] / side_px)


def _to_image(landmarks: FloatArray, crop: _Crop) -> FloatArray:
    out = landmarks / crop.scale
    out[:, 0] += crop.x0
    out[:, 1] += crop.y0
    return out.astype(np.float32)


def _face(landmarks: FloatArray, box: Box, score: float, width: int, height: int) -> Face | None:
    if not landmarks_match_box(landmarks, box):
        return None
    return Face(
        box=box_of(landmarks, width, height),
        score=score,
        keypoints_5=keypoints_from_mesh(landmarks),
        landmarks_478=landmarks,
    )


def _without_weak_doubles(fitted: list[tuple[Face, bool]]) -> list[Face]:
    """The faces, less each one fitted as it stands whose centre lies inside a face that was found in a
    turn of its crop, and which is at least half that face's size (a smaller face behind stays).

    An upside-down face gives BlazeFace boxes of parts of it: the crop of one finds the face turned
    (surely, and fits it upright), the crop of another finds a weak "face" as it stands and FaceMesh
    fits it upright on the upside-down face: the same face twice, once wrong. (Faces found as they
    stand are left as MediaPipe gave them, doubles included.)
    """
    turned = [face for face, was_turned in fitted if was_turned]

    def inside(face: Face, other: Face) -> bool:
        x, y = face.center
        within = other.box[0] <= x <= other.box[2] and other.box[1] <= y <= other.box[3]
        return within and face.size >= other.size * 0.5

    return [
        face for face, was_turned in fitted if was_turned or not any(inside(face, other) for other in turned)
    ]


class OnnxFaceAnalyser:
    """Detector role with landmarks: every face with box, score, 478 landmarks and 5 keypoints.

    Calls are serialised by a lock (sessions are shared; the work per call is short); the follower of
    :meth:`landmark_follower` has its own state and lock.
    """

    name = "mediapipe"

    def __init__(self, sessions: SessionCache, options: AnalyserOptions | None = None) -> None:
        self.options = options or AnalyserOptions()
        self._models = _Models(sessions)
        self._lock = threading.Lock()

    def close(self) -> None:
        """Nothing to release: the sessions belong to the session cache."""

    def detect_faces(self, image: Image) -> list[Face]:
        """Every face, ordered left-to-right."""
        rgb = cv2.cvtColor(image, cv2.COLOR_BGR2RGB)
        height, width = rgb.shape[:2]
        with self._lock:
            fitted: list[tuple[Face, bool]] = []
            for box, score in self._detect_boxes(rgb):
                crop = _crop_for_mesh(rgb, box, from_bgr=False)
                found = self._models.fit_scored(crop.rgb)
                if found is None:
                    log.debug("no landmarks in the crop of a detection at %s", box)
                    continue
                face = _face(_to_image(found[0], crop), box, score, width, height)
                if face is not None:
                    fitted.append((face, found[2]))
        faces = _without_weak_doubles(fitted)
        faces.sort(key=lambda face: face.center[0])
        return faces

    def landmarks_in_box(self, image: Image, box: Box, score: float = 1.0) -> Face | None:
        """Fit landmarks around a known box (detection inside the crop, as in image mode)."""
        crop = _crop_for_mesh(image, box, from_bgr=True)
        with self._lock:
            landmarks = self._models.fit_detected(crop.rgb)
        if landmarks is None:
            return None
        return _face(_to_image(landmarks, crop), box, score, image.shape[1], image.shape[0])

    def landmark_follower(self) -> OnnxLandmarkFollower:
        """A new :class:`OnnxLandmarkFollower` for one video's tracked face."""
        return OnnxLandmarkFollower(self._models)

    def _detect_boxes(self, rgb: Image) -> list[tuple[Box, float]]:
        height, width = rgb.shape[:2]
        full, short = self.options.full_range_confidence, self.options.short_range_confidence
        models = self._models
        boxes = [(b, s) for b, _, s in models.detect(models.full_range, rgb, full)]
        boxes += [(b, s) for b, _, s in models.detect(models.short_range, rgb, short)]
        largest = max((min(b[2] - b[0], b[3] - b[1]) for b, _ in boxes), default=0.0)
        # Tiles cost ~6 more detector runs; only small or no faces suggest a group or a wide shot.
        if (
            self.options.tiled
            and max(height, width) >= 480
            and largest < TILE_WHEN_FACES_BELOW * min(height, width)
        ):
            for tx, ty, side in tile_grid(width, height):
                tile = rgb[ty : ty + side, tx : tx + side]
                for b, _, s in models.detect(models.full_range, tile, full):
                    boxes.append(((b[0] + tx, b[1] + ty, b[2] + tx, b[3] + ty), s))
        boxes = self._large_enough(boxes)
        if not boxes:
            boxes = self._large_enough(self._turned_boxes(rgb))
        return non_max_suppression(boxes, iou_threshold=0.3)[: self.options.max_faces]

    def _large_enough(self, boxes: list[tuple[Box, float]]) -> list[tuple[Box, float]]:
        """The boxes whose shorter side is at least ``options.min_face_px``."""
        return [b for b in boxes if min(b[0][2] - b[0][0], b[0][3] - b[0][1]) >= self.options.min_face_px]

    def _turned_boxes(self, rgb: Image) -> list[tuple[Box, float]]:
        """Faces found on the image turned upside down and on its sides (a photo taken sideways or held
        the wrong way up: BlazeFace finds faces within ~60 degrees of upright), their boxes turned back.
        Only when nothing was found upright: three more whole-image passes of the full-range model."""
        height, width = rgb.shape[:2]
        models, boxes = self._models, []
        for quarters in (2, 1, 3):
            matrix, _size = quarter_turn(width, height, quarters)
            back = cv2.invertAffineTransform(matrix)
            turned = np.ascontiguousarray(np.rot90(rgb, quarters))
            for b, _, s in models.detect(models.full_range, turned, self.options.full_range_confidence):
                boxes.append((box_back(b, back), s))
        return boxes


class OnnxLandmarkFollower:
    """FaceMesh's video mode on crops around one moving face: the refit of video tracking.

    The region for the landmark model comes from the previous frame's landmarks, and detection runs only
    when there are none (first frame, face lost, :meth:`reset`): about half the work of image mode. The
    region is kept in units of the crop, as MediaPipe kept it in units of the image it was given (the
    crop): the results match what the MediaPipe follower gave.
    """

    def __init__(self, models: _Models) -> None:
        self._models = models
        self._lock = threading.Lock()
        self._previous: RotatedRect | None = None
        """The next region, with centre and size as fractions of the crop side."""

    def landmarks_in_box(self, image: Image, box: Box, score: float = 1.0) -> Face | None:
        """Landmarks of the face around ``box`` (the tracked face's box in the previous frame)."""
        crop = _crop_for_mesh(image, box, from_bgr=True)
        side = crop.rgb.shape[0]
        with self._lock:
            if self._previous is None:
                landmarks = self._models.fit_detected(crop.rgb)
            else:
                p = self._previous
                rect = RotatedRect(p.cx * side, p.cy * side, p.width * side, p.height * side, p.rotation)
                landmarks, presence = self._models.fit(crop.rgb, rect)
                if presence < PRESENCE_THRESHOLD:
                    landmarks = None
            if landmarks is None:
                self._previous = None
                return None
            self._previous = _next_region(landmarks, side)
        return _face(_to_image(landmarks, crop), box, score, image.shape[1], image.shape[0])

    def reset(self) -> None:
        """Forget the previous frame's landmarks."""
        with self._lock:
            self._previous = None

    def close(self) -> None:
        """Nothing to release (the sessions are shared)."""
        self.reset()


def _next_region(landmarks: FloatArray, side: int) -> RotatedRect:
    """The region of the next frame from these landmarks (crop pixels), in fractions of the crop side."""
    box = (
        float(landmarks[:, 0].min()),
        float(landmarks[:, 1].min()),
        float(landmarks[:, 0].max()),
        float(landmarks[:, 1].max()),
    )
    rect = roi_from_points(box, landmarks[LEFT_EYE_CORNER], landmarks[RIGHT_EYE_CORNER], ROI_SCALE)
    return RotatedRect(rect.cx / side, rect.cy / side, rect.width / side, rect.height / side, rect.rotation)
