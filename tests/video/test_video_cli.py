"""The CLI with a video target, as a subprocess: report contents, and Ctrl-C leaving no file."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from faceswap_desktop.core.media.video_io import probe_video

from .conftest import BIDEN, OBAMA


def cli(*args: str | Path, verbose: bool = False) -> list[str]:
    command = [sys.executable, "-m", "faceswap_desktop", *(["-v"] if verbose else []), "swap"]
    return [*command, "--source", str(BIDEN), *map(str, args)]


@pytest.mark.slow
def test_video_swap_writes_the_video_and_a_per_frame_report(tmp_path: Path) -> None:
    out, report = tmp_path / "out.mp4", tmp_path / "report.json"
    proc = subprocess.run(
        cli("--target", OBAMA, "--output", out, "--start", "2", "--end", "3.5", "--preset", "ultrafast",
            "--crf", "23", "--report", report, "--json"),
        capture_output=True, text=True, timeout=180,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    summary = json.loads(proc.stdout)
    assert summary["frames"] == summary["frames_written"] == 45 == probe_video(out).frame_count
    data = json.loads(report.read_text())
    frames = data["per_frame"]
    assert [f["index"] for f in frames] == list(range(60, 105))
    assert frames[0]["time"] == pytest.approx(2.0) and all(f["face_found"] for f in frames)
    measured = [f for f in frames if "similarity" in f]
    assert len(measured) == 5 and data["judge"] == "dlib ResNet-34 (128-d)"  # every 10th frame
    assert data["similarity_percent_mean"] > 60


def _default_ctrl_c() -> None:
    """Ctrl-C's default action in the child. A shell starts a background job (`make test &`, a CI
    runner's job) with SIGINT ignored, the child inherits that, and Python then installs no
    KeyboardInterrupt handler: the export would never see the test's Ctrl-C. A user's terminal
    delivers it to a foreground process, which this restores."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


@pytest.mark.slow
def test_ctrl_c_cancels_without_leaving_a_file(tmp_path: Path) -> None:
    out, folder, log = tmp_path / "out" / "out.mp4", tmp_path / "out", tmp_path / "stderr.log"
    folder.mkdir()
    with open(log, "wb") as stderr_file:
        # Ctrl-C comes at a point of the export's own progress, whatever the machine's speed: once -v
        # has logged frame 50 of 259 and the partial file exists (the encoder writes it from its first
        # packet, some 40 frames in), not after a wall-clock delay.
        proc = subprocess.Popen(
            cli("--target", OBAMA, "--output", out, "--no-score", "--tracking-judge", "none", verbose=True),
            stdout=subprocess.DEVNULL, stderr=stderr_file, preexec_fn=_default_ctrl_c,
        )  # fmt: skip
        deadline = time.monotonic() + 120
        while "50/259 frames" not in log.read_text(errors="replace") or not any(
            p.name.endswith(".partial.mp4") for p in folder.iterdir()
        ):
            assert proc.poll() is None and time.monotonic() < deadline, log.read_text(errors="replace")
            time.sleep(0.02)
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=10)
    stderr = log.read_text(errors="replace")
    assert proc.returncode == 130, stderr
    assert "cancelled" in stderr and "250/259 frames" not in stderr
    assert list(folder.iterdir()) == []
