"""SHA-256 of a file's bytes, read once per process for a file left unchanged.

Several parts of the app hash the same files in one process: a video's content keys its cast in the
cache (asked by the scan, the export and the summary), and an embedded model is hashed to verify it and
again to key its saved optimised graph. A file of the same device, inode, size and modification time
(in ns) is not read again.
"""

from __future__ import annotations

import hashlib
import os
import threading
from pathlib import Path

_known: dict[tuple[int, int, int, int], str] = {}
_lock = threading.Lock()


def file_sha256(path: Path, chunk: int = 4 * 2**20) -> str:
    """The hex SHA-256 of ``path``'s bytes (about 1 s a GB the first time); raises OSError as ``open``."""
    with open(path, "rb") as handle:
        status = os.fstat(handle.fileno())
        key = (status.st_dev, status.st_ino, status.st_size, status.st_mtime_ns)
        with _lock:
            known = _known.get(key)
        if known is not None:
            return known
        digest = hashlib.sha256()
        while block := handle.read(chunk):
            digest.update(block)
    with _lock:
        _known[key] = digest.hexdigest()
    return _known[key]
