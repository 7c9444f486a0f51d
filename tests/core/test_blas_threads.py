"""numpy's BLAS stays on one thread once the package is imported (``faceswap_desktop.BLAS_THREADS``)."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

COUNT_THREADS = """
import os, sys
if sys.argv[1] == "package":
    import faceswap_desktop
before = len(os.listdir("/proc/self/task"))
import numpy
numpy.ones((64, 64)) @ numpy.ones((64, 64))
print(before, len(os.listdir("/proc/self/task")))
"""


def _threads(first: str) -> tuple[int, int]:
    environment = {k: v for k, v in os.environ.items() if not k.endswith("_NUM_THREADS")}
    out = subprocess.run(
        [sys.executable, "-c", COUNT_THREADS, first],
        capture_output=True,
        text=True,
        env=environment,
        check=True,
    ).stdout.split()
    return int(out[0]), int(out[1])


@pytest.mark.skipif(
    not os.path.isdir("/proc/self/task") or len(os.sched_getaffinity(0)) < 2,
    reason="counts threads through Linux's /proc on a machine with 2 or more cores",
)
def test_numpy_starts_no_blas_worker_threads_after_the_package() -> None:
    plain_before, plain_after = _threads("numpy")
    assert plain_after > plain_before, "the check is void: numpy's BLAS starts no threads here"
    before, after = _threads("package")
    assert after == before
