"""Only regular files are opened as inputs: FIFOs, devices, sockets and folders are refused first.

``open()`` on a named pipe blocks until something writes to it, and a character device (``/dev/zero``,
``/dev/urandom``) never ends: a target like that hangs the CLI or the GUI thread that sniffs it. So the
kind of a path is checked with ``stat`` (which never blocks) before anything opens it, and
:func:`read_head` opens with ``O_NONBLOCK`` and checks the opened descriptor again, so a file swapped
for a pipe between the check and the open is refused too rather than blocking.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from ..errors import NotARegularFile, UnreadableFile

__all__ = ["NotARegularFile", "check_regular_file", "is_special_file", "read_head"]


def _kind(mode: int) -> str | None:
    """What a non-regular file is, in words; ``None`` for a regular file."""
    if stat.S_ISREG(mode):
        return None
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISFIFO(mode):
        return "a named pipe (FIFO)"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a regular file"


def _refusal(path: Path, kind: str) -> NotARegularFile:
    return NotARegularFile(f"{path} is {kind}; only regular files can be used as inputs")


def check_regular_file(path: str | os.PathLike[str]) -> None:
    """Raise :class:`NotARegularFile` for an existing path that is not a regular file (links are
    followed), :class:`~.errors.UnreadableFile` for a missing or inaccessible one. Never opens it."""
    file_path = Path(path)
    try:
        mode = os.stat(file_path).st_mode
    except FileNotFoundError:
        raise UnreadableFile(f"file not found: {file_path}") from None
    except PermissionError:
        raise UnreadableFile(f"permission denied: {file_path}") from None
    except OSError as error:
        raise UnreadableFile(f"cannot read {file_path.name}: {error.strerror or error}") from None
    kind = _kind(mode)
    if kind is not None:
        raise _refusal(file_path, kind)


def is_special_file(path: str | os.PathLike[str]) -> bool:
    """True for a path that exists and is not a regular file (a folder, FIFO, device or socket)."""
    try:
        return _kind(os.stat(path).st_mode) is not None
    except OSError:
        return False


def read_head(path: str | os.PathLike[str], size: int = 16) -> bytes:
    """The first ``size`` bytes of a regular file, without ever blocking on a pipe or a device.

    Raises :class:`NotARegularFile` for anything else, ``OSError`` as ``open()`` does otherwise.
    """
    file_path = Path(path)
    check_regular_file(file_path)
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0)
    descriptor = os.open(file_path, flags)
    try:
        kind = _kind(os.fstat(descriptor).st_mode)  # swapped for a pipe since the check: still refused
        if kind is not None:
            raise _refusal(file_path, kind)
        return os.read(descriptor, size)
    finally:
        os.close(descriptor)
