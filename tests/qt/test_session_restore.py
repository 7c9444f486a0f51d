"""The window's work survives a crash: saved as it changes, offered back at the next start, with a
reliable "last session ended" notice (issue #17)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from PySide6.QtWidgets import QApplication
from qt_helpers import SHARED

from faceswap_desktop.app.context import AppContext
from faceswap_desktop.app.session_snapshot import SessionGuard, read_snapshot
from faceswap_desktop.app.user_settings import UserSettings, UserSettingsStore
from faceswap_desktop.qt import main as gui_main
from faceswap_desktop.qt.session_autosave import take_snapshot

CHILD = Path(__file__).with_name("crash_child.py")
BIDEN = SHARED / "media/images/identity/biden/biden2.jpg"
CLIP = SHARED / "media/videos/Obama_speaking.mp4"


def crash_a_session(how: str, env: dict[str, str]) -> None:
    """Run the GUI in a child, let it save its session, and end it with SIGSEGV or SIGKILL."""
    child = subprocess.Popen(
        [sys.executable, str(CHILD), how], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        assert child.stdout is not None
        line = child.stdout.readline()
        assert line.strip() == "READY", child.stderr.read() if child.stderr else ""
        if how == "kill":
            child.send_signal(signal.SIGKILL)
        child.wait(timeout=60)
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
    expected = signal.SIGSEGV if how == "segv" else signal.SIGKILL
    assert child.returncode == -expected


@pytest.mark.slow
@pytest.mark.parametrize("how", ["segv", "kill"])
def test_after_a_crash_the_next_start_says_so_and_restores_the_session(  # type: ignore[no-untyped-def]
    qtbot, context: AppContext, private_config: Path, tmp_path: Path, monkeypatch, how: str
) -> None:
    logs, data = tmp_path / "logs", tmp_path / "data"
    UserSettingsStore(private_config).save(UserSettings(consent_accepted=True))
    env = dict(os.environ, FACESWAP_LOG_DIR=str(logs), FACESWAP_DATA_DIR=str(data))
    env["FACESWAP_CONFIG_DIR"] = str(private_config)
    crash_a_session(how, env)
    assert (logs / "crash.log").stat().st_size > 0 if how == "segv" else True

    monkeypatch.setenv("FACESWAP_LOG_DIR", str(logs))
    monkeypatch.setenv("FACESWAP_DATA_DIR", str(data))
    monkeypatch.setattr(gui_main, "create_context", lambda: context)
    session = gui_main.start_gui([])
    assert session is not None
    try:
        window = session.window
        qtbot.addWidget(window)
        notice = window.toast.text()
        if how == "segv":
            assert "The last session crashed" in notice and "crash-previous.log" in notice
        else:  # SIGKILL leaves no crash log: the session marker tells
            assert "The last session ended unexpectedly" in notice
        dialog = session.restore
        assert dialog is not None and dialog.isVisible() and not dialog.isModal()
        assert (
            "1 source photo" in dialog.snapshot.describe()
            and "Obama_speaking.mp4" in dialog.snapshot.describe()
        )
        dialog.restore_button.click()
        qtbot.waitUntil(lambda: window.video.active and len(window.session.sources) == 1, timeout=60_000)
        model = window.video.model
        qtbot.waitUntil(lambda: model.position == 60, timeout=10_000)
        assert window.session.sources[0].path == BIDEN
        # The playhead sits after the keyframe at 30: the settings shown are the keyframe's, as saved.
        assert window.session.settings.strength == dialog.snapshot.settings["strength"] == 85
        assert (model.in_point, model.out_point) == (20, 120)
        assert model.track.frames == (30,) and model.track.settings_at(30).strength == 85
        assert take_snapshot(window) == dialog.snapshot  # what is shown again is what was saved
    finally:
        session.close()
    # A clean exit: the next start neither warns nor offers anything.
    guard = SessionGuard(private_config)
    start = guard.start()
    assert start.owner and not start.previous_unclean and start.snapshot is None
    guard.finish()


def test_changes_are_saved_as_they_happen_not_only_at_quit(  # type: ignore[no-untyped-def]
    qtbot, window, private_config: Path
) -> None:
    from faceswap_desktop.qt.session_autosave import SessionAutosave

    guard = SessionGuard(private_config)
    assert guard.start().owner
    autosave = SessionAutosave(window, guard)
    try:
        window.session.add_sources([BIDEN])
        qtbot.waitUntil(lambda: len(window.session.sources) == 1, timeout=30_000)
        slider = window.settings_panel.editors["strength"]  # type: ignore[attr-defined]
        for value in range(40, 60):  # a drag: many changes, one write after it
            slider.setValue(value)
        assert guard.writer is not None
        writes_before = guard.writer.writes
        with qtbot.waitSignal(autosave.saved, timeout=5_000):
            pass
        assert guard.writer.flush()
        saved = read_snapshot(guard.snapshot_path)
        assert saved is not None and saved.sources == (str(BIDEN),)
        assert saved.settings["strength"] == 59
        assert guard.writer.writes - writes_before <= 2
    finally:
        autosave.close()
        guard.finish()
    QApplication.processEvents()
    assert not guard.snapshot_path.exists()  # a clean exit forgets it
