"""faceswap-desktop: desktop face swapping with live preview and honest identity scores.

Importing the package sets OpenCV's decoder limits (read by OpenCV when ``cv2`` is first imported) so
that even a decode that bypasses :mod:`faceswap_desktop.core.media.image_io`'s header checks refuses huge
images instead of allocating gigabytes. ``os.environ.setdefault`` keeps a value the user set on purpose.

- ``OPENCV_IO_MAX_IMAGE_WIDTH`` / ``_HEIGHT``: 16384 px a side (as ``image_io.MAX_IMAGE_SIDE``).
- ``OPENCV_IO_MAX_IMAGE_PIXELS``: 89.5 M pixels (as ``image_io.MAX_IMAGE_PIXELS``).
- ``OPENCV_IO_ENABLE_OPENEXR``: off; EXR is not an accepted input and its decoder is a large surface.

It also keeps numpy's BLAS on one thread (read by OpenBLAS when ``numpy`` is first imported). The app's
parallelism is its own (swap workers, the tracking thread, x264's threads); a BLAS call in a frame loop
woke OpenBLAS's worker, which then spun on the other core: measured on a 90-frame 720p export, 1.8-2.0 s
of CPU on that one thread (~20 ms a frame, 15 % of the process) for no speed-up.
"""

import os as _os

__version__ = "0.1.0"

OPENCV_LIMITS: dict[str, str] = {
    "OPENCV_IO_MAX_IMAGE_WIDTH": "16384",
    "OPENCV_IO_MAX_IMAGE_HEIGHT": "16384",
    "OPENCV_IO_MAX_IMAGE_PIXELS": "89500000",
    "OPENCV_IO_ENABLE_OPENEXR": "0",
}
"""Environment limits OpenCV reads once, at its first import; set before anything imports ``cv2``."""

BLAS_THREADS: dict[str, str] = {"OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
"""numpy's BLAS thread counts (OpenBLAS in the PyPI wheels, MKL in some other builds): one thread."""

for _name, _value in {**OPENCV_LIMITS, **BLAS_THREADS}.items():
    _os.environ.setdefault(_name, _value)
