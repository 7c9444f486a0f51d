"""Live preview without Qt: immutable requests, latest-wins hand-off, and a caching render engine.

The GUI turns every change (settings, sources, target, face choice) into a new :class:`PreviewRequest`
and submits it to a :class:`LatestWins` slot; a single worker takes only the newest request, and
:class:`PreviewEngine` checks between stages whether a newer request arrived, dropping stale work.
Decoding, detection, source preparation and the swap all happen in the engine, on the worker thread.
"""

from __future__ import annotations

import dataclasses
import functools
import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Generic, TypeVar

import cv2
import numpy as np

from ..core.errors import FaceswapError, NoFaceFound
from ..core.geometry import head_pose_proxies
from ..core.likeness import LikenessSearch, ProgressCallback, maximize_likeness
from ..core.media.guarded_decode import load_image
from ..core.mesh.quality import EdgeCheck, edge_check
from ..core.pipeline import FacePipeline, FaceSelection, PreparedSource, SwappedFace
from ..core.settings import SwapSettings
from ..core.types import Face, Image, Similarity
from .context import DEFAULT_DETECTOR, DEFAULT_ENGINE, DEFAULT_JUDGE, AppContext
from .isolated_judge import PipelineFactory

log = logging.getLogger(__name__)

T = TypeVar("T")
V = TypeVar("V")


@dataclass(frozen=True)
class PreviewRequest:
    """Everything one preview depends on: inputs by path, a settings snapshot and the face choice."""

    sources: tuple[Path, ...]
    target: Path
    settings: SwapSettings = field(default_factory=SwapSettings)
    selection: FaceSelection = field(default_factory=FaceSelection)
    engine: str = DEFAULT_ENGINE
    judge: str | None = DEFAULT_JUDGE
    detector: str = DEFAULT_DETECTOR
    restorer: str | None = None
    restorer_amount: float = 0.8
    masker: str | None = None
    provider: str = "auto"


@dataclass(frozen=True)
class PreviewResult:
    """A rendered preview: the untouched target, the swapped frame and the per-face scores."""

    request: PreviewRequest
    generation: int
    original: Image
    frame: Image
    faces: tuple[Face, ...]
    swapped: tuple[SwappedFace, ...]
    elapsed_ms: float
    judge_note: str = ""
    """Why the scores come from another judge than the requested one (empty when they do not)."""
    score_pending: bool = False
    """True when the frame was rendered without scores: :meth:`PreviewEngine.measure` adds them."""
    edges: tuple[EdgeCheck, ...] = ()
    """Per swapped face (same order), the realism measures of its edge; filled with the scores."""


@dataclass(frozen=True)
class SourceAnalysis:
    """One source photo: its pixels and its largest face (``None`` when no face was found)."""

    path: Path
    image: Image
    face: Face | None


@dataclass(frozen=True)
class TargetAnalysis:
    """The target photo and its faces, left to right."""

    path: Path
    image: Image
    faces: tuple[Face, ...]


class LatestWins(Generic[T]):
    """A one-slot mailbox: submitting replaces the pending item, and older generations become stale."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._generation = 0
        self._pending: tuple[int, T] | None = None

    def submit(self, item: T) -> int:
        """Make ``item`` the newest request; returns its generation number."""
        with self._lock:
            self._generation += 1
            self._pending = (self._generation, item)
            return self._generation

    def take(self) -> tuple[int, T] | None:
        """The newest pending request (removing it), or None."""
        with self._lock:
            pending, self._pending = self._pending, None
            return pending

    def invalidate(self) -> None:
        """Drop the pending request and make every earlier generation stale."""
        with self._lock:
            self._generation += 1
            self._pending = None

    def is_current(self, generation: int) -> bool:
        with self._lock:
            return generation == self._generation


class _LruCache(Generic[V]):
    def __init__(self, capacity: int) -> None:
        self.capacity = capacity
        self._items: OrderedDict[Hashable, V] = OrderedDict()

    def get_or_create(self, key: Hashable, create: Callable[[], V]) -> V:
        if key in self._items:
            self._items.move_to_end(key)
            return self._items[key]
        value = create()
        self._items[key] = value
        while len(self._items) > self.capacity:
            self._items.popitem(last=False)
        return value


def _file_key(path: Path) -> tuple[str, int, int]:
    """A cache key that changes when the file is replaced or edited."""
    try:
        stat = path.stat()
        return str(path.resolve()), stat.st_mtime_ns, stat.st_size
    except OSError:
        return str(path), 0, 0


class PreviewEngine:
    """Analyses inputs and renders previews with caches. Use it from one worker thread only.

    With ``defer_score`` a render swaps without asking the judge (``score_pending`` results) and
    :meth:`measure` scores the faces of the frame afterwards: the live preview shows the frame first.
    """

    def __init__(
        self,
        context: AppContext,
        build_pipeline: PipelineFactory | None = None,
        capacity: int = 8,
        defer_score: bool = False,
    ) -> None:
        self.context = context
        self.defer_score = defer_score
        self.before_measure: Callable[[PreviewRequest], None] | None = None
        """Test hook: called on the worker thread before each second phase (the score)."""
        self.scored: list[int] = []
        """Generations whose faces were measured in the second phase; tests read it."""
        self._build_pipeline = build_pipeline or context.build_pipeline
        self._sources: _LruCache[SourceAnalysis] = _LruCache(capacity * 2)
        self._targets: _LruCache[TargetAnalysis] = _LruCache(capacity)
        self._prepared: _LruCache[PreparedSource] = _LruCache(capacity)
        self._baselines: _LruCache[Similarity | None] = _LruCache(capacity * 8)

    def pipeline(self, request: PreviewRequest) -> FacePipeline:
        """The request's pipeline on the request's execution provider (built on the calling thread)."""
        self.context.use_provider(request.provider)
        return self._build_pipeline(
            request.engine,
            request.judge,
            detector=request.detector,
            restorer=request.restorer,
            masker=request.masker,
        )

    def warm_pipeline(self, request: PreviewRequest) -> bool:
        """Build the pipeline ``request`` will use now, before its first preview: it loads the judge's
        model (~0.6 s for the embedded ONNX judge, hash check included), or starts its helper process.

        Best effort, on a worker thread: a missing model or a judge that cannot start is left for the
        preview itself to report (False here).
        """
        try:
            self.pipeline(request)
        except FaceswapError as error:
            log.info("pipeline not warmed up: %s", error)
            return False
        return True

    def judge_note(self, request: PreviewRequest) -> str:
        """A note when the requested judge would flatter the engine and another one scores instead."""
        used = self.context.independent_judge(request.engine, request.judge)
        if used == request.judge:
            return ""
        return (
            f"Scored by {used}, not {request.judge}: {request.judge} is the encoder that conditions the "
            f"{request.engine} engine, so it would flatter the swap."
        )

    def analyse_source(self, path: Path) -> SourceAnalysis:
        """Decode a source photo and find its largest face."""

        def create() -> SourceAnalysis:
            image = load_image(path)
            faces = self.context.detector().detect_faces(image)
            face = max(faces, key=lambda f: f.width * f.height) if faces else None
            return SourceAnalysis(path, image, face)

        return self._sources.get_or_create(_file_key(path), create)

    def analyse_target(self, path: Path, detector: str = DEFAULT_DETECTOR) -> TargetAnalysis:
        """Decode the target photo and detect its faces with ``detector``."""

        def create() -> TargetAnalysis:
            image = load_image(path)
            return TargetAnalysis(path, image, tuple(self.context.detector(detector).detect_faces(image)))

        return self._targets.get_or_create((_file_key(path), detector), create)

    def prepare(self, request: PreviewRequest) -> PreparedSource:
        """The source identity of the request's photos that show a face (cached per photo set)."""
        usable = tuple(path for path in request.sources if self.analyse_source(path).face is not None)
        if not usable:
            raise NoFaceFound("none of the source photos shows a detectable face")
        key = (
            request.engine,
            request.judge,
            request.detector,
            request.provider,
            tuple(_file_key(path) for path in usable),
        )
        pipeline = self.pipeline(request)
        return self._prepared.get_or_create(
            key, lambda: pipeline.prepare_source([self.analyse_source(path).image for path in usable])
        )

    def render(
        self, request: PreviewRequest, generation: int, is_stale: Callable[[], bool] = lambda: False
    ) -> PreviewResult | None:
        """Swap the request's faces; None when a newer request made this one stale mid-way."""
        started = time.perf_counter()
        prepared = self.prepare(request)
        if is_stale():
            return None
        target = self.analyse_target(request.target, request.detector)
        if not target.faces:
            raise NoFaceFound(f"no face found in the target {request.target.name}")
        if is_stale():
            return None
        pipeline = self.pipeline(request)
        # Two phases when deferred: the judge's embedding (~25-40 ms a face for the embedded ONNX judge)
        # waits for measure(), so a slider drag shows each swapped frame without it.
        result = pipeline.process_frame(
            target.image,
            prepared,
            request.settings,
            request.selection,
            faces=target.faces,
            score="none" if self.defer_score else "result",
            enhance_amount=request.restorer_amount if request.restorer else 0.0,
        )
        elapsed = (time.perf_counter() - started) * 1000
        pending = (
            self.defer_score
            and pipeline.judge is not None
            and prepared.identity is not None
            and bool(result.swapped)
        )
        swapped: tuple[SwappedFace, ...] = tuple(result.swapped)
        edges: tuple[EdgeCheck, ...] = ()
        if not pending and not is_stale():
            swapped, edges = self._assess(request, pipeline, prepared, target.image, result.frame, swapped)
        return PreviewResult(
            request,
            generation,
            target.image,
            result.frame,
            target.faces,
            swapped,
            elapsed,
            self.judge_note(request),
            score_pending=pending,
            edges=edges,
        )

    def _assess(
        self,
        request: PreviewRequest,
        pipeline: FacePipeline,
        prepared: PreparedSource,
        original: Image,
        frame: Image,
        swapped: tuple[SwappedFace, ...],
    ) -> tuple[tuple[SwappedFace, ...], tuple[EdgeCheck, ...]]:
        """Each face's baseline (the untouched target face against the source, as the CLI reports it;
        cached, it does not depend on the settings) and the realism measures of its edge."""
        with_baseline = []
        for face in swapped:
            key = (
                _file_key(request.target),
                request.detector,
                request.engine,
                request.judge,
                request.provider,
                tuple(_file_key(path) for path in request.sources),
                face.index,
            )
            target_face = face.face
            baseline = self._baselines.get_or_create(
                key, functools.partial(pipeline.measure, original, target_face, prepared)
            )
            with_baseline.append(dataclasses.replace(face, baseline=baseline))
        edges = tuple(edge_check(frame, original, face.face.box, face=face.face) for face in swapped)
        return tuple(with_baseline), edges

    def measure(
        self, result: PreviewResult, is_stale: Callable[[], bool] = lambda: False
    ) -> PreviewResult | None:
        """The second phase: ``result`` with each swapped face scored on the frame already shown.
        ``result`` itself when nothing is pending; None when it went stale."""
        if not result.score_pending:
            return result
        if is_stale():
            return None
        if self.before_measure is not None:
            self.before_measure(result.request)
        if is_stale():
            return None
        request = result.request
        prepared = self.prepare(request)  # cached by the render
        pipeline = self.pipeline(request)
        swapped = []
        for face in result.swapped:
            if is_stale():
                return None
            similarity = pipeline.measure(result.frame, face.face, prepared)
            swapped.append(dataclasses.replace(face, similarity=similarity))
        if is_stale():
            return None
        assessed, edges = self._assess(
            request, pipeline, prepared, result.original, result.frame, tuple(swapped)
        )
        self.scored.append(result.generation)
        return dataclasses.replace(result, swapped=assessed, score_pending=False, edges=edges)

    def maximize_likeness(
        self,
        request: PreviewRequest,
        on_evaluation: ProgressCallback | None = None,
        max_evaluations: int = 16,
    ) -> LikenessOutcome:
        """Search blend settings that raise the judged likeness of the request's faces (see
        :mod:`~faceswap_desktop.core.likeness`), reusing the preview's cached analyses and source."""
        prepared = self.prepare(request)
        target = self.analyse_target(request.target, request.detector)
        if not target.faces:
            raise NoFaceFound(f"no face found in the target {request.target.name}")
        pipeline = self.pipeline(request)
        search = maximize_likeness(
            pipeline,
            target.image,
            prepared,
            request.settings,
            request.selection,
            faces=target.faces,
            max_evaluations=max_evaluations,
            on_evaluation=on_evaluation,
        )
        assert pipeline.judge is not None  # the search refuses to run without one
        judge = pipeline.judge.name
        calibration = self.context.calibrations.get(judge)
        return LikenessOutcome(
            request,
            search,
            judge,
            calibration.percent(search.start.cosine),
            calibration.percent(search.best.cosine),
        )


MIN_COSINE_GAIN = 0.01
"""The smallest judged gain 'Maximise likeness' applies (the same photo's cosine varies by a few
thousandths with a one-step change of feather or padding)."""


@dataclass(frozen=True)
class LikenessOutcome:
    """A finished likeness search for a preview request, with the judge that scored it."""

    request: PreviewRequest
    search: LikenessSearch
    judge: str
    """Name of the recognizer that scored (and so was optimised): its gain flatters the result."""
    start_percent: float
    best_percent: float

    @property
    def changed(self) -> dict[str, tuple[object, object]]:
        """Setting name -> (before, after) for every setting the search changed."""
        before, after = self.request.settings.to_dict(), self.search.best.settings.to_dict()
        return {name: (before[name], after[name]) for name in after if before[name] != after[name]}

    @property
    def realism_fix(self) -> bool:
        """The user's own settings showed a visible edge and the search found settings that do not."""
        return not self.search.start.acceptable and self.search.best.acceptable and bool(self.changed)

    @property
    def worthwhile(self) -> bool:
        """Whether applying the search's settings is a real improvement: a realism fix, or a likeness
        gain of at least :data:`MIN_COSINE_GAIN` that also shows as a higher percentage. A smaller gain
        is the judge's noise, and "99% → 99%" with changed settings only confuses."""
        if not self.changed:
            return False
        if self.realism_fix:
            return True
        shown_gain = round(self.best_percent) > round(self.start_percent)
        return self.search.gain >= MIN_COSINE_GAIN and shown_gain


def face_crop(image: Image, face: Face, side: int = 96, margin: float = 0.25) -> Image:
    """A square crop around ``face`` with a margin, resized to ``side`` pixels (for thumbnails and chips)."""
    height, width = image.shape[:2]
    cx, cy = face.center
    half = max(face.width, face.height) * (0.5 + margin)
    x0, y0 = max(int(cx - half), 0), max(int(cy - half), 0)
    x1, y1 = min(int(cx + half), width), min(int(cy + half), height)
    crop = image[y0:y1, x0:x1]
    if crop.size == 0:
        return np.zeros((side, side, 3), dtype=np.uint8)
    chip = cv2.resize(crop, (side, side), interpolation=cv2.INTER_AREA)
    return np.ascontiguousarray(np.rot90(chip, upright_quarter_turns(face)))


def upright_quarter_turns(face: Face) -> int:
    """How many counter-clockwise quarter turns (``np.rot90``'s ``k``) bring ``face`` nearest upright."""
    roll, _yaw, _pitch = head_pose_proxies(face.keypoints_5)
    # Image y points down, so a positive roll is a clockwise turn of the face: undone counter-clockwise.
    return round(roll / 90.0) % 4


def fit_thumbnail(image: Image, side: int = 96) -> Image:
    """The whole image scaled so its longer side is ``side`` pixels."""
    height, width = image.shape[:2]
    scale = side / max(height, width)
    size = (max(int(width * scale), 1), max(int(height * scale), 1))
    return np.ascontiguousarray(cv2.resize(image, size, interpolation=cv2.INTER_AREA))
