"""Video services shared by the timeline preview and the export: choosing the person to replace,
building the tracker, and processing one frame with the one pipeline.

Identity embedder for tracking ("auto"): MobileFaceNet when its ONNX file is configured
(``FACESWAP_MOBILEFACENET``; about 10 ms a face on CPU, and on ``short_hamilton_clip.mp4`` it separates
the singer from the crowd by a wide margin: same person 0.40-0.72, others <= 0.12), otherwise the
embedded dlib judge (about 115 ms a face, and much less decisive on small faces, which is why the
tracker keeps the largest verified view as its reference and embeds only when identity is in doubt).
"""

from __future__ import annotations

import contextlib
import logging
import math
import os
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import cv2
import numpy as np
from numpy.typing import NDArray

from ..core.errors import ModelMissing, NoFaceFound
from ..core.geometry import box_iou
from ..core.identity import DLIB_CALIBRATION, cosine
from ..core.media.guarded_decode import GuardedVideoReader
from ..core.media.video_io import VideoSource
from ..core.mesh.slow_stats import StatsTicket
from ..core.pipeline import FacePipeline, FaceSelection, PreparedSource, SwappedFace
from ..core.roles import Recognizer, RecognizerSource
from ..core.settings import SwapSettings
from ..core.types import Face, FloatArray, Image, Similarity
from ..core.video.person_memory import PersonMemory
from ..core.video.temporal import SCENE_CUT_THRESHOLD, colour_histogram
from ..core.video.tracking import (
    FaceTracker,
    IdentityHint,
    LandmarkRefitter,
    TrackerOptions,
    TrackingDetector,
    TrackResult,
)
from .cast import CancelToken, Cast, identity_hint, on_screen, person_views
from .cast_cache import load_or_scan_cast
from .context import AppContext

log = logging.getLogger(__name__)

ACCEPT_PERCENT, REJECT_PERCENT = 60.0, 25.0
"""A face becomes the chosen person at "likely same" and stops being them at "different person"."""

REFERENCE_SEARCH_LIMIT = 300
"""How many frames are scanned for the default reference (first frame with a face)."""

IDENTITY_WINDOW = 30
"""A preview trusts the chosen person's position from an identity check this many frames away (in the
same shot): the export's tracker re-verifies identity at the same cadence (``verify_every``) whenever it
is in doubt."""

FRAME_CACHE_BYTES = 96 * 2**20
"""Decoded frames a session keeps (re-rendering a frame for new settings must not seek and decode)."""

KNOWN_FRAMES = 1024
"""Frames whose faces and chosen person a session remembers (a few kB a face)."""

IdentityBasis = Literal["tracked", "reference", "embedded", "remembered", "assumed", "largest", "absent"]
"""How a preview picked its face: the reference frame itself, an embedding check, the position of an
embedding-checked face nearby in the same shot, assumed by position with the check still to come
(:meth:`VideoSession.confirm`), the largest face (no embedder), or nobody matched."""


@dataclass(frozen=True)
class ReferenceChoice:
    """Which person to replace: a face in a frame, or a member of the clip's cast (``app/cast.py``).

    All ``None``: the cast member most present in the exported range. ``face_index`` alone: that face
    of the first frame with a face; ``frame_index`` alone: the largest face of that frame.
    """

    frame_index: int | None = None
    face_index: int | None = None
    person: int | None = None
    """Cast member number (1..: most present first)."""


@dataclass(frozen=True)
class Reference:
    """The chosen person: where they were picked, their face there, and their identity embedding."""

    frame_index: int
    face: Face
    embedding: FloatArray | None
    image: Image | None = None
    """The frame, kept when the embedding was deferred (``find_reference(..., defer_embedding=True)``)."""
    identity_view: tuple[Image, Face] | None = None
    """Where the deferred embedding is taken (default: ``image`` and ``face``): a cast member's best
    view, which may be another frame."""
    hint: IdentityHint | None = None
    """What the cast scan knows of who is where (:func:`~.cast.identity_hint`), for the tracker."""
    on_screen: Callable[[int], bool] | None = None
    """Where the cast scan saw them (:func:`~.cast.on_screen`): the tracker skips the other frames."""
    provisional: bool = False
    """The default person while the cast is unknown (the largest face of the first frame with one)."""


class DeferredRecognizer:
    """A recognizer created on the first :meth:`embed` (a thread-safe proxy).

    The export's tracker may never embed (see ``core/video/tracking.py``: the chosen person is re-checked only
    when in doubt), and loading dlib's models costs ~140 ms of CPU before the first frame; ``name`` is
    known without loading (the calibration's model name), for the identity thresholds and the report.
    """

    def __init__(self, create: Callable[[], Recognizer], name: str) -> None:
        self.name = name
        self._create = create
        self._recognizer: Recognizer | None = None
        self._lock = threading.Lock()

    @property
    def loaded(self) -> bool:
        """Whether the recognizer has been created (by an embedding)."""
        return self._recognizer is not None

    def load(self) -> Recognizer:
        """Create the recognizer now, once (a caller about to embed, such as a cast scan that has found
        a face, loads it while other work runs rather than in front of its first embedding)."""
        with self._lock:
            if self._recognizer is None:
                recognizer = self._create()
                if recognizer.name != self.name:
                    raise RuntimeError(f"the tracking judge is {recognizer.name!r}, not {self.name!r}")
                self._recognizer = recognizer
            return self._recognizer

    def embed(self, image: Image, face: Face) -> FloatArray:
        """The recognizer's embedding of ``face`` (creating the recognizer first, once)."""
        return self.load().embed(image, face)


def tracker_embedder(
    recognizers: RecognizerSource, embedder_id: str | None, defer: bool = False
) -> Recognizer | None:
    """The recognizer used to tell people apart while tracking (see the module doc for "auto"), taken
    from ``recognizers`` (the context's, or the GUI's isolated judges).

    ``defer``: dlib comes as a :class:`DeferredRecognizer` (its models load on its first embedding).
    """
    if embedder_id is None or embedder_id == "none":
        return None
    if embedder_id == "dlib" and defer:
        return DeferredRecognizer(lambda: recognizers("dlib"), DLIB_CALIBRATION.model)
    if embedder_id != "auto":
        return recognizers(embedder_id)
    if os.environ.get("FACESWAP_MOBILEFACENET") and Path(os.environ["FACESWAP_MOBILEFACENET"]).is_file():
        try:
            return recognizers("mobilefacenet")
        except ModelMissing:
            log.info("MobileFaceNet not usable; tracking identity with dlib")
    return tracker_embedder(recognizers, "dlib", defer)


def identity_thresholds(context: AppContext, embedder: Recognizer | None) -> tuple[float, float]:
    """(accept, reject) cosines of the embedder's calibration at 60% and 25%."""
    if embedder is None:
        return 1.0, -1.0
    calibration = context.calibrations.get(embedder.name)

    def cosine_at(percent: float) -> float:
        return calibration.centre + math.log(percent / (100.0 - percent)) / calibration.slope

    return cosine_at(ACCEPT_PERCENT), cosine_at(REJECT_PERCENT)


def find_reference(
    reader: VideoSource,
    detector: TrackingDetector,
    embedder: Recognizer | None,
    choice: ReferenceChoice,
    start: int = 0,
    defer_embedding: bool = False,
    stop: int | None = None,
    cancel: CancelToken | None = None,
    cast: Cast | None = None,
    scan: bool = True,
) -> Reference:
    """The chosen person's face and embedding; by default the cast member most present in frames
    ``start``..``stop - 1``: of ``cast``, else of a cast scan (cached per file; ``cancel`` stops it).
    Without ``scan`` and without a ``cast`` the default is provisional: the largest face of the first
    frame with a face (a GUI shows that at once while the cast is scanned in the background).

    ``defer_embedding``: keep the frame instead of embedding the face (``embedding`` is None, ``image``
    is the frame; :func:`build_tracker` embeds it when the tracker first needs it).
    """
    provisional = False
    if choice.person is not None or (choice.frame_index is None and choice.face_index is None):
        stop = reader.info.frame_count if stop is None else stop
        if cast is None and not scan:
            if choice.person is not None:
                raise NoFaceFound(f"the cast of {reader.path.name} is not known yet (scanning it)")
            provisional = True
        else:
            found = _cast_reference(
                reader, detector, embedder, choice.person, start, stop, defer_embedding, cancel, cast
            )
            if found is not None:
                return found
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
        if defer_embedding:
            return Reference(index, face, None, image, provisional=provisional)
        embedding = embedder.embed(image, face) if embedder is not None else None
        return Reference(index, face, embedding, provisional=provisional)
    where = f"frame {choice.frame_index}" if frames else f"the first {REFERENCE_SEARCH_LIMIT} frames"
    raise NoFaceFound(f"no face found in {where} of {reader.path.name}")


def _cast_reference(
    reader: VideoSource,
    detector: TrackingDetector,
    embedder: Recognizer | None,
    person: int | None,
    start: int,
    stop: int,
    defer_embedding: bool,
    cancel: CancelToken | None,
    cast: Cast | None = None,
) -> Reference | None:
    """Cast member ``person`` (None: the most present) as a reference: their face found again where
    :func:`~.cast.person_views` says, embedded from their best view. None when the cast has nobody in
    the range (or the default person's face is not found again: the first-frame default then applies)."""
    # A scan here (a first export of the clip) decodes and detects frame 0 among its samples: kept, the
    # reference found there needs neither a seek nor a detection (~30-60 ms after the scan). Frame 0
    # only: the same decode with or without a seek, so the same pixels as reader.frame_at(0).
    kept = _KeptSample(start) if start == 0 and cast is None else None
    cast = cast or load_or_scan_cast(reader, detector, embedder, cancel=cancel, sampled=kept)
    places = person_views(cast, person, start, stop)
    found = None
    for place in places[0] if places is not None else []:
        if (found := _face_near(reader, detector, *place, kept=kept)) is not None:
            break
    if found is None or places is None:
        if person is not None:
            raise NoFaceFound(f"person {person} was not found again in {reader.path.name}")
        return None
    index, image, face = found
    best_frame, best_box = places[1]
    # A view not much larger than the one found gives no better embedding: no second seek for it.
    larger = best_box[2] - best_box[0] > 1.25 * face.width and best_frame != index
    best = _face_near(reader, detector, best_frame, best_box) if larger else None
    view = (best[1], best[2]) if best is not None else (image, face)
    member = cast.person(person) if person is not None else cast.most_present(start, stop)
    hint = identity_hint(cast, member.number) if member is not None else None
    seen = on_screen(cast, member.number) if member is not None else None
    if defer_embedding:
        return Reference(index, face, None, image, view, hint, on_screen=seen)
    embedding = embedder.embed(*view) if embedder is not None else None
    return Reference(index, face, embedding, hint=hint, on_screen=seen)


class _KeptSample:
    """Frame ``index`` as a cast scan decoded it and the faces the scan's detector found in it (a
    :data:`~.cast.SampleSink`); ``image`` stays None when the scan did not detect on that frame as
    decoded (not a sample, or the clip scanned resized)."""

    def __init__(self, index: int) -> None:
        self.index = index
        self.image: Image | None = None
        self.faces: list[Face] = []

    def __call__(self, index: int, image: Image, faces: Sequence[Face]) -> None:
        if index == self.index:
            self.image, self.faces = image, list(faces)


def _face_near(
    reader: VideoSource,
    detector: TrackingDetector,
    index: int,
    box: tuple[float, float, float, float],
    kept: _KeptSample | None = None,
) -> tuple[int, Image, Face] | None:
    """The face of frame ``index`` overlapping ``box`` most (at least 0.3 IoU), with the frame; from
    ``kept`` when it holds that frame (the detector is then told the faces it found there, as when it
    detects: the export's :class:`~.remembered_faces.RememberedFaces` gives them to the tracker)."""
    if kept is not None and kept.index == index and kept.image is not None:
        image, faces = kept.image, kept.faces
        remember = getattr(detector, "remember", None)
        if remember is not None:
            remember(image, faces)
    else:
        image = reader.frame_at(index)
        faces = detector.detect_faces(image)
    face = max(faces, key=lambda f: box_iou(f.box, box), default=None)
    return (index, image, face) if face is not None and box_iou(face.box, box) >= 0.3 else None


def build_tracker(
    context: AppContext,
    detector: TrackingDetector,
    embedder: Recognizer | None,
    reference: Reference,
    options: TrackerOptions | None = None,
) -> FaceTracker:
    """A tracker for the chosen person, with thresholds from the embedder's calibration; it refits with
    its own video-mode FaceMesh when the detector offers one (close the tracker when done). A reference
    whose embedding was deferred is embedded on the tracker's first identity check."""
    accept, reject = identity_thresholds(context, embedder)
    follower = getattr(detector, "landmark_follower", None)
    refitter: LandmarkRefitter | None = follower() if follower is not None else None
    embedding: FloatArray | Callable[[], FloatArray] | None = reference.embedding
    if embedding is None and embedder is not None and reference.image is not None:
        image, face = reference.identity_view or (reference.image, reference.face)
        embedding = lambda: embedder.embed(image, face)  # noqa: E731
    return FaceTracker(
        detector, embedder, embedding, accept, reject, options, refitter, reference.hint, reference.on_screen
    )


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
    identity: IdentityBasis = "tracked"
    """How the swapped face was picked as the chosen person (previews; exports say "tracked")."""
    more_swapped: tuple[int, ...] = ()
    """Further mapped people (cast numbers) swapped into this frame too (see ``app/person_map.py``)."""
    more_similarity: dict[int, Similarity] = field(default_factory=dict)
    """Their measured similarity to their own source, by person (frames scored in an export)."""


def swap_tracked_face(
    pipeline: FacePipeline,
    prepared: PreparedSource,
    settings: SwapSettings,
    index: int,
    frame: Image,
    track: TrackResult,
    score: bool,
    in_place: bool = False,
    memory: StatsTicket | None = None,
) -> FrameOutcome:
    """Swap the tracked face (or pass the frame through); safe to run in a worker pool.

    ``in_place``: the caller gives ``frame`` up, the swap may draw into it (see
    :meth:`~..core.pipeline.FacePipeline.process_frame`); previews keep their cached frames intact.
    ``memory``: an export's ticket to the person's slow statistics (``core/video/person_memory.py``).
    """
    if track.face is None:
        if memory is not None:
            memory.finish(ok=False)
        return FrameOutcome(index, frame, track, None)
    result = pipeline.process_frame(
        frame,
        prepared,
        settings,
        FaceSelection((0,)),
        faces=[track.face],
        score="result" if score else "none",
        in_place=in_place,
        memory=memory,
    )
    return FrameOutcome(index, result.frame, track, result.swapped[0], dict(result.timings.ms))


@dataclass(frozen=True)
class _Known:
    """What previews learned about one frame: its faces and which one is the chosen person."""

    faces: tuple[Face, ...]
    chosen: Face | None
    basis: IdentityBasis
    histogram: NDArray[np.float32]


class VideoSession:
    """One open video for the timeline: frames by index, the chosen person, swapped preview frames.

    Previews run without the export's tracker, in any order, and keep what they learn per frame:

    - decoded frames (a byte-bounded cache), so re-rendering a frame for new settings swaps only;
    - each frame's faces and which one is the chosen person, and how that was decided. Each new frame
      is detected (the timeline shows every face); the chosen person is then the face at the position
      of a view checked by embedding within :data:`IDENTITY_WINDOW` frames in the same shot (colour
      histogram), without embedding; otherwise faces are embedded, largest first, until one matches;
    - with ``defer_identity`` that embedding waits: the face at the nearest checked position (or the
      largest) is swapped and shown at once, and :meth:`confirm` runs the check afterwards, returning a
      corrected frame in the rare case the guess was someone else.
    """

    def __init__(
        self,
        context: AppContext,
        path: str | Path,
        engine: str = "mesh",
        embedder: str | Recognizer | None = "auto",
        pipeline: FacePipeline | None = None,
        recognizers: RecognizerSource | None = None,
    ) -> None:
        """``embedder``: an id for :func:`tracker_embedder` or a recognizer; ``pipeline`` (default: the
        engine's, without a judge) scores previews when it has a judge; ``recognizers`` (default: the
        context's) resolves an embedder id (the GUI passes its isolated judges)."""
        self.context = context
        # Demuxing and decoding run in a helper process: a damaged file fails this video, not the app.
        self.reader: VideoSource = GuardedVideoReader(path)
        self.info = self.reader.info
        self.pipeline = pipeline or context.build_pipeline(engine=engine, judge=None)
        self.detector: TrackingDetector = context.detector("mediapipe")  # type: ignore[assignment]
        self.embedder = (
            tracker_embedder(recognizers or context.recognizer, embedder)
            if embedder is None or isinstance(embedder, str)
            else embedder
        )
        self.prepared: PreparedSource | None = None
        self.reference: Reference | None = None
        self.choice: ReferenceChoice | None = None
        """The choice :attr:`reference` was found for."""
        self.cast: Cast | None = None
        """The video's cast once known (scanned elsewhere: a preview never waits for a scan)."""
        self._frames: OrderedDict[int, Image] = OrderedDict()
        self._known: OrderedDict[int, _Known] = OrderedDict()

    def frame(self, index: int) -> Image:
        """The exact frame ``index`` (BGR, read-only: it is cached)."""
        image = self._frames.get(index)
        if image is not None:
            self._frames.move_to_end(index)
            return image
        image = self.reader.frame_at(index)
        image.flags.writeable = False  # shared by later previews of this frame
        self._frames[index] = image
        while len(self._frames) > 1 and sum(f.nbytes for f in self._frames.values()) > FRAME_CACHE_BYTES:
            self._frames.popitem(last=False)
        return image

    def set_source(self, images: list[Image]) -> PreparedSource:
        """Prepare the source person's photos once."""
        self.prepared = self.pipeline.prepare_source(images)
        return self.prepared

    def choose_reference(self, choice: ReferenceChoice | None = None) -> Reference:
        """Pick the person to replace (default: the cast member most present in the clip; provisional,
        see :func:`find_reference`, until :attr:`cast` is set)."""
        choice = choice or ReferenceChoice()
        reference = find_reference(
            self.reader, self.detector, self.embedder, choice, cast=self.cast, scan=False
        )
        self.reference, self.choice = reference, choice
        self._known.clear()
        return reference

    def detect(self, image: Image) -> tuple[Face, ...]:
        """Every face of a frame, left to right."""
        return tuple(self.detector.detect_faces(image))

    def preview(
        self, index: int, settings: SwapSettings, score: bool = False, defer_identity: bool = False
    ) -> FrameOutcome:
        """Frame ``index`` with the chosen person swapped (unchanged when they are not in it); ``score``
        measures the result's similarity when the pipeline has a judge. ``defer_identity`` returns
        without waiting for an embedding check (the outcome's ``identity`` is then "assumed"; call
        :meth:`confirm` next)."""
        if self.prepared is None:
            raise NoFaceFound("choose the source photos before previewing")
        if self.reference is None:
            self.choose_reference()
        started = time.perf_counter()
        image = self.frame(index)
        seek_ms = (time.perf_counter() - started) * 1000
        known = self._known.get(index)
        if known is None or (known.basis == "assumed" and not defer_identity):
            faces = known.faces if known is not None else self.detect(image)
            known = self._choose(image, faces, index, defer_identity)
        outcome = self._swap(index, image, known, settings, score)
        outcome.timings_ms["seek"] = seek_ms
        outcome.timings_ms["total"] = (time.perf_counter() - started) * 1000
        return outcome

    def confirm(self, index: int, settings: SwapSettings, score: bool = False) -> FrameOutcome | None:
        """Check the identity a deferred preview of frame ``index`` assumed: None when the assumed face
        is the chosen person (or nothing was assumed), else the frame swapped on the right face (or on
        none)."""
        known = self._known.get(index)
        if known is None or known.basis != "assumed":
            return None
        started = time.perf_counter()
        image = self.frame(index)
        checked = self._choose(image, known.faces, index, defer=False)
        if checked.chosen is known.chosen:
            return None
        outcome = self._swap(index, image, checked, settings, score)
        outcome.timings_ms["total"] = (time.perf_counter() - started) * 1000
        return outcome

    def preview_as_export(
        self,
        index: int,
        settings: SwapSettings,
        start: int = 0,
        score: bool = False,
        options: TrackerOptions | None = None,
        is_stale: Callable[[], bool] = lambda: False,
        each_frame: Callable[[Image, int], None] | None = None,
    ) -> FrameOutcome | None:
        """Frame ``index`` exactly as an export starting at frame ``start`` renders it (None when
        ``is_stale`` turned true on the way: it is checked between frames). ``each_frame(image, n)``
        sees every frame on the way, in order, after the tracker (the further people's trackers).

        :meth:`preview` fits landmarks on the frame alone; the export tracks them (MediaPipe's video-mode
        refit from frame to frame, One Euro smoothing), so a mouth or eye can open differently in the two
        (issue #17: the tracker's state at a frame depends on every frame since the export's start or
        the last scene cut). This runs the export's own tracker from ``start`` up to ``index``: it costs
        one refit and one decode per frame in between (~8 ms each on 2 cores).
        """
        if self.prepared is None:
            raise NoFaceFound("choose the source photos before previewing")
        if not 0 <= start <= index < self.info.frame_count:
            raise ValueError(f"frame {index} is not in an export from frame {start}")
        started = time.perf_counter()
        # The export's reference search starts at its first frame (see find_reference).
        choice = self.choice or ReferenceChoice()
        # The cast as the previews know it: a settled render never waits for a scan (provisional until
        # the cast is known, like the previews).
        reference = find_reference(
            self.reader, self.detector, self.embedder, choice, start, True, cast=self.cast, scan=False
        )
        tracker = build_tracker(self.context, self.detector, self.embedder, reference, options)
        # The export's plan of which frames measure the person's slow statistics (person_memory.py):
        # when frame ``index`` reuses them, its measuring frame is swapped first, as the export did.
        memory = PersonMemory() if self.pipeline.remembers_slow_stats else None
        measuring: tuple[int, Image, TrackResult, StatsTicket] | None = None
        ticket: StatsTicket | None = None
        try:
            if reference.frame_index == start:
                tracker.seed(reference.face, start - 1)
            track: TrackResult | None = None
            frame: Image | None = None
            for number, frame in self.reader.frames(start, index + 1):
                if is_stale():
                    return None
                track = tracker.update(frame, number, self.reader.time_of(number))
                if memory is not None:
                    if track.scene_cut or track.face is None:
                        memory.reset()
                    ticket = memory.ticket(frame, track.face, settings) if track.face is not None else None
                    if ticket is not None and ticket.measures and number < index:
                        measuring = (number, frame.copy(), track, ticket)
                if each_frame is not None:
                    each_frame(frame, number)
        finally:
            tracker.close()
        assert track is not None and frame is not None
        if ticket is not None and not ticket.measures and measuring is not None:
            number, image, measured, measuring_ticket = measuring
            with contextlib.suppress(NoFaceFound):
                swap_tracked_face(
                    self.pipeline,
                    self.prepared,
                    settings,
                    number,
                    image,
                    measured,
                    False,
                    memory=measuring_ticket,
                )
            measuring_ticket.finish(ok=False)  # (a no-op when the swap finished it)
        outcome = swap_tracked_face(
            self.pipeline, self.prepared, settings, index, frame, track, score, memory=ticket
        )
        outcome.timings_ms["total"] = (time.perf_counter() - started) * 1000
        return outcome

    def identity_basis(self, index: int) -> IdentityBasis | None:
        """How the chosen person of frame ``index`` was last decided (None: not previewed, or forgotten)."""
        known = self._known.get(index)
        return known.basis if known is not None else None

    def find_chosen(self, image: Image, faces: Sequence[Face], index: int) -> Face | None:
        """The chosen person among ``faces`` of frame ``index`` (None when they are not in it)."""
        known = self._known.get(index)
        if known is not None and known.basis != "assumed" and known.faces == tuple(faces):
            return known.chosen  # Face compares by identity: the very faces this frame was decided on
        return self._choose(image, tuple(faces), index, defer=False).chosen

    def _swap(
        self, index: int, image: Image, known: _Known, settings: SwapSettings, score: bool
    ) -> FrameOutcome:
        assert self.prepared is not None
        face = known.chosen
        track = TrackResult(face, face, len(known.faces), True, False, None, 0)
        outcome = swap_tracked_face(self.pipeline, self.prepared, settings, index, image, track, score)
        outcome.faces, outcome.identity = known.faces, known.basis
        return outcome

    def _choose(self, image: Image, faces: tuple[Face, ...], index: int, defer: bool) -> _Known:
        """Decide which of ``faces`` is the chosen person, and remember it."""
        reference = self.reference or self.choose_reference()
        histogram = colour_histogram(image)
        chosen: Face | None
        basis: IdentityBasis
        if index == reference.frame_index:
            chosen, basis = max(faces, key=lambda f: _overlap(f, reference.face), default=None), "reference"
        elif self.embedder is None or reference.embedding is None:
            chosen, basis = max(faces, key=lambda f: f.width * f.height, default=None), "largest"
        elif (anchor := self._same_place(index, histogram, faces)) is not None:
            # Same shot, a few frames from a checked view: the chosen person is the face where they were.
            chosen, basis = anchor, "remembered"
        elif defer:
            chosen, basis = self._likeliest(faces), "assumed"
        else:
            chosen, basis = self._embed_until_found(image, faces, reference), "embedded"
            basis = "embedded" if chosen is not None else "absent"
        known = _Known(faces, chosen, basis, histogram)
        self._known[index] = known
        self._known.move_to_end(index)
        while len(self._known) > KNOWN_FRAMES:
            self._known.popitem(last=False)
        return known

    def _embed_until_found(self, image: Image, faces: tuple[Face, ...], reference: Reference) -> Face | None:
        assert self.embedder is not None and reference.embedding is not None
        accept, _reject = identity_thresholds(self.context, self.embedder)
        # Largest first: the chosen person is usually prominent, so one embedding often settles it.
        for face in sorted(faces, key=lambda f: -f.width * f.height):
            embedding = self.embedder.embed(image, face)
            if cosine(embedding, reference.embedding) >= accept:
                return face
        return None

    def _checked_views(self) -> list[tuple[int, Face, NDArray[np.float32] | None]]:
        """(frame, face) of every view of the chosen person checked by embedding, and the reference."""
        views: list[tuple[int, Face, NDArray[np.float32] | None]] = [
            (index, known.chosen, known.histogram)
            for index, known in self._known.items()
            if known.basis in ("reference", "embedded") and known.chosen is not None
        ]
        if self.reference is not None and self.reference.frame_index not in self._known:
            views.append((self.reference.frame_index, self.reference.face, None))
        return views

    def _same_place(self, index: int, histogram: NDArray[np.float32], faces: tuple[Face, ...]) -> Face | None:
        """The face overlapping a checked view of the chosen person within the window and in the same
        shot (nearest view first), or None."""
        views = sorted(
            (view for view in self._checked_views() if abs(view[0] - index) <= IDENTITY_WINDOW),
            key=lambda view: abs(view[0] - index),
        )
        for other, face, other_histogram in views:
            if other_histogram is None:
                # The reference frame, never previewed: its histogram once (it is cached from now on).
                other_histogram = colour_histogram(self.frame(other))
            if cv2.compareHist(other_histogram, histogram, cv2.HISTCMP_BHATTACHARYYA) > SCENE_CUT_THRESHOLD:
                continue
            best = max(faces, key=lambda f: _overlap(f, face), default=None)
            if best is not None and _overlap(best, face) >= 0.5:
                return best
        return None

    def _likeliest(self, faces: tuple[Face, ...]) -> Face | None:
        """The face most likely to be the chosen person without embedding it: the one overlapping a
        checked view of them most, else the largest."""
        views = [face for _index, face, _histogram in self._checked_views()]

        def likelihood(face: Face) -> tuple[float, float]:
            return max((_overlap(face, other) for other in views), default=0.0), face.size

        return max(faces, key=likelihood, default=None)

    def close(self) -> None:
        """Release the video file."""
        self.reader.close()
        self._frames.clear()


def _overlap(face: Face, other: Face) -> float:
    return box_iou(face.box, other.box)
