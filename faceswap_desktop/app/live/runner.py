"""The live loop: camera frames in, swapped frames out, with the one pipeline and the video tracker.

Threads (none of them the GUI's):

- capture: reads the :class:`~.sources.FrameSource` into a :class:`~.slot.LatestSlot` (latest frame
  wins: a frame not yet taken when the next arrives is dropped, never queued);
- live-track: once the live thread has taken the previous tracked frame, takes the latest camera
  frame and follows the largest face with the export's :class:`FaceTracker` (FaceMesh refitted in the
  previous box, full detection every ``detect_every`` frames or when the face is lost, One Euro
  smoothing), then hands frame and track to the live thread (a one-frame hand-over, never a queue);
- live: swaps the tracked face with :func:`swap_tracked_face` (the pipeline of preview and export),
  mirrors when asked, then hands the frame to the display callback, the recorder and the virtual
  camera. A frame without a face passes through untouched. Tracking the next frame while this one is
  swapped puts the two on the machine's two cores: a frame costs the slower of the two steps instead
  of their sum (at 1280x720 ~8 ms track and ~25 ms swap), for ~one tracking step more latency;
- live-show (when there is an ``on_display``): gets the newest processed frame (latest wins) for the
  screen, so scaling and converting it for the window is not on the live thread's path;
- score: every ``score_every_s`` the latest swapped face is measured by the judge for the gauge (~100 ms
  of CPU a face, so never per frame); ``on_score`` gets it as a :class:`SwappedFace`.

Options (blend settings, mirror) and the prepared source identity are immutable values swapped in
whole (:meth:`LiveRunner.set_options`, :meth:`LiveRunner.set_source`): the live thread reads each once
per frame. When the stream ends (the file ended, :meth:`stop`, or the camera disappeared) a recording in
progress is finalised first; then ``on_stopped`` gets the reason.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections import deque
from collections.abc import Callable, Generator
from dataclasses import dataclass, field

import cv2

from ...core.cv_threads import opencv_single_threaded
from ...core.errors import CameraLost, FaceswapError
from ...core.pipeline import FacePipeline, PreparedSource, SwappedFace
from ...core.settings import SwapSettings
from ...core.types import Face, Image
from ...core.video.tracking import (
    FaceTracker,
    LandmarkRefitter,
    TrackerOptions,
    TrackingDetector,
    TrackResult,
)
from ..video_session import swap_tracked_face
from .recorder import LiveRecorder, RecordingOptions, RecordingResult
from .slot import LatestSlot
from .sources import CapturedFrame, FrameSource, SourceFormat
from .virtual_camera import LabelledVirtualCamera

log = logging.getLogger(__name__)

LIVE_TRACKER = TrackerOptions(detect_every=30, max_missed=5, follow_largest=True)
"""Full detection about once a second at 30 fps (FaceMesh refit between, and detection at once when the
refit loses the face); a face unseen for 5 frames is forgotten (at 30 fps the person left), and the
largest face in view is the one replaced. The export detects every 10th frame; live does it every 30th:
a detection costs ~20 ms against ~6 ms for a refit at 1280x720, so every 10th frame was ~14 ms later
(10 % of the frames: enough for the latency's 95th percentile to fall among them), and it only
re-anchors the refitted landmarks. Measured on
the 720p clip (120 frames, fixed timestamps): landmarks 0.31 px apart on average (p95 0.77 px, on a
358 px wide face), frame-to-frame jitter 0.419 -> 0.402 px, track CPU 8.7/7.8 -> 7.7/7.1 ms a frame. A
larger face stepping in is taken within a second instead of a third of one (docs/live.md)."""

LATENCY_WINDOW = 2000

TRACK_WHILE_SWAPPING = True
"""Track the next frame on its own thread while this one is swapped (False: one thread takes turns).
On: measured on the quiet 2-core machine at 1280x720 in the window after the live view's conversion
moved off the live thread (``benchmarks/bench_live_ab.py``, 3 alternating sets, 11 runs each): median
29.2 frames painted/s (25.6-30.2) against 27.6 (23.8-29.6) for one thread, camera-to-painted p95 median
78 ms (63-98) against 73 ms (59-79). Before that move the two threads were no faster and their p95 went
over 100 ms (docs/live.md, "Track and swap on two threads"). On a machine busy with other work the two
threads lose (17.7 against 22.6 painted/s at load 6-9); with more than 2 cores each has its own."""

TRACK_AHEAD_MARGIN_MS = 4.0
"""How much sooner than the swap in progress the next frame's tracking aims to end (timing jitter)."""


@dataclass(frozen=True)
class _Tracked:
    """A camera frame with its track, handed from the tracking thread to the live thread."""

    frame: CapturedFrame
    number: int
    track: TrackResult
    track_ms: float
    track_cpu_ms: float
    waited_ms: float
    """How long the take of the camera frame waited for one to arrive."""


@dataclass(frozen=True)
class LiveOptions:
    """What the user can change while live runs."""

    settings: SwapSettings = field(default_factory=SwapSettings)
    mirror: bool = False
    """Flip left-right, like a mirror (as people expect to see themselves)."""


@dataclass(frozen=True)
class LiveFrame:
    """One processed frame. ``image`` is never modified after it is handed out."""

    image: Image
    number: int
    """Processed frames before this one."""
    camera_index: int
    """The source's frame number (frames dropped before processing leave gaps)."""
    captured_at: float
    processed_at: float
    face_found: bool
    swapped: bool
    timings_ms: dict[str, float]

    @property
    def latency_ms(self) -> float:
        """Camera frame to swapped frame."""
        return (self.processed_at - self.captured_at) * 1000


@dataclass
class LiveStats:
    """Counts and latencies of a run (read from any thread; updated by the live threads)."""

    captured: int = 0
    processed: int = 0
    dropped: int = 0
    with_face: int = 0
    started: float = 0.0
    stopped: float | None = None
    latencies_ms: deque[float] = field(default_factory=lambda: deque(maxlen=LATENCY_WINDOW))
    stage_ms: dict[str, float] = field(default_factory=dict)
    """Wall milliseconds per stage, summed over the frames: ``track``, ``swap``, ``mirror`` (as in each
    :attr:`LiveFrame.timings_ms`), ``show`` (the live thread's hand-over to the display, the recording
    and the virtual camera) and ``wait`` (the live thread waiting for its next frame: the camera's, or
    the tracking thread's)."""
    not_displayed: int = 0
    """Frames ``on_display`` never got: a newer one arrived while it was busy (latest wins)."""
    live_cpu_ms: float = 0.0
    """CPU milliseconds of the live threads (track; swap, mirror, hand-over), summed: what a frame costs
    whatever else runs on the machine (the wall times above grow with its load)."""

    @property
    def fps(self) -> float:
        """Processed frames per second since the first frame arrived."""
        end = self.stopped if self.stopped is not None else time.perf_counter()
        return self.processed / (end - self.started) if self.processed and end > self.started else 0.0


@dataclass(frozen=True)
class LiveEnd:
    """Why live stopped, and the recording it finalised."""

    reason: str
    """'ended' (the file ended), 'stopped' (asked to), or 'error'."""
    error: FaceswapError | None
    recording: RecordingResult | None

    @property
    def message(self) -> str:
        """One line for the user."""
        text = str(self.error) if self.error is not None else f"live {self.reason}"
        if self.recording is not None:
            text += f"; recording saved: {self.recording.output} ({self.recording.frames} frames)"
        return text


FrameCallback = Callable[[LiveFrame], None]


class LiveRunner:
    """Runs the live loop over one source; :meth:`start` it, :meth:`stop` it (or let the source end)."""

    def __init__(
        self,
        source: FrameSource,
        pipeline: FacePipeline,
        detector: TrackingDetector,
        prepared: PreparedSource | None = None,
        options: LiveOptions | None = None,
        on_frame: FrameCallback | None = None,
        on_display: FrameCallback | None = None,
        on_score: Callable[[SwappedFace], None] | None = None,
        on_stopped: Callable[[LiveEnd], None] | None = None,
        tracker_options: TrackerOptions = LIVE_TRACKER,
        score_every_s: float = 1.0,
        frame_limit: int | None = None,
        track_while_swapping: bool | None = None,
    ) -> None:
        """``on_frame`` gets every processed frame on the live thread (it holds up the loop while it
        runs); ``on_display`` gets the newest processed frame on a thread of its own ("live-show": a
        frame that arrives while it is busy replaces the waiting one), for work the live loop need not
        wait for, such as scaling a frame for the screen. ``frame_limit``: end (as a file ends) after
        this many processed frames; ``track_while_swapping``: None for :data:`TRACK_WHILE_SWAPPING`."""
        self.frame_limit = frame_limit
        self.track_while_swapping = (
            TRACK_WHILE_SWAPPING if track_while_swapping is None else track_while_swapping
        )
        self.source, self.pipeline, self.detector = source, pipeline, detector
        self._prepared, self._options = prepared, options or LiveOptions()
        self.on_frame, self.on_score, self.on_stopped = on_frame, on_score, on_stopped
        self.on_display = on_display
        self._display_slot: LatestSlot[LiveFrame] = LatestSlot()
        self.tracker_options, self.score_every_s = tracker_options, score_every_s
        self.stats = LiveStats()
        self.format: SourceFormat | None = None
        self.latest: LiveFrame | None = None
        self.end: LiveEnd | None = None
        self._slot: LatestSlot[CapturedFrame] = LatestSlot()
        self._tracked: LatestSlot[_Tracked] = LatestSlot()
        self._tracking_done = threading.Event()
        self._swap_began = 0.0
        """When the live thread took its current frame (perf_counter seconds)."""
        self._swap_ms = 0.0
        """Running mean of the live thread's wall milliseconds per frame (swap, mirror, hand-over)."""
        self._score_slot: LatestSlot[tuple[Image, Face, PreparedSource]] = LatestSlot()
        self._stop = threading.Event()
        self._stop_requested = False
        self._capture_done = threading.Event()
        self._error: FaceswapError | None = None
        self._sinks = threading.Lock()
        self._recorder: LiveRecorder | None = None
        self._virtual: LabelledVirtualCamera | None = None
        self._threads: list[threading.Thread] = []
        self._single_threaded = contextlib.ExitStack()

    # -- control (any thread) ------------------------------------------------------------------------
    def start(self) -> SourceFormat:
        """Open the source (typed errors: missing or busy camera) and start the threads."""
        self.format = self.source.open()
        # Capture, swap, score and encode run at once: OpenCV's own pool would only add spinning
        # workers (see core/cv_threads.py), as in a video export.
        self._single_threaded.enter_context(opencv_single_threaded())
        self.stats.started = time.perf_counter()
        targets: list[tuple[str, Callable[[], None]]] = [
            ("live-capture", self._capture),
            ("live", self._live),
        ]
        if self.track_while_swapping:
            targets.insert(1, ("live-track", self._track))
        else:
            self._tracking_done.set()  # no tracking thread: the live thread tracks
        if self.pipeline.judge is not None and self.on_score is not None:
            targets.append(("live-score", self._score))
        if self.on_display is not None:
            targets.append(("live-show", self._display))
        for name, target in targets:
            thread = threading.Thread(target=target, name=name, daemon=True)
            thread.start()
            self._threads.append(thread)
        return self.format

    @property
    def running(self) -> bool:
        return any(thread.is_alive() for thread in self._threads)

    def stop(self, timeout: float = 10.0) -> LiveEnd | None:
        """Stop, finalise a recording, and wait for the threads; returns why it ended."""
        self._stop_requested = True
        self._stop.set()
        self._slot.close()
        self._tracked.close()
        return self.wait(timeout)

    def wait(self, timeout: float | None = None) -> LiveEnd | None:
        """Wait until the stream has ended (the file ended or :meth:`stop`); None on timeout."""
        deadline = None if timeout is None else time.monotonic() + timeout
        for thread in self._threads:
            thread.join(None if deadline is None else max(0.0, deadline - time.monotonic()))
        return None if self.running else self.end

    def set_options(self, options: LiveOptions) -> None:
        """New blend settings or mirror, from the next frame on."""
        self._options = options

    @property
    def options(self) -> LiveOptions:
        return self._options

    def set_source(self, prepared: PreparedSource | None) -> None:
        """A new source identity (prepared once by the caller), from the next frame on; None passes
        every frame through."""
        self._prepared = prepared

    def start_recording(self, options: RecordingOptions) -> None:
        """Record every frame shown from now on (checks the output first: typed errors)."""
        if self.format is None:
            raise FaceswapError("start live before recording")
        recorder = LiveRecorder(options, self.format.width, self.format.height)
        with self._sinks:
            previous, self._recorder = self._recorder, recorder
        if previous is not None:
            previous.abort()

    def stop_recording(self) -> RecordingResult | None:
        """Finish the recording (labelled, under its final name); None when none runs."""
        with self._sinks:
            recorder, self._recorder = self._recorder, None
        return recorder.finish() if recorder is not None else None

    @property
    def recording(self) -> bool:
        return self._recorder is not None

    def attach_virtual_camera(self, camera: LabelledVirtualCamera | None) -> None:
        """Send every frame shown to ``camera`` (None: stop sending; the previous one is closed)."""
        with self._sinks:
            previous, self._virtual = self._virtual, camera
        if previous is not None:
            previous.close()

    # -- threads -------------------------------------------------------------------------------------
    def _capture(self) -> None:
        try:
            while not self._stop.is_set():
                if not self.source.realtime and not self._slot.wait_taken(0.1):
                    continue
                frame = self.source.read()
                if frame is None:
                    break
                self.stats.captured += 1
                if self._slot.put(frame):
                    self.stats.dropped += 1
        except FaceswapError as error:
            self._error = error
        except Exception as error:  # a driver's own error: the camera is gone as far as live can tell
            log.exception("camera read failed")
            self._error = CameraLost(f"{self.source.name} failed: {error}")
        finally:
            self._capture_done.set()
            with contextlib.suppress(Exception):
                self.source.close()

    def _tracked_frames(self, ahead: bool) -> Generator[_Tracked, None, None]:
        """Camera frames with their tracks, in order, until the source ends or live stops. ``ahead``: on
        the tracking thread, one frame ahead of the live thread's swap."""
        refitter: LandmarkRefitter | None = None
        follower = getattr(self.detector, "landmark_follower", None)
        if follower is not None:
            refitter = follower()
        tracker = FaceTracker(self.detector, None, None, 1.0, -1.0, self.tracker_options, refitter)
        number, track_ms = 0, 0.0
        try:
            waiting = time.perf_counter()
            while not self._stop.is_set():
                if ahead:
                    # The next camera frame is taken only once the live thread has the previous one,
                    # and as late as still lets its tracking end when the swap in progress does: the
                    # live thread never waits, and the frame is as fresh as if the two took turns.
                    if not self._tracked.wait_taken(0.05):
                        continue
                    lead_s = (self._swap_ms - track_ms - TRACK_AHEAD_MARGIN_MS) / 1000
                    wait_s = self._swap_began + lead_s - time.perf_counter()
                    if lead_s > 0 and self._stop.wait(max(0.0, wait_s)):
                        break
                frame, capture_ended = self._slot.take_unless_ended(0.05, self._capture_done)
                if capture_ended:
                    break
                if frame is None:
                    continue
                cpu, started = time.thread_time(), time.perf_counter()
                track = tracker.update(frame.image, number, frame.captured_at - self.stats.started)
                elapsed_ms = (time.perf_counter() - started) * 1000
                track_ms = elapsed_ms if number == 0 else 0.8 * track_ms + 0.2 * elapsed_ms
                cpu_ms = (time.thread_time() - cpu) * 1000
                yield _Tracked(frame, number, track, elapsed_ms, cpu_ms, (started - waiting) * 1000)
                number += 1
                waiting = time.perf_counter()
        finally:
            tracker.close()

    def _track(self) -> None:
        try:
            for tracked in self._tracked_frames(ahead=True):
                self._tracked.put(tracked)
        except FaceswapError as error:
            self._error = self._error or error
            self._stop.set()
        except Exception as error:
            log.exception("live tracking failed")
            self._error = self._error or FaceswapError(f"live stopped: {error}")
            self._stop.set()
        finally:
            self._tracking_done.set()
            self._tracked.close()

    def _live(self) -> None:
        last_score = -1e9
        own = None if self.track_while_swapping else self._tracked_frames(ahead=False)
        try:
            while not self._stop.is_set():
                waiting = time.perf_counter()
                if own is not None:
                    tracked = next(own, None)
                    if tracked is None:
                        break
                    waited_ms = tracked.waited_ms  # for the camera's frame (the tracking is its own stage)
                else:
                    tracked, tracking_ended = self._tracked.take_unless_ended(0.05, self._tracking_done)
                    if tracking_ended:
                        break
                    if tracked is None:
                        continue
                began = self._swap_began = time.perf_counter()
                if own is None:
                    waited_ms = (began - waiting) * 1000
                cpu = time.thread_time()
                result, swapped, face = self._process(tracked)
                showing = time.perf_counter()
                self._deliver(result)
                stage_ms, ended = self.stats.stage_ms, time.perf_counter()
                stage_ms["show"] = stage_ms.get("show", 0.0) + (ended - showing) * 1000
                stage_ms["wait"] = stage_ms.get("wait", 0.0) + waited_ms
                swap_ms = (ended - began) * 1000
                self._swap_ms = swap_ms if self.stats.processed == 1 else 0.8 * self._swap_ms + 0.2 * swap_ms
                self.stats.live_cpu_ms += (time.thread_time() - cpu) * 1000 + tracked.track_cpu_ms
                if self.frame_limit is not None and self.stats.processed >= self.frame_limit:
                    break
                prepared = self._prepared
                frame = tracked.frame
                due = frame.captured_at - last_score >= self.score_every_s
                if due and face is not None and prepared is not None:
                    last_score = frame.captured_at
                    self._score_slot.put((swapped, face, prepared))
        except FaceswapError as error:
            self._error = self._error or error
        except Exception as error:
            log.exception("live frame failed")
            self._error = self._error or FaceswapError(f"live stopped: {error}")
        finally:
            if own is not None:
                own.close()  # closes the tracker
            self._stop.set()
            self._slot.close()
            self._tracked.close()
            self._score_slot.close()
            self._display_slot.close()
            # The tracking thread ends within one frame of the stop (it checks it between frames).
            self._tracking_done.wait(10.0)
            self._finish()

    def _process(self, tracked: _Tracked) -> tuple[LiveFrame, Image, Face | None]:
        """The frame swapped (and mirrored when asked), the swapped picture before mirroring, and the
        swapped face (None when nothing was swapped)."""
        options, prepared = self._options, self._prepared
        stats, frame, track = self.stats, tracked.frame, tracked.track
        started = time.perf_counter()
        image, swapped = frame.image, False
        if track.face is not None and prepared is not None:
            try:
                outcome = swap_tracked_face(
                    self.pipeline, prepared, options.settings, tracked.number, image, track, False, True
                )
                image, swapped = outcome.image, True
            except FaceswapError as error:  # one odd frame (a face at the border) passes through
                log.info("live frame %d not swapped: %s", tracked.number, error)
        swap_done = time.perf_counter()
        unmirrored = image
        if options.mirror:
            image = cv2.flip(image, 1)
        done = time.perf_counter()
        timings = {
            "track": tracked.track_ms,
            "swap": (swap_done - started) * 1000,
            "mirror": (done - swap_done) * 1000,
        }
        for stage, ms in timings.items():
            stats.stage_ms[stage] = stats.stage_ms.get(stage, 0.0) + ms
        found = track.face is not None
        result = LiveFrame(
            image, stats.processed, frame.index, frame.captured_at, done, found, swapped, timings
        )
        stats.processed += 1
        stats.with_face += track.face is not None
        stats.latencies_ms.append(result.latency_ms)
        return result, unmirrored, track.face if swapped else None

    def _deliver(self, frame: LiveFrame) -> None:
        self.latest = frame
        if self.on_frame is not None:
            self.on_frame(frame)
        if self.on_display is not None and self._display_slot.put(frame):
            self.stats.not_displayed += 1
        with self._sinks:
            if self._recorder is not None:
                self._recorder.add(frame.image, frame.captured_at)
            if self._virtual is not None:
                self._virtual.send(frame.image)

    def _display(self) -> None:
        self._display_slot.serve(self._show, self._stop)

    def _show(self, frame: LiveFrame) -> None:
        try:
            assert self.on_display is not None
            self.on_display(frame)
        except Exception:  # the screen misses a frame; live, the recording and the camera go on
            log.exception("live display failed")

    def _score(self) -> None:
        self._score_slot.serve(self._measure, self._stop)

    def _measure(self, item: tuple[Image, Face, PreparedSource]) -> None:
        image, face, prepared = item
        try:
            similarity = self.pipeline.measure(image, face, prepared)
        except Exception:  # the gauge is informative; live goes on without it
            log.exception("live similarity failed")
            return
        if self.on_score is not None:
            self.on_score(SwappedFace(0, face, similarity))

    def _finish(self) -> None:
        """Finalise the recording, close the virtual camera, and say why live ended."""
        self.stats.stopped = time.perf_counter()
        recording: RecordingResult | None = None
        error = self._error
        try:
            recording = self.stop_recording()
        except FaceswapError as failure:
            error = error or failure
        except Exception as failure:
            log.exception("recording failed")
            error = error or FaceswapError(f"the recording failed: {failure}")
        with contextlib.suppress(Exception):
            self.attach_virtual_camera(None)
        self._single_threaded.close()
        reason = "error" if error is not None else ("stopped" if self._stop_requested else "ended")
        self.end = LiveEnd(reason, error, recording)
        if self.on_stopped is not None:
            self.on_stopped(self.end)
