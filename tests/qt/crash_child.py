"""Child process of ``test_session_restore.py``: the real GUI start-up (offscreen), a photo and a video
session set up by hand, the autosave written, then a hard end.

Run as ``python crash_child.py segv|kill``: it prints READY once the snapshot is on disk, then ``segv``
kills itself with SIGSEGV (the fault handler writes ``crash.log``), ``kill`` waits for the parent's
SIGKILL (nothing is written at all). The config and log folders come from the environment.
"""

from __future__ import annotations

import os
import signal
import sys
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtWidgets import QApplication

from faceswap_desktop.app.session_snapshot import read_snapshot
from faceswap_desktop.core.settings import SwapSettings
from faceswap_desktop.qt import main as gui_main

SHARED = Path(__file__).resolve().parents[2].parent / "shared"
SOURCE = SHARED / "media/images/identity/biden/biden2.jpg"
CLIP = SHARED / "media/videos/Obama_speaking.mp4"


def pump_until(app: QApplication, condition, timeout: float = 60.0) -> None:  # type: ignore[no-untyped-def]
    end = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > end:
            raise TimeoutError("the window did not get there in time")
        app.processEvents()
        time.sleep(0.005)


def main() -> int:
    how = sys.argv[1]
    session = gui_main.start_gui([])
    assert session is not None and session.guard is not None
    app, window = session.app, session.window
    window.session.add_sources([SOURCE])
    pump_until(app, lambda: len(window.session.sources) == 1)
    window.session.set_settings(SwapSettings(strength=70))
    window.session.set_target(CLIP)
    pump_until(app, lambda: window.video.active)
    model = window.video.model
    model.set_keyframe(SwapSettings(strength=85), 30)
    model.set_out(120)
    model.set_in(20)
    model.set_position(60)
    snapshot_path = session.guard.snapshot_path

    def saved() -> bool:
        snapshot = read_snapshot(snapshot_path)
        return snapshot is not None and snapshot.video is not None and snapshot.video.position == 60

    pump_until(app, saved)
    print("READY", flush=True)
    if how == "segv":
        os.kill(os.getpid(), signal.SIGSEGV)
    while True:  # wait for the parent's SIGKILL, the window alive
        app.processEvents()
        time.sleep(0.01)


if __name__ == "__main__":
    sys.exit(main())
