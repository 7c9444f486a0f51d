"""OpenCV's own thread pool, turned off while a job already keeps every core busy with its threads."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

import cv2

_lock = threading.Lock()
_holders = 0
_saved = 0


@contextmanager
def opencv_single_threaded() -> Iterator[None]:
    """Run OpenCV's functions on the calling thread only, for as long as any holder is inside.

    A video export runs decode, tracking, two swap workers and x264 at once: every core is busy with
    those. OpenCV's pool (pthreads) then adds little wall time to a remap or a colour conversion but its
    workers spin-wait between calls: measured on the 2-core development machine, ~10 ms of CPU per
    exported 720p frame (a standalone swap: 41.7 ms of process CPU vs 31.1 ms on one thread, for 1 ms of
    wall time). The setting is process-wide (``cv2.setNumThreads``), so holders are counted and the
    previous value comes back when the last one leaves.
    """
    global _holders, _saved
    with _lock:
        if _holders == 0:
            _saved = cv2.getNumThreads()
            cv2.setNumThreads(1)
        _holders += 1
    try:
        yield
    finally:
        with _lock:
            _holders -= 1
            if _holders == 0:
                cv2.setNumThreads(_saved)
