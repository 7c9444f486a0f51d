"""Live mode in the main window: a "Live" dock with the controls, the swapped stream in the centre, the
similarity gauge fed about once a second.

The GUI thread only paints. Opening the camera's file or helper, building the pipeline, preparing the
source identity, starting and finalising a recording, saving a snapshot and opening the virtual camera
run on short background threads; frames are swapped on the runner's live thread, and scaled and
converted to a ``QImage`` on its display thread (latest frame wins there, the loop never waits for
it). Frames reach the GUI latest-first: while one is waiting to be painted, a newer one replaces it and
no second repaint is queued, so a busy GUI drops frames instead of falling behind. Starting live asks
for the consent confirmation (once per window).
"""

from __future__ import annotations

import dataclasses
import logging
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import cv2
import numpy as np
from PySide6.QtCore import QObject, Qt, QTimer, Signal
from PySide6.QtGui import QImage
from PySide6.QtWidgets import QDialog, QDockWidget, QFileDialog

from ..app.live.recorder import RecordingOptions, RecordingResult, save_snapshot
from ..app.live.runner import LiveEnd, LiveFrame, LiveOptions, LiveRunner
from ..app.live.setup import live_pipeline, prepare_live_source
from ..app.live.sources import CameraChoice, FrameSource, OpenCvCameraSource, VideoFileSource, list_cameras
from ..app.live.virtual_camera import open_virtual_camera
from ..core.errors import FaceswapError
from ..core.pipeline import SwappedFace
from .dialogs import ConsentDialog
from .drops import TARGET_FILTER
from .export_flow import pictures_folder
from .live_panel import FILE_CAMERA, LivePanel, LiveView

if TYPE_CHECKING:
    from .main_window import MainWindow

log = logging.getLogger(__name__)


class _Relay(QObject):
    """Signals emitted from live and background threads, delivered (queued) on the GUI thread."""

    frame_ready = Signal()
    scored = Signal(object)
    stopped = Signal(object)
    done = Signal(object, object)
    failed = Signal(object, object)


class LiveWorkspace(QObject):
    """Owns the Live dock, the live view and the runner while live is on."""

    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.window = window
        self.panel = LivePanel()
        self.view = LiveView()
        self.view.hide()
        window.preview_panel.layout().addWidget(self.view, 1)
        self.dock = QDockWidget("Live", window)
        self.dock.setObjectName("LiveDock")
        self.dock.setWidget(self.panel)
        window.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, self.dock)
        self.panel.set_cameras(list_cameras())  # a few small sysfs reads
        self.runner: LiveRunner | None = None
        self.file_camera: Path | None = None
        """The video played as the camera (asked for on the first start with that entry)."""
        self.output_folder: Path | None = None
        """Where recordings and snapshots go (default: the user's pictures folder)."""
        self.confirm_consent: Callable[[], bool] = self._ask_consent
        self.consented = False
        self.display_latencies_ms: deque[float] = deque(maxlen=5000)
        """Camera frame to painted frame, per frame painted (the benchmark reads it)."""
        self.last_end: LiveEnd | None = None
        self.last_shown: LiveFrame | None = None
        """The frame on screen."""
        self.last_recording: RecordingResult | None = None
        """The frame on screen."""
        self._starting = False
        self._closing = False
        self._latest: tuple[QImage, np.ndarray, LiveFrame] | None = None
        self._pending = False
        self._lock = threading.Lock()
        self._tasks: list[threading.Thread] = []
        self._relay = _Relay(self)
        self._status_timer = QTimer(self)
        self._status_timer.setInterval(500)
        self._connect()

    def _connect(self) -> None:
        panel, relay, session = self.panel, self._relay, self.window.session
        panel.start_requested.connect(self.start)
        panel.stop_requested.connect(self.stop)
        panel.record_toggled.connect(self._on_record_toggled)
        panel.snapshot_requested.connect(self.snapshot)
        panel.mirror_toggled.connect(lambda mirror: self._change_options(mirror=mirror))
        panel.virtual_camera_toggled.connect(self._on_virtual_toggled)
        relay.frame_ready.connect(self._show_latest)
        relay.scored.connect(self._on_scored)
        relay.stopped.connect(self._on_stopped)
        relay.done.connect(lambda callback, value: callback(value))
        relay.failed.connect(lambda callback, error: callback(error))
        session.settings_changed.connect(lambda settings: self._change_options(settings=settings))
        session.sources_changed.connect(self._on_sources_changed)
        self._status_timer.timeout.connect(self._update_status)

    @property
    def active(self) -> bool:
        return self.runner is not None

    # -- start / stop --------------------------------------------------------------------------------
    def start(self) -> None:
        """Start live with the chosen camera (after the consent confirmation)."""
        if self.runner is not None or self._starting:
            return
        sources = self.window.session.usable_sources
        if not sources:
            self.window.show_error(
                "Add a source photo first: live puts that face on the camera's.", "warning"
            )
            return
        if not self.consented:
            if not self.confirm_consent():
                return
            self.consented = True
        try:
            source = self._make_source()
        except FaceswapError as error:
            self.window.show_error(str(error))
            return
        if source is None:
            return
        components = self.window.session.components
        options = LiveOptions(self.window.session.settings, self.panel.mirror_box.isChecked())
        self._starting = True
        self.panel.status_label.setText(f"Starting {source.name}…")

        def create() -> LiveRunner:
            pipeline = live_pipeline(self.window.build_pipeline, components.engine, components.judge)
            prepared = prepare_live_source(pipeline, sources)
            runner = LiveRunner(
                source,
                pipeline,
                self.window.context.detector("mediapipe"),  # type: ignore[arg-type]
                prepared,
                options,
                on_display=self._on_frame,
                on_score=self._relay.scored.emit,
                on_stopped=self._relay.stopped.emit,
            )
            runner.start()
            return runner

        self._background(create, self._on_started, self._on_start_failed)

    def _make_source(self) -> FrameSource | None:
        camera = self.panel.camera_combo.currentData()
        size, fps = self.panel.chosen_size(), float(self.panel.fps_spin.value())
        if camera == FILE_CAMERA:
            if self.file_camera is None:
                file, _ = QFileDialog.getOpenFileName(
                    self.window,
                    "Video to play as the camera",
                    self.window.user_settings.last_folder,
                    TARGET_FILTER,
                )
                if not file:
                    return None
                self.file_camera = Path(file)
            return VideoFileSource(self.file_camera, realtime=True, loop=True, size=size)
        assert isinstance(camera, CameraChoice)
        return OpenCvCameraSource(camera.number, size, fps)

    def _on_started(self, runner: LiveRunner) -> None:
        self._starting = False
        self.runner = runner
        if self._closing:
            runner.stop()
            return
        self.window.preview.hide()
        self.view.set_image(None)
        self.view.show()
        self.panel.set_running(True)
        self._status_timer.start()
        self.window.similarity_panel.set_faces([])

    def _on_start_failed(self, error: BaseException) -> None:
        self._starting = False
        self.panel.status_label.setText("Live is off.")
        self.window.show_error(str(error) if isinstance(error, FaceswapError) else f"Live failed: {error}")

    def stop(self) -> None:
        """Stop live; a recording in progress is finalised first (on a background thread)."""
        runner = self.runner
        if runner is not None:
            self.panel.status_label.setText("Stopping…")
            self._background(runner.stop, lambda _end: None, lambda _error: None)

    def _on_stopped(self, end: LiveEnd) -> None:
        self.last_end = end
        self.runner = None
        self._status_timer.stop()
        self.view.hide()
        self.window.preview.show()
        self.panel.set_running(False)
        self.panel.status_label.setText(end.message[:1].upper() + end.message[1:] + ".")
        if end.error is not None:
            self.window.show_error(end.message)
        if end.recording is not None:
            self.last_recording = end.recording
        if end.error is None and end.recording is not None:
            self.window.show_error(f"Recording saved: {end.recording.output}", "success")

    # -- frames --------------------------------------------------------------------------------------
    def _on_frame(self, frame: LiveFrame) -> None:
        """On the runner's display thread (latest frame wins there, so the live loop never waits for
        this): the picture is scaled and converted here; at most one repaint waits on the GUI thread."""
        qimage, pixels = view_image(frame.image, self.view.fit_size)
        with self._lock:
            self._latest = (qimage, pixels, frame)
            if self._pending:
                return
            self._pending = True
        self._relay.frame_ready.emit()

    def _show_latest(self) -> None:
        with self._lock:
            latest, self._latest, self._pending = self._latest, None, False
        if latest is None or self.runner is None:
            return
        qimage, pixels, frame = latest
        self.view.set_image(qimage, pixels)
        self.last_shown = frame
        self.display_latencies_ms.append((time.perf_counter() - frame.captured_at) * 1000)

    def _on_scored(self, face: SwappedFace) -> None:
        if self.runner is not None:
            self.window.similarity_panel.set_faces([face], titles=["Live"])

    def _update_status(self) -> None:
        runner = self.runner
        if runner is None:
            return
        stats = runner.stats
        latency = recent_median(self.display_latencies_ms)
        text = f"{stats.fps:.1f} fps · {stats.dropped} dropped · latency {latency:.0f} ms"
        if runner.recording:
            text += " · ● recording"
        self.panel.status_label.setText(text)

    # -- live changes --------------------------------------------------------------------------------
    def _change_options(self, **changes: Any) -> None:
        if self.runner is not None:
            self.runner.set_options(dataclasses.replace(self.runner.options, **changes))

    def _on_sources_changed(self) -> None:
        runner = self.runner
        if runner is None:
            return
        sources = self.window.session.usable_sources
        if not sources:
            runner.set_source(None)
            return
        self._background(lambda: prepare_live_source(runner.pipeline, sources), runner.set_source, self._fail)

    def _output(self, suffix: str) -> Path:
        folder = self.output_folder or pictures_folder()
        stem = f"live-{time.strftime('%Y%m%d-%H%M%S')}"
        path, number = folder / f"{stem}{suffix}", 1
        while path.exists():  # two in one second
            number += 1
            path = folder / f"{stem}-{number}{suffix}"
        return path

    def _on_record_toggled(self, recording: bool) -> None:
        runner = self.runner
        if runner is None:
            return
        if recording:
            options = RecordingOptions(
                self._output(".mp4"),
                watermark=self.window.actions_by_name["watermark"].isChecked(),
                inputs=self.window.session.usable_sources,
            )
            done = lambda _none: self.window.show_error(f"Recording to {options.output}", "info")  # noqa: E731
            self._background(lambda: runner.start_recording(options), done, self._record_failed)
        else:
            self._background(runner.stop_recording, self._on_recording_saved, self._fail)

    def _on_recording_saved(self, result: RecordingResult | None) -> None:
        if result is not None:
            self.last_recording = result
            self.window.show_error(f"Recording saved: {result.output} ({result.frames} frames)", "success")

    def _record_failed(self, error: BaseException) -> None:
        self.panel.set_recording(False)
        self._fail(error)

    def snapshot(self) -> None:
        """Save the frame on screen as a labelled photo."""
        runner = self.runner
        frame = runner.latest if runner is not None else None
        if frame is None:
            return
        output, inputs = self._output(".png"), self.window.session.usable_sources
        saved = lambda _summary: self.window.show_error(f"Snapshot saved: {output}", "success")  # noqa: E731
        self._background(lambda: save_snapshot(frame.image, output, inputs), saved, self._fail)

    def _on_virtual_toggled(self, on: bool) -> None:
        runner = self.runner
        if runner is None or runner.format is None:
            return
        if not on:
            self._background(lambda: runner.attach_virtual_camera(None), lambda _n: None, self._fail)
            return
        fmt = runner.format

        def attach() -> None:
            runner.attach_virtual_camera(open_virtual_camera(fmt.width, fmt.height, fmt.fps))

        def failed(error: BaseException) -> None:
            self.panel.virtual_box.blockSignals(True)
            self.panel.virtual_box.setChecked(False)
            self.panel.virtual_box.blockSignals(False)
            self._fail(error)

        self._background(attach, lambda _n: None, failed)

    # -- plumbing ------------------------------------------------------------------------------------
    def _fail(self, error: BaseException) -> None:
        self.window.show_error(str(error) if isinstance(error, FaceswapError) else f"Live: {error}")

    def _background(
        self, work: Callable[[], Any], on_done: Callable[[Any], None], on_error: Callable[[Any], None]
    ) -> None:
        """Run ``work`` on a short thread; its result or error comes back on the GUI thread."""

        def run() -> None:
            try:
                value = work()
            except Exception as error:
                log.info("live task failed: %s", error)
                self._relay.failed.emit(on_error, error)
                return
            self._relay.done.emit(on_done, value)

        self._tasks = [task for task in self._tasks if task.is_alive()]
        task = threading.Thread(target=run, name="live-task", daemon=True)
        self._tasks.append(task)
        task.start()

    def _ask_consent(self) -> bool:
        return ConsentDialog(self.window).exec() == QDialog.DialogCode.Accepted

    def shutdown(self) -> None:
        """Stop live at window close (a recording is finalised) and wait for background tasks."""
        self._closing = True
        self._status_timer.stop()
        for task in self._tasks:
            task.join(timeout=30)
        if self.runner is not None:
            self.runner.stop(timeout=30)
            self.runner = None


def recent_median(latencies_ms: Iterable[float], count: int = 300) -> float:
    """The median of the last ``count`` values (0 when there are none): the status line's latency.
    (It took the median of the ``count`` largest, a high percentile once more frames were painted.)"""
    recent = sorted(list(latencies_ms)[-count:])
    return recent[len(recent) // 2] if recent else 0.0


def view_image(image: np.ndarray, fit_size: tuple[int, int]) -> tuple[QImage, np.ndarray]:
    """A BGR frame scaled to fit ``fit_size`` (aspect kept) as a ``QImage`` in the screen's own 32-bit
    format, and the array holding its pixels (the image does not own them: keep both together).

    Runs on the live thread. A 32-bit image is drawn by the GUI thread as a plain copy, where a 24-bit
    one was converted pixel by pixel at each paint (on Qt's worker threads: ~3.6 ms of CPU per 1280x720
    frame beside the live thread); the conversion here costs ~0.1 ms and writes the array the image
    wraps, so the copy the image used to take of its pixels is gone too. The colours are the same.
    """
    height, width = image.shape[:2]
    fit_width, fit_height = fit_size
    scale = min(fit_width / width, fit_height / height)
    if abs(scale - 1.0) > 0.01:
        size = (max(1, round(width * scale)), max(1, round(height * scale)))
        # Bilinear down to half size: an area resize by a fractional factor costs 6-9 ms of the live
        # thread for a 1280x720 frame (1 OpenCV thread), bilinear 0.7-1.5 ms; it aliases only below 0.5x.
        interpolation = cv2.INTER_AREA if scale < 0.5 else cv2.INTER_LINEAR
        image = cv2.resize(image, size, interpolation=interpolation)
    height, width = image.shape[:2]
    if sys.byteorder == "little":  # Format_RGB32 is 0xffRRGGBB: bytes B, G, R, 255 in memory
        pixels = cv2.cvtColor(image, cv2.COLOR_BGR2BGRA)
        return QImage(pixels.data, width, height, pixels.strides[0], QImage.Format.Format_RGB32), pixels
    pixels = np.ascontiguousarray(image)
    return QImage(pixels.data, width, height, pixels.strides[0], QImage.Format.Format_BGR888), pixels
