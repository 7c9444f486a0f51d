"""Screenshots of the real window in a real X server (Xvfb), taken with ImageMagick's ``import``.

Usage: ``xvfb-run -a -s "-screen 0 1920x1080x24" env QT_QPA_PLATFORM=xcb python scripts/xvfb_screenshots.py
THEME [--out docs/screenshots]`` (THEME is dark or light). Unlike scripts/screenshots.py (offscreen grabs of
the widget), these show what the X server shows: the window at 1024x700 and at 1920x1080, a six-face
group photo with its gauges, and (dark only) the model manager after a failed download from a local
address where nothing listens. Uses a throw-away config folder; nothing leaves this machine.
"""

from __future__ import annotations

import argparse
import dataclasses
import subprocess
import sys
import tempfile
from pathlib import Path

from PySide6.QtWidgets import QApplication

sys.path.insert(0, str(Path(__file__).resolve().parent))
from screenshots import MEDIA, open_window, preview_current, settle, wait_until

from faceswap_desktop.app.user_settings import UserSettings
from faceswap_desktop.inference.download import DownloadPolicy
from faceswap_desktop.inference.registry import ModelRegistry, load_registry
from faceswap_desktop.inference.store import ModelStore
from faceswap_desktop.qt.main_window import MainWindow
from faceswap_desktop.qt.model_manager import ModelManagerDialog

ROOT = Path(__file__).resolve().parents[1]
GROUP = MEDIA / "multi_face/insightface_t1.jpg"  # six faces
FAILED_MODEL = "inswapper_128"


def shoot(app: QApplication, path: Path, width: int, height: int) -> None:
    """The top-left ``width`` x ``height`` of the X screen (where the window is) into ``path``."""
    settle(app, 0.8)
    crop = f"{width}x{height}+0+0"
    subprocess.run(["import", "-window", "root", "-crop", crop, "+repage", str(path)], check=True)
    print(f"wrote {path}")


def scored(window: MainWindow) -> bool:
    result = window.last_result
    return preview_current(window) and result is not None and not result.score_pending


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("theme", choices=("dark", "light"))
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="faceswap-xshots-"))
    app, window = open_window(
        work, UserSettings(consent_accepted=True, theme=args.theme), (1024, 700), args.theme
    )
    try:
        window.session.add_sources([MEDIA / "identity/obama/obama.jpg"])
        window.session.set_target(MEDIA / "identity/biden/biden2.jpg")
        wait_until(app, lambda: scored(window), 120)
        shoot(app, args.out / f"window_1024x700_{args.theme}.png", 1024, 700)
        window.resize(1920, 1080)
        wait_until(app, lambda: scored(window), 120)
        shoot(app, args.out / f"window_1920x1080_{args.theme}.png", 1920, 1080)
        if args.theme == "dark":
            window.resize(1024, 700)
            window.session.set_target(GROUP)
            wait_until(app, lambda: window.session.target is not None and window.session.target.path == GROUP)
            window.session.set_selection(tuple(range(len(window.session.target.faces))))
            wait_until(app, lambda: scored(window), 120)
            shoot(app, args.out / "group_six_faces_1024x700.png", 1024, 700)
    finally:
        window.shutdown()
        window.close()
    if args.theme == "dark":
        failed_download(app, work / "models", args.out / "model_manager_failed_download.png")
    return 0


def failed_download(app: QApplication, root: Path, path: Path) -> None:
    """The model manager after a download from 127.0.0.1:9, where nothing listens (connection refused)."""
    registry = load_registry()
    models = dict(registry.models)
    models[FAILED_MODEL] = dataclasses.replace(
        models[FAILED_MODEL], urls=("http://127.0.0.1:9/inswapper_128.onnx",)
    )
    store = ModelStore(ModelRegistry(models), root=root, policy=DownloadPolicy())
    dialog = ModelManagerDialog(store, ask_licence=lambda _parent, _spec: True)
    dialog.move(0, 0)
    dialog.resize(1220, 650)
    dialog.show()
    try:
        wait_until(app, lambda: all(dialog.status_text(m) != "checking…" for m in dialog.rows))
        dialog.actions_by_id[FAILED_MODEL].download_button.click()
        wait_until(app, lambda: dialog.status_text(FAILED_MODEL) == "download failed", 60)
        dialog.show_model(FAILED_MODEL)
        shoot(app, path, 1220, 650)
    finally:
        dialog.shutdown()
        dialog.close()


if __name__ == "__main__":
    sys.exit(main())
