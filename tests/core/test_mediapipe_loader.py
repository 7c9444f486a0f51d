"""MediaPipe is imported without matplotlib's pyplot, and pyplot still loads for real afterwards."""

from __future__ import annotations

import subprocess
import sys

import pytest


def _run(code: str) -> str:
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout.strip().splitlines()[-1]


def test_core_import_leaves_pyplot_unloaded_and_mediapipe_usable() -> None:
    out = _run(
        "import sys\n"
        "import faceswap_desktop.core.analysis\n"
        "from faceswap_desktop.core.mediapipe_loader import mp\n"
        "assert 'matplotlib.pyplot' not in sys.modules and 'matplotlib' not in sys.modules\n"
        "assert len(mp.solutions.face_mesh.FACEMESH_TESSELATION) > 2000\n"
        "print(mp.solutions.face_mesh.FaceMesh.__name__)"
    )
    assert out == "FaceMesh"


def test_real_pyplot_loads_after_mediapipe() -> None:
    pytest.importorskip("matplotlib")
    out = _run(
        "import faceswap_desktop.core.analysis\n"
        "import matplotlib.pyplot as plt\n"
        "print(callable(plt.figure), plt.__file__ is not None)"
    )
    assert out == "True True"


def test_pyplot_loaded_first_is_what_mediapipe_gets() -> None:
    pytest.importorskip("matplotlib")
    out = _run(
        "import matplotlib.pyplot as plt\n"
        "import faceswap_desktop.core.analysis\n"
        "from mediapipe.python.solutions import drawing_utils\n"
        "print(drawing_utils.plt is plt)"
    )
    assert out == "True"
