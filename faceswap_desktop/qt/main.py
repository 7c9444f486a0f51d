"""GUI entry point: logging and crash capture, consent on first start, the main window, and the offer
to recover exports a crash left unfinished."""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtWidgets import QApplication, QDialog, QWidget

from ..app.context import create_context
from ..app.diagnostics import Diagnostics, setup_logging
from ..app.job_store import JobStore, LoadReport, QueueLocked
from ..app.launch import LaunchFiles
from ..app.session_snapshot import SessionGuard
from ..app.user_settings import UserSettingsStore, config_dir
from ..core.errors import FaceswapError
from .dialogs import ConsentDialog
from .error_reporting import ErrorReporter, install_qt_message_handler, qt_versions
from .icons import app_icon
from .launch_files import FileOpenEvents, open_launch_files
from .main_window import MainWindow
from .recovery import RecoveryDialog, offer_recovery
from .session_autosave import RestoreDialog, SessionAutosave, offer_restore
from .smoke_report import install_smoke_report
from .theme import apply_theme

log = logging.getLogger(__name__)

APP_ID = "io.github.faceswap_desktop.FaceswapDesktop"
"""The desktop entry's and AppStream's id (resources/linux/APP_ID.desktop)."""


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


def open_job_store() -> tuple[JobStore | None, LoadReport | None, str]:
    """Open the saved job queue: (store, what it held, a problem to tell the user or "")."""
    store = JobStore()
    try:
        return store, store.open(), ""
    except QueueLocked as error:
        # Another window has it: this one runs, but its exports are not saved across a crash.
        return None, None, f"{error}; exports of this window are not saved for recovery"
    except FaceswapError as error:
        log.error("job queue unavailable: %s", error)
        return None, None, f"{error}; exports are not saved for recovery"


@dataclass
class GuiSession:
    """What :func:`start_gui` set up; :meth:`close` takes it down (idempotent)."""

    app: QApplication
    window: MainWindow
    diagnostics: Diagnostics
    recovery: RecoveryDialog | None
    _restore_qt_handler: Callable[[], None]
    guard: SessionGuard | None = None
    autosave: SessionAutosave | None = None
    restore: RestoreDialog | None = None

    def close(self) -> None:
        if self.autosave is not None:
            self.autosave.close()
        self.window.shutdown()  # also closes the job store: pending writes flushed, the lock released
        if self.guard is not None:
            self.guard.finish()  # a clean exit: the next start offers nothing back
        self._restore_qt_handler()
        self.diagnostics.close()


def crash_notice(previous_crash: Path | None, unclean: bool) -> str:
    """What the window says at start about how the last session ended ("" when it exited cleanly)."""
    if previous_crash is not None:
        return f"The last session crashed; its crash log was kept as {previous_crash}"
    if unclean:
        return "The last session ended unexpectedly (it was killed or the computer stopped)"
    return ""


def start_gui(argv: Sequence[str] | None = None, files: LaunchFiles | None = None) -> GuiSession | None:
    """Logging, consent, the main window and the recovery offer; None when consent is refused.

    ``files``: sources and target to load (from the command line or a file manager)."""
    diagnostics = setup_logging(extra_versions=qt_versions())
    restore_qt_handler = install_qt_message_handler()
    try:
        app = QApplication.instance() or QApplication(list(argv if argv is not None else sys.argv))
        assert isinstance(app, QApplication)
        app.setApplicationName("faceswap-desktop")
        # Matches the installed .desktop entry, so Wayland/X11 docks show its icon and name.
        app.setDesktopFileName(APP_ID)
        app.setWindowIcon(app_icon())
        store = UserSettingsStore()
        apply_theme(app, store.load().theme)
        if not ensure_consent(store):
            log.info("consent not given; quitting")
            restore_qt_handler()
            diagnostics.close()
            return None
        guard = SessionGuard(config_dir())
        started = guard.start()
        job_store, report, problem = open_job_store()
        window = MainWindow(create_context(), store, job_store=job_store)
    except BaseException:
        restore_qt_handler()
        diagnostics.close()
        raise
    ErrorReporter(diagnostics, window.show_error, window)
    app.installEventFilter(FileOpenEvents(window))
    window.show()
    if files is not None:
        open_launch_files(window, files)
    install_smoke_report(window, files is not None and not files.empty)
    if problem:
        window.show_error(problem, "warning")
    notice = crash_notice(diagnostics.previous_crash, started.previous_unclean)
    if notice:
        window.show_error(notice, "warning")
    autosave = SessionAutosave(window, guard) if started.owner else None
    restore = (
        offer_restore(window, autosave, started.snapshot)
        if autosave is not None and started.snapshot is not None
        else None
    )
    recovery = offer_recovery(window, report) if report is not None else None
    return GuiSession(app, window, diagnostics, recovery, restore_qt_handler, guard, autosave, restore)


def run_gui(argv: Sequence[str] | None = None, files: LaunchFiles | None = None) -> int:
    """Start the Qt application with the main window; returns the exit code."""
    session = start_gui(argv, files)
    if session is None:
        return 0
    try:
        return int(session.app.exec())
    finally:
        session.close()
