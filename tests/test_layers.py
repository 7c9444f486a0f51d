"""Layers hold: core, inference, app and cli import and work in a process where PySide6 cannot load."""

import subprocess
import sys
from pathlib import Path

BLOCK_QT = """
import sys
class BlockQt:
    def find_spec(self, name, path=None, target=None):
        if name.split('.')[0] in ('PySide6', 'qtawesome'):
            raise ImportError('Qt is blocked in this test')
        return None
sys.meta_path.insert(0, BlockQt())
import faceswap_desktop.core.pipeline, faceswap_desktop.core.mesh.mesh_engine
import faceswap_desktop.inference.onnx_recognizer, faceswap_desktop.inference.dlib_judge
import faceswap_desktop.app.context, faceswap_desktop.app.photo, faceswap_desktop.cli
from faceswap_desktop.cli import build_parser
build_parser().parse_args(['swap', '--source', 'a.jpg', '--target', 'b.jpg', '--output', 'c.png'])
assert not any(m.startswith('PySide6') for m in sys.modules)
print('ok')
"""


def test_headless_layers_import_without_qt() -> None:
    proc = subprocess.run([sys.executable, "-c", BLOCK_QT], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "ok"


def test_import_contracts_hold() -> None:
    lint_imports = Path(sys.executable).with_name("lint-imports")
    proc = subprocess.run(
        [str(lint_imports), "--no-cache"],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=Path(__file__).resolve().parents[1],
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "0 broken" in proc.stdout
