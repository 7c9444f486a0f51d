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


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        pytest.param(
            "import faceswap_desktop.core.analysis\n"
            "import matplotlib.pyplot as plt\n"
            "print(callable(plt.figure), plt.__file__ is not None)",
            "True True",
            id="real-pyplot-loads-after-mediapipe",
        ),
        pytest.param(
            "import matplotlib.pyplot as plt\n"
            "import faceswap_desktop.core.analysis\n"
            "from mediapipe.python.solutions import drawing_utils\n"
            "print(drawing_utils.plt is plt)",
            "True",
            id="pyplot-loaded-first-is-what-mediapipe-gets",
        ),
    ],
)
def test_pyplot_with_mediapipe(code: str, expected: str) -> None:
    pytest.importorskip("matplotlib")
    assert _run(code) == expected
