"""Model store work off the GUI thread: status scans, downloads, imports and verification.

Everything that hashes or transfers a model file runs on the runner's own thread pool; results and
progress come back as signals of this GUI-thread object (queued, so slots run on the GUI thread).
Download progress is throttled on the worker to at most one signal per :data:`PROGRESS_INTERVAL_S`.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal

from ..core.errors import Cancelled, FaceswapError, ModelIntegrityError, ModelMissing
from ..inference.download import CancelToken, DownloadProgress
from ..inference.store import ModelStatus, ModelStore
from ..inference.user_models import remove_user_model

log = logging.getLogger(__name__)

PROGRESS_INTERVAL_S = 0.1
"""At most ten progress signals a second reach the GUI, however fast the bytes arrive."""

# Failure kinds carried by ``ModelTaskRunner.failed``.
CORRUPT, NETWORK, CANCELLED, ERROR = "corrupt", "network", "cancelled", "error"


class _Run(QRunnable):
    def __init__(self, function: Callable[[], None]) -> None:
        super().__init__()
        self.function = function

    def run(self) -> None:
        try:
            self.function()
        except Exception:  # never let a failure kill the pool thread
            log.exception("model task failed")


class ProgressThrottle:
    """Passes a download's progress on at a bounded rate; the first and the final report always pass."""

    def __init__(self, emit: Callable[[DownloadProgress], None], interval_s: float = PROGRESS_INTERVAL_S):
        self._emit, self._interval = emit, interval_s
        self._last = float("-inf")

    def __call__(self, progress: DownloadProgress) -> None:
        now = time.monotonic()
        final = progress.total is not None and progress.received >= progress.total
        if final or progress.note or now - self._last >= self._interval:
            self._last = now
            self._emit(progress)


class ModelTaskRunner(QObject):
    """Runs :class:`ModelStore` operations on worker threads and reports by signal."""

    status_ready = Signal(str, object)  # model id, ModelStatus
    progress = Signal(str, object, object)  # model id, bytes received, total bytes or None
    retrying = Signal(str, str)  # model id, what went wrong and when the next attempt is
    finished = Signal(str, object)  # model id, ModelStatus after a download/import/verify
    failed = Signal(str, str, str)  # model id, kind (corrupt/network/cancelled/error), message
    removed = Signal(str)  # a user model's id, after it was unregistered and its file deleted

    def __init__(self, store: ModelStore, parent: QObject | None = None, threads: int = 3) -> None:
        super().__init__(parent)
        self.store = store
        self.pool = QThreadPool(self)
        self.pool.setObjectName("models")
        self.pool.setMaxThreadCount(threads)
        self._tokens: dict[str, CancelToken] = {}
        self._lock = threading.Lock()

    # -- requests (GUI thread) ------------------------------------------------------------------------
    def scan(self, model_ids: list[str]) -> None:
        """Report the status of each model (hashing files whose verdict is not cached)."""
        self.pool.start(_Run(lambda: self._scan(list(model_ids))))

    def download(self, model_id: str) -> None:
        """Download, verify and install ``model_id``; :meth:`cancel` stops it between chunks."""
        token = CancelToken()
        with self._lock:
            self._tokens[model_id] = token
        self.pool.start(_Run(lambda: self._download(model_id, token)))

    def import_file(self, model_id: str, source: Path) -> None:
        """Copy ``source`` into the store after verifying it against the registry."""
        self.pool.start(_Run(lambda: self._import(model_id, source)))

    def verify(self, model_id: str) -> None:
        """Re-hash the installed file (a corrupt one is quarantined)."""
        self.pool.start(_Run(lambda: self._verify(model_id)))

    def remove_user_model(self, model_id: str) -> None:
        """Unregister user model ``model_id`` and delete its stored file."""
        self.pool.start(_Run(lambda: self._remove(model_id)))

    def cancel(self, model_id: str) -> None:
        with self._lock:
            token = self._tokens.get(model_id)
        if token is not None:
            token.cancel()

    def busy(self) -> bool:
        return self.pool.activeThreadCount() > 0

    def shutdown(self, timeout_ms: int = 30_000) -> bool:
        """Cancel every download, drop queued work and wait for the workers."""
        with self._lock:
            tokens = list(self._tokens.values())
        for token in tokens:
            token.cancel()
        self.pool.clear()
        return bool(self.pool.waitForDone(timeout_ms))

    # -- work (worker threads) ------------------------------------------------------------------------
    def _scan(self, model_ids: list[str]) -> None:
        for model_id in model_ids:
            try:
                status = self.store.status(model_id)
            except (OSError, FaceswapError) as error:
                self.failed.emit(model_id, ERROR, f"cannot read {model_id}: {error}")
                continue
            self.status_ready.emit(model_id, status)

    def _download(self, model_id: str, token: CancelToken) -> None:
        def report(progress: DownloadProgress) -> None:
            if progress.note:
                self.retrying.emit(model_id, progress.note)
            else:
                self.progress.emit(model_id, progress.received, progress.total)

        try:
            self.store.download(model_id, progress=ProgressThrottle(report), cancel=token)
        except Cancelled:
            self.failed.emit(model_id, CANCELLED, f"Download of {model_id} cancelled.")
        except ModelIntegrityError as error:
            self.failed.emit(model_id, CORRUPT, f"Download of {model_id} failed verification: {error}")
        except ModelMissing as error:  # ModelDownloadError: every mirror failed
            self.failed.emit(model_id, NETWORK, f"Download of {model_id} failed: {error}")
        except (OSError, FaceswapError) as error:
            self.failed.emit(model_id, ERROR, f"Download of {model_id} failed: {error}")
        else:
            self.finished.emit(model_id, ModelStatus.OK)
        finally:
            with self._lock:
                if self._tokens.get(model_id) is token:
                    del self._tokens[model_id]

    def _import(self, model_id: str, source: Path) -> None:
        try:
            self.store.import_file(model_id, source)
        except ModelIntegrityError as error:
            self.failed.emit(model_id, CORRUPT, f"{source.name} is not {model_id}: {error}")
        except (OSError, FaceswapError) as error:
            self.failed.emit(model_id, ERROR, f"Could not import {source.name}: {error}")
        else:
            self.finished.emit(model_id, ModelStatus.OK)

    def _remove(self, model_id: str) -> None:
        try:
            remove_user_model(self.store, model_id)
        except (OSError, FaceswapError) as error:
            self.failed.emit(model_id, ERROR, f"Could not remove {model_id}: {error}")
        else:
            self.removed.emit(model_id)

    def _verify(self, model_id: str) -> None:
        try:
            status = self.store.verify(model_id)
        except (OSError, FaceswapError) as error:
            self.failed.emit(model_id, ERROR, f"Could not verify {model_id}: {error}")
            return
        if status is ModelStatus.CORRUPT:
            self.failed.emit(
                model_id, CORRUPT, f"{model_id} failed verification and was moved to quarantine."
            )
        else:
            self.finished.emit(model_id, status)
