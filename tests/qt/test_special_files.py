"""A FIFO or a folder picked in a file dialog or dropped on the window: refused with a message, and the
GUI thread never blocks on it (issue #23). Dialogs and drops both end in ``session.set_target`` /
``session.add_sources``, which is what this drives."""

from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest
from PySide6.QtCore import QMimeData, QUrl

from faceswap_desktop.qt.drops import dropped_paths
from faceswap_desktop.qt.main_window import MainWindow

pytestmark = pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no named pipes on this platform")


class FifoWatchdog:
    """Unblocks whoever is blocked opening ``fifo`` for reading after ``seconds``, and says so: a
    regression then fails the test instead of hanging it."""

    def __init__(self, fifo: Path, seconds: float = 10.0) -> None:
        self.fifo, self.done, self.found_a_reader = fifo, threading.Event(), False
        self.thread = threading.Thread(target=self._watch, args=(seconds,), daemon=True)
        self.thread.start()

    def _watch(self, seconds: float) -> None:
        if self.done.wait(seconds):
            return
        try:  # succeeds only when a reader has the FIFO open (or is blocked opening it)
            descriptor = os.open(self.fifo, os.O_WRONLY | os.O_NONBLOCK)
        except OSError:
            return
        self.found_a_reader = True
        os.close(descriptor)

    def stop(self) -> None:
        self.done.set()
        self.thread.join()


@pytest.mark.parametrize("role", ["target", "source"])
def test_a_fifo_is_refused_with_a_message_and_never_opened(
    qtbot, window: MainWindow, tmp_path: Path, role: str
) -> None:  # type: ignore[no-untyped-def]
    fifo = tmp_path / ("clip.mp4" if role == "target" else "face.jpg")
    os.mkfifo(fifo)
    watchdog = FifoWatchdog(fifo)
    try:
        if role == "target":
            window.session.set_target(fifo)
        else:
            window.session.add_sources([fifo])
        qtbot.waitUntil(lambda: "named pipe (FIFO)" in window.toast.text(), timeout=20_000)
    finally:
        watchdog.stop()
    assert not watchdog.found_a_reader, "something opened the FIFO for reading"
    assert f"{fifo.name} is a named pipe" in window.toast.text()
    assert window.session.target is None and window.session.sources == []


def test_dropped_folders_are_skipped_and_a_dropped_fifo_reaches_the_refusal(tmp_path: Path) -> None:
    fifo, folder = tmp_path / "pipe.jpg", tmp_path / "folder.jpg"
    os.mkfifo(fifo)
    folder.mkdir()
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(folder)), QUrl.fromLocalFile(str(fifo))])
    assert dropped_paths(mime) == [fifo]  # then set_target / add_sources, as above
