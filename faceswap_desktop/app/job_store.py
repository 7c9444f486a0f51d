"""The persistent job queue: saved atomically on every change, recovered after a crash or a kill.

The queue lives in ``queue.json`` under the user data folder (``FACESWAP_DATA_DIR`` overrides it). Every
write goes to a temporary file in that folder, is fsynced and renamed over the old one, so a kill at any
moment leaves either the previous or the new queue, never half of one. Writes run on a small writer
thread (the GUI thread never waits on the disk) and coalesce; a job turning RUNNING is the exception:
the queue waits until that is on disk, so a saved "queued" always means "never started".

On the next start, jobs saved as queued or running are *recoverable*: the GUI offers them back and
``faceswap-desktop queue run`` re-queues them. A running one restarts from scratch after its partial
output file is removed; one whose output appeared while it ran (the kill came after the rename, before
"done" was saved) is marked done instead of failing on "output exists".

A file that cannot be read is renamed aside (``queue.json.corrupt-<time>``) and reported, never
silently dropped; so is a file holding some unreadable jobs (the readable ones are kept). A lock file
keeps a second process (another GUI, a ``queue run``) from writing the same queue at the same time.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import sys
import threading
import time
import uuid
from collections.abc import Callable, Generator, Iterable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from ..core.errors import FaceswapError
from ..core.media.image_io import write_bytes_atomic
from ..inference.store import default_data_dir
from .file_lock import FileLock
from .job_specs import JobSpec, JobSpecError, default_title
from .jobs import CancelToken, JobInfo, JobProgress, JobQueue, JobState, JobWork

log = logging.getLogger(__name__)

QUEUE_FILE = "queue.json"
LOCK_FILE = "queue.lock"
QUEUE_VERSION = 1
KEEP_FINISHED = 50
"""Finished jobs kept in the file (newest first) for ``queue list``; older ones are dropped."""
PROGRESS_SAVE_INTERVAL_S = 2.0
"""Progress-only changes are saved at most this often; state changes are saved at once."""


class QueueLocked(FaceswapError):
    """Another process (a second window, a ``queue run``) holds the job queue."""

    exit_code = 5


@dataclass(frozen=True)
class JobRecord:
    """One saved job: its spec and the last state the app knew."""

    key: str
    title: str
    spec: JobSpec
    state: JobState = JobState.QUEUED
    created: float = 0.0
    """Wall-clock time (epoch seconds) it was queued."""
    updated: float = 0.0
    fraction: float = 0.0
    message: str = ""
    error: str = ""
    attempts: int = 0
    """How many times it started; a job that keeps killing the app is not retried forever."""

    @property
    def recoverable(self) -> bool:
        return not self.state.is_final

    def to_dict(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "title": self.title,
            "state": self.state.value,
            "created": self.created,
            "updated": self.updated,
            "fraction": round(self.fraction, 4),
            "message": self.message,
            "error": self.error,
            "attempts": self.attempts,
            "spec": self.spec.to_dict(),
        }

    @classmethod
    def from_dict(cls, data: Any) -> JobRecord:
        """Read one saved job; raises :class:`JobSpecError` naming what is wrong."""
        if not isinstance(data, dict):
            raise JobSpecError("a saved job is not an object")
        try:
            state = JobState(data.get("state"))
            key, title = data["key"], data["title"]
            if not isinstance(key, str) or not key or not isinstance(title, str):
                raise JobSpecError("a saved job has no key or title")
            return cls(
                key=key,
                title=title,
                spec=JobSpec.from_dict(data["spec"]),
                state=state,
                created=float(data.get("created", 0.0)),
                updated=float(data.get("updated", 0.0)),
                fraction=float(data.get("fraction", 0.0)),
                message=str(data.get("message", "")),
                error=str(data.get("error", "")),
                attempts=int(data.get("attempts", 0)),
            )
        except JobSpecError:
            raise
        except (KeyError, TypeError, ValueError) as error:
            raise JobSpecError(f"unreadable job record: {error!r}") from error


@dataclass(frozen=True)
class LoadReport:
    """What :meth:`JobStore.open` found."""

    recoverable: tuple[JobRecord, ...] = ()
    """Jobs that were queued or running when the last session ended, oldest first."""
    finished: tuple[JobRecord, ...] = ()
    set_aside: Path | None = None
    """Where an unreadable queue file (or a copy of one with unreadable jobs) was moved."""
    problems: tuple[str, ...] = ()
    """What was wrong with the file, for the user."""


@dataclass(frozen=True)
class RecoveryPlan:
    """What to do with one recoverable job (see :func:`plan_recovery`)."""

    record: JobRecord
    action: str
    """``"requeue"``, ``"done"`` (its output was published before the interruption) or ``"give_up"``."""
    removed_partials: tuple[Path, ...] = field(default=(), compare=False)


def queue_path(folder: Path | None = None) -> Path:
    """The queue file (``FACESWAP_DATA_DIR`` or the per-user data folder)."""
    return (folder if folder is not None else default_data_dir()) / QUEUE_FILE


def partial_outputs(output: Path) -> list[Path]:
    """Temporary files an interrupted writer of ``output`` may have left in its folder.

    Image writers use ``.<name>.<random>.part``, the video export ``.<stem>.<random>.partial<ext>``.
    """
    patterns = (f".{output.name}.*.part", f".{output.stem}.*.partial{output.suffix}")
    found: list[Path] = []
    with contextlib.suppress(OSError):
        for pattern in patterns:
            found.extend(path for path in output.parent.glob(pattern) if path.is_file())
    return sorted(set(found))


def plan_recovery(record: JobRecord, max_attempts: int | None = None) -> RecoveryPlan:
    """Decide how to bring back an interrupted job, removing its partial output files.

    A job interrupted while running whose output now exists, and that was not allowed to replace a file
    (so the output did not exist when it started), published it before the interruption: it is done.
    ``max_attempts`` gives up on a job that started that many times already (it may be what crashed).
    """
    removed = []
    # Only a job that was running can have left them; a queued one must not touch files that another
    # program may be writing under the same name right now.
    partials = partial_outputs(record.spec.output) if record.state is JobState.RUNNING else []
    for partial in partials:
        try:
            partial.unlink()
            removed.append(partial)
        except OSError as error:
            log.warning("could not remove a partial output: %s", error)
    published = (
        record.state is JobState.RUNNING and not record.spec.request.overwrite and record.spec.output.exists()
    )
    if published:
        return RecoveryPlan(record, "done", tuple(removed))
    if max_attempts is not None and record.attempts >= max_attempts:
        return RecoveryPlan(record, "give_up", tuple(removed))
    return RecoveryPlan(record, "requeue", tuple(removed))


class _QueueLock:
    """The queue's :class:`FileLock`; the OS drops it when the process dies (even on SIGKILL)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = FileLock(path)

    def acquire(self) -> None:
        if not self._lock.acquire():
            raise QueueLocked("the job queue is in use by another faceswap-desktop window or `queue run`")

    def release(self) -> None:
        self._lock.release()


class JobStore:
    """The saved queue: records by key, written atomically by a writer thread.

    Use :meth:`open` first (takes the lock, reads the file), then hand the store to
    ``JobQueue(recorder=store)``; :meth:`close` writes what is pending and releases the lock.
    """

    def __init__(
        self,
        path: Path | None = None,
        clock: Callable[[], float] = time.time,
        progress_interval_s: float = PROGRESS_SAVE_INTERVAL_S,
    ) -> None:
        self.path = path if path is not None else queue_path()
        self._clock = clock
        self._progress_interval = progress_interval_s
        self._lock = _QueueLock(self.path.with_name(LOCK_FILE))
        self._records: dict[str, JobRecord] = {}
        self._last_save = 0.0
        self._cond = threading.Condition()
        self._version = 0
        self._written = 0
        self._closing = False
        self._opened = False
        self._thread: threading.Thread | None = None
        self.write_error: str = ""
        """The last write failure (disk full, read-only folder...), empty when saving works."""
        self._error_listeners: list[Callable[[str], None]] = []

    # -- opening -------------------------------------------------------------------------------------
    def open(self) -> LoadReport:
        """Lock the queue and read it; an unreadable file is set aside and reported, not dropped."""
        self._lock.acquire()
        self._opened = True
        self._remove_stale_temporaries()
        records, set_aside, problems = self._read()
        with self._cond:
            self._records = {record.key: record for record in records}
        if set_aside is not None:
            self._save(durable=True)  # the readable part, under the real name again
        return LoadReport(
            recoverable=tuple(r for r in records if r.recoverable),
            finished=tuple(r for r in records if not r.recoverable),
            set_aside=set_aside,
            problems=tuple(problems),
        )

    def _read(self) -> tuple[list[JobRecord], Path | None, list[str]]:
        try:
            raw = self.path.read_bytes()
        except FileNotFoundError:
            return [], None, []
        except OSError as error:
            # Unreadable but present: leave it where it is and run without the saved jobs.
            raise FaceswapError(f"cannot read the job queue {self.path}: {error}") from error
        try:
            data = json.loads(raw.decode("utf-8"))
            if not isinstance(data, dict) or not isinstance(data.get("jobs"), list):
                raise ValueError("not a job queue file")
            version = data.get("version")
            if not isinstance(version, int) or version > QUEUE_VERSION:
                raise ValueError(f"queue file version {version!r} is newer than this app ({QUEUE_VERSION})")
        except ValueError as error:  # also UnicodeDecodeError and json.JSONDecodeError
            aside = self._set_aside(rename=True)
            return [], aside, [f"the saved job queue could not be read ({error}); it was kept as {aside}"]
        records, bad = [], []
        for index, item in enumerate(data["jobs"]):
            try:
                records.append(JobRecord.from_dict(item))
            except JobSpecError as error:
                bad.append(f"job {index + 1}: {error}")
        if not bad:
            return records, None, []
        aside = self._set_aside(rename=False)
        problem = (
            f"{len(bad)} saved job(s) could not be read and were left out; "
            f"the whole file was kept as {aside} ({'; '.join(bad[:3])})"
        )
        return records, aside, [problem]

    def _set_aside(self, rename: bool) -> Path:
        stamp = time.strftime("%Y%m%d-%H%M%S", time.localtime(self._clock()))
        aside = self.path.with_name(f"{self.path.name}.corrupt-{stamp}")
        number = 2
        while aside.exists():
            aside = self.path.with_name(f"{self.path.name}.corrupt-{stamp}-{number}")
            number += 1
        if rename:
            os.replace(self.path, aside)
        else:
            write_bytes_atomic(aside, self.path.read_bytes())
        log.warning("job queue file set aside as %s", aside.name)
        return aside

    def _remove_stale_temporaries(self) -> None:
        """Temporary files of a queue write that a kill interrupted (we hold the lock: they are dead)."""
        for stale in self.path.parent.glob(f".{self.path.name}.*.part"):
            with contextlib.suppress(OSError):
                stale.unlink()

    # -- reading -------------------------------------------------------------------------------------
    def records(self) -> list[JobRecord]:
        """Every saved job, oldest first."""
        with self._cond:
            return sorted(self._records.values(), key=lambda record: record.created)

    def get(self, key: str) -> JobRecord | None:
        with self._cond:
            return self._records.get(key)

    # -- changing ------------------------------------------------------------------------------------
    def add(self, spec: JobSpec, title: str | None = None) -> JobRecord:
        """Save a new queued job now (durably) without running it (``queue add``)."""
        now = self._clock()
        record = JobRecord(uuid.uuid4().hex, title or default_title(spec), spec, created=now, updated=now)
        with self._cond:
            self._records[record.key] = record
        self._save(durable=True)
        return record

    def update(self, info: JobInfo) -> None:
        """Record a queue change (the :class:`~faceswap_desktop.app.jobs.JobRecorder` interface)."""
        if info.spec is None or not info.key:
            return
        now = self._clock()
        with self._cond:
            old = self._records.get(info.key)
            if old is not None and old.state.is_final and not info.state.is_final:
                return  # a late, out-of-order snapshot of a job that already ended
            started = info.state is JobState.RUNNING and (old is None or old.state is not JobState.RUNNING)
            record = JobRecord(
                key=info.key,
                title=info.title,
                spec=info.spec,
                state=info.state,
                created=old.created if old is not None else now,
                updated=now,
                fraction=info.fraction,
                message=info.message,
                error=info.error,
                attempts=(old.attempts if old is not None else 0) + (1 if started else 0),
            )
            self._records[info.key] = record
            state_changed = old is None or old.state is not info.state
            if not state_changed and now - self._last_save < self._progress_interval:
                return  # progress only: saved with the next write
        # RUNNING waits for the disk: a job must not write its output while the file still says queued.
        self._save(durable=started)

    def mark(self, key: str, state: JobState, message: str = "", error: str = "") -> None:
        """Set a saved job's state directly (recovery's verdicts); saved by the writer thread.

        Not waited for: if it is lost in a crash, the next recovery reaches the same verdict again.
        """
        with self._cond:
            old = self._records.get(key)
            if old is None:
                return
            self._records[key] = replace(
                old, state=state, message=message, error=error, updated=self._clock()
            )
        self._save(durable=False)

    def forget(self, keys: Iterable[str]) -> None:
        """Remove jobs (cleared from the list, or discarded instead of recovered).

        Not waited for (the GUI thread calls this): lost in a crash, they are only offered again.
        """
        with self._cond:
            removed = [self._records.pop(key, None) for key in list(keys)]
        if any(record is not None for record in removed):
            self._save(durable=False)

    def forget_finished(self) -> int:
        """Remove every finished job; returns how many."""
        keys = [record.key for record in self.records() if not record.recoverable]
        self.forget(keys)
        return len(keys)

    # -- writing -------------------------------------------------------------------------------------
    def _snapshot(self) -> bytes:
        records = sorted(self._records.values(), key=lambda record: record.created)
        live = [record for record in records if record.recoverable]
        finished = [record for record in records if not record.recoverable][-KEEP_FINISHED:]
        keep = {record.key for record in live + finished}
        for key in [key for key in self._records if key not in keep]:
            del self._records[key]
        jobs = [record.to_dict() for record in records if record.key in keep]
        return json.dumps({"version": QUEUE_VERSION, "jobs": jobs}, indent=1).encode("utf-8")

    def _save(self, durable: bool) -> None:
        """Ask the writer for a write; with ``durable`` wait until this change is on disk."""
        with self._cond:
            if not self._opened:
                log.warning("job store is closed; a change was not saved")
                return
            self._version += 1
            wanted = self._version
            self._last_save = self._clock()
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._write_loop, name="job-store", daemon=True)
                self._thread.start()
            self._cond.notify_all()
            if durable:
                while self._written < wanted and self._thread.is_alive():
                    self._cond.wait(0.5)

    def _write_loop(self) -> None:
        while True:
            with self._cond:
                while self._written >= self._version and not self._closing:
                    self._cond.wait()
                if self._written >= self._version:
                    return
                version = self._version
                try:
                    data: bytes | None = self._snapshot()
                except Exception:  # a bug here must not leave durable waiters hanging
                    log.exception("could not serialise the job queue")
                    data = None
            error = self._write(data) if data is not None else "the job queue could not be saved"
            with self._cond:
                self._written = version
                changed = error != self.write_error
                self.write_error = error
                listeners = list(self._error_listeners)
                self._cond.notify_all()
            if changed:  # outside the lock: a listener may read the store
                for listener in listeners:
                    listener(error)

    def add_write_error_listener(self, listener: Callable[[str], None]) -> None:
        """Call ``listener(write_error)`` (on the writer thread) whenever saving starts or stops failing.

        Without it a reader only sees the error when something else makes it look, and the last write
        of a queue (a job turning DONE) can fail or recover after every job has stopped changing.
        """
        with self._cond:
            self._error_listeners.append(listener)

    def remove_write_error_listener(self, listener: Callable[[str], None]) -> None:
        """Stop calling ``listener`` (no-op when it was not added)."""
        with self._cond:
            if listener in self._error_listeners:
                self._error_listeners.remove(listener)

    def _write(self, data: bytes) -> str:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            write_bytes_atomic(self.path, data)
            _fsync_folder(self.path.parent)
        except OSError as error:  # keep running; the user is told through write_error
            log.error("could not save the job queue: %s", error)
            return f"the job queue could not be saved: {error.strerror or error}"
        return ""

    def flush(self) -> None:
        """Wait until every change so far is on disk."""
        with self._cond:
            if self._written < self._version:
                wanted = self._version
                while self._written < wanted and self._thread is not None and self._thread.is_alive():
                    self._cond.wait(0.5)

    def close(self) -> None:
        """Write what is pending, stop the writer and release the lock (idempotent)."""
        if not self._opened:
            return
        self.flush()
        with self._cond:
            self._closing = True
            self._cond.notify_all()
        if self._thread is not None:
            self._thread.join(timeout=10)
        self._lock.release()
        self._opened = False
        self._closing = False


def _fsync_folder(folder: Path) -> None:
    """Make the rename itself durable (POSIX); Windows has no directory handles to sync."""
    if sys.platform == "win32":
        return
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def read_queue(path: Path | None = None) -> Iterator[JobRecord]:
    """The saved jobs without locking or changing anything (``queue list`` beside a running app)."""
    target = path if path is not None else queue_path()
    try:
        data = json.loads(target.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return
    except (OSError, ValueError) as error:
        raise FaceswapError(f"the job queue file cannot be read: {error}") from error
    if not isinstance(data, dict) or not isinstance(data.get("jobs"), list):
        raise FaceswapError("the job queue file is not a job queue")
    for item in data["jobs"]:
        try:
            yield JobRecord.from_dict(item)
        except JobSpecError as error:
            log.warning("unreadable saved job: %s", error)


@dataclass(frozen=True)
class RecoveryOutcome:
    """What :func:`recover_jobs` did with each recoverable job."""

    requeued: tuple[JobInfo, ...] = ()
    done: tuple[JobRecord, ...] = ()
    """Published their output before the interruption; marked done."""
    given_up: tuple[JobRecord, ...] = ()
    """Started ``max_attempts`` times already; marked failed, not run again."""


def recover_jobs(
    queue: JobQueue,
    store: JobStore,
    records: Iterable[JobRecord],
    make_work: Callable[[JobSpec], JobWork],
    max_attempts: int | None = None,
) -> RecoveryOutcome:
    """Put recoverable jobs back on ``queue`` (same keys, from scratch), oldest first.

    ``make_work`` rebuilds a job body from its spec (see :func:`~faceswap_desktop.app.job_specs.build_work`).
    A spec that no longer validates (say its output appeared meanwhile) is still queued, as a job that
    fails at once with that message: it stays visible instead of vanishing.
    """
    requeued: list[JobInfo] = []
    done: list[JobRecord] = []
    given_up: list[JobRecord] = []
    for record in sorted(records, key=lambda item: item.created):
        plan = plan_recovery(record, max_attempts)
        if plan.action == "done":
            store.mark(record.key, JobState.DONE, "finished before the interruption")
            done.append(record)
            continue
        if plan.action == "give_up":
            store.mark(
                record.key,
                JobState.FAILED,
                "failed",
                f"interrupted {record.attempts} times while running; not started again",
            )
            given_up.append(record)
            continue
        try:
            work = make_work(record.spec)
        except FaceswapError as error:
            work = _failing_work(error)
        requeued.append(
            queue.submit(
                record.title, work, record.spec.settings, record.spec.output, spec=record.spec, key=record.key
            )
        )
    return RecoveryOutcome(tuple(requeued), tuple(done), tuple(given_up))


def _failing_work(error: FaceswapError) -> JobWork:
    """A job body that fails with ``error`` when it runs (the queue records it as failed)."""

    def work(_token: CancelToken) -> Generator[JobProgress, None, None]:
        raise error
        yield JobProgress(0.0)  # unreachable; makes this function a generator

    return work
