"""The local executor of batch renders: a pool of worker processes on this machine.

Processes, not threads: each worker holds its own models and a crash in native code (a decoder, a
model runtime) takes down one worker, not the app. A worker that dies (killed, out of memory) breaks
Python's pool as a whole; the executor then starts a new pool and runs again the tasks that were in
flight, each at most ``retries`` more times, so one dying worker neither loses nor stops the batch.
At most ``workers`` tasks are in flight, so every submitted task is a running one: when the pool
breaks, exactly those are charged an attempt.
"""

from __future__ import annotations

import contextlib
import logging
import multiprocessing
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool

from .batch_tasks import Task, TaskOutcome, execute_task
from .export_pacing import usable_cores

log = logging.getLogger(__name__)

StateCallback = Callable[[Task, str], None]
"""Called with a task and its new state: "running", "retrying"."""

DEFAULT_RETRIES = 2
STOP_POLL_S = 0.25
"""How often a run checks whether it was asked to stop (a cancelled job)."""


def default_workers() -> int:
    """All cores this process may use."""
    return usable_cores()


def _initialise_worker() -> None:
    # Each worker runs one task at a time on one core's share: OpenCV's own thread pool would make
    # N workers fight over the cores (the export's threads already overlap decode, swap and encode).
    import cv2

    cv2.setNumThreads(1)


def _stop_workers(pool: ProcessPoolExecutor) -> None:
    """Terminate the pool's worker processes (the pool then reports itself broken and shuts down)."""
    processes = getattr(pool, "_processes", None) or {}  # no public way before Python 3.14
    for process in list(processes.values()):
        with contextlib.suppress(Exception):
            process.terminate()


class PoolExecutor:
    """Runs batch tasks on ``workers`` local processes (default: every core)."""

    name = "pool"

    def __init__(self, workers: int | None = None, retries: int = DEFAULT_RETRIES) -> None:
        self.workers = workers or default_workers()
        self.retries = retries
        self.description = f"{self.workers} local worker process(es)"

    def _new_pool(self) -> ProcessPoolExecutor:
        # "spawn" everywhere: forking a process that runs ONNX Runtime and decoder threads is unsafe,
        # and it is what Windows and macOS do anyway.
        return ProcessPoolExecutor(
            self.workers, mp_context=multiprocessing.get_context("spawn"), initializer=_initialise_worker
        )

    def run(
        self,
        tasks: Sequence[Task],
        stage_dir: str,
        on_state: StateCallback | None = None,
        stop: Callable[[], bool] | None = None,
    ) -> Iterator[TaskOutcome]:
        """Run every task; yields outcomes as they finish (a task whose worker died more than
        ``retries`` times comes back failed with that reason). When ``stop()`` turns true (checked
        every :data:`STOP_POLL_S`), the workers are stopped and the run ends."""
        waiting = list(reversed(tasks))
        attempts: dict[str, int] = {}
        running: dict[Future[TaskOutcome], Task] = {}
        pool = self._new_pool()
        finished = False
        try:
            while waiting or running:
                while waiting and len(running) < self.workers:
                    task = waiting.pop()
                    attempts[task.key] = attempts.get(task.key, 0) + 1
                    running[pool.submit(execute_task, task, stage_dir)] = task
                    if on_state is not None:
                        on_state(task, "running")
                done, _ = wait(running, timeout=STOP_POLL_S, return_when=FIRST_COMPLETED)
                if stop is not None and stop():
                    return  # the finally clause stops the workers
                broken = False
                for future in done:
                    task = running.pop(future)
                    try:
                        outcome = future.result()
                    except BrokenProcessPool:
                        broken = True
                        yield from self._retry_or_fail(task, attempts, waiting, on_state)
                        continue
                    except Exception as error:  # e.g. a task that cannot be pickled: that item fails
                        reason = f"internal error: {type(error).__name__}: {error}"
                        yield TaskOutcome(task.key, False, reason, attempts=attempts[task.key])
                        continue
                    outcome.attempts = attempts[task.key]
                    yield outcome
                if broken:
                    # Every task still in flight died with the pool: charge each an attempt.
                    for future, task in list(running.items()):
                        running.pop(future)
                        yield from self._retry_or_fail(task, attempts, waiting, on_state)
                    pool.shutdown(wait=True, cancel_futures=True)
                    pool = self._new_pool()
            finished = True
        finally:
            if not finished:
                # Closed early (a cancelled job, Ctrl-C): what the workers are rendering would be thrown
                # away with the staging folder, so they stop now instead of finishing it first.
                _stop_workers(pool)
            pool.shutdown(wait=True, cancel_futures=True)

    def _retry_or_fail(
        self, task: Task, attempts: dict[str, int], waiting: list[Task], on_state: StateCallback | None
    ) -> Iterator[TaskOutcome]:
        if attempts[task.key] > self.retries:
            reason = f"the worker process died ({attempts[task.key]} attempts)"
            yield TaskOutcome(task.key, False, reason, attempts=attempts[task.key])
            return
        log.warning("a worker died while running %s; running it again", task.key)
        waiting.append(task)
        if on_state is not None:
            on_state(task, "retrying")
