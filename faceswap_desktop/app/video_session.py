"""Video services shared by the timeline preview and the export: choosing the person to replace,
building the tracker, and processing one frame with the one pipeline.

Identity embedder for tracking ("auto"): MobileFaceNet when its ONNX file is configured
(``FACESWAP_MOBILEFACENET``; about 10 ms a face on CPU, and on ``short_hamilton_clip.mp4`` it separates
the singer from the crowd by a wide margin: same person 0.40-0.72, others <= 0.12), otherwise the
embedded dlib judge (about 115 ms a face, and much less decisive on small faces, which is why the
tracker keeps the largest verified view as its reference and embeds only when identity is in doubt).
"""

from __future__ import annotations

import logging
import math
import os
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from ..core.errors import ModelMissing, NoFaceFound
from ..core.identity import cosine
from ..core.pipeline import FacePipeline, FaceSelection, PreparedSource, SwappedFace
from ..core.roles import Recognizer
from ..core.settings import SwapSettings
from ..core.tracking import FaceTracker, TrackerOptions, TrackingDetector, TrackResult, box_iou
from ..core.types import Face, FloatArray, Image
from ..core.video_io import VideoReader
from .context import AppContext

log = logging.getLogger(__name__)

ACCEPT_PERCENT, REJECT_PERCENT = 60.0, 25.0
"""A face becomes the chosen person at "likely same" and stops being them at "different person"."""

REFERENCE_SEARCH_LIMIT = 300
"""How many frames are scanned for the default reference (first frame with a face)."""


@dataclass(frozen=True)
class ReferenceChoice:
    """Which person to replace: a face in a frame (``None``: first frame with a face / largest face)."""

    frame_index: int | None = None
    face_index: int | None = None


@dataclass(frozen=True)
class Reference:
    """The chosen person: where they were picked, their face there, and their identity embedding."""

    frame_index: int
    face: Face
    embedding: FloatArray | None


def tracker_embedder(context: AppContext, embedder_id: str | None) -> Recognizer | None:
    """The recognizer used to tell people apart while tracking (see the module doc for "auto")."""
    if embedder_id is None or embedder_id == "none":
        return None
    if embedder_id != "auto":
        return context.recognizer(embedder_id)
    if os.environ.get("FACESWAP_MOBILEFACENET") and Path(os.environ["FACESWAP_MOBILEFACENET"]).is_file():
        try:
            return context.recognizer("mobilefacenet")
        except ModelMissing:
            log.info("MobileFaceNet not usable; tracking identity with dlib")
    return context.recognizer("dlib")


def identity_thresholds(context: AppContext, embedder: Recognizer | None) -> tuple[float, float]:
    """(accept, reject) cosines of the embedder's calibration at 60% and 25%."""
    if embedder is None:
        return 1.0, -1.0
    calibration = context.calibrations.get(embedder.name)

    def cosine_at(percent: float) -> float:
        return calibration.centre + math.log(percent / (100.0 - percent)) / calibration.slope

    return cosine_at(ACCEPT_PERCENT), cosine_at(REJECT_PERCENT)


def find_reference(
    reader: VideoReader,
    detector: TrackingDetector,
    embedder: Recognizer | None,
    choice: ReferenceChoice,
    start: int = 0,
) -> Reference:
    """The chosen person's face and embedding; by default the largest face of the first frame with one."""
    frames = [choice.frame_index] if choice.frame_index is not None else None
    candidates = frames or range(start, min(start + REFERENCE_SEARCH_LIMIT, reader.info.frame_count))
    for index in candidates:
        image = reader.frame_at(index)
        faces = detector.detect_faces(image)
        if not faces:
            continue
        if choice.face_index is None:
            face = max(faces, key=lambda f: f.width * f.height)
        elif 0 <= choice.face_index < len(faces):
            face = faces[choice.face_index]
        else:
            raise NoFaceFound(
                f"frame {index} has {len(faces)} face(s); face {choice.face_index} does not exist"
            )
        embedding = embedder.embed(image, face) if embedder is not None else None
        return Reference(index, face, embedding)
    where = f"frame {choice.frame_index}" if frames else f"the first {REFERENCE_SEARCH_LIMIT} frames"
    raise NoFaceFound(f"no face found in {where} of {reader.path.name}")


def build_tracker(
    context: AppContext,
    detector: TrackingDetector,
    embedder: Recognizer | None,
    reference: Reference,
    options: TrackerOptions | None = None,
) -> FaceTracker:
    """A tracker for the chosen person, with thresholds from the embedder's calibration."""
    accept, reject = identity_thresholds(context, embedder)
    return FaceTracker(detector, embedder, reference.embedding, accept, reject, options)


@dataclass
class FrameOutcome:
    """One processed frame: the image to write and what happened to it."""

    index: int
    image: Image
    track: TrackResult
    swapped: SwappedFace | None
    timings_ms: dict[str, float] = field(default_factory=dict)
    faces: tuple[Face, ...] = ()
    """Every face detected in the frame, left to right (previews only; exports track one face)."""


def swap_tracked_face(
    pipeline: FacePipeline,
    prepared: PreparedSource,
    settings: SwapSettings,
    index: int,
    frame: Image,
    track: TrackResult,
    score: bool,
) -> FrameOutcome:
    """Swap the tracked face (or pass the frame through); safe to run in a worker pool."""
    if track.face is None:
        return FrameOutcome(index, frame, track, None)
    result = pipeline.process_frame(
        frame,
        prepared,
        settings,
        FaceSelection((0,)),
        faces=[track.face],
        score="result" if score else "none",
    )
    return FrameOutcome(index, result.frame, track, result.swapped[0], dict(result.timings.ms))


class VideoSession:
    """One open video for the timeline: frames by index, the chosen person, swapped preview frames.

    Previews run without history, so each one detects and checks identity (one embedding per face
    until the chosen person is found); exports use the tracker instead.
    """

    def __init__(
        self,
        context: AppContext,
        path: str | Path,
        engine: str = "mesh",
        embedder: str | Recognizer | None = "auto",
        pipeline: FacePipeline | None = None,
    ) -> None:
        """``embedder``: an id for :func:`tracker_embedder` or a recognizer; ``pipeline`` (default: the
        engine's, without a judge) scores previews when it has a judge."""
        self.context = context
        self.reader = VideoReader(path)
        self.info = self.reader.info
        self.pipeline = pipeline or context.build_pipeline(engine=engine, judge=None)
        self.detector: TrackingDetector = context.detector("mediapipe")  # type: ignore[assignment]
        self.embedder = (
            tracker_embedder(context, embedder) if embedder is None or isinstance(embedder, str) else embedder
        )
        self.prepared: PreparedSource | None = None
        self.reference: Reference | None = None
        self.choice: ReferenceChoice | None = None
        """The choice :attr:`reference` was found for."""

    def frame(self, index: int) -> Image:
        """The exact frame ``index`` (BGR)."""
        return self.reader.frame_at(index)

    def set_source(self, images: list[Image]) -> PreparedSource:
        """Prepare the source person's photos once."""
        self.prepared = self.pipeline.prepare_source(images)
        return self.prepared

    def choose_reference(self, choice: ReferenceChoice | None = None) -> Reference:
        """Pick the person to replace (default: largest face of the first frame with a face)."""
        choice = choice or ReferenceChoice()
        self.reference = find_reference(self.reader, self.detector, self.embedder, choice)
        self.choice = choice
        return self.reference

    def detect(self, image: Image) -> tuple[Face, ...]:
        """Every face of a frame, left to right."""
        return tuple(self.detector.detect_faces(image))

    def preview(self, index: int, settings: SwapSettings, score: bool = False) -> FrameOutcome:
        """Frame ``index`` with the chosen person swapped (unchanged when they are not in it); ``score``
        measures the result's similarity when the pipeline has a judge."""
        if self.prepared is None:
            raise NoFaceFound("choose the source photos before previewing")
        if self.reference is None:
            self.choose_reference()
        started = time.perf_counter()
        image = self.frame(index)
        seek_ms = (time.perf_counter() - started) * 1000
        faces = self.detect(image)
        face = self.find_chosen(image, faces, index)
        track = TrackResult(face, face, 0, True, False, None, 0)
        outcome = swap_tracked_face(self.pipeline, self.prepared, settings, index, image, track, score)
        outcome.faces = faces
        outcome.timings_ms["seek"] = seek_ms
        outcome.timings_ms["total"] = (time.perf_counter() - started) * 1000
        return outcome

    def find_chosen(self, image: Image, faces: Sequence[Face], index: int) -> Face | None:
        """The chosen person among ``faces`` of frame ``index`` (None when they are not in it)."""
        reference = self.reference or self.choose_reference()
        if index == reference.frame_index:
            return max(faces, key=lambda f: _overlap(f, reference.face), default=None)
        if self.embedder is None or reference.embedding is None:
            return max(faces, key=lambda f: f.width * f.height, default=None)
        accept, _reject = identity_thresholds(self.context, self.embedder)
        # Largest first: the chosen person is usually prominent, so one embedding often settles it.
        for face in sorted(faces, key=lambda f: -f.width * f.height):
            embedding = self.embedder.embed(image, face)
            if cosine(embedding, reference.embedding) >= accept:
                return face
        return None

    def close(self) -> None:
        """Release the video file."""
        self.reader.close()


def _overlap(face: Face, other: Face) -> float:
    return box_iou(face.box, other.box)
