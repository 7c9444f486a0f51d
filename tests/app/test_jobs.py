"""The job queue: states, progress, ETA, cancellation and failures, with generator jobs."""

from __future__ import annotations

import threading
import time
from collections.abc import Generator
from pathlib import Path

import pytest

from faceswap_desktop.app.context import AppContext
from faceswap_desktop.app.export import default_output_path, photo_export_job
from faceswap_desktop.app.jobs import CancelToken, JobInfo, JobProgress, JobQueue, JobState, estimate_eta
from faceswap_desktop.app.photo import PhotoSwapRequest
from faceswap_desktop.core.errors import NoFaceFound, OutputConflict
from faceswap_desktop.core.media.image_io import read_image
from faceswap_desktop.core.settings import SwapSettings


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def counting_job(steps: int, clock: FakeClock | None = None, seen: list[int] | None = None):
    def work(token: CancelToken) -> Generator[JobProgress, None, str]:
        for step in range(1, steps + 1):
            if clock is not None:
                clock.now += 1.0
            if seen is not None:
                seen.append(step)
            yield JobProgress(step / steps, f"step {step}")
        return "finished"

    return work


def test_job_runs_through_states_with_progress_and_eta() -> None:
    clock = FakeClock()
    queue = JobQueue(clock=clock)
    events: list[JobInfo] = []
    queue.subscribe(events.append)
    info = queue.submit("count", counting_job(4, clock), SwapSettings(strength=40))
    assert info.state is JobState.QUEUED
    final = queue.run_next()
    assert final is not None and final.state is JobState.DONE
    assert final.outcome == "finished" and final.fraction == 1.0
    assert final.settings.strength == 40
    states = [e.state for e in events]
    assert states[0] is JobState.QUEUED and JobState.RUNNING in states and states[-1] is JobState.DONE
    # After 1 s at 25 % the linear ETA is 3 s.
    quarter = next(e for e in events if e.fraction == 0.25)
    assert quarter.eta_s == pytest.approx(3.0)
    assert queue.run_next() is None


def test_settings_snapshot_is_kept_even_if_caller_changes_its_settings() -> None:
    queue = JobQueue()
    settings = SwapSettings(mask_feather=3)
    info = queue.submit("snap", counting_job(1), settings)
    settings = settings.replace(mask_feather=20)
    assert queue.get(info.job_id).settings.mask_feather == 3


def test_cancel_queued_job_never_runs_it() -> None:
    queue = JobQueue()
    seen: list[int] = []
    info = queue.submit("never", counting_job(3, seen=seen), SwapSettings())
    assert queue.cancel(info.job_id)
    assert queue.get(info.job_id).state is JobState.CANCELLED
    assert queue.run_next() is None
    assert seen == []
    assert not queue.cancel(info.job_id)


def test_cancel_running_job_stops_between_steps() -> None:
    queue = JobQueue()
    seen: list[int] = []
    info = queue.submit("long", counting_job(100, seen=seen), SwapSettings())

    def on_change(job: JobInfo) -> None:
        if job.fraction >= 0.05 and job.state is JobState.RUNNING:
            queue.cancel(info.job_id)

    queue.subscribe(on_change)
    final = queue.run_next()
    assert final is not None and final.state is JobState.CANCELLED
    assert len(seen) <= 6


def test_failing_jobs_report_their_message() -> None:
    def typed(token: CancelToken) -> Generator[JobProgress, None, None]:
        yield JobProgress(0.1)
        raise NoFaceFound("no face found in the target")

    def buggy(token: CancelToken) -> Generator[JobProgress, None, None]:
        yield JobProgress(0.1)
        raise ZeroDivisionError("boom")

    queue = JobQueue()
    queue.submit("typed", typed, SwapSettings())
    queue.submit("buggy", buggy, SwapSettings())
    first, second = queue.run_next(), queue.run_next()
    assert first is not None and first.state is JobState.FAILED and "no face" in first.error
    assert second is not None and second.state is JobState.FAILED and "boom" in second.error
    assert queue.pending_count() == 0
    queue.clear_finished()
    assert queue.jobs() == []


def test_cancel_from_another_thread_while_running() -> None:
    queue = JobQueue()
    started = threading.Event()

    def slow(token: CancelToken) -> Generator[JobProgress, None, None]:
        started.set()
        while True:  # never ends on its own: only the queue's check between steps stops it
            time.sleep(0.005)
            yield JobProgress(0.5)

    info = queue.submit("slow", slow, SwapSettings())
    runner = threading.Thread(target=queue.run_next)
    runner.start()
    assert started.wait(5)
    queue.cancel(info.job_id)
    runner.join(5)
    assert not runner.is_alive()
    assert queue.get(info.job_id).state is JobState.CANCELLED


def test_eta_needs_progress() -> None:
    assert estimate_eta(1.0, 0.0) is None
    assert estimate_eta(2.0, 0.5) == pytest.approx(2.0)
    assert estimate_eta(5.0, 1.0) == 0.0


def test_default_output_path_never_collides(tmp_path: Path) -> None:
    target = tmp_path / "biden.jpg"
    target.write_bytes(b"x")
    first = default_output_path(target)
    assert first.name == "biden_swapped.png"
    first.write_bytes(b"x")
    assert default_output_path(target).name == "biden_swapped-2.png"
    assert default_output_path(target, taken=[tmp_path / "biden_swapped-2.png"]).name == "biden_swapped-3.png"


def test_photo_export_job_writes_output(context: AppContext, media: Path, tmp_path: Path) -> None:
    output = tmp_path / "out.png"
    request = PhotoSwapRequest(
        sources=(media / "identity/obama/obama.jpg",),
        target=media / "identity/biden/biden2.jpg",
        output=output,
    )
    queue = JobQueue()
    queue.submit("export", photo_export_job(context, request), request.settings, output)
    final = queue.run_next()
    assert final is not None and final.state is JobState.DONE, final.error
    written = read_image(output)
    assert written.shape == read_image(request.target).shape
    summary = final.outcome.summary
    assert summary["faces_swapped"] == 1 and summary["faces"][0]["similarity"]["model"]


def test_photo_export_job_refuses_existing_output(context: AppContext, media: Path, tmp_path: Path) -> None:
    output = tmp_path / "exists.png"
    output.write_bytes(b"keep me")
    request = PhotoSwapRequest(
        sources=(media / "identity/obama/obama.jpg",),
        target=media / "identity/biden/biden2.jpg",
        output=output,
    )
    with pytest.raises(OutputConflict):
        photo_export_job(context, request)
    assert output.read_bytes() == b"keep me"
