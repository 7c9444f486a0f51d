"""Screenshots of user models in a real X server: the model manager listing a model registered with
``models add`` (and a renamed SCRFD file recognised by ``models import PATH``), and the main window
swapping with that user engine at pixel boost 512.

Usage: ``xvfb-run -a -s "-screen 0 1600x1000x24" env QT_QPA_PLATFORM=xcb python
scripts/user_model_screenshots.py [--out docs/screenshots]``. The models are the synthetic graphs of
scripts/synthetic_user_models.py; everything lives in a throw-away data and config folder.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
from pathlib import Path

from PySide6.QtWidgets import QApplication, QScrollArea

sys.path.insert(0, str(Path(__file__).resolve().parent))
from screenshots import MEDIA, wait_until
from synthetic_user_models import mean_encoder, tint_swapper
from xvfb_screenshots import scored, shoot

from faceswap_desktop.app.context import create_context
from faceswap_desktop.app.user_settings import CONFIG_DIR_ENV, UserSettings, UserSettingsStore
from faceswap_desktop.inference.registry import load_registry
from faceswap_desktop.inference.store import DATA_DIR_ENV, ModelStore
from faceswap_desktop.inference.user_models import add_user_model
from faceswap_desktop.qt.main_window import MainWindow
from faceswap_desktop.qt.model_manager import ModelManagerDialog
from faceswap_desktop.qt.theme import apply_theme

ROOT = Path(__file__).resolve().parents[1]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="faceswap-usershots-"))
    os.environ[CONFIG_DIR_ENV] = str(work / "config")
    os.environ[DATA_DIR_ENV] = str(work / "data")
    store = ModelStore(load_registry())
    add_user_model(store, mean_encoder(work / "mean_encoder.onnx"), "recognizer", "mean_encoder")
    add_user_model(store, tint_swapper(work / "tint_swapper.onnx"), "swapper", "tint", "mean_encoder")
    renamed = work / "detector from a backup.onnx"
    shutil.copyfile(MEDIA.parents[1] / "models/detection/scrfd_2.5g_bnkps.onnx", renamed)
    store.import_file(store.identify(renamed).id, renamed)
    settings = UserSettingsStore()
    settings.save(UserSettings(consent_accepted=True, theme="dark"))
    app = QApplication(sys.argv)
    apply_theme(app, "dark")
    dialog = ModelManagerDialog(store)
    dialog.move(0, 0)
    dialog.resize(1220, 650)
    dialog.show()
    try:
        wait_until(app, lambda: all(dialog.status_text(m) != "checking…" for m in dialog.rows))
        dialog.table.scrollToBottom()
        shoot(app, args.out / "model_manager_user_model.png", 1220, 650)
    finally:
        dialog.shutdown()
        dialog.close()
    window = MainWindow(create_context(), settings)
    window.move(0, 0)
    window.resize(1600, 1000)
    window.show()
    try:
        window.session.set_components(window.session.components.replace(engine="tint", judge="dlib"))
        window.session.set_settings(window.session.settings.replace(pixel_boost="512"))
        window.session.add_sources([MEDIA / "identity/obama/obama.jpg"])
        window.session.set_target(MEDIA / "identity/biden/biden2.jpg")
        wait_until(app, lambda: scored(window), 120)
        editor = window.settings_panel.editors["pixel_boost"]
        area = editor.parentWidget()
        while area is not None and not isinstance(area, QScrollArea):
            area = area.parentWidget()
        if area is not None:
            area.ensureWidgetVisible(editor)
        shoot(app, args.out / "user_engine_pixel_boost.png", 1600, 1000)
    finally:
        window.shutdown()
        window.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
