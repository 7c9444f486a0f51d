"""The job queue service: long work as generators that yield progress and stop when cancelled. No Qt.

A job is a function ``work(token) -> Generator[JobProgress, None, outcome]`` built by the submitter with
everything it needs already bound (inputs and a frozen settings snapshot taken at queue time), so the
job never reads live UI state. Any thread may call :meth:`JobQueue.run_next`; the Qt layer runs it on a
worker pool and polls :meth:`JobQueue.jobs` at a bounded rate. The cancel token is checked between
steps, so a cancel takes effect within one step.

A job submitted with a :class:`~faceswap_desktop.app.job_specs.JobSpec` is also recorded by the
queue's :class:`JobRecorder` (the persistent :class:`~faceswap_desktop.app.job_store.JobStore`): every
state change is handed to it before the job proceeds, so the saved queue never says "queued" about a
job that may already have written its output.
"""

from __future__ import annotations

import enum
import itertools
import logging
import threading
import time
import uuid
from collections.abc import Callable, Generator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from ..core.cancel import CancelToken as CancelToken  # re-exported: jobs take it
from ..core.errors import Cancelled, FaceswapError
from ..core.settings import SwapSettings

if TYPE_CHECKING:
    from .job_specs import JobSpec

log = logging.getLogger(__name__)


class JobState(str, enum.Enum):
    """Where a job is in its life; the last three are final."""

    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"
    CANCELLED = "cancelled"

    @property
    def is_final(self) -> bool:
        return self in (JobState.DONE, JobState.FAILED, JobState.CANCELLED)


@dataclass(frozen=True)
class JobProgress:
    """One step of a job: the fraction done in [0, 1] and what it is doing now."""

    fraction: float
    message: str = ""
    warning: str = ""
    """Something the finished result should say it is not (a video whose faces are not all clean)."""


JobWork = Callable[[CancelToken], Generator[JobProgress, None, Any]]
"""A job body: a generator function of its cancel token, returning its outcome (e.g. the output path)."""


@dataclass(frozen=True)
class JobInfo:
    """An immutable snapshot of one job, safe to hand to any thread."""

    job_id: int
    title: str
    settings: SwapSettings
    state: JobState = JobState.QUEUED
    fraction: float = 0.0
    message: str = "waiting"
    output: Path | None = None
    error: str = ""
    outcome: Any = None
    queued_at: float = 0.0
    started_at: float | None = None
    finished_at: float | None = None
    eta_s: float | None = None
    key: str = ""
    """Stable identity across restarts (the persisted record's key); empty for an unsaved job."""
    spec: JobSpec | None = None
    """What the job does, when it can be saved and rebuilt; ``None`` for an in-memory-only job."""
    warning: str = ""
    """The job's last :attr:`JobProgress.warning`: shown with its result when it is done."""


def estimate_eta(elapsed_s: float, fraction: float) -> float | None:
    """Seconds left by linear extrapolation; ``None`` until there is enough progress to judge."""
    if fraction <= 0.02 or fraction >= 1.0:
        return None if fraction < 1.0 else 0.0
    return elapsed_s * (1.0 - fraction) / fraction


JobListener = Callable[[JobInfo], None]


class JobRecorder(Protocol):
    """Where the queue reports its saveable jobs (implemented by the persistent job store)."""

    def update(self, info: JobInfo) -> None:
        """Record ``info``; when it just turned RUNNING, return only once that is saved."""

    def forget(self, keys: list[str]) -> None:
        """Drop the records of jobs the user cleared from the list."""


class JobQueue:
    """First-in first-out jobs with states, progress, ETA and cancellation."""

    def __init__(
        self, clock: Callable[[], float] = time.monotonic, recorder: JobRecorder | None = None
    ) -> None:
        """``recorder`` (the job store) gets every change of a job submitted with a spec."""
        self._clock = clock
        self.recorder = recorder
        self._lock = threading.Lock()
        self._record_lock = threading.Lock()
        self._ids = itertools.count(1)
        self._jobs: dict[int, JobInfo] = {}
        self._work: dict[int, JobWork] = {}
        self._tokens: dict[int, CancelToken] = {}
        self._listeners: list[JobListener] = []

    def subscribe(self, listener: JobListener) -> Callable[[], None]:
        """Call ``listener`` (from the thread that made the change) on every job change."""
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener)

    def submit(
        self,
        title: str,
        work: JobWork,
        settings: SwapSettings,
        output: Path | None = None,
        spec: JobSpec | None = None,
        key: str | None = None,
    ) -> JobInfo:
        """Queue a job; ``settings`` is the snapshot the job was built with, kept for display.

        With a ``spec`` the job is saved (under ``key``, a new one when not given) and survives a crash.
        """
        with self._lock:
            job_id = next(self._ids)
            if spec is not None and not key:
                key = uuid.uuid4().hex
            info = JobInfo(
                job_id, title, settings, output=output, queued_at=self._clock(), key=key or "", spec=spec
            )
            self._jobs[job_id], self._work[job_id] = info, work
            self._tokens[job_id] = CancelToken()
        self._notify(info)
        return info

    def jobs(self) -> list[JobInfo]:
        """Snapshots of every job, oldest first."""
        with self._lock:
            return list(self._jobs.values())

    def get(self, job_id: int) -> JobInfo:
        with self._lock:
            return self._jobs[job_id]

    def pending_count(self) -> int:
        """Jobs queued or running."""
        with self._lock:
            return sum(1 for job in self._jobs.values() if not job.state.is_final)

    def cancel(self, job_id: int) -> bool:
        """Cancel a queued job at once, or ask a running one to stop; False if it already finished."""
        with self._lock:
            info = self._jobs[job_id]
            if info.state.is_final:
                return False
            if self._tokens[job_id].cancelled:
                return True  # already asked; do not notify again
            self._tokens[job_id].cancel()
            if info.state is JobState.QUEUED:
                info = self._set(
                    job_id, state=JobState.CANCELLED, message="cancelled", finished_at=self._clock()
                )
                self._work.pop(job_id, None)
            else:
                info = self._set(job_id, message="cancelling…")
        self._notify(info)
        return True

    def cancel_all(self) -> None:
        for info in self.jobs():
            self.cancel(info.job_id)

    def clear_finished(self) -> None:
        """Forget every job in a final state."""
        with self._lock:
            keys = []
            for job_id in [i for i, job in self._jobs.items() if job.state.is_final]:
                if self._jobs[job_id].spec is not None:
                    keys.append(self._jobs[job_id].key)
                del self._jobs[job_id]
                self._tokens.pop(job_id, None)
        if keys and self.recorder is not None:
            self.recorder.forget(keys)

    def run_next(self) -> JobInfo | None:
        """Run the oldest queued job to its end on the calling thread; None when nothing is queued."""
        with self._lock:
            job_id = next((i for i, job in self._jobs.items() if job.state is JobState.QUEUED), None)
            if job_id is None:
                return None
            work, token = self._work.pop(job_id), self._tokens[job_id]
            info = self._set(job_id, state=JobState.RUNNING, message="starting", started_at=self._clock())
        self._notify(info)
        return self._drive(job_id, work, token)

    def _drive(self, job_id: int, work: JobWork, token: CancelToken) -> JobInfo:
        generator = work(token)
        try:
            while True:
                token.raise_if_cancelled()
                try:
                    progress = next(generator)
                except StopIteration as stop:
                    return self._finish(job_id, JobState.DONE, "done", outcome=stop.value, fraction=1.0)
                self._progress(job_id, progress)
        except Cancelled:
            generator.close()
            return self._finish(job_id, JobState.CANCELLED, "cancelled")
        except FaceswapError as error:
            return self._finish(job_id, JobState.FAILED, "failed", error=str(error))
        except Exception as error:  # a job bug must not kill the worker thread; keep the traceback in logs
            log.exception("job %s crashed", job_id)
            return self._finish(job_id, JobState.FAILED, "failed", error=f"unexpected error: {error}")
        except BaseException:
            # Ctrl-C / SIGTERM: stop the job's own work now (threads, temporary file) and let the caller
            # stop; the job stays "running", so a saved queue restarts it next time.
            generator.close()
            raise

    def _progress(self, job_id: int, progress: JobProgress) -> None:
        with self._lock:
            started = self._jobs[job_id].started_at or self._clock()
            fraction = min(max(progress.fraction, 0.0), 1.0)
            info = self._set(
                job_id,
                fraction=fraction,
                message=progress.message or self._jobs[job_id].message,
                warning=progress.warning or self._jobs[job_id].warning,
                eta_s=estimate_eta(self._clock() - started, fraction),
            )
        self._notify(info)

    def _finish(self, job_id: int, state: JobState, message: str, **changes: Any) -> JobInfo:
        with self._lock:
            info = self._set(
                job_id, state=state, message=message, finished_at=self._clock(), eta_s=None, **changes
            )
        if state is JobState.FAILED:
            log.warning("job %s failed: %s", job_id, info.error)
        self._notify(info)
        return info

    def _set(self, job_id: int, **changes: Any) -> JobInfo:
        """Replace a job's snapshot; the caller holds the lock."""
        info = replace(self._jobs[job_id], **changes)
        self._jobs[job_id] = info
        return info

    def _notify(self, info: JobInfo) -> None:
        if self.recorder is not None and info.spec is not None:
            # Notifications run outside the queue lock, so two threads' can arrive out of order (a
            # submit's "queued" after the worker's "running"). Recording the latest snapshot, one
            # notification at a time, means the last one recorded is always the newest state.
            with self._record_lock:
                with self._lock:
                    latest = self._jobs.get(info.job_id)
                try:
                    if latest is not None:
                        self.recorder.update(latest)
                except Exception:  # saving is best effort; the job itself must go on
                    log.exception("could not record job %s", info.job_id)
        for listener in list(self._listeners):
            listener(info)
