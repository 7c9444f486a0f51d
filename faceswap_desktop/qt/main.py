"""GUI entry point: build the context once, confirm consent on first start, show the main window."""

from __future__ import annotations

import logging
import sys
from collections.abc import Sequence

from PySide6.QtWidgets import QApplication, QDialog, QWidget

from ..app.context import create_context
from ..app.user_settings import UserSettingsStore
from .dialogs import ConsentDialog
from .main_window import MainWindow
from .theme import apply_theme

log = logging.getLogger(__name__)


def ensure_consent(store: UserSettingsStore, parent: QWidget | None = None) -> bool:
    """True when consent was given now or before (it is remembered in the user settings file)."""
    settings = store.load()
    if settings.consent_accepted:
        return True
    dialog = ConsentDialog(parent)
    if dialog.exec() != QDialog.DialogCode.Accepted:
        return False
    store.save(settings.with_changes(consent_accepted=True))
    return True


def run_gui(argv: Sequence[str] | None = None) -> int:
    """Start the Qt application with the main window; returns the exit code."""
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    app = QApplication.instance() or QApplication(list(argv if argv is not None else sys.argv))
    assert isinstance(app, QApplication)
    app.setApplicationName("faceswap-desktop")
    store = UserSettingsStore()
    user_settings = store.load()
    apply_theme(app, user_settings.theme)
    if not ensure_consent(store):
        log.info("consent not given; quitting")
        return 0
    window = MainWindow(create_context(), store)
    window.show()
    return int(app.exec())
