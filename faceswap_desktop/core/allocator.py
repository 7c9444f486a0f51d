"""glibc's malloc told to keep freed memory while a video export runs (Linux only; elsewhere a no-op).

A swap allocates and frees ROI-sized temporaries every frame (maps, masks, colour planes: 1-4 MiB each,
tens of MiB per frame). glibc hands blocks that large out with ``mmap`` or trims them off the heap's top
when they are freed, so the next frame's arrays start as fresh pages: every 4 KiB page faults and is
zeroed by the kernel on first touch. On the 2-core development machine (a VM) that costs ~2.5 us per page:
one 2-channel float map upsampled for the liquify (three 3.6 MiB temporaries) took 7.5 ms of CPU, 0.95 ms
with the memory kept (docs/video_performance.md, "Page faults").
"""

from __future__ import annotations

import ctypes
import ctypes.util
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager

M_TRIM_THRESHOLD = -1
M_MMAP_THRESHOLD = -3
"""mallopt parameter numbers (glibc's malloc.h)."""

MMAP_THRESHOLD = 32 << 20
"""Blocks below this come from the heap, not from their own ``mmap``: glibc's own dynamic threshold
stops at this value (64-bit), so no frame-sized array (a 4K frame is 24 MiB) gets a fresh mapping."""

TRIM_THRESHOLD = 128 << 20
"""Free memory at the top of a heap kept for reuse up to this much (glibc's default is 128 KiB, or twice
the dynamic mmap threshold once that has grown): at most this much more resident memory per malloc arena
(the export's threads use a few)."""

RESTORED_TRIM_THRESHOLD = 2 * MMAP_THRESHOLD
"""The trim threshold left when the last holder leaves: glibc's own rule for its dynamic threshold
(twice the mmap threshold), applied to the mmap threshold left in place."""

_lock = threading.Lock()
_holders = 0


def _glibc() -> ctypes.CDLL | None:
    if not sys.platform.startswith("linux"):
        return None
    name = ctypes.util.find_library("c")
    if name is None:
        return None
    try:
        libc = ctypes.CDLL(name)
        libc.mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
        libc.malloc_trim.argtypes = [ctypes.c_size_t]
    except (OSError, AttributeError):  # not glibc (musl has no mallopt)
        return None
    return libc


@contextmanager
def keep_freed_memory() -> Iterator[None]:
    """While any holder is inside, freed memory stays in the process for the next frame's arrays.

    Process-wide (malloc's settings), so holders are counted. Setting either parameter turns glibc's
    dynamic thresholds off for the rest of the process, so there is no "before" to go back to: when the
    last holder leaves, ``malloc_trim`` returns the kept memory to the system and the thresholds stay as
    glibc's dynamic rule would set them for blocks of :data:`MMAP_THRESHOLD` (mmap threshold that, trim
    threshold twice it). A fixed 128 KiB trim threshold (glibc's initial value) would be worse than where
    the process started: measured, two threads swapping after it spent ~55 ms of CPU per frame against
    ~47 ms at the process's start and ~35 ms inside.
    """
    global _holders
    with _lock:
        libc = _glibc() if _holders == 0 else None
        if libc is not None:
            libc.mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD)
            libc.mallopt(M_TRIM_THRESHOLD, TRIM_THRESHOLD)
        _holders += 1
    try:
        yield
    finally:
        with _lock:
            _holders -= 1
            libc = _glibc() if _holders == 0 else None
            if libc is not None:
                libc.mallopt(M_TRIM_THRESHOLD, RESTORED_TRIM_THRESHOLD)
                libc.malloc_trim(0)
