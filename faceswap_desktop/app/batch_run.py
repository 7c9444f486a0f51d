"""Running a planned batch: tasks to an executor, outputs published, a state file for re-runs.

The driver (this module, in the process the user started) turns items into tasks (a photo, a whole
video, or the segments of a long one), hands them to an executor (:mod:`.batch_pool` on this machine,
:mod:`.batch_ray` on a cluster), and publishes each finished output under its final name: photos signed
with the user's C2PA identity, videos joined from their segments with the audio muxed once and signed.
Workers render into a staging folder; nothing appears under a final name until it is complete.

Policy for outputs that exist: skipped unless ``overwrite``. A re-run therefore renders only what is
missing, which includes what failed (a failed item leaves no output). ``.faceswap-batch/state.json`` in
the output folder keeps each item's last status, reason and identity score, so a re-run can report the
score of what it skipped.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import secrets
import shutil
from collections.abc import Callable, Generator, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from ..core.errors import FaceswapError
from ..core.media.safe_files import write_bytes_atomic
from .batch import BatchItem
from .batch_segments import (
    DEFAULT_OVERLAP_FRAMES,
    DEFAULT_SEGMENT_SECONDS,
    SegmentPlan,
    join_and_publish,
    plan_segments,
)
from .batch_tasks import Task, TaskOutcome
from .content_credentials import finish_video, publish_labelled_image
from .context import AppContext
from .job_specs import JobSpec
from .photo import PhotoSwapRequest
from .video import VideoExportRequest

log = logging.getLogger(__name__)

STATE_FOLDER = ".faceswap-batch"
STATE_FILE = "state.json"
LEARNED_ENGINES = ("inswapper", "simswap")


class Executor(Protocol):
    """Runs tasks and yields their outcomes as they finish (:class:`~.batch_pool.PoolExecutor`,
    :class:`~.batch_ray.RayExecutor`)."""

    name: str

    def run(
        self,
        tasks: Sequence[Task],
        stage_dir: str,
        on_state: Callable[[Task, str], None] | None = None,
        stop: Callable[[], bool] | None = None,
    ) -> Iterator[TaskOutcome]:
        """``stop()`` true: stop the workers and end the run, without waiting for the tasks running."""
        ...


@dataclass
class ItemResult:
    """The outcome of one batch item, as the summary table and ``--json`` show it."""

    name: str
    kind: str
    target: str
    output: str
    status: str = "pending"
    """done, skipped (the output exists), or failed."""
    reason: str = ""
    identity_percent: float | None = None
    seconds: float = 0.0
    """Worker time of the item's tasks (a video's segments added up), not counting the wait for a worker."""
    cpu_seconds: float = 0.0
    """CPU time the workers spent on the item's tasks (all their threads)."""
    attempts: int | None = 0
    """Worker runs of the item's tasks (the most of any); None when Ray does not tell (see
    ``TaskOutcome.attempts``)."""
    tasks: int = 0
    details: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "kind": self.kind,
            "target": self.target,
            "output": self.output,
            "status": self.status,
            "reason": self.reason,
            "identity_percent": self.identity_percent,
            "seconds": round(self.seconds, 2),
            "cpu_seconds": round(self.cpu_seconds, 2),
            "attempts": self.attempts,
            "tasks": self.tasks,
            **self.details,
        }


@dataclass(frozen=True)
class BatchOptions:
    """How a batch runs (the items carry what each renders)."""

    overwrite: bool = False
    segment_seconds: float | None = DEFAULT_SEGMENT_SECONDS
    """Videos longer than this are rendered as segments (None: every video whole)."""
    overlap_frames: int = DEFAULT_OVERLAP_FRAMES
    provider: str = "auto"
    gpus_per_task: float = 0.0
    """GPUs a task of a learned swapper asks the cluster for (0: CPU only)."""
    overwrite_hint: str = "pass --overwrite to render it again"
    """How the user renders a skipped item again (the CLI's option, the window's choice)."""


class BatchState:
    """``.faceswap-batch/state.json``: the last result of every item rendered into this folder."""

    def __init__(self, output_dir: Path) -> None:
        self.path = output_dir / STATE_FOLDER / STATE_FILE
        self.items: dict[str, dict[str, Any]] = {}
        with contextlib.suppress(OSError, ValueError):
            loaded = json.loads(self.path.read_text())
            if isinstance(loaded, dict) and isinstance(loaded.get("items"), dict):
                self.items = loaded["items"]

    def record(self, result: ItemResult) -> None:
        self.items[result.name] = result.to_dict()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        write_bytes_atomic(self.path, json.dumps({"items": self.items}, indent=1).encode())


@dataclass
class _Pending:
    item: BatchItem
    request: PhotoSwapRequest | VideoExportRequest
    result: ItemResult
    plan: SegmentPlan | None = None
    parts: dict[int, Path] = field(default_factory=dict)
    remaining: int = 1


ItemCallback = Callable[[ItemResult], None]


def run_batch(
    context: AppContext,
    items: Sequence[BatchItem],
    executor: Executor,
    output_dir: Path,
    options: BatchOptions | None = None,
    on_item: ItemCallback | None = None,
    on_task: Callable[[Task, str], None] | None = None,
) -> list[ItemResult]:
    """Render ``items`` into ``output_dir`` with ``executor``; one failed item never stops the others.
    Returns one result per item, in the items' order."""
    results = {item.name: item for item in items}
    finished: dict[str, ItemResult] = {}
    for result in iter_batch(context, items, executor, output_dir, options, on_task):
        finished[result.name] = result
        if on_item is not None:
            on_item(result)
    return [finished[name] for name in results]


def iter_batch(
    context: AppContext,
    items: Sequence[BatchItem],
    executor: Executor,
    output_dir: Path,
    options: BatchOptions | None = None,
    on_task: Callable[[Task, str], None] | None = None,
    stop: Callable[[], bool] | None = None,
) -> Generator[ItemResult, None, None]:
    """Render ``items``, yielding each item's result as it is final (skipped and unplannable items
    first). Closing the iterator early (a cancelled job), or ``stop()`` turning true while tasks run,
    stops the executor and removes the staging folder; what was published stays, and a re-run renders
    the rest."""
    options = options or BatchOptions()
    output_dir.mkdir(parents=True, exist_ok=True)
    state = BatchState(output_dir)
    pending: dict[str, _Pending] = {}
    tasks: list[Task] = []
    for item in items:
        result = ItemResult(item.name, item.kind, str(item.target), str(item.output))
        if item.error or item.spec is None:
            result.status, result.reason = "failed", item.error or "not described"
        elif item.output.exists() and not options.overwrite:
            earlier = state.items.get(item.name, {})
            result.status, result.reason = (
                "skipped",
                f"the output exists ({options.overwrite_hint})",
            )
            result.identity_percent = earlier.get("identity_percent")
        else:
            try:
                entry = _prepare(context, item, result, options)
            except FaceswapError as error:
                result.status, result.reason = "failed", str(error)
            else:
                pending[item.name] = entry
                tasks.extend(_tasks(item, entry, options))
                continue
        state.record(result)
        yield result
    stage = output_dir / STATE_FOLDER / f"run-{os.getpid()}-{secrets.token_hex(3)}"
    stage.mkdir(parents=True, exist_ok=True)
    owner = {task.key: task for task in tasks}
    outcomes = executor.run(tasks, str(stage), on_task, stop)
    try:
        for outcome in outcomes:
            task = owner[outcome.key]
            entry = pending[task.item]
            if entry.result.status == "failed":  # an earlier segment failed the item
                _discard(outcome)
                continue
            _absorb(entry, task, outcome, stage)
            if entry.result.status in ("done", "failed"):
                state.record(entry.result)
                yield entry.result
    finally:
        close = getattr(outcomes, "close", None)
        if close is not None:
            close()  # the executor's own clean-up: pool shut down, Ray tasks cancelled
        shutil.rmtree(stage, ignore_errors=True)


def _prepare(context: AppContext, item: BatchItem, result: ItemResult, options: BatchOptions) -> _Pending:
    assert item.spec is not None
    request = JobSpec.from_dict(item.spec).runnable_request()
    entry = _Pending(item, request, result)
    if isinstance(request, VideoExportRequest) and options.segment_seconds is not None:
        entry.plan = plan_segments(context, request, options.segment_seconds, options.overlap_frames)
        if entry.plan is not None:
            entry.remaining = len(entry.plan.segments)
    return entry


def _tasks(item: BatchItem, entry: _Pending, options: BatchOptions) -> list[Task]:
    assert item.spec is not None
    learned = entry.request.engine in LEARNED_ENGINES
    common: dict[str, Any] = {
        "item": item.name,
        "spec": item.spec,
        "provider": options.provider,
        "num_gpus": options.gpus_per_task if learned else 0.0,
    }
    plan = entry.plan
    if plan is None:
        entry.result.tasks = 1
        return [Task(key=item.name, kind=item.kind, **common)]
    entry.result.tasks = len(plan.segments)
    return [
        Task(
            key=f"{item.name}#segment{segment.number + 1}",
            kind="segment",
            segment=segment,
            identity=plan.identity,
            cast=plan.cast,
            person=plan.person,
            more_identities=plan.more_identities,
            **common,
        )
        for segment in plan.segments
    ]


def _absorb(entry: _Pending, task: Task, outcome: TaskOutcome, stage: Path) -> None:
    """Take one finished task into its item: publish a photo or whole video, collect a segment and
    join the video when its last segment is in."""
    result, request = entry.result, entry.request
    if result.attempts is not None:
        result.attempts = None if outcome.attempts is None else max(result.attempts, outcome.attempts)
    result.seconds += outcome.seconds
    result.cpu_seconds += outcome.cpu_seconds
    if not outcome.ok or outcome.staged is None:
        result.status, result.reason = "failed", outcome.reason or "no output"
        return
    staged = Path(outcome.staged)
    try:
        if task.kind == "photo":
            provenance = publish_labelled_image(
                request.output, staged.read_bytes(), request.content_credentials, request.overwrite
            )
            staged.unlink()
            _done(result, outcome.summary, provenance["content_credentials"])
        elif task.kind == "video":
            status = finish_video(staged, request.output, request.content_credentials, request.overwrite)
            _done(result, outcome.summary, status)
        else:
            assert task.segment is not None and entry.plan is not None
            entry.parts[task.segment.number] = staged
            entry.remaining -= 1
            result.details.setdefault("segments", []).append(outcome.summary)
            if entry.remaining == 0:
                _join(entry, stage)
    except (FaceswapError, OSError) as error:
        result.status, result.reason = "failed", str(error)
        with contextlib.suppress(OSError):
            staged.unlink()


def _join(entry: _Pending, stage: Path) -> None:
    assert entry.plan is not None and isinstance(entry.request, VideoExportRequest)
    parts = [entry.parts[number] for number in range(len(entry.plan.segments))]
    joined = stage / f"joined-{secrets.token_hex(4)}{entry.request.output.suffix}"
    try:
        status = join_and_publish(entry.plan, entry.request, parts, joined)
    finally:
        for part in parts:
            with contextlib.suppress(OSError):
                part.unlink()
        with contextlib.suppress(OSError):
            joined.unlink()
    segments = entry.result.details.pop("segments")
    measured = sum(s["similarity_frames_measured"] for s in segments)
    mean = (
        sum(
            s["similarity_percent_mean"] * s["similarity_frames_measured"]
            for s in segments
            if s["similarity_frames_measured"]
        )
        / measured
        if measured
        else None
    )
    summary = {
        "frames_written": sum(s["frames_written"] for s in segments),
        "frames_swapped": sum(s["frames_swapped"] for s in segments),
        "identity_percent": None if mean is None else round(mean, 1),
    }
    _done(entry.result, summary, status)


def _done(result: ItemResult, summary: dict[str, Any], credentials: str) -> None:
    result.status = "done"
    result.identity_percent = summary.get("identity_percent")
    result.details.update({k: v for k, v in summary.items() if k != "identity_percent"})
    result.details["content_credentials"] = credentials


def _discard(outcome: TaskOutcome) -> None:
    if outcome.staged is not None:
        with contextlib.suppress(OSError):
            Path(outcome.staged).unlink()
