"""Scrub latency in the real window (offscreen): from a timeline position change to the preview update.

Run: ``QT_QPA_PLATFORM=offscreen .venv/bin/python benchmarks/bench_scrub_gui.py [--seeks 30]
[--clip PATH]``. Opens the main window with one source photo and a video (default: the shared
``short_hamilton_clip.mp4``, several people and scene cuts), then jumps the playhead to random frames
(the same seeds for each mode), one at a time: each jump waits until its frame is shown and its identity
checked before the next. Two modes, each on a freshly opened video (nothing cached):

- ``identity first``: the preview worker checks identity before the frame is returned (the blocking
  ``VideoSession.preview``; what the timeline did before the two-phase preview);
- ``deferred``: the frame with the likeliest face swapped is shown first and checked after.

"first" is the time from ``TimelineModel.set_position`` to the preview view holding that frame
(including the 40 ms request throttle; the worker's part of it, ``VideoFrameResult.elapsed_ms``, is
printed too: decode, detection, swap and the judge's score); "checked" to the identity check being
done (a corrected frame on screen, or the first one confirmed). Prints p50/p95; asserts nothing.
Numbers move with the load of the machine (printed).
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from PySide6.QtCore import QEventLoop, QTimer
from PySide6.QtWidgets import QApplication

from faceswap_desktop.app.context import create_context
from faceswap_desktop.app.user_settings import CONFIG_DIR_ENV, UserSettings, UserSettingsStore
from faceswap_desktop.qt.main_window import MainWindow
from faceswap_desktop.qt.video_workers import VideoFrameResult

SHARED = Path(os.environ.get("FACESWAP_SHARED_DIR", Path(__file__).resolve().parents[2] / "shared"))
CLIP = SHARED / "media" / "videos" / "short_hamilton_clip.mp4"
SOURCE = SHARED / "media" / "images" / "identity" / "biden" / "biden2.jpg"


def wait_until(app: QApplication, condition: Callable[[], bool], timeout_s: float = 60.0) -> None:
    """Run the event loop until ``condition`` holds (checked every millisecond). A QEventLoop, not a
    ``processEvents()`` loop: with PySide6 6.12 every ``processEvents()`` call drops a reference to
    None, and a few ten thousand calls abort the interpreter ("none_dealloc")."""
    if condition():
        return
    deadline = time.monotonic() + timeout_s
    loop = QEventLoop()
    timer = QTimer(interval=1)

    def check() -> None:
        if condition() or time.monotonic() > deadline:
            loop.quit()

    timer.timeout.connect(check)
    timer.start()
    loop.exec()
    timer.stop()
    if not condition():
        raise TimeoutError("the window did not reach the expected state")


def p50_p95(values: list[float]) -> str:
    q = statistics.quantiles(values, n=20)
    return f"p50 {q[9]:.0f} ms, p95 {q[18]:.0f} ms"


def run_mode(app: QApplication, window: MainWindow, clip: Path, deferred: bool, seeks: int) -> None:
    video = window.video
    if video.active:
        video.close_video()
    video.engine.defer_identity = deferred  # the worker is idle: nothing is open
    first: dict[int, float] = {}
    checked: dict[int, float] = {}
    guessed: set[int] = set()
    render_ms: dict[int, float] = {}

    def on_ready(result: VideoFrameResult, _image: object) -> None:  # after the workspace's own slot
        index = result.request.index
        first.setdefault(index, time.perf_counter())
        render_ms.setdefault(index, result.elapsed_ms)
        if result.needs_confirmation:
            guessed.add(index)
        else:
            checked.setdefault(index, time.perf_counter())

    def on_confirmed(result: VideoFrameResult) -> None:
        checked.setdefault(result.request.index, time.perf_counter())

    video.controller.preview_ready.connect(on_ready)
    video.controller.identity_confirmed.connect(on_confirmed)
    window.session.set_target(clip)  # a fresh VideoSession: no frame, face or identity cached
    wait_until(app, lambda: video.path == clip and 0 in checked and not video.controller.running)
    rng = random.Random(0)
    frames = video.model.frame_count
    shown_ms, checked_ms, worker_ms, corrections = [], [], [], 0
    for _ in range(seeks):
        index = rng.randrange(1, frames)
        if index in first:
            continue
        started = time.perf_counter()
        video.model.set_position(index)
        wait_until(app, lambda i=index: i in checked and not video.controller.running)
        shown_ms.append((first[index] - started) * 1000)
        checked_ms.append((checked[index] - started) * 1000)
        worker_ms.append(render_ms[index])
        result = video.last_result
        corrections += bool(result is not None and result.correction)
    video.controller.preview_ready.disconnect(on_ready)
    video.controller.identity_confirmed.disconnect(on_confirmed)
    mode = "deferred" if deferred else "identity first"
    print(
        f"GUI scrub ({mode}), {len(shown_ms)} seeks over {frames} frames of {clip.name}: "
        f"first preview {p50_p95(shown_ms)} (of which the worker's render {p50_p95(worker_ms)}); "
        f"checked {p50_p95(checked_ms)} "
        f"(shown before the check: {len(guessed)}; corrected: {corrections})"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seeks", type=int, default=30)
    parser.add_argument("--clip", type=Path, default=CLIP)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bench_scrub_gui_"))
    os.environ[CONFIG_DIR_ENV] = str(work / "config")
    store = UserSettingsStore()
    store.save(UserSettings(consent_accepted=True))
    app = QApplication.instance() or QApplication(sys.argv)
    assert isinstance(app, QApplication)
    print(
        f"cores: {len(os.sched_getaffinity(0))}; load average {os.getloadavg()[0]:.2f} "
        "(other processes share the cores)"
    )
    window = MainWindow(create_context(), store)
    window.show()
    try:
        window.session.add_sources([SOURCE])
        wait_until(app, lambda: len(window.session.usable_sources) == 1)
        for deferred in (False, True):
            run_mode(app, window, args.clip, deferred, args.seeks)
    finally:
        window.shutdown()
        window.close()
        window.deleteLater()
    print(f"load average at the end {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
