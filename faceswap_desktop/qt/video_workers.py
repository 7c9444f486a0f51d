"""Background work of the video timeline: opening, latest-wins swapped frames, and thumbnails.

:class:`VideoPreviewController` drives the frame previews in two phases. It is the photo preview's
latest-wins :class:`~faceswap_desktop.qt.workers.PreviewController` (an engine whose
``render(request, generation, is_stale)`` returns something with ``generation`` and a BGR ``frame``)
plus an identity check after each frame: :class:`VideoPreviewEngine` first swaps the likeliest face
without embedding anyone (``VideoSession.preview(..., defer_identity=True)``), the frame is shown, and
only then, unless a newer request is already waiting, ``confirm`` checks who it was and comes back with
a corrected frame when the guess was someone else. Everything here runs on worker threads (decoding,
seeking, swapping, embedding, QImage conversion); the GUI thread only gets results.
"""

from __future__ import annotations

import dataclasses
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import cv2
from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QImage

from ..app.cast import Cast
from ..app.context import DEFAULT_ENGINE, DEFAULT_JUDGE, AppContext
from ..app.isolated_judge import PipelineFactory
from ..app.person_map import MappedPreview, PersonSources
from ..app.preview import face_crop
from ..app.video_session import FrameOutcome, IdentityBasis, ReferenceChoice, VideoSession
from ..core.errors import NoFaceFound
from ..core.media.guarded_decode import GuardedVideoReader, load_image
from ..core.media.video_io import VideoInfo
from ..core.pipeline import SwappedFace
from ..core.roles import RecognizerSource
from ..core.settings import SwapSettings
from ..core.types import Face, Image
from .images import bgr_to_qimage
from .workers import PreviewController, SerialExecutor

log = logging.getLogger(__name__)

THUMB_HEIGHT = 54
THUMB_COUNT = 16
CHIP_SIDE = 72


@dataclass(frozen=True)
class OpenedVideo:
    """What the timeline needs of a freshly opened video: its info, frame times and first frame."""

    path: Path
    info: VideoInfo
    times: tuple[float, ...]
    first_frame: QImage


@dataclass(frozen=True)
class VideoPreviewRequest:
    """One frame to show: the video, frame index, the source photos and a settings snapshot."""

    path: Path
    index: int
    sources: tuple[Path, ...] = ()
    settings: SwapSettings = field(default_factory=SwapSettings)
    reference: ReferenceChoice = field(default_factory=ReferenceChoice)
    """The person to replace (default: the cast's most present person; until the cast is known, the
    largest face of the first frame with a face)."""
    engine: str = DEFAULT_ENGINE
    judge: str | None = DEFAULT_JUDGE
    provider: str = "auto"
    export_start: int = 0
    """The first frame an export would write (the in point): a settled render tracks from there."""
    cast: Cast | None = None
    """The video's cast once scanned (:class:`~.cast_loader.CastLoader`; compared by identity)."""
    more_people: tuple[PersonSources, ...] = ()
    """Further source identities, each mapped to a cast member (swapped after the main person)."""


@dataclass(frozen=True)
class VideoFrameResult:
    """A rendered timeline frame: original and swapped frames, whether the person was found, the score."""

    request: VideoPreviewRequest
    generation: int
    frame: Image
    original: QImage
    swapped: bool
    face_found: bool | None
    """None when nothing was swapped because no source is set."""
    similarity_percent: float | None
    elapsed_ms: float
    swapped_face: SwappedFace | None = None
    faces: tuple[Face, ...] = ()
    """Every face of the frame, left to right."""
    chips: tuple[QImage, ...] = ()
    """One small image per face (the person picker shows them)."""
    chosen: int | None = None
    """Index in ``faces`` of the person being replaced; None when they are not in this frame."""
    reference_frame: int | None = None
    """The frame where the person to replace was picked."""
    identity: IdentityBasis | None = None
    """How the swapped face was picked (None without a source). "assumed": shown before its identity
    check; :meth:`VideoPreviewEngine.confirm` follows."""
    correction: bool = False
    settled: bool = False
    """Rendered exactly as the export renders this frame (:meth:`VideoPreviewEngine.settle`)."""
    """True for the second result of a request: the check found the first one swapped someone else."""
    score_pending: bool = False
    """True when the frame was shown before its similarity was measured (the second phase measures it)."""
    more_swapped: tuple[int, ...] = ()
    """The further mapped people (cast numbers) swapped into this frame."""

    @property
    def needs_confirmation(self) -> bool:
        """True when a second phase is to come: the swapped face was guessed and its identity check is
        still to run, or its similarity is still to be measured."""
        return self.identity == "assumed" or self.score_pending


SETTLE_LIMIT = 300
"""A resting frame at most this many frames after the export's start is re-rendered exactly as the
export renders it (~8 ms a frame of tracking on 2 cores: up to ~2.5 s, cancelled by the next scrub)."""


class VideoPreviewEngine:
    """Owns the open :class:`VideoSession` and renders timeline frames. Use from one worker thread only."""

    def __init__(
        self,
        context: AppContext,
        build_pipeline: PipelineFactory,
        judge: str | None = DEFAULT_JUDGE,
        recognizers: RecognizerSource | None = None,
    ):
        """``recognizers`` resolves the tracking judge (the window's isolated judges; default: the
        context's, in this process)."""
        self.context, self.build_pipeline, self.judge = context, build_pipeline, judge
        self.recognizers = recognizers or context.recognizer
        self.session: VideoSession | None = None
        self._sources: tuple[Path, ...] = ()
        self._mapped: MappedPreview | None = None
        """The further people of :attr:`_sources`' requests, prepared (None: to prepare)."""
        self._components: tuple[str, str | None, str] = (DEFAULT_ENGINE, judge, "auto")
        self._reference_error: tuple[ReferenceChoice, NoFaceFound] | None = None
        self.rendered: list[int] = []
        """Frame indices actually rendered (stale requests never get here); tests read it."""
        self.before_render: Callable[[VideoPreviewRequest], None] | None = None
        """Test hook: called on the worker thread before each render."""
        self.confirmed: list[int] = []
        """Frame indices whose identity check actually ran; tests read it."""
        self.scored: list[int] = []
        """Frame indices whose similarity was measured in the second phase; tests read it."""
        self.settled: list[int] = []
        """Frame indices re-rendered as the export renders them (third phase); tests read it."""
        self.before_confirm: Callable[[VideoPreviewRequest], None] | None = None
        """Test hook: called on the worker thread before each second phase (identity check, score)."""
        self.defer_identity = True
        """Show the likeliest face at once and check identity after (False: check before showing)."""

    def open(self, path: Path) -> OpenedVideo:
        """Open ``path`` (replacing the previous video), index it and decode its first frame."""
        self.close()
        engine, judge, _provider = self._components
        pipeline = self.build_pipeline(engine, judge)
        # People are told apart with the default judge whatever scores the gauge, so another judge
        # choice never changes who is followed (from the window's isolated judges: no embedding in the
        # GUI process).
        session = VideoSession(
            self.context,
            path,
            embedder=self.judge or "auto",
            pipeline=pipeline,
            recognizers=self.recognizers,
        )
        self.session, self._sources, self._mapped = session, (), None
        times = tuple(session.reader.time_of(i) for i in range(session.info.frame_count))
        return OpenedVideo(path, session.info, times, bgr_to_qimage(session.frame(0)))

    def render(
        self, request: VideoPreviewRequest, generation: int, is_stale: Callable[[], bool] = lambda: False
    ) -> VideoFrameResult | None:
        """Frame ``request.index`` swapped (or as is without sources); None when it went stale."""
        session = self.session
        if session is None or session.reader.path != request.path or is_stale():
            return None
        if self.before_render is not None:
            self.before_render(request)
        self.rendered.append(request.index)
        started = time.perf_counter()
        self._use_components(session, request)
        if request.sources != self._sources:
            if request.sources:
                session.set_source([load_image(path) for path in request.sources])
            self._sources = request.sources
        self._choose_reference(session, request)
        mapped = self._use_more_people(session, request)
        reference_frame = session.reference.frame_index if session.reference is not None else None
        original = session.frame(request.index)
        if not request.sources:
            faces = session.detect(original)
            found = faces and session.reference is not None
            person = session.find_chosen(original, faces, request.index) if found else None
            return VideoFrameResult(
                request,
                generation,
                original,
                bgr_to_qimage(original),
                False,
                None,
                None,
                (time.perf_counter() - started) * 1000,
                faces=faces,
                chips=face_chips(original, faces),
                chosen=_index_of(person, faces),
                reference_frame=reference_frame,
            )
        if is_stale():
            return None
        judged = session.pipeline.judge is not None
        # Two phases: the judge's embedding (~100 ms for dlib, in its helper process) waits for the second
        # phase with the identity check, so a scrub shows the swapped frame without it.
        outcome = session.preview(
            request.index,
            request.settings,
            score=judged and not self.defer_identity,
            defer_identity=self.defer_identity,
        )
        outcome = mapped.swap_quick(session, outcome, request.settings)
        result = self._result(request, generation, outcome, original, reference_frame, started)
        pending = judged and self.defer_identity and outcome.swapped is not None
        return dataclasses.replace(result, score_pending=True) if pending else result

    def confirm(
        self, result: VideoFrameResult, is_stale: Callable[[], bool] = lambda: False
    ) -> VideoFrameResult | None:
        """The identity check of a result shown with an assumed face (second phase): the frame swapped
        on the right face (or on none) when the guess was someone else, else ``result`` marked as
        checked. None when it went stale or there is nothing to check."""
        session = self.session
        request = result.request
        if not result.needs_confirmation or session is None or session.reader.path != request.path:
            return None
        if is_stale():
            return None
        if self.before_confirm is not None:
            self.before_confirm(request)
        if is_stale():
            return None
        started = time.perf_counter()
        if result.identity == "assumed":
            self.confirmed.append(request.index)
            outcome = session.confirm(
                request.index, request.settings, score=session.pipeline.judge is not None
            )
            if outcome is not None and self._mapped is not None:
                outcome = self._mapped.swap_quick(session, outcome, request.settings)
            if outcome is not None:
                original = session.frame(request.index)
                corrected = self._result(
                    request, result.generation, outcome, original, result.reference_frame, started
                )
                return dataclasses.replace(corrected, correction=True)
            result = dataclasses.replace(result, identity=session.identity_basis(request.index) or "embedded")
        return self._measured(session, result) if result.score_pending and not is_stale() else result

    def settle(
        self, result: VideoFrameResult, is_stale: Callable[[], bool] = lambda: False
    ) -> VideoFrameResult | None:
        """The frame on screen re-rendered exactly as the export will render it (third phase, when the
        playhead rests): the quick render fits landmarks on the frame alone, the export tracks them from
        its first frame (issue #17). None when it went stale, or when the frame is more than
        :data:`SETTLE_LIMIT` frames after the export's start (tracking there would take too long)."""
        session = self.session
        request = result.request
        if session is None or session.reader.path != request.path or result.swapped_face is None:
            return None
        if not 0 <= request.index - request.export_start <= SETTLE_LIMIT or is_stale():
            return None
        started = time.perf_counter()
        mapped = self._mapped or MappedPreview((), ())
        outcome = mapped.swap_as_export(
            session, request.index, request.settings, request.export_start, is_stale=is_stale
        )
        if outcome is None or is_stale():
            return None
        self.settled.append(request.index)
        original = session.frame(request.index)
        settled = self._result(request, result.generation, outcome, original, result.reference_frame, started)
        # The faces on screen and the chosen one stay the quick render's: same frame, same person.
        settled = dataclasses.replace(
            settled,
            correction=True,
            settled=True,
            identity=result.identity,
            faces=result.faces,
            chips=result.chips,
            chosen=result.chosen,
        )
        return self._measured(session, settled) if session.pipeline.judge is not None else settled

    def _measured(self, session: VideoSession, result: VideoFrameResult) -> VideoFrameResult:
        """``result`` with the similarity of its swapped face measured on the frame already shown."""
        face = result.swapped_face
        if face is None or session.prepared is None:
            return dataclasses.replace(result, score_pending=False)
        self.scored.append(result.request.index)
        similarity = session.pipeline.measure(result.frame, face.face, session.prepared)
        return dataclasses.replace(
            result,
            swapped_face=dataclasses.replace(face, similarity=similarity),
            similarity_percent=similarity.percent if similarity is not None else None,
            score_pending=False,
        )

    def _result(
        self,
        request: VideoPreviewRequest,
        generation: int,
        outcome: FrameOutcome,
        original: Image,
        reference_frame: int | None,
        started: float,
    ) -> VideoFrameResult:
        similarity = outcome.swapped.similarity if outcome.swapped is not None else None
        return VideoFrameResult(
            request,
            generation,
            outcome.image,
            bgr_to_qimage(original),
            outcome.swapped is not None,
            outcome.track.face is not None,
            similarity.percent if similarity is not None else None,
            (time.perf_counter() - started) * 1000,
            outcome.swapped,
            faces=outcome.faces,
            chips=face_chips(original, outcome.faces),
            chosen=_index_of(outcome.track.face, outcome.faces),
            reference_frame=reference_frame,
            identity=outcome.identity,
            more_swapped=outcome.more_swapped,
        )

    def _use_components(self, session: VideoSession, request: VideoPreviewRequest) -> None:
        """Rebuild the swap pipeline when the engine, judge or execution provider changed (the source
        is prepared again for the new engine)."""
        wanted = (request.engine, request.judge, request.provider)
        if wanted == self._components:
            return
        self.context.use_provider(request.provider)
        session.pipeline = self.build_pipeline(request.engine, request.judge)
        session.prepared, self._sources, self._mapped = None, (), None
        self._components = wanted

    def _use_more_people(self, session: VideoSession, request: VideoPreviewRequest) -> MappedPreview:
        """The request's further people, their photos read and prepared once per mapping (and engine)."""
        mapped = self._mapped
        if mapped is None or mapped.mappings != request.more_people:
            prepared = [
                session.pipeline.prepare_source([load_image(path) for path in mapping.sources])
                for mapping in request.more_people
            ]
            mapped = self._mapped = MappedPreview(request.more_people, prepared)
        return mapped

    def _choose_reference(self, session: VideoSession, request: VideoPreviewRequest) -> None:
        """Find the person to replace when the choice changed. A choice that finds no face is
        remembered (the default scans up to 300 frames); it is an error only when there is a source
        to swap, so a video without faces can still be browsed."""
        choice = request.reference
        if request.cast is not None and session.cast is not request.cast:
            session.cast = request.cast
            self._reference_error = None  # a cast member chosen before the cast was known can be found now
            if session.reference is not None and session.reference.provisional:
                session.reference = None  # the cast is known now: the default is its most present person
        if session.reference is not None and session.choice == choice:
            return
        failed = self._reference_error
        if failed is None or failed[0] != choice:
            try:
                session.choose_reference(choice)
                return
            except NoFaceFound as error:
                session.reference, session.choice = None, None
                failed = self._reference_error = (choice, error)
        if request.sources:
            raise failed[1]

    def close(self) -> None:
        self._reference_error = None
        if self.session is not None:
            self.session.close()
            self.session = None


class VideoPreviewController(PreviewController):
    """Latest-wins timeline previews in two phases: the frame with the likeliest face swapped as soon as
    it is rendered, then (when no newer request is waiting) its identity check on the same worker.

    ``preview_ready`` fires for the first result and again for a correction (same generation, a result
    with ``correction`` set); ``identity_confirmed`` fires with the first result, marked as checked,
    when the guess was right. A check whose request was replaced meanwhile is dropped.
    """

    identity_confirmed = Signal(object)  # VideoFrameResult: the shown frame's face is the chosen person

    engine: VideoPreviewEngine

    def __init__(
        self, engine: VideoPreviewEngine, executor: SerialExecutor, parent: QObject | None = None
    ) -> None:
        super().__init__(engine, executor, parent)  # type: ignore[arg-type]
        self.settle_enabled = True
        """Re-render a resting frame as the export renders it (off while playing)."""

    def _on_rendered(self, value: tuple[VideoFrameResult, QImage] | None) -> None:  # type: ignore[override]
        if value is None or not self._slot.is_current(value[0].generation):
            self._start_next()
            return
        result = value[0]
        self.preview_ready.emit(result, value[1])  # the widgets update before the check starts
        if self.newer_request_waiting(result.generation):
            self._start_next()  # latest wins: the next position's frame comes before this check
            return
        if not result.needs_confirmation:
            self._settle_or_next(result)
            return
        self.executor.submit(lambda: self._confirm(result), self._on_confirmed, self._on_failed)

    def _confirm(self, result: VideoFrameResult) -> tuple[VideoFrameResult, QImage | None] | None:
        """Worker thread: the identity check, and the corrected frame's QImage."""
        checked = self.engine.confirm(result, lambda: not self._slot.is_current(result.generation))
        if checked is None or not self._slot.is_current(result.generation):
            return None
        return checked, bgr_to_qimage(checked.frame) if checked.correction else None

    def _on_confirmed(self, value: tuple[VideoFrameResult, QImage | None] | None) -> None:
        if value is not None and not self.newer_request_waiting(value[0].generation):
            checked, image = value
            if image is not None:
                self.preview_ready.emit(checked, image)
            else:
                self.identity_confirmed.emit(checked)
            self._settle_or_next(checked)
            return
        self._start_next()

    def _settle_or_next(self, result: VideoFrameResult) -> None:
        """Third phase, while no newer request waits and playback is off: the export's exact render."""
        if (
            not self.settle_enabled
            or result.settled
            or result.swapped_face is None
            or self.newer_request_waiting(result.generation)
        ):
            self._start_next()
            return
        self.executor.submit(lambda: self._settle(result), self._on_settled, self._on_failed)

    def _settle(self, result: VideoFrameResult) -> tuple[VideoFrameResult, QImage] | None:
        """Worker thread: the settled render and its QImage (None when stale or not worth it)."""
        settled = self.engine.settle(result, lambda: not self._slot.is_current(result.generation))
        if settled is None or not self._slot.is_current(result.generation):
            return None
        return settled, bgr_to_qimage(settled.frame)

    def _on_settled(self, value: tuple[VideoFrameResult, QImage] | None) -> None:
        if value is not None and not self.newer_request_waiting(value[0].generation):
            self.preview_ready.emit(value[0], value[1])
        self._start_next()


def face_chips(image: Image, faces: tuple[Face, ...]) -> tuple[QImage, ...]:
    """A square chip per face (worker thread)."""
    return tuple(bgr_to_qimage(face_crop(image, face, CHIP_SIDE)) for face in faces)


def _index_of(face: Face | None, faces: tuple[Face, ...]) -> int | None:
    if face is None:
        return None
    for index, candidate in enumerate(faces):
        if candidate is face:
            return index
    return None


def decode_thumbnails(path: Path, count: int, height: int) -> list[tuple[int, QImage]]:
    """``count`` evenly spaced frames of ``path`` as small QImages (worker thread; own reader)."""
    with GuardedVideoReader(path) as reader:  # decoded in a helper process: a crash fails the strip only
        total = reader.info.frame_count
        indices = sorted({min(total - 1, round(i * total / count)) for i in range(count)})
        thumbs = []
        for index in indices:
            image = reader.frame_at(index)
            width = max(1, round(image.shape[1] * height / image.shape[0]))
            thumbs.append(
                (index, bgr_to_qimage(cv2.resize(image, (width, height), interpolation=cv2.INTER_AREA)))
            )
        return thumbs


class ThumbnailLoader(QObject):
    """Decodes thumbnail strips on its own worker thread and keeps them per video (small LRU of 4)."""

    thumbnails_ready = Signal(object, list)  # Path, list[tuple[int, QImage]]

    def __init__(self, parent: QObject | None = None, count: int = THUMB_COUNT, height: int = THUMB_HEIGHT):
        super().__init__(parent)
        self.count, self.height = count, height
        self.executor = SerialExecutor("thumbnails", self)
        self._cache: dict[Path, list[tuple[int, QImage]]] = {}

    def load(self, path: Path) -> None:
        """Emit ``thumbnails_ready`` for ``path``: at once when cached, else after decoding."""
        cached = self._cache.get(path)
        if cached is not None:
            self.thumbnails_ready.emit(path, cached)
            return
        self.executor.submit(
            lambda: decode_thumbnails(path, self.count, self.height),
            lambda thumbs: self._on_decoded(path, thumbs),
            lambda error: log.warning("thumbnails of %s failed: %s", path.name, error),
        )

    def _on_decoded(self, path: Path, thumbs: list[tuple[int, QImage]]) -> None:
        self._cache[path] = thumbs
        while len(self._cache) > 4:
            self._cache.pop(next(iter(self._cache)))
        self.thumbnails_ready.emit(path, thumbs)

    def shutdown(self) -> None:
        self.executor.shutdown()
