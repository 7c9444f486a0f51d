"""``faceswap-desktop queue add|list|run|clear`` as subprocesses, on a private data folder."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from faceswap_desktop.core.media.image_io import read_image

OBAMA = "identity/obama/obama.jpg"
TARGET = "misc/rotate_rot_90.jpg"


def queue_cli(tmp_path: Path, *args: str | Path) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "FACESWAP_DATA_DIR": str(tmp_path / "data"),
        "FACESWAP_LOG_DIR": str(tmp_path / "logs"),
        "PYTHONUNBUFFERED": "1",
    }
    return subprocess.run(
        [sys.executable, "-m", "faceswap_desktop", "queue", *map(str, args)],
        capture_output=True,
        text=True,
        timeout=180,
        env=env,
    )


@pytest.mark.slow
def test_add_list_run_and_clear(media: Path, tmp_path: Path) -> None:
    out = tmp_path / "queued.png"
    added = queue_cli(
        tmp_path, "add", "--source", media / OBAMA, "--target", media / TARGET, "--output", out,
        "--no-score", "--strength", "70", "--title", "my export",
    )  # fmt: skip
    assert added.returncode == 0, added.stderr
    refused = queue_cli(
        tmp_path, "add", "--source", media / OBAMA, "--target", media / TARGET,
        "--output", tmp_path / "r.png",
        "--maximize-likeness",
    )  # fmt: skip
    assert refused.returncode == 2 and "--maximize-likeness cannot be queued" in refused.stderr
    listed = queue_cli(tmp_path, "list", "--json")
    (job,) = json.loads(listed.stdout)
    assert job["title"] == "my export" and job["state"] == "queued"
    assert job["spec"]["settings"]["strength"] == 70 and job["spec"]["output"] == str(out)
    assert not out.exists()

    ran = queue_cli(tmp_path, "run")
    assert ran.returncode == 0, ran.stderr
    assert "done     my export" in ran.stderr
    assert read_image(out).shape == read_image(media / TARGET).shape
    assert "done" in queue_cli(tmp_path, "list").stdout
    log = (tmp_path / "logs" / "faceswap-desktop.log").read_text()
    assert "session start" in log and str(media) not in log

    cleared = queue_cli(tmp_path, "clear")
    assert cleared.returncode == 0 and "removed 1 job(s)" in cleared.stdout
    assert json.loads(queue_cli(tmp_path, "list", "--json").stdout) == []


@pytest.mark.slow
def test_run_reports_a_corrupt_queue_file_and_keeps_it(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    (data / "queue.json").write_text("not json at all")
    ran = queue_cli(tmp_path, "run")
    assert ran.returncode == 0, ran.stderr
    assert "could not be read" in ran.stderr
    (aside,) = data.glob("queue.json.corrupt-*")
    assert aside.read_text() == "not json at all"


@pytest.mark.slow
def test_sigterm_stops_the_runner_and_the_next_run_finishes_the_job(media: Path, tmp_path: Path) -> None:
    import signal
    import time

    video = media.parent / "videos" / "Obama_speaking.mp4"
    out = tmp_path / "stopped.mp4"
    added = queue_cli(
        tmp_path, "add", "--source", media / OBAMA, "--target", video, "--output", out,
        "--end", "2", "--no-score", "--tracking-judge", "none",
    )  # fmt: skip
    assert added.returncode == 0, added.stderr
    env = {
        **os.environ,
        "FACESWAP_DATA_DIR": str(tmp_path / "data"),
        "FACESWAP_LOG_DIR": str(tmp_path / "logs"),
        "PYTHONUNBUFFERED": "1",
    }
    log = tmp_path / "run.log"
    with open(log, "wb") as handle:
        runner = subprocess.Popen(
            [sys.executable, "-m", "faceswap_desktop", "queue", "run"], stdout=handle, stderr=handle, env=env
        )
    deadline = time.monotonic() + 120
    # Stop it while frames are being encoded into the temporary file.
    while not list(tmp_path.glob(".stopped.*")) and runner.poll() is None and time.monotonic() < deadline:
        time.sleep(0.02)
    assert list(tmp_path.glob(".stopped.*")), log.read_text()
    runner.send_signal(signal.SIGTERM)
    assert runner.wait(timeout=60) == 130, log.read_text()
    assert "interrupted" in log.read_text()
    assert not out.exists() and not list(tmp_path.glob(".stopped.*"))  # the partial file went with it
    (job,) = json.loads(queue_cli(tmp_path, "list", "--json").stdout)
    assert job["state"] == "running"  # not cancelled: it is still owed

    ran = queue_cli(tmp_path, "run")
    assert ran.returncode == 0, ran.stderr
    (job,) = json.loads(queue_cli(tmp_path, "list", "--json").stdout)
    assert job["state"] == "done" and job["attempts"] == 2 and out.exists()
