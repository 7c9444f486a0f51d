"""The window opened with files from the command line or a file manager shows their swap."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QCoreApplication
from PySide6.QtGui import QFileOpenEvent
from qt_helpers import BIDEN, OBAMA, PREVIEW_TIMEOUT_MS, TWO_PEOPLE, wait_for_preview

from faceswap_desktop.app.context import AppContext
from faceswap_desktop.app.launch import parse_launch_args
from faceswap_desktop.app.user_settings import UserSettings, UserSettingsStore


def test_files_on_the_command_line_are_loaded_and_swapped(
    qtbot, context: AppContext, private_config: Path, tmp_path: Path, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    from faceswap_desktop.qt import main as gui_main

    monkeypatch.setenv("FACESWAP_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("FACESWAP_LOG_DIR", str(tmp_path / "logs"))
    monkeypatch.setattr(gui_main, "create_context", lambda: context)
    UserSettingsStore(private_config).save(UserSettings(consent_accepted=True))
    files = parse_launch_args(["--source", str(OBAMA), "--source", str(tmp_path / "gone.jpg"), str(BIDEN)])
    session = gui_main.start_gui([], files)
    assert session is not None
    try:
        window = session.window
        qtbot.addWidget(window)
        assert "gone.jpg: no such file" in window.toast.text()
        qtbot.waitUntil(lambda: window.session.target is not None, timeout=PREVIEW_TIMEOUT_MS)
        result = wait_for_preview(qtbot, window)
        assert [item.path for item in window.session.sources] == [OBAMA]
        assert window.session.target is not None and window.session.target.path == BIDEN
        assert result.swapped  # a swap, not the target as it was
        assert (result.frame != result.original).any()

        # Finder's "open document" (macOS) replaces the target in the running window.
        QCoreApplication.sendEvent(session.app, QFileOpenEvent(str(TWO_PEOPLE)))
        qtbot.waitUntil(
            lambda: window.session.target is not None and window.session.target.path == TWO_PEOPLE,
            timeout=PREVIEW_TIMEOUT_MS,
        )
    finally:
        session.close()
