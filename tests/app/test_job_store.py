"""The saved job queue: atomic saves, recovery after a kill, corrupt files set aside, one writer at a time."""

from __future__ import annotations

import errno
import json
import os
import subprocess
import sys
import textwrap
import threading
from collections.abc import Generator, Iterator
from pathlib import Path

import pytest

from faceswap_desktop.app import job_store as job_store_module
from faceswap_desktop.app.job_specs import JobSpec, photo_spec
from faceswap_desktop.app.job_store import (
    KEEP_FINISHED,
    JobStore,
    QueueLocked,
    partial_outputs,
    plan_recovery,
    read_queue,
    recover_jobs,
)
from faceswap_desktop.app.jobs import CancelToken, JobProgress, JobQueue, JobState, JobWork
from faceswap_desktop.app.photo import PhotoSwapRequest
from faceswap_desktop.core.errors import OutputConflict
from faceswap_desktop.core.settings import SwapSettings


class FakeClock:
    def __init__(self) -> None:
        self.now = 1_700_000_000.0

    def __call__(self) -> float:
        return self.now


def spec_for(folder: Path, name: str, overwrite: bool = False, strength: int = 100) -> JobSpec:
    return photo_spec(
        PhotoSwapRequest(
            sources=(folder / "source.jpg",),
            target=folder / "target.jpg",
            output=folder / name,
            settings=SwapSettings(strength=strength),
            overwrite=overwrite,
        )
    )


def writing_work(spec: JobSpec, steps: int = 2) -> JobWork:
    """A stand-in export: a few progress steps, then the output file (no models needed)."""

    def work(token: CancelToken) -> Generator[JobProgress, None, Path]:
        for step in range(steps):
            yield JobProgress((step + 1) / (steps + 1), f"step {step}")
        spec.output.write_bytes(b"output of " + spec.output.name.encode())
        return spec.output

    return work


def saved(path: Path) -> dict[str, dict[str, object]]:
    """The queue file's jobs by key, read straight from disk."""
    data = json.loads(path.read_text())
    return {job["key"]: job for job in data["jobs"]}


@pytest.fixture
def store(tmp_path: Path) -> Iterator[JobStore]:
    store = JobStore(tmp_path / "data" / "queue.json")
    store.open()
    yield store
    store.close()


def test_every_state_change_is_saved_and_a_finished_job_is_not_recoverable(tmp_path: Path) -> None:
    path = tmp_path / "data" / "queue.json"
    store = JobStore(path)
    assert store.open().recoverable == ()
    queue = JobQueue(recorder=store)
    spec = spec_for(tmp_path, "one.png", strength=42)
    info = queue.submit("Export one", writing_work(spec), spec.settings, spec.output, spec=spec)
    store.flush()
    assert saved(path)[info.key]["state"] == "queued"
    assert saved(path)[info.key]["spec"]["settings"]["strength"] == 42  # type: ignore[index]
    final = queue.run_next()
    assert final is not None and final.state is JobState.DONE
    store.close()
    record = saved(path)[info.key]
    assert record["state"] == "done" and record["attempts"] == 1
    again = JobStore(path)
    report = again.open()
    assert report.recoverable == () and [r.key for r in report.finished] == [info.key]
    again.close()


def test_running_is_on_disk_before_the_job_body_starts(tmp_path: Path, store: JobStore) -> None:
    seen: list[object] = []
    spec = spec_for(tmp_path, "x.png")

    def work(token: CancelToken) -> Generator[JobProgress, None, None]:
        seen.append(saved(store.path)[info.key]["state"])
        yield JobProgress(1.0)

    queue = JobQueue(recorder=store)
    info = queue.submit("x", work, spec.settings, spec.output, spec=spec)
    queue.run_next()
    assert seen == ["running"]


def test_progress_is_saved_at_a_bounded_rate(tmp_path: Path) -> None:
    clock = FakeClock()
    store = JobStore(tmp_path / "queue.json", clock=clock, progress_interval_s=2.0)
    store.open()
    spec = spec_for(tmp_path, "p.png")
    fractions: list[object] = []

    def work(token: CancelToken) -> Generator[JobProgress, None, None]:
        yield JobProgress(0.25)
        yield JobProgress(0.5)  # same instant: not written yet
        store.flush()
        fractions.append(saved(store.path)[info.key]["fraction"])
        clock.now += 2.5
        yield JobProgress(0.75)  # the interval passed: written
        store.flush()
        fractions.append(saved(store.path)[info.key]["fraction"])

    queue = JobQueue(recorder=store)
    info = queue.submit("p", work, spec.settings, spec.output, spec=spec)
    queue.run_next()
    store.close()
    assert fractions == [0.0, 0.75]
    assert saved(store.path)[info.key]["state"] == "done"


def test_a_job_without_spec_is_not_saved(tmp_path: Path, store: JobStore) -> None:
    queue = JobQueue(recorder=store)
    queue.submit("memory only", writing_work(spec_for(tmp_path, "m.png")), SwapSettings())
    queue.run_next()
    store.flush()
    assert store.records() == [] and not store.path.exists()


KILLED_RUNNER = textwrap.dedent(
    """
    import os, signal, sys
    from pathlib import Path
    from faceswap_desktop.app.job_specs import photo_spec
    from faceswap_desktop.app.job_store import JobStore
    from faceswap_desktop.app.jobs import JobProgress, JobQueue
    from faceswap_desktop.app.photo import PhotoSwapRequest

    folder = Path(sys.argv[1])
    store = JobStore(folder / "data" / "queue.json")
    store.open()
    queue = JobQueue(recorder=store)

    def dies_mid_write(token):
        yield JobProgress(0.5, "writing")
        (folder / ".first.png.x1y2z3.part").write_bytes(b"half a png")  # what a writer leaves
        os.kill(os.getpid(), signal.SIGKILL)
        yield JobProgress(1.0)

    for name in ("first.png", "second.png", "third.png"):
        spec = photo_spec(PhotoSwapRequest(
            sources=(folder / "s.jpg",), target=folder / "t.jpg", output=folder / name
        ))
        queue.submit("Export " + name, dies_mid_write, spec.settings, spec.output, spec=spec)
    store.flush()
    queue.run_next()
    """
)


def test_jobs_survive_a_kill_and_a_running_one_restarts_without_its_partial_file(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-c", KILLED_RUNNER, str(tmp_path)], capture_output=True, timeout=120
    )
    assert result.returncode == -9, result.stderr.decode()
    partial = tmp_path / ".first.png.x1y2z3.part"
    assert partial.exists() and partial_outputs(tmp_path / "first.png") == [partial]

    store = JobStore(tmp_path / "data" / "queue.json")
    report = store.open()
    states = [(r.title, r.state, r.attempts) for r in report.recoverable]
    assert states == [
        ("Export first.png", JobState.RUNNING, 1),
        ("Export second.png", JobState.QUEUED, 0),
        ("Export third.png", JobState.QUEUED, 0),
    ]
    queue = JobQueue(recorder=store)
    outcome = recover_jobs(queue, store, report.recoverable, writing_work)
    assert [info.title for info in outcome.requeued] == [title for title, _, _ in states]
    assert not partial.exists()
    while queue.run_next() is not None:
        pass
    store.close()
    records = {record.title: record for record in read_queue(store.path)}
    assert {title: record.state for title, record in records.items()} == dict.fromkeys(records, JobState.DONE)
    assert records["Export first.png"].attempts == 2
    for name in ("first.png", "second.png", "third.png"):
        assert (tmp_path / name).read_bytes() == b"output of " + name.encode()


def test_recovery_marks_an_already_published_output_done_instead_of_failing(
    tmp_path: Path, store: JobStore
) -> None:
    """Killed after the rename, before "done" was saved: the output exists and is the job's own."""
    published, queued_only = spec_for(tmp_path, "published.png"), spec_for(tmp_path, "appeared.png")
    queue = JobQueue(recorder=store)
    running = queue.submit("published", writing_work(published), published.settings, spec=published)
    store.update(running.__class__(**{**running.__dict__, "state": JobState.RUNNING}))
    waiting = queue.submit("appeared", writing_work(queued_only), queued_only.settings, spec=queued_only)
    published.output.write_bytes(b"finished before the kill")
    queued_only.output.write_bytes(b"someone else's file")
    records = {r.key: r for r in store.records()}

    assert plan_recovery(records[running.key]).action == "done"
    # A job that never started did not write that file: it must not claim or replace it.
    assert plan_recovery(records[waiting.key]).action == "requeue"

    def strict_work(spec: JobSpec) -> JobWork:
        if spec.output.exists() and not spec.request.overwrite:
            raise OutputConflict(f"output exists: {spec.output.name}")
        return writing_work(spec)

    fresh = JobQueue(recorder=store)
    outcome = recover_jobs(fresh, store, list(records.values()), strict_work)
    assert [r.key for r in outcome.done] == [running.key]
    assert store.get(running.key).state is JobState.DONE  # type: ignore[union-attr]
    failed = fresh.run_next()
    assert failed is not None and failed.state is JobState.FAILED and "output exists" in failed.error
    assert queued_only.output.read_bytes() == b"someone else's file"


def test_a_job_that_keeps_getting_interrupted_is_given_up_after_max_attempts(
    tmp_path: Path, store: JobStore
) -> None:
    spec = spec_for(tmp_path, "crashy.png")
    queue = JobQueue(recorder=store)
    info = queue.submit("crashy", writing_work(spec), spec.settings, spec=spec)
    for _ in range(3):  # three starts that never finished
        store.update(info.__class__(**{**info.__dict__, "state": JobState.QUEUED}))
        store.update(info.__class__(**{**info.__dict__, "state": JobState.RUNNING}))
    record = store.get(info.key)
    assert record is not None and record.attempts == 3
    assert plan_recovery(record, max_attempts=4).action == "requeue"
    outcome = recover_jobs(JobQueue(recorder=store), store, [record], writing_work, max_attempts=3)
    assert outcome.requeued == () and [r.key for r in outcome.given_up] == [info.key]
    given_up = store.get(info.key)
    assert given_up is not None and given_up.state is JobState.FAILED and "3 times" in given_up.error


def test_a_corrupt_queue_file_is_set_aside_and_reported(tmp_path: Path) -> None:
    path = tmp_path / "queue.json"
    garbage = b'{"version": 1, "jobs": [{"key": "abc", "tit'
    path.write_bytes(garbage)
    store = JobStore(path)
    report = store.open()
    assert report.recoverable == () and report.set_aside is not None
    assert report.set_aside.read_bytes() == garbage
    assert report.set_aside.name.startswith("queue.json.corrupt-")
    assert report.problems and str(report.set_aside) in report.problems[0]
    store.close()
    assert json.loads(path.read_text()) == {"version": 1, "jobs": []}


def test_a_newer_queue_file_is_set_aside_not_overwritten(tmp_path: Path) -> None:
    path = tmp_path / "queue.json"
    newer = json.dumps({"version": 99, "jobs": [{"key": "k"}]}).encode()
    path.write_bytes(newer)
    store = JobStore(path)
    report = store.open()
    store.close()
    assert report.set_aside is not None and report.set_aside.read_bytes() == newer
    assert "newer" in report.problems[0]


def test_unreadable_jobs_are_reported_and_the_readable_ones_kept(tmp_path: Path, store: JobStore) -> None:
    good = store.add(spec_for(tmp_path, "good.png"))
    store.close()
    data = json.loads(store.path.read_text())
    bad = {**data["jobs"][0], "key": "bad", "spec": {**data["jobs"][0]["spec"], "schema": 7}}
    data["jobs"].append(bad)
    original = json.dumps(data).encode()
    store.path.write_bytes(original)
    again = JobStore(store.path)
    report = again.open()
    again.close()
    assert [r.key for r in report.recoverable] == [good.key]
    assert report.set_aside is not None and report.set_aside.read_bytes() == original
    assert "1 saved job(s) could not be read" in report.problems[0] and "schema" in report.problems[0]
    assert list(saved(store.path)) == [good.key]


def test_a_second_process_cannot_open_the_same_queue(tmp_path: Path, store: JobStore) -> None:
    script = (
        "import sys\nfrom pathlib import Path\n"
        "from faceswap_desktop.app.job_store import JobStore, QueueLocked\n"
        "try:\n    JobStore(Path(sys.argv[1])).open()\nexcept QueueLocked:\n    sys.exit(7)\n"
    )
    locked = subprocess.run([sys.executable, "-c", script, str(store.path)], timeout=120)
    assert locked.returncode == 7
    with pytest.raises(QueueLocked):
        JobStore(store.path).open()
    store.close()
    assert subprocess.run([sys.executable, "-c", script, str(store.path)], timeout=120).returncode == 0


def test_temporary_files_of_an_interrupted_save_are_removed(tmp_path: Path) -> None:
    path = tmp_path / "queue.json"
    path.parent.mkdir(exist_ok=True)
    stale = tmp_path / ".queue.json.k2j3h4.part"
    stale.write_bytes(b'{"version": 1, "jo')
    store = JobStore(path)
    store.open()
    store.close()
    assert not stale.exists()


def test_a_failing_disk_is_reported_and_the_jobs_still_run(
    tmp_path: Path, store: JobStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    def full(path: object, data: bytes) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(job_store_module, "write_bytes_atomic", full)
    spec = spec_for(tmp_path, "d.png")
    queue = JobQueue(recorder=store)
    queue.submit("d", writing_work(spec), spec.settings, spec=spec)
    final = queue.run_next()
    assert final is not None and final.state is JobState.DONE
    store.flush()
    assert "No space left" in store.write_error


def test_write_error_listeners_hear_when_saving_starts_and_stops_failing(
    tmp_path: Path, store: JobStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    heard: list[str] = []
    store.add_write_error_listener(heard.append)
    spec = spec_for(tmp_path, "e.png")
    queue = JobQueue(recorder=store)
    queue.submit("e", writing_work(spec, steps=0), spec.settings, spec=spec)
    store.flush()
    assert heard == []  # saving works: nothing changed, nothing said

    def full(path: object, data: bytes) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(job_store_module, "write_bytes_atomic", full)
    final = queue.run_next()
    assert final is not None and final.state is JobState.DONE
    store.flush()
    assert len(heard) == 1 and "No space left" in heard[0]  # once, however many writes failed

    monkeypatch.undo()
    store.mark(final.key, JobState.DONE, final.message)  # the next write, with no job changing
    store.flush()
    assert heard[1:] == [""]  # saving works again
    store.remove_write_error_listener(heard.append)
    monkeypatch.setattr(job_store_module, "write_bytes_atomic", full)
    store.mark(final.key, JobState.DONE, final.message)
    store.flush()
    assert len(heard) == 2


def test_cleared_and_old_finished_jobs_leave_the_file(tmp_path: Path, store: JobStore) -> None:
    queue = JobQueue(recorder=store)
    keys = []
    for number in range(KEEP_FINISHED + 3):
        spec = spec_for(tmp_path, f"{number}.png")
        keys.append(queue.submit(str(number), writing_work(spec, steps=0), spec.settings, spec=spec).key)
    while queue.run_next() is not None:
        pass
    store.flush()
    assert list(saved(store.path)) == keys[-KEEP_FINISHED:]  # the oldest finished ones were dropped
    queue.clear_finished()
    store.flush()
    assert saved(store.path) == {}


def test_writes_from_many_threads_never_leave_a_half_file(tmp_path: Path, store: JobStore) -> None:
    """Readers only ever see a whole queue file, however many threads change it at once."""
    stop = threading.Event()
    bad: list[str] = []

    def read_all_the_time() -> None:
        while not stop.is_set():
            try:
                json.loads(store.path.read_text())
            except FileNotFoundError:
                continue
            except ValueError as error:
                bad.append(str(error))

    reader = threading.Thread(target=read_all_the_time)
    reader.start()

    def add_many(offset: int) -> None:
        for number in range(15):
            store.add(spec_for(tmp_path, f"{offset}-{number}.png"))

    writers = [threading.Thread(target=add_many, args=(offset,)) for offset in range(4)]
    for thread in writers:
        thread.start()
    for thread in writers:
        thread.join()
    stop.set()
    reader.join()
    assert bad == []
    assert len(saved(store.path)) == 60
    assert not [p for p in os.listdir(store.path.parent) if p.endswith(".part")]


def test_only_a_job_that_was_running_has_its_partial_files_removed(tmp_path: Path, store: JobStore) -> None:
    running, queued = store.add(spec_for(tmp_path, "r.png")), store.add(spec_for(tmp_path, "q.png"))
    store.mark(running.key, JobState.RUNNING)
    mine, theirs = tmp_path / ".r.png.aaaa.part", tmp_path / ".q.png.bbbb.part"
    video_partial = tmp_path / ".r.1a2b3c4d.partial.png"
    for path in (mine, theirs, video_partial):
        path.write_bytes(b"partial")
    plan = plan_recovery(store.get(running.key))  # type: ignore[arg-type]
    assert set(plan.removed_partials) == {mine, video_partial} and not mine.exists()
    assert plan_recovery(store.get(queued.key)).removed_partials == ()  # type: ignore[arg-type]
    assert theirs.exists()  # maybe another program's export in progress under that name


def test_a_late_queued_notification_never_overwrites_running(tmp_path: Path, store: JobStore) -> None:
    """The submitting thread's "queued" can reach the recorder after the worker's "running"."""
    spec = spec_for(tmp_path, "race.png")
    queue = JobQueue(recorder=store)
    in_submit_notify = threading.Event()
    release = threading.Event()
    original_update = store.update

    def slow_first_update(info):  # type: ignore[no-untyped-def]
        if info.state is JobState.QUEUED and not in_submit_notify.is_set():
            in_submit_notify.set()
            release.wait(5)
        original_update(info)

    store.update = slow_first_update  # type: ignore[method-assign]
    states: list[object] = []

    def work(token: CancelToken) -> Generator[JobProgress, None, None]:
        submitter.join(5)  # the late "queued" has been handed over by now
        store.flush()
        states.append(saved(store.path)[info.key]["state"])
        yield JobProgress(1.0)

    submitter = threading.Thread(
        target=lambda: queue.submit("race", work, spec.settings, spec.output, spec=spec), name="gui"
    )
    submitter.start()
    assert in_submit_notify.wait(5)
    info = queue.jobs()[0]
    runner = threading.Thread(target=queue.run_next, name="worker")
    runner.start()
    release.set()
    submitter.join()
    runner.join()
    store.flush()
    assert states == ["running"]
    assert saved(store.path)[info.key]["state"] == "done"


def test_an_interrupted_overwrite_job_runs_again_though_its_output_exists(
    tmp_path: Path, store: JobStore
) -> None:
    """An overwrite job's output existed before it started: its presence proves nothing, so the job
    is requeued (never marked done with the old file)."""
    spec = spec_for(tmp_path, "replaced.png", overwrite=True)
    queue = JobQueue(recorder=store)
    info = queue.submit("replace", writing_work(spec), spec.settings, spec=spec)
    store.update(info.__class__(**{**info.__dict__, "state": JobState.RUNNING}))
    spec.output.write_bytes(b"the file it was replacing")
    record = store.get(info.key)
    assert record is not None and record.state is JobState.RUNNING
    assert plan_recovery(record).action == "requeue"
