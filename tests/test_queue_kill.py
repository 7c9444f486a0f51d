"""Kill test: SIGKILL ``faceswap-desktop queue run`` at seeded points of its progress (20 photo, 2 video).

After every kill each output is either absent or a complete, decodable file, and every job is still in
the saved queue; restarting ``queue run`` until it finishes leaves every job done. Each kill is tied to
the run's progress, not to a delay (delays let fast machines finish the jobs first): when the first,
second or third job of a run starts (from a seeded generator, so a failure reproduces), and on every other
kill when that job's partial file appears.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import cv2
import pytest

from faceswap_desktop.app.job_specs import photo_spec, video_spec
from faceswap_desktop.app.job_store import JobStore, partial_outputs, read_queue
from faceswap_desktop.app.jobs import JobState
from faceswap_desktop.app.photo import PhotoSwapRequest
from faceswap_desktop.app.video import VideoExportRequest
from faceswap_desktop.core.media.image_io import read_image
from faceswap_desktop.core.media.video_io import VideoReader
from faceswap_desktop.core.settings import SwapSettings

SEED = 20240611
KILLS = 8
PHOTO_JOBS = 20
TARGETS = (
    "identity/biden/biden2.jpg",
    "identity/obama/obama2.jpg",
    "misc/rotate_rot_90.jpg",
    "misc/pose_lower_face.jpeg",
    "identity/deepface_p01/img1.jpg",
)
VIDEO = "Obama_speaking.mp4"
VIDEO_END_S = (0.4, 0.7)
RUN_TIMEOUT_S = 240


def small_copy(source: Path, folder: Path, longest: int = 420) -> Path:
    """A downscaled PNG copy: the test is about the queue, small images keep each export short."""
    image = read_image(source)
    scale = longest / max(image.shape[:2])
    small = cv2.resize(image, (round(image.shape[1] * scale), round(image.shape[0] * scale)))
    path = folder / f"{source.stem}.png"
    assert cv2.imwrite(str(path), small)
    return path


def queue_jobs(media: Path, tmp_path: Path, queue_file: Path) -> dict[str, tuple[Path, object]]:
    """Save the 22 jobs (as ``queue add`` would); returns output and expected shape/frames by key."""
    inputs, outputs = tmp_path / "inputs", tmp_path / "outputs"
    inputs.mkdir()
    outputs.mkdir()
    source = small_copy(media / "identity/obama/obama.jpg", inputs)
    targets = [small_copy(media / relative, inputs) for relative in TARGETS]
    store = JobStore(queue_file)
    store.open()
    expected: dict[str, tuple[Path, object]] = {}
    for number in range(PHOTO_JOBS):
        target = targets[number % len(targets)]
        request = PhotoSwapRequest(
            sources=(source,),
            target=target,
            output=outputs / f"photo_{number:02d}.png",
            settings=SwapSettings(strength=40 + 3 * number),
            judge=None,
        )
        record = store.add(photo_spec(request))
        expected[record.key] = (request.output, read_image(target).shape)
    clip = media.parent / "videos" / VIDEO
    with VideoReader(clip) as reader:
        for number, end in enumerate(VIDEO_END_S):
            request_video = VideoExportRequest(
                sources=(source,),
                target=clip,
                output=outputs / f"video_{number}.mp4",
                end=end,
                judge=None,
                embedder=None,
                workers=1,
            )
            record = store.add(video_spec(request_video))
            expected[record.key] = (request_video.output, reader.index_at_time(end))
    store.close()
    return expected


def assert_outputs_whole(expected: dict[str, tuple[Path, object]], moment: str) -> int:
    """Every output is absent or complete and decodable; returns how many exist."""
    present = 0
    for output, want in expected.values():
        if not output.exists():
            continue
        present += 1
        if output.suffix == ".png":
            image = read_image(output)  # raises on a truncated or corrupt file
            assert image.shape == want, f"{output.name} is incomplete {moment}"
        else:
            with VideoReader(output) as reader:
                frames = sum(1 for _ in reader.frames())
            assert frames == want, f"{output.name} has {frames} of {want} frames {moment}"
    return present


def start_runner(env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with open(log, "ab") as handle:
        return subprocess.Popen(
            [sys.executable, "-m", "faceswap_desktop", "queue", "run", "--max-attempts", "50"],
            stdout=handle,
            stderr=subprocess.STDOUT,
            env=env,
        )


def wait_for_text(log: Path, text: str, after: int, process: subprocess.Popen[bytes], times: int = 1) -> bool:
    """Wait until ``text`` appears ``times`` times in ``log`` past byte ``after`` (False when the
    process ended first)."""
    while process.poll() is None:
        if log.read_bytes()[after:].count(text.encode()) >= times:
            return True
        time.sleep(0.02)
    return False


def wait_for_partial(
    expected: dict[str, tuple[Path, object]],
    log: Path,
    after: int,
    process: subprocess.Popen[bytes],
    nth: int,
) -> bool:
    """Wait until a partial output file exists or job ``nth + 1`` of the run starts (False when the
    process ended first)."""
    while process.poll() is None:
        if any(partial_outputs(output) for output, _ in expected.values()):
            return True
        if log.read_bytes()[after:].count(b"running ") > nth:
            return True
        time.sleep(0.002)
    return False


@pytest.mark.slow
def test_killing_the_queue_runner_never_loses_a_job_or_leaves_a_broken_output(
    media: Path, tmp_path: Path
) -> None:
    data, logs = tmp_path / "data", tmp_path / "logs"
    queue_file = data / "queue.json"
    expected = queue_jobs(media, tmp_path, queue_file)
    env = {
        **os.environ,
        "FACESWAP_DATA_DIR": str(data),
        "FACESWAP_LOG_DIR": str(logs),
        "PYTHONUNBUFFERED": "1",
    }
    rng = random.Random(SEED)
    runner_log = tmp_path / "runner.log"
    kills: list[str] = []
    started = time.monotonic()
    for attempt in range(KILLS + 1):
        assert time.monotonic() - started < 600, f"no progress after {len(kills)} kills"
        offset = runner_log.stat().st_size if runner_log.exists() else 0
        process = start_runner(env, runner_log)
        if attempt < KILLS:
            # Each kill waits for a point in the run's own progress, never for a wall-clock delay, so it
            # lands at the same place on a fast or a loaded machine: job n of the run has started (n
            # from the seeded generator; its output cannot be complete yet), and on every other kill
            # also its partial file exists (mid-write) or, for a photo too quick to catch, the next
            # job has started. A run does at most 3 jobs before its kill and 22 are queued, so no run
            # finishes before its kill.
            nth = rng.randint(1, 3)
            reached = wait_for_text(runner_log, "running ", offset, process, nth)
            when = f"job {nth} of the run started"
            if reached and attempt % 2 == 1:
                reached = wait_for_partial(expected, runner_log, offset, process, nth)
                when = f"partial file of job {nth} (or job {nth + 1} started)"
            assert reached, f"run {attempt + 1} ended before its kill ({when})"
            process.send_signal(signal.SIGKILL)
            process.wait(timeout=30)
            kills.append(when)
        else:
            process.wait(timeout=RUN_TIMEOUT_S)
        moment = f"after run {attempt + 1} ({kills[-1] if kills else 'not killed'})"
        assert_outputs_whole(expected, moment)
        records = {record.key: record for record in read_queue(queue_file)}
        assert set(records) == set(expected), f"jobs lost {moment}"
        if process.returncode == 0:
            break

    text = runner_log.read_text(errors="replace")
    assert process.returncode == 0, text[-3000:]
    records = {record.key: record for record in read_queue(queue_file)}
    assert {record.state for record in records.values()} == {JobState.DONE}, text[-3000:]
    assert assert_outputs_whole(expected, "at the end") == len(expected)
    for output, _ in expected.values():
        assert partial_outputs(output) == [], f"partial files of {output.name} left behind"
    # Every kill landed mid-job (asserted at each), so some job had to start again.
    assert len(kills) == KILLS, kills
    assert any(record.attempts > 1 for record in records.values()), (kills, text[-3000:])
    print(f"kills: {kills}; restarted jobs: {sum(r.attempts > 1 for r in records.values())}")
