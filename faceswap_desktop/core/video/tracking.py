"""Following one chosen person through a video: every face is tracked by position, identity is checked
by embedding only when it is in doubt, and the chosen person's landmarks are smoothed over time.

Per frame:

1. A scene cut (colour histogram jump) clears every track and the smoothing: positions before a cut
   say nothing about positions after it.
2. While the chosen person is tracked, FaceMesh is refitted in their previous box
   (:meth:`landmarks_in_box`; the app passes a refitter that runs FaceMesh in video mode, a quarter of
   the cost of detection, see ``core/analysis.py``); full detection runs every
   ``detect_every`` frames, after a cut, and whenever the track is lost. Detections join existing tracks
   by box overlap (IoU); the others start new tracks.
3. Identity: a new track is embedded once, and only while the chosen person is not being tracked (one
   person is in one place at a time); the best track above ``accept`` becomes the chosen person. The
   chosen person's track is re-verified and dropped below ``reject`` (the box drifted onto someone
   else): every ``verify_every`` frames while their identity is in doubt (another face is tracked, the
   track came back after frames unseen or its box jumped, or the face grew well beyond the reference's
   view), otherwise only every ``verify_alone_every`` frames: a box followed frame to frame with
   nobody else in the picture has nobody to drift onto, and a dlib embedding holds the GIL for
   ~100-150 ms, stalling the export's swap workers. Tracks judged "someone else" are re-checked every
   ``recheck_every`` frames (a turned head may have been misjudged). The reference embedding is
   replaced by the chosen person's largest verified view, so later checks compare against the
   clearest picture of them (small faces give weak embeddings); it may be given as a function, called
   on the first check that needs it (an export whose person is never in doubt embeds nobody).
4. The chosen face's 478 landmarks go through a One Euro filter in face-size units.

The embedder is any :class:`Recognizer` (the app passes the dlib judge or MobileFaceNet; see
``app/video_session.py`` for the choice). Without one, tracking is by position only and a lost person
is not re-acquired.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal, Protocol

import numpy as np

from ..geometry import box_iou, keypoints_from_mesh
from ..identity import cosine
from ..roles import Recognizer
from ..types import Face, FloatArray, Image
from .temporal import OneEuroFilter, SceneCutDetector

log = logging.getLogger(__name__)


IdentityHint = Callable[[int, Face], "bool | None"]
"""What is already known of a face in a frame (from a cast scan): True, it is the chosen person; False,
it is someone else; None, unknown (then it is embedded)."""


class LandmarkRefitter(Protocol):
    """Fits landmarks inside a known box (the tracked face's box in the previous frame)."""

    def landmarks_in_box(
        self, image: Image, box: tuple[float, float, float, float], score: float = 1.0
    ) -> Face | None: ...


class TrackingDetector(LandmarkRefitter, Protocol):
    """A detector that can also refit landmarks inside a known box (the MediaPipe analyser)."""

    def detect_faces(self, image: Image) -> list[Face]: ...


@dataclass(frozen=True)
class TrackerOptions:
    """Cadences (in frames), thresholds and smoothing of the tracker."""

    detect_every: int = 10
    """Full detection cadence while the chosen person is tracked. It only re-anchors their landmarks
    (the refit already fits them to each frame) and refreshes other faces' positions, which matter only
    once the chosen person is lost, and then detection runs at once; 10 halves its CPU next to 5 (it
    costs ~3 refits) with the same landmark jitter on the benchmark clip."""
    verify_every: int = 30
    """Re-verification cadence of the chosen person while their identity is in doubt."""
    verify_alone_every: int = 150
    """Re-verification cadence while it is not: the chosen face alone (no other track since the last
    check), followed frame to frame without a jump, no larger than ``grown_by`` x the reference's view.
    A safety net only (a detector can miss a face); each dlib check holds the GIL ~100-150 ms."""
    steady_iou: float = 0.5
    """The chosen face's box overlapping its previous box less than this is a jump (identity in doubt)."""
    grown_by: float = 1.25
    """A view this much larger than the reference's is checked at the in-doubt cadence (a check
    replaces the reference with it: larger faces give stronger embeddings)."""
    recheck_every: int = 30
    max_missed: int = 15
    """A track unseen for this many frames is dropped."""
    min_iou: float = 0.3
    min_cutoff: float = 1.0
    """One Euro minimum cutoff (Hz): how hard a still face is smoothed."""
    beta: float = 5.0
    """One Euro speed coefficient, per face size per second."""
    follow_largest: bool = False
    """Without an embedder or a reference: the largest face in view becomes the chosen person when
    nobody is chosen (live mode replaces whoever is in front of the camera)."""


@dataclass(frozen=True)
class TrackResult:
    """What the tracker found in one frame."""

    face: Face | None
    """The chosen person's face with smoothed landmarks, or None (the frame passes through)."""
    raw_face: Face | None
    faces_seen: int
    detected: bool
    scene_cut: bool
    similarity: float | None
    """Cosine of the chosen person's latest identity check against the reference (embedder's model)."""
    embeddings: int


@dataclass
class _Track:
    face: Face
    last_seen: int
    status: Literal["unknown", "target", "other"] = "unknown"
    checked_at: int = -(10**9)
    similarity: float | None = None
    embedding: FloatArray | None = None
    doubted_at: int = -(10**9)
    """Last frame something put this track's identity in doubt (a gap, a jump, another face)."""


def face_with_landmarks(face: Face, landmarks: FloatArray) -> Face:
    """A new face with these landmarks, its box and keypoints recomputed from them."""
    points = landmarks.astype(np.float32)
    box = (
        float(points[:, 0].min()),
        float(points[:, 1].min()),
        float(points[:, 0].max()),
        float(points[:, 1].max()),
    )
    return Face(box, face.score, keypoints_from_mesh(points), points, face.detector)


class FaceTracker:
    """Finds the chosen person frame after frame; feed frames in order with :meth:`update`."""

    def __init__(
        self,
        detector: TrackingDetector,
        embedder: Recognizer | None,
        reference: FloatArray | Callable[[], FloatArray] | None,
        accept: float,
        reject: float,
        options: TrackerOptions | None = None,
        refitter: LandmarkRefitter | None = None,
        hint: IdentityHint | None = None,
    ) -> None:
        """``reference``: the chosen person's embedding, or a function computing it on the first check
        that needs one. ``refitter`` refits the chosen face between detections (default: the detector's
        :meth:`~TrackingDetector.landmarks_in_box`); one with a ``reset()`` method is reset after a
        scene cut and when the chosen person changes, and the tracker's :meth:`close` closes it.
        ``hint`` answers identity checks it knows the answer to without embedding (a cast scan's
        sightings): a check it settles costs nothing, the others embed as usual."""
        self.detector, self.embedder = detector, embedder
        self.refitter: LandmarkRefitter = refitter if refitter is not None else detector
        self.accept, self.reject = accept, reject
        self.options = options or TrackerOptions()
        self._reference: FloatArray | None = None if callable(reference) else reference
        self._compute_reference = reference if callable(reference) else None
        self._reference_size = 0.0
        self._tracks: list[_Track] = []
        self._cuts = SceneCutDetector()
        self._filter = OneEuroFilter(self.options.min_cutoff, self.options.beta)
        self._smoothed_track: _Track | None = None
        self._last_smoothed = -(10**9)
        self._scale = 1.0
        self._last_detect = -(10**9)
        self._embeddings = 0
        self._refitted: _Track | None = None
        self._hint = hint

    def _reset_refitter(self) -> None:
        reset = getattr(self.refitter, "reset", None)
        if reset is not None and self.refitter is not self.detector:
            reset()

    def close(self) -> None:
        """Release the refitter when it is the tracker's own (not the shared detector)."""
        close = getattr(self.refitter, "close", None)
        if close is not None and self.refitter is not self.detector:
            close()

    def seed(self, face: Face, frame_number: int, reference_size: float | None = None) -> None:
        """Start with ``face`` known to be the chosen person in frame ``frame_number``."""
        self._tracks = [_Track(face, frame_number, "target", frame_number, 1.0)]
        self._reference_size = reference_size if reference_size is not None else face.size

    def update(self, frame: Image, frame_number: int, timestamp: float) -> TrackResult:
        """Track frame ``frame_number`` (shown at ``timestamp`` seconds)."""
        self._embeddings = 0
        cut = self._cuts.is_cut(frame)
        if cut:
            self._tracks.clear()
            self._filter.reset()
        target = self._target(frame_number - 1)
        if target is not self._refitted or cut:
            self._reset_refitter()
            self._refitted = target
        detect = cut or target is None or frame_number - self._last_detect >= self.options.detect_every
        if target is not None and not detect:
            refit = self.refitter.landmarks_in_box(frame, target.face.box, target.face.score)
            overlap = box_iou(refit.box, target.face.box) if refit is not None else 0.0
            if refit is not None and overlap >= self.options.min_iou:
                if overlap < self.options.steady_iou:
                    target.doubted_at = frame_number
                target.face, target.last_seen = refit, frame_number
            else:
                detect = True
        faces_seen = 1
        if detect:
            faces = self.detector.detect_faces(frame)
            faces_seen = len(faces)
            self._last_detect = frame_number
            self._associate(faces, frame_number)
        self._identify(frame, frame_number)
        target = self._target(frame_number)
        if target is None or target.face.landmarks_478 is None:
            return TrackResult(None, None, faces_seen, detect, cut, None, self._embeddings)
        smoothed = self._smooth(target, frame_number, timestamp)
        return TrackResult(
            smoothed, target.face, faces_seen, detect, cut, target.similarity, self._embeddings
        )

    def _target(self, frame_number: int) -> _Track | None:
        for track in self._tracks:
            if track.status == "target" and track.last_seen >= frame_number:
                return track
        return None

    def _associate(self, faces: list[Face], frame_number: int) -> None:
        pairs = sorted(
            (
                (box_iou(track.face.box, face.box), t, f)
                for t, track in enumerate(self._tracks)
                for f, face in enumerate(faces)
            ),
            reverse=True,
        )
        used_tracks: set[int] = set()
        used_faces: set[int] = set()
        for iou, t, f in pairs:
            if iou < self.options.min_iou:
                break
            if t in used_tracks or f in used_faces:
                continue
            track = self._tracks[t]
            if frame_number - track.last_seen > 1 or iou < self.options.steady_iou:
                track.doubted_at = frame_number  # back after frames unseen, or a jump
            track.face, track.last_seen = faces[f], frame_number
            used_tracks.add(t)
            used_faces.add(f)
        self._tracks += [_Track(face, frame_number) for f, face in enumerate(faces) if f not in used_faces]
        self._tracks = [t for t in self._tracks if frame_number - t.last_seen <= self.options.max_missed]

    def _reference_embedding(self) -> FloatArray:
        if self._reference is None:
            assert self._compute_reference is not None
            self._reference, self._compute_reference = self._compute_reference(), None
        return self._reference

    def _similarity(self, frame: Image, track: _Track, frame_number: int) -> float:
        assert self.embedder is not None
        reference = self._reference_embedding()
        embedding = self.embedder.embed(frame, track.face)
        self._embeddings += 1
        track.similarity = cosine(embedding, reference)
        track.checked_at, track.embedding = frame_number, embedding
        if track.status == "target":
            self._maybe_update_reference(track)
        return track.similarity

    def _maybe_update_reference(self, track: _Track) -> None:
        """Keep the largest verified view of the chosen person as the reference."""
        verified = track.similarity is not None and track.similarity >= self.accept
        if verified and track.embedding is not None and track.face.size > self._reference_size:
            self._reference, self._reference_size = track.embedding, track.face.size

    def _identify(self, frame: Image, frame_number: int) -> None:
        if self.embedder is None or (self._reference is None and self._compute_reference is None):
            if self.options.follow_largest:
                self._adopt_largest(frame_number)
            return
        visible = [t for t in self._tracks if t.last_seen == frame_number]
        target = next((t for t in visible if t.status == "target"), None)
        options = self.options
        if target is not None:
            if len(self._tracks) > 1:  # someone else tracked (seen within ``max_missed`` frames)
                target.doubted_at = frame_number
            doubt = target.doubted_at > target.checked_at
            doubt = doubt or target.face.size >= options.grown_by * self._reference_size
            every = options.verify_every if doubt else options.verify_alone_every
            due = frame_number - target.checked_at >= every
            if due and not self._is_target(frame, target, frame_number):
                log.info("frame %d: the tracked face no longer matches; dropping it", frame_number)
                target.status = "other"
            return
        best: _Track | None = None
        for track in visible:
            due = track.status == "unknown" or frame_number - track.checked_at >= options.recheck_every
            if not due:
                continue
            known = self._hint(frame_number, track.face) if self._hint is not None else None
            if known is not None:
                track.status, track.checked_at = (
                    ("target", frame_number) if known else ("other", frame_number)
                )
                if known:
                    return  # one person is in one place at a time
                continue
            similarity = self._similarity(frame, track, frame_number)
            track.status = "other"
            if similarity >= self.accept and (best is None or similarity > (best.similarity or 0.0)):
                best = track
        if best is not None:
            best.status = "target"
            self._maybe_update_reference(best)

    def _adopt_largest(self, frame_number: int) -> None:
        """Make the largest face in view the chosen person when nobody is (``follow_largest``)."""
        visible = [t for t in self._tracks if t.last_seen == frame_number]
        if visible and not any(t.status == "target" for t in visible):
            largest = max(visible, key=lambda t: t.face.width * t.face.height)
            largest.status, largest.checked_at = "target", frame_number

    def _is_target(self, frame: Image, target: _Track, frame_number: int) -> bool:
        """A due check of the chosen person's track: the hint's answer, else an embedding above
        ``reject``."""
        known = self._hint(frame_number, target.face) if self._hint is not None else None
        if known is not None:
            target.checked_at = frame_number
            return known
        return self._similarity(frame, target, frame_number) >= self.reject

    def _smooth(self, track: _Track, frame_number: int, timestamp: float) -> Face:
        landmarks = track.face.landmarks_478
        assert landmarks is not None
        if self._smoothed_track is not track or frame_number - self._last_smoothed > 2:
            self._filter.reset()
            self._smoothed_track, self._scale = track, max(track.face.size, 1.0)
        self._last_smoothed = frame_number
        smoothed = self._filter(landmarks / self._scale, timestamp) * self._scale
        return face_with_landmarks(track.face, smoothed.astype(np.float32))
