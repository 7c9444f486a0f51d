"""Background execution: a serial task executor, the latest-wins preview controller and the job runner.

Nothing heavy runs on the GUI thread: each executor owns a one-thread QThreadPool; results come back as
queued signals of QObjects that live on the GUI thread.
"""

from __future__ import annotations

import itertools
import logging
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QRunnable, Qt, QThreadPool, QTimer, Signal, Slot
from PySide6.QtGui import QImage

from ..app.jobs import JobQueue
from ..app.preview import LatestWins, PreviewEngine, PreviewRequest, PreviewResult
from ..core.errors import FaceswapError
from .images import bgr_to_qimage

log = logging.getLogger(__name__)

PREVIEW_THROTTLE_MS = 40
JOB_POLL_MS = 100


class _Task(QRunnable):
    def __init__(self, task_id: int, function: Callable[[], Any], finished: Any) -> None:
        super().__init__()
        self.task_id, self.function, self.finished = task_id, function, finished

    def run(self) -> None:
        try:
            outcome: tuple[int, bool, Any] = (self.task_id, True, self.function())
        except Exception as error:  # report, never kill the pool thread
            if not isinstance(error, FaceswapError):
                log.exception("background task failed")
            outcome = (self.task_id, False, error)
        self.finished.emit(outcome)


class SerialExecutor(QObject):
    """Runs callables one at a time on its own worker thread; callbacks run on the GUI thread.

    The worker emits ``_finished``, a signal of this GUI-thread object, so the slot runs queued on the
    GUI thread whatever thread emitted it.
    """

    _finished = Signal(object)

    def __init__(self, name: str, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.pool = QThreadPool(self)
        self.pool.setMaxThreadCount(1)
        self.pool.setObjectName(name)
        self._callbacks: dict[int, tuple[Callable[[Any], None], Callable[[Exception], None]]] = {}
        self._ids = itertools.count(1)
        self._finished.connect(self._on_task_finished, Qt.ConnectionType.QueuedConnection)

    def submit(
        self,
        function: Callable[[], Any],
        on_success: Callable[[Any], None],
        on_error: Callable[[Exception], None],
    ) -> None:
        """Queue ``function``; ``on_success(value)`` or ``on_error(exception)`` follows on the GUI thread."""
        task_id = next(self._ids)
        self._callbacks[task_id] = (on_success, on_error)
        self.pool.start(_Task(task_id, function, self._finished))

    @Slot(object)
    def _on_task_finished(self, outcome: tuple[int, bool, Any]) -> None:
        task_id, ok, value = outcome
        callbacks = self._callbacks.pop(task_id, None)
        if callbacks is not None:
            callbacks[0 if ok else 1](value)

    def busy(self) -> bool:
        """True while a task is queued, running, or its callback has not run yet."""
        return self.pool.activeThreadCount() > 0 or bool(self._callbacks)

    def shutdown(self, timeout_ms: int = 30_000) -> bool:
        """Drop queued tasks and wait for the running one; True when the thread is idle."""
        self.pool.clear()
        done = bool(self.pool.waitForDone(timeout_ms))
        self._callbacks.clear()
        return done


class PreviewController(QObject):
    """Latest-wins live preview: throttles requests, renders only the newest, drops stale results.

    Two phases when the engine defers the score: ``preview_ready`` fires with the swapped frame as soon
    as it is rendered (its result has ``score_pending``), then, unless a newer request is already
    waiting, the same worker measures the faces and ``scores_ready`` fires with the scored result of the
    same generation. A measurement whose request was replaced meanwhile is dropped.
    """

    preview_ready = Signal(object, QImage)  # PreviewResult, the swapped frame as a QImage
    scores_ready = Signal(object)  # PreviewResult: the shown frame's result, its faces now scored
    preview_failed = Signal(object)  # the exception
    busy_changed = Signal(bool)

    def __init__(
        self, engine: PreviewEngine, executor: SerialExecutor, parent: QObject | None = None
    ) -> None:
        super().__init__(parent)
        self.engine, self.executor = engine, executor
        self._slot: LatestWins[PreviewRequest] = LatestWins()
        self._request: PreviewRequest | None = None
        self._running = False
        self._timer = QTimer(self, singleShot=True, interval=PREVIEW_THROTTLE_MS)
        self._timer.timeout.connect(self._on_throttle_elapsed)
        self._merged_waiting = False
        """A request arrived inside the throttle window and is still to be sent."""

    def request(self, request: PreviewRequest | None) -> None:
        """Ask for a preview of ``request`` (None clears).

        Throttled on both edges: a request that arrives while nothing was asked for in the last
        ``PREVIEW_THROTTLE_MS`` goes to the worker at once (a click on the timeline or a single slider
        step pays no delay); the requests of a burst that follow within the window merge into one, sent
        when the window ends, and the window restarts while the burst lasts.
        """
        self._request = request
        if request is None:
            self._slot.invalidate()
            self._timer.stop()
            self._merged_waiting = False
            return
        if self._timer.isActive():
            self._merged_waiting = True
            return
        self._submit_current()
        self._timer.start()

    @Slot()
    def _on_throttle_elapsed(self) -> None:
        if self._merged_waiting:
            self._merged_waiting = False
            self._submit_current()
            self._timer.start()

    def _submit_current(self) -> None:
        if self._request is None:
            return
        self._slot.submit(self._request)
        if not self._running:
            self._start_next()

    def _start_next(self) -> None:
        pending = self._slot.take()
        if pending is None:
            self._running = False
            self.busy_changed.emit(False)
            return
        generation, request = pending
        self._running = True
        self.busy_changed.emit(True)
        self.executor.submit(lambda: self._render(generation, request), self._on_rendered, self._on_failed)

    def _render(self, generation: int, request: PreviewRequest) -> tuple[PreviewResult, QImage] | None:
        """Worker thread: render unless stale, and convert the frame to a QImage there too."""
        if not self._slot.is_current(generation):
            return None
        result = self.engine.render(request, generation, lambda: not self._slot.is_current(generation))
        if result is None or not self._slot.is_current(generation):
            return None
        return result, bgr_to_qimage(result.frame)

    def newer_request_waiting(self, generation: int) -> bool:
        """True when a request newer than ``generation`` is pending or still in the throttle."""
        return not self._slot.is_current(generation) or self._merged_waiting

    def _on_rendered(self, value: tuple[PreviewResult, QImage] | None) -> None:
        if value is None or not self._slot.is_current(value[0].generation):
            self._start_next()
            return
        result = value[0]
        self.preview_ready.emit(result, value[1])  # the frame is on screen before the score is measured
        if not result.score_pending or self.newer_request_waiting(result.generation):
            self._start_next()  # latest wins: the next request's frame comes before this score
            return
        self.executor.submit(lambda: self._measure(result), self._on_measured, self._on_failed)

    def _measure(self, result: PreviewResult) -> PreviewResult | None:
        """Worker thread: the second phase, the scores of the frame already shown."""
        scored = self.engine.measure(result, lambda: self.newer_request_waiting(result.generation))
        if scored is None or not self._slot.is_current(result.generation):
            return None
        return scored

    def _on_measured(self, scored: PreviewResult | None) -> None:
        if scored is not None and not self.newer_request_waiting(scored.generation):
            self.scores_ready.emit(scored)
        self._start_next()

    def _on_failed(self, error: Exception) -> None:
        self.preview_failed.emit(error)
        self._start_next()

    @property
    def running(self) -> bool:
        return self._running or self._merged_waiting


class JobRunner(QObject):
    """Runs :class:`JobQueue` jobs on one worker thread and publishes snapshots at 10 Hz."""

    jobs_changed = Signal(list)  # list[JobInfo]
    job_finished = Signal(object)  # JobInfo

    def __init__(self, queue: JobQueue, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.queue = queue
        self.executor = SerialExecutor("jobs", self)
        self._reported: dict[int, str] = {}
        self._poll = QTimer(self, interval=JOB_POLL_MS)
        self._poll.timeout.connect(self._on_poll)

    def start_pending(self) -> None:
        """Schedule one run for the newest queued job (each run takes the oldest queued job)."""
        self.executor.submit(self.queue.run_next, lambda _info: self._on_poll(), self._on_crash)
        self._poll.start()
        self._on_poll()

    def _on_crash(self, error: Exception) -> None:
        log.error("job runner failed: %s", error)
        self._on_poll()

    @Slot()
    def _on_poll(self) -> None:
        jobs = self.queue.jobs()
        self.jobs_changed.emit(jobs)
        for info in jobs:
            if info.state.is_final and self._reported.get(info.job_id) != info.state.value:
                self._reported[info.job_id] = info.state.value
                self.job_finished.emit(info)
        if self.queue.pending_count() == 0 and not self.executor.busy():
            self._poll.stop()

    def cancel(self, job_id: int) -> None:
        self.queue.cancel(job_id)
        self._on_poll()

    def shutdown(self, timeout_ms: int = 30_000) -> bool:
        """Cancel every job and wait for the worker thread."""
        self.queue.cancel_all()
        done = self.executor.shutdown(timeout_ms)
        self._poll.stop()
        self._on_poll()
        return done
