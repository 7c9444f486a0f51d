"""A thread-safe cancel flag for long work: the job queue's jobs and the model store's downloads."""

from __future__ import annotations

import threading

from .errors import Cancelled


class CancelToken:
    """Set from any thread (:meth:`cancel`); the work checks it between steps (a job's steps, a
    download's chunks) and stops with :class:`Cancelled`."""

    def __init__(self) -> None:
        self._event = threading.Event()

    def cancel(self) -> None:
        self._event.set()

    @property
    def cancelled(self) -> bool:
        return self._event.is_set()

    def raise_if_cancelled(self) -> None:
        """Raise :class:`Cancelled` when the token was cancelled."""
        if self._event.is_set():
            raise Cancelled("cancelled by the user")

    def sleep(self, seconds: float) -> None:
        """Wait ``seconds`` unless cancelled first (back-off waits); raises :class:`Cancelled` when
        cancelled."""
        if self._event.wait(seconds):
            raise Cancelled("cancelled by the user")
