"""An exclusive, non-blocking advisory lock on a file, dropped by the OS when its process dies.

Used to tell whether another window owns the job queue or the session autosave, and whether the process
that left a file behind is gone (it cannot hold the lock any more, even after SIGKILL or a segfault).
"""

from __future__ import annotations

import contextlib
import sys
from pathlib import Path
from typing import IO


class FileLock:
    """``acquire()`` -> True when this process now holds the lock; ``release()`` drops it (idempotent)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._handle: IO[bytes] | None = None

    @property
    def held(self) -> bool:
        return self._handle is not None

    def acquire(self) -> bool:
        """Take the lock without waiting; False when another process holds it."""
        if self._handle is not None:
            return True
        self.path.parent.mkdir(parents=True, exist_ok=True)
        handle = open(self.path, "a+b")  # noqa: SIM115 - held open for as long as the lock is
        try:
            if sys.platform == "win32":
                import msvcrt

                handle.seek(0)
                msvcrt.locking(handle.fileno(), msvcrt.LK_NBLCK, 1)
            else:
                import fcntl

                fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            handle.close()
            return False
        self._handle = handle
        return True

    def release(self) -> None:
        if self._handle is not None:
            with contextlib.suppress(OSError):
                self._handle.close()  # closing drops the lock
            self._handle = None
