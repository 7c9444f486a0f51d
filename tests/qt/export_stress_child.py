"""Child process of ``test_export_stress.py``: the real window, offscreen, scrubbing while video exports
start and run.

Run as ``python export_stress_child.py OUT_DIR ROUNDS SEED``. A crash (segfault, GIL abort) kills this
process, not the test run; a hang is caught by the parent's timeout. On success it prints one JSON line:
the exports' states, the frames scrubbed and the threads still alive after shutdown.
"""

from __future__ import annotations

import gc
import json
import os
import random
import sys
import threading
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QThread, QThreadPool
from PySide6.QtWidgets import QApplication

from faceswap_desktop.app.context import create_context
from faceswap_desktop.app.user_settings import UserSettings, UserSettingsStore
from faceswap_desktop.core.media.video_writer import EncodeOptions
from faceswap_desktop.qt.main_window import MainWindow
from faceswap_desktop.qt.video_export_dialog import VideoExportChoice

SHARED = Path(__file__).resolve().parents[2].parent / "shared"
SOURCE = SHARED / "media/images/identity/biden/biden2.jpg"
CLIP = SHARED / "media/videos/short_hamilton_clip.mp4"
"""Several faces from the first frame: the export's tracker is in doubt and embeds (the crash's path)."""
EXPORT_FRAMES = 16
TIMEOUT_S = 120.0


def pump(app: QApplication, seconds: float) -> None:
    """Run the event loop for ``seconds`` (the user's idle time between clicks)."""
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        app.processEvents()
        time.sleep(0.002)


def wait_until(app: QApplication, condition, what: str) -> None:  # type: ignore[no-untyped-def]
    end = time.monotonic() + TIMEOUT_S
    while not condition():
        if time.monotonic() > end:
            raise TimeoutError(f"hang: {what} not reached in {TIMEOUT_S:.0f} s")
        pump(app, 0.01)


def main() -> int:
    out_dir, rounds, seed = Path(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
    config = out_dir / "config"
    os.environ["FACESWAP_CONFIG_DIR"] = str(config)
    app = QApplication([])
    store = UserSettingsStore(config)
    store.save(UserSettings(consent_accepted=True))
    window = MainWindow(create_context(), store)
    window.resize(1280, 800)
    window.show()
    random.seed(seed)
    window.session.add_sources([SOURCE])
    wait_until(app, lambda: len(window.session.sources) == 1, "source loaded")
    window.session.set_target(CLIP)
    wait_until(app, lambda: window.video.active and window.video.model.frame_count > 0, "clip opened")
    model = window.video.model
    frames = model.frame_count
    scrubbed = 0
    queued = []

    def export(name: str, first: int) -> None:
        choice = VideoExportChoice(
            out_dir / f"{name}.mp4",
            EncodeOptions(audio="none"),
            first,
            min(first + EXPORT_FRAMES, frames) - 1,
        )
        info = window.video.queue_export(choice)
        if info is None:
            raise RuntimeError(f"export {name} was not queued")
        queued.append(info)

    def scrub(clicks: int) -> None:
        nonlocal scrubbed
        for _ in range(clicks):
            model.set_position(random.randrange(frames))
            scrubbed += 1
            pump(app, random.uniform(0.0, 0.08))

    # Rounds: an export queued at a varied moment of a scrub (before, during, right after), the scrub
    # going on while it runs.
    for round_index in range(rounds):
        scrub(random.randrange(0, 4))
        export(f"round{round_index}", random.randrange(0, frames - EXPORT_FRAMES))
        scrub(random.randrange(2, 12))
        wait_until(app, lambda: all(info.state.is_final for info in window.runner.queue.jobs()), "export end")
    # Four exports back to back, scrubbing throughout.
    for index in range(4):
        export(f"queued{index}", random.randrange(0, frames - EXPORT_FRAMES))
    end = time.monotonic() + TIMEOUT_S
    while not all(info.state.is_final for info in window.runner.queue.jobs()):
        if time.monotonic() > end:
            raise TimeoutError("hang: the four queued exports did not finish")
        scrub(1)
    states = {info.title: (info.state.name, info.error) for info in window.runner.queue.jobs()}
    window.shutdown()
    window.close()
    app.processEvents()
    pump(app, 0.2)
    gc.collect()
    pools = [pool for pool in gc.get_objects() if isinstance(pool, QThreadPool)]
    pool_busy = sum(pool.activeThreadCount() for pool in pools)
    qthreads = [t for t in gc.get_objects() if isinstance(t, QThread) and t.isRunning()]
    # _DummyThread entries stand for threads started outside Python (Qt's): they never leave the list.
    alive = [
        thread.name
        for thread in threading.enumerate()
        if thread is not threading.main_thread()
        and not isinstance(thread, threading._DummyThread)  # type: ignore[attr-defined]
        and thread.is_alive()
    ]
    children = [judge.judge_id for judge in window.judges.values() if judge.started]
    summary = {
        "states": states,
        "scrubbed": scrubbed,
        "threads": alive,
        "qthreads": len(qthreads) - (1 if QThread.currentThread() in qthreads else 0),
        "pool_busy": pool_busy,
        "judge_processes": children,
    }
    print(json.dumps(summary))
    sys.stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
