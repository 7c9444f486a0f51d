"""Video export job: decode, track + swap, and encode run concurrently with bounded queues.

Threads: a decoder thread fills a queue of frames; the job's own thread tracks the chosen person (in
order, it needs the previous frame) and hands each frame to a pool of swap workers (the swap of one
frame does not depend on another); results are taken back in order and queued to an encoder thread.
Every queue is bounded, so memory does not grow with the video's length. PyAV, OpenCV and MediaPipe
release the GIL in their heavy calls, which is what makes the threads run in parallel.

The job is a generator of :class:`ExportProgress`; it checks the cancel token between frames. The file
is written under a temporary name in the destination folder and renamed when complete; on cancel or
error the partial file is deleted.
"""

from __future__ import annotations

import contextlib
import dataclasses
import gc
import logging
import queue
import secrets
import threading
import time
from collections import deque
from collections.abc import Callable, Generator, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..core.cv_threads import opencv_single_threaded
from ..core.errors import BadInput, Cancelled, OutputConflict
from ..core.media.frame_memory import MemoryPlan, plan_for_frame
from ..core.media.guarded_decode import (
    GuardedVideoReader,
    acquire_helper,
    check_audio,
    load_image,
    release_helper,
)
from ..core.media.safe_files import check_not_an_input
from ..core.media.video_io import VideoSource
from ..core.media.video_writer import (
    EncodeOptions,
    VideoWriter,
    check_encoder,
    check_video_space,
    container_for,
)
from ..core.media.watermark import add_watermark
from ..core.mesh.slow_stats import StatsTicket
from ..core.pipeline import FacePipeline, PreparedSource
from ..core.roles import Recognizer, RecognizerSource
from ..core.settings import SwapSettings
from ..core.types import FloatArray, Image
from ..core.video.person_memory import PersonMemory
from ..core.video.tracking import FaceTracker, IdentityHint, TrackerOptions, TrackResult
from .cast import CancelToken
from .content_credentials import finish_video, prepare_signing
from .context import DEFAULT_ENGINE, AppContext
from .export_pacing import swap_workers, tracked_ahead_while_encoder_fills
from .isolated_judge import PipelineFactory
from .person_map import MorePeople, PersonSources, SegmentPeople, check_mappings
from .remembered_faces import RememberedFaces
from .source_cache import prepare_source_cached
from .video_report import ExportReport, FrameRecord, check_partial
from .video_session import (
    FrameOutcome,
    ReferenceChoice,
    build_tracker,
    find_reference,
    swap_tracked_face,
    tracker_embedder,
)

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class VideoExportRequest:
    """An immutable description of one video export."""

    sources: tuple[Path, ...]
    target: Path
    output: Path
    settings: SwapSettings = field(default_factory=SwapSettings)
    encode: EncodeOptions = field(default_factory=EncodeOptions)
    start: float | None = None
    """Seconds from the first frame; ``None`` is the beginning."""
    end: float | None = None
    reference: ReferenceChoice = field(default_factory=ReferenceChoice)
    engine: str = DEFAULT_ENGINE
    judge: str | None = None
    """Recognizer that scores the result (``None``: no similarity numbers)."""
    score_every: int = 10
    """Score every Nth frame: the dlib judge costs about 100 ms a face on CPU."""
    embedder: str | None = "auto"
    tracker: TrackerOptions = field(default_factory=TrackerOptions)
    workers: int = 2
    """Swaps run at once, at most: one on two cores or fewer (see export_pacing.swap_workers)."""
    overwrite: bool = False
    watermark: bool = False
    """Draw the visible "AI-generated" mark on every frame (the container tags are always written)."""
    content_credentials: bool = True
    """Embed a signed C2PA manifest in MP4/MOV outputs (see :mod:`.content_credentials`)."""
    allow_partial: bool = False
    """Export a damaged video's readable frames when it yields fewer than its container declares
    (otherwise such a video is refused with :class:`~..core.errors.PartialVideo`)."""
    more_people: tuple[PersonSources, ...] = ()
    """Further cast members replaced in the same export, each with their own photos."""
    settings_at: Callable[[int], SwapSettings] | None = field(default=None, compare=False)
    """Settings per frame index (keyframes); ``None`` uses :attr:`settings` for every frame."""

    def frame_settings(self, index: int) -> SwapSettings:
        """The settings frame ``index`` is swapped with."""
        return self.settings_at(index) if self.settings_at is not None else self.settings


@dataclass(frozen=True)
class ExportProgress:
    """Progress after a frame: counts, speed and estimated time left (seconds)."""

    frames_done: int
    frames_total: int
    fps: float
    eta_seconds: float
    elapsed_seconds: float
    record: FrameRecord | None = None
    """The frame just finished (face found, similarity), for a live per-frame plot."""


class StageCpu:
    """CPU seconds spent by the job's own threads per stage (thread CPU time, so the numbers add up
    whatever runs concurrently); work that libraries hand to their own threads (x264's frame threads,
    FFmpeg's decoder threads, MediaPipe's) shows only in the process total."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.seconds: dict[str, float] = {}

    def add(self, stage: str, seconds: float) -> None:
        with self._lock:
            self.seconds[stage] = self.seconds.get(stage, 0.0) + seconds

    @contextlib.contextmanager
    def measure(self, stage: str) -> Iterator[None]:
        started = time.thread_time()
        try:
            yield
        finally:
            self.add(stage, time.thread_time() - started)

    def measured(self, stage: str, function: Callable[..., FrameOutcome]) -> Callable[..., FrameOutcome]:
        """``function`` with its thread CPU time added to ``stage`` (for work run in a pool)."""

        def run(*args: Any) -> FrameOutcome:
            with self.measure(stage):
                return function(*args)

        return run

    def milliseconds(self, process_started: float) -> dict[str, float]:
        """Per-stage totals and the whole process's CPU since ``process_started`` (``time.process_time``)."""
        with self._lock:
            totals = {stage: seconds * 1000 for stage, seconds in self.seconds.items()}
        totals["process"] = (time.process_time() - process_started) * 1000
        return totals


def validate_export(request: VideoExportRequest) -> None:
    """Checks that need no decoding: sources given, codec available, output usable and not an input."""
    if not request.sources:
        raise BadInput("at least one source photo is needed")
    check_encoder(request.encode)
    container_for(request.output, request.encode.codec)
    if not request.output.parent.resolve().is_dir():
        raise OutputConflict(f"output folder does not exist: {request.output.parent}")
    more_sources = [source for mapping in request.more_people for source in mapping.sources]
    check_not_an_input(request.output, (request.target, *request.sources, *more_sources))
    check_mappings(request.reference.person, request.more_people)
    if request.output.exists() and not request.overwrite:
        raise OutputConflict(f"output exists: {request.output} (pass --overwrite to replace it)")
    if request.start is not None and request.end is not None and request.end <= request.start:
        raise BadInput(f"end ({request.end}s) must be after start ({request.start}s)")


_frozen_lock = threading.Lock()
_frozen_jobs = 0


@contextlib.contextmanager
def _collector_frozen() -> Iterator[None]:
    """Python's cyclic collector leaves the objects that exist when a job starts alone until it ends.

    A full collection walks every object of the process: in a cold export the imports of its set-up
    trigger one, ~35 ms holding the GIL (every Python thread of the job stops meanwhile), and in the GUI
    (more objects) one costs more. ``gc.freeze`` moves the objects there are now out of the collector's
    sight, so its collections during the job walk only the job's own objects; ``gc.unfreeze`` at the
    end (of the last job running) hands them back, so a cycle among them that became garbage meanwhile
    is freed by the next full collection. Objects the job creates are collected as usual.
    """
    global _frozen_jobs
    with _frozen_lock:
        _frozen_jobs += 1
        gc.freeze()
    try:
        yield
    finally:
        with _frozen_lock:
            _frozen_jobs -= 1
            if _frozen_jobs == 0:
                gc.unfreeze()


def tracked_ahead_while_preparing(plan: MemoryPlan) -> int:
    """Frames an export may hold tracked, waiting for their swap, while its source is still prepared.

    The preparation (~0.4 s for one 1200 px photo with the mesh engine) is the last step before the
    first swap; the job's thread, done with its own set-up, tracks ahead meanwhile on a core that would
    otherwise be idle (~35 frames' tracking at 720p). Half the encoder's allowance in the memory plan:
    nothing has reached the encoder yet while the source is prepared, so the plan's peak still holds
    (25 frames up to 1440p, 12 up to 4K, 4 above).
    """
    return plan.encoder_frames // 2


def _temporary_path(output: Path) -> Path:
    return output.with_name(f".{output.stem}.{secrets.token_hex(4)}.partial{output.suffix}")


@dataclass(frozen=True)
class _Models:
    """What an export loads before its first frame (see :meth:`VideoExportJob._load_models`)."""

    pipeline: FacePipeline
    detector: Any
    embedder: Recognizer | None


class VideoExportJob:
    """Runs one export; iterate :meth:`run` for progress, then read :attr:`report`."""

    def __init__(
        self,
        context: AppContext,
        request: VideoExportRequest,
        cancel: CancelToken | None = None,
        build_pipeline: PipelineFactory | None = None,
        recognizers: RecognizerSource | None = None,
        write_from: int | None = None,
        identity: FloatArray | None = None,
        hint: IdentityHint | None = None,
        more: SegmentPeople | None = None,
    ):
        """``build_pipeline`` and ``recognizers`` (the tracker's embedder) default to the context's; the GUI
        passes its isolated judges, so that no identity model runs in its process.

        A segment of a batch render (``app/batch_segments.py``) passes ``write_from``: the frames of the
        range before that index only warm the tracker up (tracked, neither swapped nor written; the
        output's time 0 is that frame), and ``identity``: the chosen person's embedding, found once for
        the whole video, so that every segment follows the same person, with ``hint``: what the
        whole video's cast scan knows of who is where (as a single export's tracker has it); ``more``:
        the further people (``--map``) as the driver found them for this segment.
        """
        validate_export(request)
        self.context, self.request = context, request
        self._build_pipeline = build_pipeline or context.build_pipeline
        self._recognizers = recognizers or context.recognizer
        self.cancel = cancel or threading.Event()
        self.report: ExportReport | None = None
        self._stop = threading.Event()
        self._cpu = StageCpu()
        self._write_from, self._identity, self._hint = write_from, identity, hint
        self._more = more

    def run(self) -> Generator[ExportProgress, None, None]:
        """Export frame by frame, yielding progress; raises :class:`Cancelled` when cancelled."""
        # Every decode of the user's files runs in a helper process (core.guarded_decode): a decoder crash
        # on a damaged file fails this job with a typed error instead of taking the app down. A helper is
        # a fresh interpreter (~0.35 s of CPU to start), so one helper decodes the source photos and then
        # opens the video (two started at once took ~0.6 s on 2 cores), while this thread loads the models
        # and does the engine's first-use initialisation: ~0.35 s of work that used to follow the wait. The
        # helper is an idle one from the pool when there is one (the GUI's photo loads leave some): then
        # there is no start at all.
        #
        # The source is prepared on a thread of its own as soon as its photos are decoded, while the
        # video opens and this thread finds the reference (~50 ms of the engine's preparation that used
        # to wait for both). Every core is already busy with the job's own threads, the helper's start
        # included, from the first step on (see opencv_single_threaded: its pool's spinning workers).
        with opencv_single_threaded(), _collector_frozen():
            yield from self._open_and_export()

    def _open_and_export(self) -> Iterator[ExportProgress]:
        request = self.request
        helper = acquire_helper()
        opener = ThreadPoolExecutor(1, thread_name_prefix="open")
        sources = opener.submit(lambda: [load_image(path, helper=helper) for path in request.sources])
        # The further people's photos too, before the video opens: the helper serves one thread at a time.
        more_sources = opener.submit(
            lambda: [[load_image(path, helper=helper) for path in m.sources] for m in request.more_people]
        )
        opening = opener.submit(GuardedVideoReader, request.target, helper)
        preparer = ThreadPoolExecutor(1, thread_name_prefix="prepare")
        warmer = ThreadPoolExecutor(1, thread_name_prefix="warm")
        try:
            # The source's preparation and the engine's warm-up (both needed by the first swap, ~0.4 s
            # and ~0.1 s on the one-face 720p benchmark) each run on a thread of their own: this thread
            # goes on to the tracking models, the signing identity and the reference (a first export's
            # cast scan, ~1 s) meanwhile, then tracks ahead until both are done (see _export). The
            # warm-up has a thread of its own so that OpenCV's LAB tables are built there while the
            # preparation detects the source's face, not inside the preparation, which is what the first
            # swap waits for. It needs only the engine, so it starts before the pipeline: the detector's
            # three sessions (~60 ms, mostly native code) are created meanwhile, rather than first (with
            # the cast cached the first swap waited for both, one after the other).
            warm_up = getattr(self.context.swapper(request.engine), "warm_up", None)
            warming = warmer.submit(warm_up) if warm_up is not None else None
            pipeline = self._build_pipeline(request.engine, request.judge)
            prepared = preparer.submit(self._prepare_source, pipeline, sources, warming)
            models = self._load_models(pipeline)
            reader = opening.result()
        except BaseException:
            preparer.shutdown(wait=True, cancel_futures=True)
            warmer.shutdown(wait=True, cancel_futures=True)
            opener.shutdown(wait=True, cancel_futures=True)
            if opening.done() and not opening.cancelled() and opening.exception() is None:
                opening.result().close()
            release_helper(helper)
            raise

        def prepare_more(mapping: PersonSources) -> Future[PreparedSource]:
            images = more_sources.result()[request.more_people.index(mapping)]
            return preparer.submit(models.pipeline.prepare_source, images)

        try:
            yield from self._export(reader, prepared, models, prepare_more)
        finally:
            reader.close()
            preparer.shutdown(wait=True)
            warmer.shutdown(wait=True)
            opener.shutdown(wait=True)
            release_helper(helper)

    def _prepare_source(
        self, pipeline: FacePipeline, sources: Future[list[Image]], warming: Future[Any] | None
    ) -> PreparedSource:
        """The source prepared once its photos are decoded (from the cache when these photos were
        prepared before, see :mod:`.source_cache`), once the engine's first-use work (run on its own
        thread) is done too: the swap workers wait for this before their first frame."""
        provider = str(getattr(self.context.models, "provider_setting", ""))
        prepared = prepare_source_cached(pipeline, sources.result(), self.request.engine, provider)
        if warming is not None:
            warming.result()
        return prepared

    def _load_models(self, pipeline: FacePipeline) -> _Models:
        """The pipeline with the detector and tracking embedder. (The signing identity, needed at the
        end, is loaded while the encoder drains: see :meth:`_export`.)"""
        request = self.request
        detector: Any = self.context.detector("mediapipe")
        embedder = tracker_embedder(self._recognizers, request.embedder, defer=True)
        return _Models(pipeline, detector, embedder)

    def _export(
        self,
        reader: VideoSource,
        preparing: Future[PreparedSource],
        models: _Models,
        prepare_more: Callable[[PersonSources], Future[PreparedSource]],
    ) -> Iterator[ExportProgress]:
        request, info = self.request, reader.info
        check_partial(info, request.allow_partial)
        start = reader.index_at_time(request.start) if request.start else 0
        stop = reader.index_at_time(request.end) if request.end is not None else info.frame_count
        if request.end is not None and request.end >= info.duration:
            stop = info.frame_count
        if stop <= start:
            raise BadInput(
                f"the range {request.start}..{request.end}s holds no frame of {info.duration:.2f}s"
            )
        seconds = reader.time_of(stop - 1) - reader.time_of(start) + float(1 / info.fps)
        check_video_space(request.output, info, seconds, request.encode.codec)
        pipeline, detector, embedder = models.pipeline, models.detector, models.embedder
        # The tracker's first detection is of the reference's frame: the faces found there are given
        # to it again rather than detected twice (see remembered_faces.py).
        finder: Any = RememberedFaces(detector)
        # The reference's embedding waits for the tracker's first identity check, which a person never in
        # doubt does not need (~100 ms of dlib holding the GIL, see core/video/tracking.py).
        reference = find_reference(
            reader, finder, embedder, request.reference, start, True, stop, self.cancel
        )
        if self._identity is not None:
            reference = dataclasses.replace(reference, embedding=self._identity, identity_view=None)
        if self._hint is not None:
            reference = dataclasses.replace(reference, hint=self._hint)
        write_from = start if self._write_from is None else min(max(self._write_from, start), stop - 1)
        # Further people (--map) are found now, while this thread is still the reader's only user.
        more: MorePeople | None = None
        if request.more_people:
            span = (start, stop)
            people, options = request.more_people, request.tracker
            more = MorePeople.start(
                self.context,
                reader,
                detector,
                embedder,
                people,
                prepare_more,
                span,
                self.cancel,
                options,
                segment=self._more,
            )
        # The reference frame is usually the first frame to export: it is not decoded a second time. The
        # decoder thread starts now (the reader's only user from here on: timing questions are answered
        # from its index), so the helper decodes ahead while this thread prepares the source and the
        # tracker.
        ahead: list[tuple[int, Image]] = []
        reference_image = reference.image
        if reference.frame_index == start and reference_image is not None:
            ahead.append((start, reference_image))
        # How many frames each stage holds depends on their size (core/frame_memory: fewer beyond 1440p).
        plan = plan_for_frame(info.width, info.height, request.workers)
        workers = swap_workers(plan.max_workers)  # one on two cores (see export_pacing.py)
        ahead_limit = tracked_ahead_while_preparing(plan)
        frames_in: queue.Queue[Any] = queue.Queue(plan.queue_frames)
        frames_out: queue.Queue[Any] = queue.Queue(plan.queue_frames)
        errors: list[BaseException] = []
        threads = [
            threading.Thread(target=self._decode, args=(reader, start + len(ahead), stop, frames_in, errors))
        ]
        threads[0].start()
        tracker: FaceTracker | None = None
        writer: VideoWriter | None = None
        temporary = _temporary_path(request.output)
        completed = False
        pool = ThreadPoolExecutor(workers, thread_name_prefix="swap")
        try:
            tracker = build_tracker(self.context, finder, embedder, reference, request.tracker)
            if reference.frame_index == start:
                tracker.seed(reference.face, start - 1)
            origin, audio = self._timeline(reader, write_from, stop)
            origin_pts = round(origin / reader.time_base)
            writer = VideoWriter(
                temporary, info.width, info.height, info.fps, reader.time_base, request.encode, audio
            )
            report = ExportReport(
                request.output, write_from, stop, info.fps, embedder.name if embedder else None
            )
            report.input_frames, report.input_frames_declared = info.frame_count, info.declared_frame_count
            report.check_pose = request.engine == "mesh"
            threads.append(
                threading.Thread(target=self._encode, args=(writer, reader, origin_pts, frames_out, errors))
            )
            threads[1].start()

            def swap(
                settings: SwapSettings,
                index: int,
                image: Image,
                track: TrackResult,
                score: bool,
                more_tracks: tuple[TrackResult, ...],
                ticket: StatsTicket | None,
            ) -> FrameOutcome:
                # The first frames are tracked while the source may still be in preparation. Each frame
                # from the decoder is this job's alone once tracked (the tracker reads it during its
                # update and keeps none), so the swap draws into it rather than into a copy; the
                # reference frame is kept for the tracker's deferred embedding: never drawn into.
                owned = image is not reference_image and image.flags.writeable
                try:
                    outcome = swap_tracked_face(
                        pipeline,
                        preparing.result(),
                        settings,
                        index,
                        image,
                        track,
                        score,
                        in_place=owned,
                        memory=ticket,
                    )
                finally:
                    if ticket is not None:  # (a frame that waits for this one must never hang)
                        ticket.finish(ok=False)
                if more is not None:
                    outcome = more.swap(
                        pipeline, settings, outcome, more_tracks, owned or outcome.image is not image, score
                    )
                return outcome

            # The person's slow statistics (colour, lighting fits, hairline), measured on some frames
            # and reused between them (core/video/person_memory.py); forgotten at a cut or a loss.
            memory = PersonMemory() if pipeline.remembers_slow_stats else None
            pending: deque[Future[FrameOutcome]] = deque()
            started, started_cpu = time.perf_counter(), time.process_time()
            while True:
                if self.cancel.is_set():
                    raise Cancelled("export cancelled")
                self._raise_worker_error(errors)
                item = ahead.pop() if ahead else self._get(frames_in)
                if item is None:
                    break
                index, image = item
                with self._cpu.measure("track"):
                    track = tracker.update(image, index, reader.time_of(index))
                    if finder is not None:  # the reference's frame is behind: keep no frame
                        finder.forget()
                        finder = None
                    more_tracks = more.track(image, index, reader.time_of(index)) if more else ()
                if memory is not None and (track.scene_cut or track.face is None):
                    memory.reset()
                if index < write_from:
                    continue  # a segment's warm-up frame: it primes the tracker only
                score = request.judge is not None and (index - start) % max(request.score_every, 1) == 0
                settings = request.frame_settings(index)
                ticket = None
                if memory is not None and track.face is not None:
                    ticket = memory.ticket(image, track.face, settings)
                pending.append(
                    pool.submit(
                        self._cpu.measured("swap", swap),
                        settings,
                        index,
                        image,
                        track,
                        score,
                        more_tracks,
                        ticket,
                    )
                )
                # Until the source is prepared no swap can start: this thread tracks ahead meanwhile
                # (the core it runs on would be idle), up to the plan's allowance; then, until the
                # encoder gives back its first packet (its look-ahead is filling and its threads are
                # mostly idle), within what the encoder's allowance leaves (export_pacing.py); then
                # the usual bound holds again (the frames swapped plus one).
                if not preparing.done():
                    limit = max(workers, ahead_limit)
                elif writer.video_packets == 0:
                    filling = tracked_ahead_while_encoder_fills(plan, writer.frames_written, ahead_limit)
                    limit = max(workers, filling)
                else:
                    limit = workers
                while len(pending) > limit or (pending and pending[0].done()):
                    yield self._deliver(pending.popleft().result(), frames_out, report, reader, started)
            while pending:
                yield self._deliver(pending.popleft().result(), frames_out, report, reader, started)
            self._put(frames_out, None)
            if request.content_credentials:
                # The C2PA library and the signing identity (~40 ms of imports and certificate checks)
                # load now, while the encoder drains its look-ahead (~0.5 s at 720p, its threads
                # leaving part of a core idle), rather than before the first frame, where this thread
                # is what the first swap waits for.
                prepare_signing(request.output)
            threads[1].join()
            self._raise_worker_error(errors)
            report.content_credentials = finish_video(
                temporary, request.output, request.content_credentials, overwrite=request.overwrite
            )
            report.watermark = request.watermark
            report.more_people = more.summary() if more is not None else []
            completed = True
            report.finish(time.perf_counter() - started, writer, self._cpu.milliseconds(started_cpu))
            self.report = report
        finally:
            self._stop.set()
            pool.shutdown(wait=True, cancel_futures=True)
            for thread in threads:
                thread.join(timeout=5)
            if tracker is not None:
                tracker.close()
            if more is not None:
                more.close()
            if not completed:
                if writer is not None:
                    with contextlib.suppress(Exception):
                        writer.abort()
                with contextlib.suppress(OSError):
                    temporary.unlink()

    def _timeline(
        self, reader: VideoSource, start: int, stop: int
    ) -> tuple[float, tuple[Path, float, float | None, float] | None]:
        """The output's time origin (input seconds) and the audio range (source, start, end, origin)."""
        info = reader.info
        first = info.start_time + reader.time_of(start)
        end = info.start_time + reader.time_of(stop) if stop < info.frame_count else None
        if not info.has_audio or self.request.encode.audio == "none":
            return first, None
        # From the first frame of the file, keep the audio that precedes the video (their offset is kept).
        origin = min(first, info.audio[0].start_time) if start == 0 else first
        # The writer copies or re-encodes this audio in-process: decode it once in a helper first, so a
        # damaged audio track fails the job with a typed error rather than crashing the app.
        check_audio(self.request.target)
        return origin, (self.request.target, origin, end, origin)

    def _deliver(
        self,
        outcome: FrameOutcome,
        frames_out: queue.Queue[Any],
        report: ExportReport,
        reader: VideoSource,
        started: float,
    ) -> ExportProgress:
        self._put(frames_out, outcome)
        report.add(outcome, reader.time_of(outcome.index))
        done, total = report.frames_done, report.frames_total
        elapsed = time.perf_counter() - started
        fps = done / elapsed if elapsed > 0 else 0.0
        eta = (total - done) / fps if fps > 0 else float("inf")
        return ExportProgress(done, total, fps, eta, elapsed, report.records[-1])

    def _get(self, source: queue.Queue[Any]) -> Any:
        while True:
            try:
                return source.get(timeout=0.1)
            except queue.Empty:
                if self.cancel.is_set() or self._stop.is_set():
                    raise Cancelled("export cancelled") from None

    def _put(self, target: queue.Queue[Any], item: Any) -> bool:
        while not self._stop.is_set():
            try:
                target.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def _decode(
        self, reader: VideoSource, start: int, stop: int, out: queue.Queue[Any], errors: list[BaseException]
    ) -> None:
        cpu = time.thread_time()
        try:
            for item in reader.frames(start, stop):
                if not self._put(out, item):
                    return
        except BaseException as error:  # handed to the job's thread, which raises it
            errors.append(error)
        finally:
            self._cpu.add("decode", time.thread_time() - cpu)
        self._put(out, None)

    def _encode(
        self,
        writer: VideoWriter,
        reader: VideoSource,
        origin_pts: int,
        source: queue.Queue[Any],
        errors: list[BaseException],
    ) -> None:
        info = reader.info
        cpu = time.thread_time()
        try:
            while not self._stop.is_set():
                try:
                    outcome = source.get(timeout=0.1)
                except queue.Empty:
                    continue
                if outcome is None:
                    writer.close()
                    return
                seconds = info.start_time + reader.time_of(outcome.index)
                image = add_watermark(outcome.image) if self.request.watermark else outcome.image
                writer.write(image, reader.pts_of(outcome.index) - origin_pts, seconds)
        except BaseException as error:
            errors.append(error)
            self._stop.set()
        finally:
            self._cpu.add("encode", time.thread_time() - cpu)

    @staticmethod
    def _raise_worker_error(errors: list[BaseException]) -> None:
        if errors:
            raise errors[0]
