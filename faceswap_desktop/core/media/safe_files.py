"""Never losing work: atomic writes, no overwriting of inputs, free-space checks, typed disk-full errors.

Every output is written to a temporary file in the destination folder (same filesystem, so the final
rename is atomic) and only then published under its real name. Publishing without ``overwrite`` uses a
hard link, which fails when the name already exists, so an output that appeared after the user was
asked is never silently replaced.
"""

from __future__ import annotations

import contextlib
import errno
import logging
import os
import shutil
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path

from ..errors import DiskFull, OutputConflict

log = logging.getLogger(__name__)

FREE_SPACE_MARGIN_BYTES = 16 * 1024 * 1024
"""Kept free beyond an output's estimated size (file-system metadata, the temp file's growth)."""

PARTIAL_SUFFIX = ".part"


def same_file(a: str | os.PathLike[str], b: str | os.PathLike[str]) -> bool:
    """True when ``a`` and ``b`` name one file: symlinks, hard links, ``..`` and, on case-insensitive
    file systems, other spellings of the name are all caught.

    When both exist, ``os.path.samefile`` (device + inode) decides. Otherwise the resolved paths are
    compared after ``os.path.normcase`` (case-folded on Windows).
    """
    first, second = Path(a), Path(b)
    with contextlib.suppress(OSError):
        if first.exists() and second.exists():
            return os.path.samefile(first, second)
    return os.path.normcase(str(first.resolve())) == os.path.normcase(str(second.resolve()))


def check_not_an_input(output: str | os.PathLike[str], inputs: Iterable[str | os.PathLike[str]]) -> None:
    """Raise :class:`OutputConflict` when ``output`` is (an alias of) one of ``inputs``."""
    for item in inputs:
        if same_file(output, item):
            raise OutputConflict(f"output would overwrite an input: {Path(output).name}")


def is_disk_full(error: BaseException) -> bool:
    """True for ENOSPC/EDQUOT errors (PyAV's FFmpeg errors carry the errno too)."""
    return isinstance(error, OSError) and error.errno in (errno.ENOSPC, errno.EDQUOT)


def disk_full_error(path: str | os.PathLike[str], error: OSError) -> DiskFull:
    """The typed error for a disk that filled up while writing ``path``."""
    return DiskFull(
        f"the disk is full: {Path(path).name} could not be written ({error.strerror or error}); "
        "nothing was replaced, free some space and try again"
    )


def free_bytes(folder: str | os.PathLike[str]) -> int:
    """Free bytes for this user on the file system holding ``folder``."""
    return int(shutil.disk_usage(folder).free)


def check_free_space(folder: str | os.PathLike[str], needed_bytes: int, what: str = "the output") -> None:
    """Raise :class:`DiskFull` when ``folder``'s file system has less than ``needed_bytes`` + a margin."""
    try:
        free = free_bytes(folder)
    except OSError as error:  # cannot tell: let the write itself find out
        log.warning("cannot read the free space of %s: %s", folder, error)
        return
    needed = needed_bytes + FREE_SPACE_MARGIN_BYTES
    if free < needed:
        raise DiskFull(
            f"not enough free space for {what}: about {needed / 2**20:.0f} MiB needed, "
            f"{free / 2**20:.0f} MiB free"
        )


def _read_umask() -> int:
    # Read once at import: os.umask can only be read by setting it, which would race other threads later.
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


_UMASK = _read_umask()


def temporary_sibling(target: Path, suffix: str = PARTIAL_SUFFIX, private: bool = False) -> Path:
    """A new, empty, uniquely named hidden file beside ``target`` (same file system).

    mkstemp creates it readable by the owner only; unless ``private``, it gets the permissions a plain
    ``open`` would give (0666 minus the umask), so exports are not unexpectedly private.
    """
    fd, name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=suffix, dir=target.parent)
    try:
        if not private:
            with contextlib.suppress(OSError):  # e.g. file systems without permissions
                os.chmod(name, 0o666 & ~_UMASK)
    finally:
        os.close(fd)
    return Path(name)


def stale_partials(target: Path) -> Iterator[Path]:
    """Temporary files a killed writer of ``target`` may have left beside it."""
    with contextlib.suppress(OSError):
        yield from target.parent.glob(f".{target.name}.*{PARTIAL_SUFFIX}")


def publish(temporary: Path, target: Path, overwrite: bool) -> None:
    """Give the complete ``temporary`` file its final name; without ``overwrite`` never replace a file.

    Raises :class:`OutputConflict` when ``target`` exists and ``overwrite`` is False; on any failure the
    caller removes ``temporary``.
    """
    if overwrite:
        os.replace(temporary, target)
        return
    try:
        os.link(temporary, target)  # atomic "create if absent"
    except FileExistsError:
        raise OutputConflict(f"output exists: {target.name} (appeared while writing; not replaced)") from None
    except OSError as error:
        if error.errno not in (errno.EPERM, errno.EOPNOTSUPP, errno.EXDEV, errno.EMLINK, errno.ENOTSUP):
            raise
        # No hard links here (FAT, some network shares): check, then rename; a tiny race remains.
        if target.exists():
            raise OutputConflict(f"output exists: {target.name} (not replaced)") from None
        os.replace(temporary, target)
        return
    os.unlink(temporary)


def write_bytes_atomic(
    path: str | os.PathLike[str], data: bytes, overwrite: bool = True, private: bool = False
) -> None:
    """Write to a temporary file beside ``path``, fsync, then publish: never a half-written final file.

    A full disk raises :class:`DiskFull`; the temporary file is removed and ``path`` is untouched.
    ``private`` keeps the file readable by its owner only (keys).
    """
    target = Path(path)
    temporary = temporary_sibling(target, private=private)
    try:
        with open(temporary, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        publish(temporary, target, overwrite)
    except OSError as error:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        if is_disk_full(error):
            raise disk_full_error(target, error) from None
        raise
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise
