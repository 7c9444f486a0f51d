"""MediaPipe, imported without the plotting library its drawing helpers pull in.

``import mediapipe`` imports ``mediapipe.solutions``, whose ``drawing_utils`` imports
``matplotlib.pyplot`` for one 3-D plotting helper the app never calls: ~0.4 s of every process start
(the CLI's, the app's, each test process's; ``python -X importtime``), half of MediaPipe's import. While
MediaPipe is imported, ``matplotlib.pyplot`` (and ``matplotlib`` itself when it is not loaded yet) are
empty placeholder modules; they are removed right after, so a later ``import matplotlib.pyplot``
anywhere loads the real one. Where pyplot is already loaded, MediaPipe simply gets it.
"""

from __future__ import annotations

import os
import sys
import types

# MediaPipe/TFLite log noise to stderr is not useful to users (read when MediaPipe loads).
os.environ.setdefault("GLOG_minloglevel", "2")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


def _import_mediapipe() -> types.ModuleType:
    placeholders: dict[str, types.ModuleType] = {}
    if "matplotlib.pyplot" not in sys.modules:
        placeholders = {
            name: types.ModuleType(name, "placeholder: see faceswap_desktop.core.mediapipe_loader")
            for name in ("matplotlib", "matplotlib.pyplot")
            if name not in sys.modules
        }
    sys.modules.update(placeholders)
    try:
        import mediapipe
    finally:
        for name, placeholder in placeholders.items():
            if sys.modules.get(name) is placeholder:
                del sys.modules[name]
    return mediapipe


mp = _import_mediapipe()
"""The ``mediapipe`` package."""
