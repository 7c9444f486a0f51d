"""The unit of work of a batch render and what runs it in a worker (a pool process or a Ray task).

A :class:`Task` is plain data (it is pickled to a worker process or a cluster node): the item's saved
job (:class:`~.job_specs.JobSpec` JSON), and for a segment of a long video the frames it covers and the
chosen person's identity. :func:`execute_task` runs it with the one pipeline (``run_photo_swap``,
``VideoExportJob``) into a staging folder and returns a :class:`TaskOutcome`; the driver
(``app/batch_run.py``) signs and publishes the result under its final name, so a worker never writes
there and a worker that dies leaves nothing behind but a staged file.
"""

from __future__ import annotations

import dataclasses
import logging
import os
import secrets
import signal
import time
import traceback
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np

from ..core.errors import FaceswapError
from .cast import Cast, identity_hint
from .context import AppContext, create_context
from .job_specs import JobSpec
from .person_map import SegmentPeople
from .photo import PhotoSwapRequest, run_photo_swap
from .video import VideoExportJob, VideoExportRequest
from .video_session import ReferenceChoice

log = logging.getLogger(__name__)

TaskKind = Literal["photo", "video", "segment"]

FAULT_ENV = "FACESWAP_BATCH_TEST_FAULT"
"""Test-only fault hook: ``kill:<text>:<marker file>`` kills the worker (SIGKILL, as an out-of-memory
kill would) the first time it starts a task whose key contains ``<text>``; the marker file records that
it happened (``kill-always:<text>:<marker>``: every time). Honoured only while pytest runs
(``PYTEST_CURRENT_TEST`` is set), never for a user."""


@dataclass(frozen=True)
class SegmentSpec:
    """The frames of a video one segment task renders (indices into the whole video)."""

    number: int
    warm_start: int
    """First frame decoded and tracked: a few frames before :attr:`write_start` warm the tracker up."""
    write_start: int
    stop: int
    start_seconds: float
    end_seconds: float | None
    """``None``: to the end of the video."""
    reference: ReferenceChoice
    """Where the chosen person is in this segment (found by the driver with :attr:`Task.identity`)."""
    more_references: tuple[ReferenceChoice | None, ...] = ()
    """Where each further person (``--map``) is first seen in this segment (None: not in it)."""


@dataclass(frozen=True)
class Task:
    """One photo, one whole video, or one segment of a video."""

    key: str
    item: str
    """The batch item (its output name) the task belongs to."""
    kind: TaskKind
    spec: dict[str, Any]
    """The item's job in :meth:`JobSpec.to_dict` form."""
    provider: str = "auto"
    segment: SegmentSpec | None = None
    identity: tuple[float, ...] | None = None
    """The chosen person's identity embedding (video segments), the same for every segment."""
    cast: Cast | None = None
    """The whole video's cast (sightings only) when the person is a cast member, or further people are
    mapped: the trackers' hints."""
    person: int | None = None
    more_identities: tuple[tuple[float, ...] | None, ...] = ()
    """Each further person's identity embedding (video segments), the same for every segment."""
    num_cpus: float = 1.0
    num_gpus: float = 0.0

    def input_paths(self) -> list[str]:
        """Files the worker reads (a cluster node without a shared file system is sent these)."""
        paths = [*self.spec["sources"], self.spec["target"]]
        for person in self.spec.get("more_people", []):
            paths.extend(person["sources"])
        return paths


@dataclass
class TaskOutcome:
    """What a worker returns: a staged output file (or its bytes, from a cluster node) and a summary."""

    key: str
    ok: bool
    reason: str = ""
    staged: str | None = None
    data: bytes | None = None
    summary: dict[str, Any] = field(default_factory=dict)
    seconds: float = 0.0
    cpu_seconds: float = 0.0
    """CPU time of the worker process while it ran the task (every thread: ONNX Runtime, decoders)."""
    attempts: int | None = 1
    """Runs of the task: the pool counts them; on Ray, the attempt number of the run that returned (None
    where a Ray version does not tell it)."""
    worker: str = ""


_contexts: dict[str, AppContext] = {}


def worker_context(provider: str) -> AppContext:
    """One application context per worker process and provider (models load once per worker)."""
    if provider not in _contexts:
        _contexts[provider] = create_context(provider)
    return _contexts[provider]


def _maybe_fault(task: Task) -> None:
    spec = os.environ.get(FAULT_ENV, "")
    if not spec or "PYTEST_CURRENT_TEST" not in os.environ:
        return
    action, text, marker = spec.split(":", 2)
    if text not in task.key:
        return
    if action == "kill-always" or (action == "kill" and not os.path.exists(marker)):
        if marker:
            Path(marker).write_text(str(os.getpid()))
        os.kill(os.getpid(), getattr(signal, "SIGKILL", signal.SIGTERM))


def staged_name(stage_dir: Path, task: Task, extension: str) -> Path:
    """A unique file in the staging folder for the task's output."""
    return stage_dir / f"{secrets.token_hex(6)}.{task.kind}{extension}"


def execute_task(task: Task, stage_dir: str) -> TaskOutcome:
    """Render ``task`` into ``stage_dir``; an expected failure (bad file, no face...) is an outcome with
    its reason, never an exception, so one bad item does not stop a batch."""
    started, cpu_started = time.perf_counter(), time.process_time()
    worker = f"{os.uname().nodename if hasattr(os, 'uname') else ''}:{os.getpid()}"
    _maybe_fault(task)
    try:
        request = JobSpec.from_dict(task.spec).runnable_request()
        context = worker_context(task.provider)
        folder = Path(stage_dir)
        if isinstance(request, PhotoSwapRequest):
            staged, summary = _photo(context, request, staged_name(folder, task, request.output.suffix))
        else:
            staged, summary = _video(context, request, task, staged_name(folder, task, request.output.suffix))
    except FaceswapError as error:
        reason = str(error)
    except Exception as error:  # a bug or a library failure on one input must not stop the batch
        log.error("task %s failed:\n%s", task.key, traceback.format_exc())
        reason = f"internal error: {type(error).__name__}: {error}"
    else:
        return TaskOutcome(
            task.key,
            True,
            staged=str(staged),
            summary=summary,
            seconds=time.perf_counter() - started,
            cpu_seconds=time.process_time() - cpu_started,
            worker=worker,
        )
    return TaskOutcome(
        task.key,
        False,
        reason,
        seconds=time.perf_counter() - started,
        cpu_seconds=time.process_time() - cpu_started,
        worker=worker,
    )


def _photo(context: AppContext, request: PhotoSwapRequest, staged: Path) -> tuple[Path, dict[str, Any]]:
    # Labelled (XMP) here, signed by the driver: one signing identity for the whole batch.
    request = dataclasses.replace(request, output=staged, overwrite=True, content_credentials=False)
    result = run_photo_swap(context, request)
    percents = [
        face["similarity"]["percent"]
        for face in result.summary["faces"]
        if face.get("similarity") is not None
    ]
    summary = {
        "faces_swapped": result.summary["faces_swapped"],
        "identity_percent": round(sum(percents) / len(percents), 1) if percents else None,
        "watermark": request.watermark,
    }
    return staged, summary


def _video(
    context: AppContext, request: VideoExportRequest, task: Task, staged: Path
) -> tuple[Path, dict[str, Any]]:
    request = dataclasses.replace(request, output=staged, overwrite=True, content_credentials=False)
    write_from, identity, hint, more = None, None, None, None
    segment = task.segment
    if segment is not None:
        request = dataclasses.replace(
            request,
            start=segment.start_seconds,
            end=segment.end_seconds,
            reference=segment.reference,
            encode=dataclasses.replace(request.encode, audio="none"),  # muxed once, by the join
        )
        write_from = segment.write_start
        if task.identity is not None:
            identity = np.asarray(task.identity, dtype=np.float32)
        if task.cast is not None and task.person is not None:
            hint = identity_hint(task.cast, task.person)
        if request.more_people and task.cast is not None:
            more = SegmentPeople(task.cast, segment.more_references, task.more_identities)
    job = VideoExportJob(context, request, write_from=write_from, identity=identity, hint=hint, more=more)
    _drain(job.run())
    assert job.report is not None
    report = job.report.to_dict(per_frame=False)
    summary = {
        key: report[key]
        for key in (
            "frames_written", "frames_swapped", "similarity_frames_measured", "similarity_percent_mean",
            "audio", "first_frame",
        )
    }  # fmt: skip
    summary["identity_percent"] = report["similarity_percent_mean"]
    return staged, summary


def _drain(progress: Iterator[object]) -> None:
    for _ in progress:
        pass
