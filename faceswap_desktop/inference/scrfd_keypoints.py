"""SCRFD keypoints for learned swappers: inswapper (and SimSwap) were trained on faces aligned by SCRFD's
5 keypoints, which differ from the 5 points the app derives from MediaPipe's mesh (the 128 px crop sits
about 1.2 px lower). :class:`ScrfdKeypointSwapper` wraps a learned swapper: before each swap it runs SCRFD
on a square region around the target face and, when SCRFD finds that face, aligns on SCRFD's keypoints.
When SCRFD misses it the mesh keypoints are kept, so a swap never fails because of the refinement.
"""

from __future__ import annotations

import dataclasses
import math
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from faceswap_desktop.core.roles import SourcePhoto, SwapOutput, Swapper
from faceswap_desktop.core.settings import SwapSettings
from faceswap_desktop.core.types import Face, Image

from .scrfd import ScrfdDetector

REGION_SCALE = 2.0
"""The SCRFD region's side, at least this many face sizes (the face then fills at most half of it)."""
TRACK_MEMORY = 8
"""Calls after which an unused face position is forgotten (a face gone for a few frames starts afresh)."""
MATCH_DISTANCE = 0.35
"""A SCRFD face is the same face when its keypoints are on average within this fraction of the mesh
keypoints' eye distance."""


def scrfd_keypoints(detector: ScrfdDetector, frame: Image, face: Face) -> np.ndarray | None:
    """SCRFD's 5 keypoints (frame pixels) for ``face``, or ``None`` when SCRFD does not find it.

    SCRFD's keypoints depend on the scale it sees the face at, so the region is resized by the same
    factor as the reference's whole-frame letterbox (``input_size / max(H, W)``): the result is what
    SCRFD on the whole frame gives, for a fraction of the pixels when the face is small.
    """
    if face.detector == "scrfd":
        return np.asarray(face.keypoints_5, np.float32)
    height, width = frame.shape[:2]
    scale = detector.input_size / max(height, width)
    side = REGION_SCALE * max(face.width, face.height)
    size = max(64, math.ceil(side * scale / 32) * 32)  # SCRFD's input: a multiple of its largest stride
    if size >= detector.input_size:
        x0, y0, found = 0, 0, detector.detect_faces(frame)
    else:
        half = size / scale / 2.0  # the region grows to what maps onto ``size`` px at the frame's scale
        cx, cy = face.center
        x0, y0 = max(int(round(cx - half)), 0), max(int(round(cy - half)), 0)
        x1, y1 = min(int(round(cx + half)), width), min(int(round(cy + half)), height)
        if x1 - x0 < 16 or y1 - y0 < 16:
            return None
        found = detector.at_input_size(size).detect_faces(np.ascontiguousarray(frame[y0:y1, x0:x1]))
    mesh = np.asarray(face.keypoints_5, np.float32)
    eyes = max(float(np.linalg.norm(mesh[0] - mesh[1])), 1.0)
    best, best_distance = None, MATCH_DISTANCE
    for candidate in found:
        points = candidate.keypoints_5 + np.array([x0, y0], np.float32)
        distance = float(np.linalg.norm(points - mesh, axis=1).mean()) / eyes
        if distance < best_distance:
            best, best_distance = points, distance
    return None if best is None else best.astype(np.float32)


@dataclass
class _OffsetTrack:
    """SCRFD's offset from the mesh keypoints near one face position, in face sizes, low-passed."""

    centre: np.ndarray
    size: float
    offset: np.ndarray
    last_call: int


class ScrfdKeypointSwapper:
    """A learned swapper aligned on SCRFD keypoints (see the module docstring); otherwise the same.

    In a video the mesh keypoints arrive smoothed by the tracker (One Euro), and SCRFD's own points
    jitter about as much as raw mesh points (measured: 0.017 vs 0.016 of the eye distance per frame on
    Obama_speaking.mp4, 3x the smoothed mesh's). So what is applied is SCRFD's offset from the mesh
    points, low-passed per face position (``smoothing`` = the weight of the newest frame): the first
    call on a face, and every call on a photo, gets SCRFD's keypoints exactly; consecutive video frames
    get the smoothed mesh points plus a smoothed SCRFD correction.
    """

    def __init__(self, swapper: Swapper, detector: ScrfdDetector, smoothing: float = 0.25) -> None:
        self.inner = swapper
        self.detector = detector
        self.name = swapper.name
        self.smoothing = smoothing
        self._tracks: list[_OffsetTrack] = []
        self._calls = 0
        self._lock = threading.Lock()

    def prepare_source(self, photos: Sequence[SourcePhoto]) -> Any:
        """The source photos' faces as SCRFD sees them (when it finds them), then the swapper's own."""
        return self.inner.prepare_source([self._refined_photo(photo) for photo in photos])

    def swap(self, frame: Image, target: Face, prepared: Any, settings: SwapSettings) -> SwapOutput:
        """Swap with ``target`` aligned on SCRFD's keypoints when SCRFD finds it."""
        return self.inner.swap(frame, self.refine(frame, target, smooth=True), prepared, settings)

    def refine(self, frame: Image, face: Face, smooth: bool = False) -> Face:
        """``face`` with SCRFD's keypoints when SCRFD finds it, else unchanged (``smooth``: low-pass the
        correction with earlier calls on the same face position)."""
        points = scrfd_keypoints(self.detector, frame, face)
        if points is None:
            return face
        if smooth and face.detector != "scrfd":
            points = self._smoothed(face, points)
        return dataclasses.replace(face, keypoints_5=points.astype(np.float32))

    def _smoothed(self, face: Face, points: np.ndarray) -> np.ndarray:
        size = max(face.size, 1.0)
        mesh = np.asarray(face.keypoints_5, np.float64)
        offset = (points - mesh) / size
        centre = np.asarray(face.center, np.float64)
        with self._lock:
            self._calls += 1
            self._tracks = [t for t in self._tracks if self._calls - t.last_call <= TRACK_MEMORY]
            near = [t for t in self._tracks if np.linalg.norm(t.centre - centre) < 0.5 * max(t.size, size)]
            if not near:
                self._tracks.append(_OffsetTrack(centre, size, offset, self._calls))
                return points
            track = min(near, key=lambda t: float(np.linalg.norm(t.centre - centre)))
            track.offset = track.offset + self.smoothing * (offset - track.offset)
            track.centre, track.size, track.last_call = centre, size, self._calls
            return mesh + track.offset * size

    def _refined_photo(self, photo: SourcePhoto) -> SourcePhoto:
        return SourcePhoto(photo.image, self.refine(photo.image, photo.face))

    def __getattr__(self, name: str) -> Any:
        # Anything else (a SimSwap engine's recognizer_name, crop_size...) is the wrapped swapper's.
        return getattr(self.inner, name)
