"""A batch as one job of the job queue (:mod:`.jobs`): aggregated progress, per-item state, cancel.

The job's progress is the fraction of items that are final, its message says how many are done,
skipped and failed and what finished last; its outcome is every item's result (what ``--json`` prints),
so a view can list each item's state. Cancelling takes effect when the next item finishes: the executor
is stopped then (the pool lets running tasks end, Ray cancels them), what was published stays, and a
later run of the same batch renders only the rest.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Generator, Sequence
from pathlib import Path
from typing import Any

from .batch import BatchItem
from .batch_run import BatchOptions, Executor, ItemResult, iter_batch
from .context import AppContext
from .jobs import CancelToken, JobProgress, JobWork


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
) -> JobWork:
    """A job body that renders ``items`` with ``executor`` (a local pool or a Ray cluster)."""

    def work(token: CancelToken) -> Generator[JobProgress, None, list[dict[str, Any]]]:
        total = max(len(items), 1)
        results: list[ItemResult] = []
        yield JobProgress(0.0, f"0/{len(items)} items")
        steps = iter_batch(context, items, executor, output_dir, options)
        try:
            for result in steps:
                results.append(result)
                yield JobProgress(len(results) / total, describe_progress(results, len(items)))
                token.raise_if_cancelled()
        finally:
            steps.close()
        return [result.to_dict() for result in results]

    return work
