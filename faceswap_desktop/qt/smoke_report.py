"""A start-up self-check for packaged builds: ``FACESWAP_SMOKE_REPORT=/path/report.json``.

With the variable set, the window reports once its first scored preview is on screen (or, started with
no files, once the window is up): the window's picture (``report.png`` beside the JSON), what was loaded
and what the similarity gauge shows, then quits after ``FACESWAP_SMOKE_LINGER_MS`` (default 0; an X
server screenshot can be taken meanwhile). ``benchmarks/bench_startup.py`` times start-ups with it. The
packaged build's smoke test (``packaging/smoke_test.py``) uses it to prove that the frozen app starts,
finds its models and swaps the files named on its command line. Nothing happens without the variable.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from PySide6.QtCore import QObject, QTimer
from PySide6.QtWidgets import QApplication

from .main_window import MainWindow

REPORT_ENV = "FACESWAP_SMOKE_REPORT"
LINGER_ENV = "FACESWAP_SMOKE_LINGER_MS"


class SmokeReport(QObject):
    """Waits (polling, off nobody's critical path) for the first scored preview, then reports."""

    def __init__(self, window: MainWindow, report: Path, linger_ms: int, files_given: bool) -> None:
        super().__init__(window)
        self._window, self._report, self._linger_ms = window, report, linger_ms
        self._files_given = files_given
        self._timer = QTimer(self)
        self._timer.setInterval(50)
        self._timer.timeout.connect(self._check)
        self._timer.start()

    def _check(self) -> None:
        window = self._window
        result = window.last_result
        if not self._files_given:
            if window.isVisible():
                self._finish({"platform": QApplication.platformName(), "window_shown": True})
            return
        if result is None or result.score_pending or result.request != window.session.preview_request():
            return
        target = window.session.target
        self._finish(
            {
                "platform": QApplication.platformName(),
                "sources": [str(item.path) for item in window.session.sources],
                "target": str(target.path) if target is not None else None,
                "faces_swapped": len(result.swapped),
                "similarity": [
                    face.similarity.cosine if face.similarity is not None else None for face in result.swapped
                ],
                "gauges": [gauge.text() for gauge in window.similarity_panel.gauges],
            }
        )

    def _finish(self, report: dict[str, object]) -> None:
        self._timer.stop()
        picture = self._report.with_suffix(".png")
        self._window.grab().save(str(picture))
        report["picture"] = str(picture)
        # Written whole then renamed: a reader polling for the file never sees half of it.
        partial = self._report.with_name(self._report.name + ".part")
        partial.write_text(json.dumps(report, indent=2), encoding="utf-8")
        partial.replace(self._report)
        QTimer.singleShot(self._linger_ms, QApplication.quit)


def install_smoke_report(window: MainWindow, files_given: bool) -> SmokeReport | None:
    """The self-check, when :data:`REPORT_ENV` asks for it."""
    path = os.environ.get(REPORT_ENV)
    if not path:
        return None
    return SmokeReport(window, Path(path), int(os.environ.get(LINGER_ENV, "0")), files_given)
