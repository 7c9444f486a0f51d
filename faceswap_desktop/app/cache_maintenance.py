"""What the app keeps in its per-user cache folder, and clearing it.

Two kinds of entries are kept there, both derived from the user's own media and both safe to lose (they
are made again when needed, at the cost of time):

- cast scans (``cast/``, :mod:`faceswap_desktop.app.cast_cache`): each scanned video's people, with a
  face thumbnail per person;
- source preparations (``sources/``, :mod:`faceswap_desktop.app.source_cache`): the mesh engine's
  texture of each source photo used in an export.

They hold faces, so a user must be able to see and remove them: ``faceswap-desktop cache [--clear]``
and Tools > Clear cached faces… in the window. Clearing removes only the files of those two folders,
nothing else under the cache folder and never the folders' parents.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from .cast_cache import cache_folder as cast_cache_folder
from .source_cache import cache_folder as source_cache_folder

CACHE_KINDS: dict[str, Callable[[], Path]] = {
    "cast scans": cast_cache_folder,
    "source preparations": source_cache_folder,
}
"""Each kind of cached entry and the function giving its folder (read at call time:
``FACESWAP_CACHE_DIR`` may change between calls, as in tests)."""


@dataclass(frozen=True)
class CacheKindUsage:
    """One kind of cached entry: its folder, its files and their total size."""

    kind: str
    folder: Path
    files: int
    bytes: int


def _files(folder: Path) -> list[Path]:
    if not folder.is_dir():
        return []
    # Entries are flat files; a link is counted and removed as a link, never followed.
    return sorted(p for p in folder.iterdir() if p.is_symlink() or p.is_file())


def cache_usage() -> list[CacheKindUsage]:
    """The files and bytes each kind of cached entry takes now (a missing folder counts as empty)."""
    usage = []
    for kind, folder_of in CACHE_KINDS.items():
        folder = folder_of()
        files = _files(folder)
        size = sum(p.lstat().st_size for p in files)
        usage.append(CacheKindUsage(kind, folder, len(files), size))
    return usage


def clear_caches() -> tuple[int, int, list[str]]:
    """Remove every cached entry: (files removed, bytes freed, one line per file that could not be
    removed). A file another process holds open is skipped on Windows and named in the lines."""
    removed = freed = 0
    problems: list[str] = []
    for folder_of in CACHE_KINDS.values():
        for path in _files(folder_of()):
            try:
                size = path.lstat().st_size
                path.unlink()
            except FileNotFoundError:
                continue  # removed meanwhile (another window clearing, or pruning)
            except OSError as error:
                problems.append(f"{path}: {error.strerror or error}")
                continue
            removed += 1
            freed += size
    return removed, freed, problems


def describe_size(size: int) -> str:
    """``size`` bytes for people: "0 bytes", "812 KB", "4.5 MB", "1.2 GB"."""
    if size < 1000:
        return f"{size} bytes"
    for unit, scale in (("KB", 1e3), ("MB", 1e6)):
        if size < scale * 1000:
            value = size / scale
            return f"{value:.0f} {unit}" if unit == "KB" or value >= 100 else f"{value:.1f} {unit}"
    return f"{size / 1e9:.1f} GB"
