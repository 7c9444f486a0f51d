"""The cast of the open video, scanned in the background (``app/cast.py``) on a worker thread of its own.

Opening a video starts a scan (or finds it in the per-user cache at once); opening another one cancels
it. Progress and the finished cast come back to the GUI thread as signals.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QObject, Signal

from ..app.cast import Cast, CastProgress, FaceFinder
from ..app.cast_cache import load_or_scan_cast
from ..core.errors import Cancelled
from ..core.media.guarded_decode import GuardedVideoReader
from ..core.roles import Recognizer
from .workers import SerialExecutor

log = logging.getLogger(__name__)


def scan_video_cast(
    path: Path,
    detector: FaceFinder,
    embedder: Recognizer | None,
    cancel: threading.Event,
    progress: Callable[[CastProgress], None],
) -> Cast:
    """Worker thread: the cast of ``path`` with a reader of its own (the previews keep theirs: a scan
    never waits for their seeks). The detector may be the previews' one: its calls are short and
    serialised (ONNX Runtime sessions shared through the app's session cache)."""
    with GuardedVideoReader(path) as reader:
        return load_or_scan_cast(reader, detector, embedder, cancel=cancel, progress=progress)


class CastLoader(QObject):
    """Scans the cast of one video at a time; ``cast_ready(path, cast)`` when done."""

    cast_ready = Signal(object, object)  # Path, Cast
    cast_progress = Signal(object, int, int)  # Path, frames scanned, frames in all
    cast_failed = Signal(object, str)  # Path, message

    def __init__(
        self,
        embedder: Callable[[], Recognizer | None],
        detector: Callable[[], FaceFinder],
        parent: QObject | None = None,
    ) -> None:
        """``embedder`` makes the recognizer that tells people apart and ``detector`` gives the face
        detector (both called on the worker thread)."""
        super().__init__(parent)
        self._embedder = embedder
        self._detector = detector
        self.executor = SerialExecutor("cast", self)
        self._cancel = threading.Event()

    def load(self, path: Path) -> None:
        """Scan ``path`` (cancelling a scan still running)."""
        self._cancel.set()
        cancel = self._cancel = threading.Event()

        def progress(update: CastProgress) -> None:
            self.cast_progress.emit(path, update.frames_done, update.frames_total)  # queued to the GUI

        self.executor.submit(
            lambda: scan_video_cast(path, self._detector(), self._embedder(), cancel, progress),
            lambda cast: self.cast_ready.emit(path, cast),
            lambda error: self._on_failed(path, error),
        )

    def cancel(self) -> None:
        """Stop the scan running (if any)."""
        self._cancel.set()

    def _on_failed(self, path: Path, error: Exception) -> None:
        if not isinstance(error, Cancelled):
            log.warning("cast scan of %s failed: %s", path.name, error)
            self.cast_failed.emit(path, str(error))

    def shutdown(self) -> None:
        self._cancel.set()
        self.executor.shutdown()
