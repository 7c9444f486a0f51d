"""A batch as one job of the job queue (:mod:`.jobs`): aggregated progress, per-item state, cancel.

The job's progress is the fraction of items that are final, its message says how many are done,
skipped and failed and what finished last; its outcome is every item's result (what ``--json`` prints),
so a view can list each item's state. Cancelling stops the executor within a quarter of a second (the
pool's workers are terminated, Ray's pending tasks cancelled; what they were rendering is thrown away),
what was published stays, and a later run of the same batch renders only the rest.

A :class:`BatchBoard` is the live per-item view a window shows while the job runs: every item's state
(pending, running, done, skipped, failed), reason and identity score, written by the job's thread and
read, as snapshots, by the GUI thread. :func:`setup_work` is the window's batch: it plans the items and
connects the executor on the job's thread too, so nothing of that waits on the GUI thread.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Generator, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from .batch import BatchItem
from .batch_run import BatchOptions, Executor, ItemResult, iter_batch
from .batch_setup import BatchSetup, make_executor, plan_setup, ray_executor
from .batch_tasks import Task
from .context import AppContext
from .jobs import CancelToken, JobProgress, JobWork

ITEM_STATES = ("pending", "running", "done", "skipped", "failed")
"""An item's states, in the order a view counts them."""


@dataclass(frozen=True)
class ItemView:
    """One item as the jobs panel lists it."""

    name: str
    kind: str
    target: str
    state: str = "pending"
    """pending, running, done, skipped or failed."""
    reason: str = ""
    """Why it failed or was skipped; while running, where ("on the cluster", "again: a worker died")."""
    identity_percent: float | None = None
    output: str = ""


class BatchBoard:
    """Thread-safe per-item states of one batch; ``version`` grows with every change."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._items: dict[str, ItemView] = {}
        self.executor = ""
        """What renders the batch ("2 local worker process(es)", "Ray: 3 node(s), 24 CPU(s)")."""
        self.version = 0

    def set_items(self, items: Sequence[BatchItem]) -> None:
        with self._lock:
            self._items = {
                item.name: ItemView(item.name, item.kind, str(item.target), output=str(item.output))
                for item in items
            }
            self.version += 1

    def set_executor(self, description: str) -> None:
        with self._lock:
            self.executor = description
            self.version += 1

    def task_state(self, task: Task, state: str) -> None:
        """An executor's news about one task ("running", "retrying", "submitted" to Ray)."""
        notes = {"retrying": "again: a worker died", "submitted": "sent to the cluster"}
        with self._lock:
            view = self._items.get(task.item)
            if view is None or view.state in ("done", "skipped", "failed"):
                return
            self._items[task.item] = replace(view, state="running", reason=notes.get(state, ""))
            self.version += 1

    def finish(self, result: ItemResult) -> None:
        with self._lock:
            view = self._items.get(result.name)
            if view is None:
                view = ItemView(result.name, result.kind, result.target, output=result.output)
            reason = result.reason
            if not reason and result.attempts is not None and result.attempts > 1:
                reason = f"rendered on attempt {result.attempts} (a worker died before)"
            self._items[result.name] = replace(
                view, state=result.status, reason=reason, identity_percent=result.identity_percent
            )
            self.version += 1

    def stopped(self, reason: str) -> None:
        """The batch ended early (cancelled): items still running were not rendered, say so."""
        with self._lock:
            for name, view in self._items.items():
                if view.state in ("pending", "running"):
                    self._items[name] = replace(view, state="pending", reason=reason)
            self.version += 1

    def snapshot(self) -> list[ItemView]:
        """Every item, in the batch's order."""
        with self._lock:
            return list(self._items.values())

    def counts(self) -> Counter[str]:
        with self._lock:
            return Counter(view.state for view in self._items.values())


def describe_progress(results: Sequence[ItemResult], total: int) -> str:
    """``"3/30: 2 done, 1 failed; last: a_swapped.jpg done (97%)"``."""
    counts = Counter(result.status for result in results)
    parts = [f"{counts[status]} {status}" for status in ("done", "skipped", "failed") if counts[status]]
    text = f"{len(results)}/{total}" + (": " + ", ".join(parts) if parts else "")
    if results:
        last = results[-1]
        score = f" ({last.identity_percent:.0f}%)" if last.identity_percent is not None else ""
        text += f"; last: {last.name} {last.status}{score}"
    return text


def batch_work(
    context: AppContext,
    items: Sequence[BatchItem],
    executor: Executor,
    output_dir: Path,
    options: BatchOptions | None = None,
    board: BatchBoard | None = None,
) -> JobWork:
    """A job body that renders ``items`` with ``executor`` (a local pool or a Ray cluster); ``board``
    (optional) follows every item's state."""

    def work(token: CancelToken) -> Generator[JobProgress, None, list[dict[str, Any]]]:
        return (yield from _render(context, items, executor, output_dir, options, board, token))

    return work


def _render(
    context: AppContext,
    items: Sequence[BatchItem],
    executor: Executor,
    output_dir: Path,
    options: BatchOptions | None,
    board: BatchBoard | None,
    token: CancelToken,
) -> Generator[JobProgress, None, list[dict[str, Any]]]:
    total = max(len(items), 1)
    results: list[ItemResult] = []
    yield JobProgress(0.0, f"0/{len(items)} items")
    on_task = board.task_state if board is not None else None
    # A cancel stops the executor at once (its running tasks too), not when the next item finishes.
    steps = iter_batch(context, items, executor, output_dir, options, on_task, lambda: token.cancelled)
    try:
        for result in steps:
            results.append(result)
            if board is not None:
                board.finish(result)
            yield JobProgress(len(results) / total, describe_progress(results, len(items)))
            token.raise_if_cancelled()
        token.raise_if_cancelled()  # the executor stopped early: the job was cancelled, not done
    finally:
        steps.close()
        if board is not None and len(results) < len(items):
            board.stopped("not rendered: the batch was stopped" + (" (cancelled)" if token.cancelled else ""))
    return [result.to_dict() for result in results]


def setup_work(context: AppContext, setup: BatchSetup, board: BatchBoard) -> JobWork:
    """The window's batch as a job: plan (folders, globs, photo or video by content), connect the
    executor (a local pool, or Ray), then render; all of it on the job's thread."""

    def work(token: CancelToken) -> Generator[JobProgress, None, list[dict[str, Any]]]:
        yield JobProgress(0.0, "finding the targets…")

        def found(count: int) -> None:
            token.raise_if_cancelled()

        items = plan_setup(setup, found)
        board.set_items(items)
        token.raise_if_cancelled()
        yield JobProgress(0.0, f"{len(items)} items; starting the workers…")
        executor = make_executor(setup)
        board.set_executor(str(getattr(executor, "description", executor.name)))
        token.raise_if_cancelled()
        return (yield from _render(context, items, executor, setup.output_dir, setup.options(), board, token))

    return work


def cluster_export_work(
    context: AppContext, item: BatchItem, address: str, board: BatchBoard, overwrite: bool
) -> JobWork:
    """The window's video export sent to the Ray cluster at ``address``: one batch item (segments
    at keyframes when the video is long, joined and signed here), connected on the job's thread."""

    def work(token: CancelToken) -> Generator[JobProgress, None, list[dict[str, Any]]]:
        board.set_items([item])
        yield JobProgress(0.0, "connecting to the Ray cluster…")
        executor = ray_executor(address)
        board.set_executor(str(getattr(executor, "description", executor.name)))
        token.raise_if_cancelled()
        options = BatchOptions(overwrite=overwrite)
        return (yield from _render(context, [item], executor, item.output.parent, options, board, token))

    return work
