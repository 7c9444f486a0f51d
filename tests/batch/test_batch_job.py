"""A batch as one job of the job queue: aggregated progress, per-item results, cancel."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path

from faceswap_desktop.app.batch import plan_batch
from faceswap_desktop.app.batch_job import batch_work
from faceswap_desktop.app.batch_tasks import Task, TaskOutcome
from faceswap_desktop.app.job_specs import JobSpec
from faceswap_desktop.app.jobs import JobInfo, JobQueue, JobState
from faceswap_desktop.app.photo import PhotoSwapRequest
from faceswap_desktop.core.settings import SwapSettings


class ScriptedExecutor:
    """Fails every task with a reason, one at a time; records what it started and whether it was closed."""

    name = "scripted"

    def __init__(self) -> None:
        self.started: list[str] = []
        self.closed = False

    def run(
        self, tasks: Sequence[Task], stage_dir: str, on_state: object = None, stop: object = None
    ) -> Iterator[TaskOutcome]:
        try:
            for task in tasks:
                self.started.append(task.key)
                yield TaskOutcome(task.key, False, f"no worker took {task.key}")
        finally:
            self.closed = True


def _items(tmp_path: Path) -> list:  # type: ignore[type-arg]
    targets = [tmp_path / f"t{n}.jpg" for n in range(4)]
    out = tmp_path / "out"
    out.mkdir()
    (out / "t0_swapped.jpg").write_bytes(b"an earlier output")

    def describe(sources, target, output, kind):  # type: ignore[no-untyped-def]
        return JobSpec(PhotoSwapRequest(sources=sources, target=target, output=output)).to_dict()

    return plan_batch([(tmp_path / "me.jpg",)], targets, out, describe, lambda p: "photo")


def test_the_job_reports_aggregated_progress_and_each_items_state(context, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    items = _items(tmp_path)
    executor = ScriptedExecutor()
    queue = JobQueue()
    messages: list[str] = []
    queue.subscribe(lambda info: messages.append(info.message))
    queue.submit("Batch", batch_work(context, items, executor, tmp_path / "out"), SwapSettings())
    info = queue.run_next()
    assert info is not None and info.state is JobState.DONE and info.fraction == 1.0
    assert [(r["name"], r["status"]) for r in info.outcome] == [
        ("t0_swapped.jpg", "skipped"),
        ("t1_swapped.jpg", "failed"),
        ("t2_swapped.jpg", "failed"),
        ("t3_swapped.jpg", "failed"),
    ]
    assert info.outcome[1]["reason"] == "no worker took t1_swapped.jpg"
    assert "1/4: 1 skipped; last: t0_swapped.jpg skipped" in messages
    assert "4/4: 1 skipped, 3 failed; last: t3_swapped.jpg failed" in messages
    assert executor.closed and not list((tmp_path / "out/.faceswap-batch").glob("run-*"))


def test_cancel_stops_the_executor_and_leaves_no_staging_folder(context, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    items = _items(tmp_path)
    executor = ScriptedExecutor()
    queue = JobQueue()
    job = queue.submit("Batch", batch_work(context, items, executor, tmp_path / "out"), SwapSettings())

    def cancel_after_first_render(info: JobInfo) -> None:
        if info.message.startswith("2/4"):
            queue.cancel(job.job_id)

    queue.subscribe(cancel_after_first_render)
    info = queue.run_next()
    assert info is not None and info.state is JobState.CANCELLED
    assert executor.started == ["t1_swapped.jpg"]  # t2 and t3 never started
    assert executor.closed and not list((tmp_path / "out/.faceswap-batch").glob("run-*"))


def test_the_board_follows_each_items_state(tmp_path: Path) -> None:
    from faceswap_desktop.app.batch_job import BatchBoard
    from faceswap_desktop.app.batch_run import ItemResult

    items = _items(tmp_path)
    board = BatchBoard()
    board.set_items(items)
    assert [v.state for v in board.snapshot()] == ["pending"] * 4
    task = Task(key="t1_swapped.jpg", item="t1_swapped.jpg", kind="photo", spec={})
    board.task_state(task, "retrying")
    view = board.snapshot()[1]
    assert (view.state, view.reason) == ("running", "again: a worker died")
    done = ItemResult("t1_swapped.jpg", "photo", "t1.jpg", "o", status="done", identity_percent=97.0)
    done.attempts = 2
    board.finish(done)
    board.task_state(task, "running")  # a late message never takes a final state back
    view = board.snapshot()[1]
    assert (view.state, view.identity_percent) == ("done", 97.0) and "attempt 2" in view.reason
    board.finish(ItemResult("t2_swapped.jpg", "photo", "t2.jpg", "o", status="failed", reason="bad"))
    assert board.counts() == {"pending": 2, "done": 1, "failed": 1}
