"""Scrubbing the timeline while video exports start and run, in the real window (offscreen).

Before the fix (issue #17) the export's tracker embedded with dlib in the window's process: this scenario
segfaulted in ``dlib_recognizer.embed`` or hung an export for good (on the old code, see
docs/reliability.md for the counts). The window runs in a child process so that a crash fails this test
instead of killing the test run, and a hang fails it at the timeout.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from pathlib import Path

import av
import pytest

CHILD = Path(__file__).with_name("export_stress_child.py")
ROUNDS = 20
QUEUED = 4
TIMEOUT_S = 600


@pytest.mark.slow
def test_scrubbing_while_exports_run_neither_crashes_nor_hangs(tmp_path: Path) -> None:
    try:
        completed = subprocess.run(
            [sys.executable, "-X", "faulthandler", str(CHILD), str(tmp_path), str(ROUNDS), "7"],
            capture_output=True,
            text=True,
            timeout=TIMEOUT_S,
        )
    except subprocess.TimeoutExpired as error:
        pytest.fail(f"hang: the window did not finish its exports in {TIMEOUT_S} s\n{error.stderr}")
    if completed.returncode < 0:
        name = signal.Signals(-completed.returncode).name
        pytest.fail(f"the window crashed ({name})\n{completed.stderr[-4000:]}")
    assert completed.returncode == 0, completed.stderr[-4000:]
    summary = json.loads(completed.stdout.strip().splitlines()[-1])
    states = summary["states"]
    assert len(states) == ROUNDS + QUEUED
    assert all(state == "DONE" for state, _error in states.values()), states
    assert summary["scrubbed"] >= ROUNDS * 2  # the timeline really was clicked while exports ran
    outputs = sorted(tmp_path.glob("*.mp4"))
    assert len(outputs) == ROUNDS + QUEUED
    for output in outputs:
        with av.open(str(output)) as container:
            frames = sum(1 for _ in container.decode(video=0))
        assert frames == 16, output.name
    # Nothing left running after the window shut down: no Python thread, QThread, pool task or judge.
    assert summary["threads"] == [] and summary["qthreads"] == 0 and summary["pool_busy"] == 0
    assert summary["judge_processes"] == []
