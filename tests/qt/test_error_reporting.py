"""Uncaught errors in slots and worker threads are logged and shown; the window keeps working."""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QObject, QRunnable, QThreadPool, QTimer, Signal, qWarning

from faceswap_desktop.app.diagnostics import Diagnostics, setup_logging
from faceswap_desktop.qt.error_reporting import ErrorReporter, install_qt_message_handler, qt_versions
from faceswap_desktop.qt.main_window import MainWindow


@pytest.fixture
def diagnostics(tmp_path: Path) -> Iterator[Diagnostics]:
    installed = setup_logging(tmp_path / "logs", console=False, extra_versions=qt_versions())
    yield installed
    installed.close()


def log_text(diagnostics: Diagnostics) -> str:
    for handler in logging.getLogger().handlers:
        handler.flush()
    return diagnostics.log_file.read_text(encoding="utf-8")


class Emitter(QObject):
    fired = Signal()


@pytest.mark.qt_no_exception_capture
def test_an_error_in_a_slot_is_logged_and_shown(qtbot, window: MainWindow, diagnostics: Diagnostics) -> None:
    reporter = ErrorReporter(diagnostics, window.show_error, window)
    emitter = Emitter()

    def broken_slot() -> None:
        raise ZeroDivisionError("ratio of /home/me/Videos/secret.mp4")

    emitter.fired.connect(broken_slot)
    QTimer.singleShot(0, emitter.fired.emit)
    qtbot.waitUntil(lambda: "ZeroDivisionError" in window.toast.text(), timeout=5000)
    assert reporter.shown and "It was logged" in window.toast.text()
    text = log_text(diagnostics)
    assert "uncaught error" in text and "broken_slot" in text and "secret.mp4" not in text
    # Still alive and responsive.
    window.show_error("still here", "info")
    assert window.isVisible() and window.toast.text() == "still here"


@pytest.mark.qt_no_exception_capture
def test_an_error_in_worker_threads_is_shown_on_the_gui_thread(
    qtbot, window: MainWindow, diagnostics: Diagnostics
) -> None:
    shown_on: list[threading.Thread] = []

    def show(message: str) -> None:
        shown_on.append(threading.current_thread())
        window.show_error(message)

    ErrorReporter(diagnostics, show, window)

    def broken_worker() -> None:
        raise RuntimeError("decoder fell over")

    class BrokenTask(QRunnable):
        def run(self) -> None:
            raise LookupError("pool task fell over")

    thread = threading.Thread(target=broken_worker, name="decoder")
    thread.start()
    thread.join()
    pool = QThreadPool()
    pool.start(BrokenTask())
    pool.waitForDone()
    qtbot.waitUntil(lambda: len(shown_on) == 2, timeout=5000)
    assert all(t is threading.main_thread() for t in shown_on)
    assert "LookupError: pool task fell over" in window.toast.text()
    text = log_text(diagnostics)
    assert "uncaught error in thread decoder" in text and "RuntimeError: decoder fell over" in text
    assert "LookupError: pool task fell over" in text


def test_qt_warnings_go_to_the_log_with_the_qt_version(diagnostics: Diagnostics) -> None:
    restore = install_qt_message_handler()
    try:
        qWarning("a Qt warning for the log")
    finally:
        restore()
    text = log_text(diagnostics)
    assert "WARNING" in text and "qt: a Qt warning for the log" in text
    assert f"qt {qt_versions()['qt']}" in text.splitlines()[0]
