"""Helpers and media paths shared by the Qt tests."""

from __future__ import annotations

import threading
from pathlib import Path

from faceswap_desktop.app.preview import PreviewResult
from faceswap_desktop.qt.main_window import MainWindow

SHARED = Path(__file__).resolve().parents[2].parent / "shared"
MEDIA = SHARED / "media" / "images"
OBAMA = MEDIA / "identity/obama/obama.jpg"
BIDEN = MEDIA / "identity/biden/biden2.jpg"
TWO_PEOPLE = MEDIA / "multi_face/two_people.jpg"
PREVIEW_TIMEOUT_MS = 30_000
HOLD_TIMEOUT_S = 30


def add_window(qtbot, window: MainWindow) -> None:  # type: ignore[no-untyped-def]
    """Track ``window`` for pytest-qt's close at the end of the test, shut down (jobs cancelled) first.

    pytest-qt closes tracked widgets before fixture teardown; a test that fails while an export job is
    still queued or running would otherwise block for ever in ``closeEvent``'s modal "Quit?" question.
    """
    qtbot.addWidget(window, before_close_func=lambda widget: widget.shutdown())


def wait_for_preview(qtbot, window: MainWindow) -> PreviewResult:  # type: ignore[no-untyped-def]
    """Wait until the shown preview matches the session's current request and its faces are scored
    (the live preview shows the frame first and measures the score after)."""

    def current() -> bool:
        result = window.last_result
        return (
            result is not None
            and result.request == window.session.preview_request()
            and not result.score_pending
        )

    qtbot.waitUntil(current, timeout=PREVIEW_TIMEOUT_MS)
    assert window.last_result is not None
    return window.last_result


def load_inputs(qtbot, window: MainWindow, sources: list[Path], target: Path) -> PreviewResult:  # type: ignore[no-untyped-def]
    window.session.add_sources(sources)
    window.session.set_target(target)
    qtbot.waitUntil(
        lambda: window.session.target is not None and len(window.session.sources) == len(sources),
        timeout=PREVIEW_TIMEOUT_MS,
    )
    return wait_for_preview(qtbot, window)


class Hold:
    """One place where a worker thread waits: ``entered`` once it is there, until ``release`` is set."""

    def __init__(self) -> None:
        self.entered, self.release = threading.Event(), threading.Event()


class WorkerHolds(dict[int, Hold]):
    """Holds by key (a strength, a frame index) for a worker hook such as ``before_measure``: tests hold
    the worker inside a phase to prove the order of events without depending on timing."""

    def add(self, key: int) -> Hold:
        """Install a hold for ``key`` and return it."""
        hold = self[key] = Hold()
        return hold

    def wait_at(self, key: int) -> None:
        """On the worker: wait here while a hold for ``key`` is installed and not released."""
        hold = self.get(key)
        if hold is not None:
            hold.entered.set()
            hold.release.wait(HOLD_TIMEOUT_S)

    def release_all(self) -> None:
        """Let the worker go on, whatever the test did."""
        for hold in self.values():
            hold.release.set()


def hold_cast_scans(monkeypatch) -> threading.Event:  # type: ignore[no-untyped-def]
    """Make every cast scan of the GUI wait (until the returned event is set, or the scan is cancelled)
    so that a test sees the provisional default person: the largest face of the first frame with a face.

    On ``short_hamilton_clip.mp4`` the cast's most present person (the singer's medium shot) is not in
    frame 0 (the ONNX judge splits his wide shot from it, see tests/video/test_cast.py), and the test
    session's cast cache makes a scan finish at once once any test scanned the clip: without the hold, a
    test of the provisional default would depend on which tests ran before it.
    """
    from faceswap_desktop.core.errors import Cancelled
    from faceswap_desktop.qt import cast_loader

    release = threading.Event()
    scan = cast_loader.scan_video_cast

    def held(path, detector, embedder, cancel, progress):  # type: ignore[no-untyped-def]
        while not release.wait(0.05):
            if cancel.is_set():
                raise Cancelled("cast scan cancelled")
        return scan(path, detector, embedder, cancel, progress)

    monkeypatch.setattr(cast_loader, "scan_video_cast", held)
    return release
