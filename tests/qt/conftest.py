"""Qt test fixtures: offscreen platform, a private config folder, real media, and a leak check.

Every test fails if it leaves a running QThread or a busy QThreadPool behind.
"""

from __future__ import annotations

import gc
import os
from collections.abc import Iterator
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import pytest
from PySide6.QtCore import QThread, QThreadPool
from PySide6.QtWidgets import QApplication
from qt_helpers import MEDIA, add_window

from faceswap_desktop.app.context import AppContext, create_context
from faceswap_desktop.app.user_settings import CONFIG_DIR_ENV, UserSettings, UserSettingsStore
from faceswap_desktop.qt.main_window import MainWindow
from faceswap_desktop.qt.theme import apply_theme


@pytest.fixture(autouse=True)
def no_leaked_threads() -> Iterator[None]:
    """Fail a test that leaves a running QThread or an active QThreadPool task."""
    yield
    QApplication.processEvents()
    gc.collect()
    leaks = []
    for obj in gc.get_objects():
        try:
            if isinstance(obj, QThreadPool) and obj.activeThreadCount() > 0:
                leaks.append(
                    f"QThreadPool {obj.objectName()!r} with {obj.activeThreadCount()} active task(s)"
                )
            elif isinstance(obj, QThread) and obj.isRunning() and obj is not QThread.currentThread():
                leaks.append(f"running QThread {obj.objectName()!r}")
        except RuntimeError:  # the C++ object is already deleted
            continue
    if QThreadPool.globalInstance().activeThreadCount() > 0:
        leaks.append("global QThreadPool busy")
    assert not leaks, "test left background work running: " + "; ".join(leaks)


@pytest.fixture(autouse=True)
def private_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "config"
    monkeypatch.setenv(CONFIG_DIR_ENV, str(folder))
    return folder


@pytest.fixture(scope="session")
def context() -> AppContext:
    if not MEDIA.is_dir():
        pytest.skip(f"shared media not found at {MEDIA}")
    return create_context()


@pytest.fixture
def store(private_config: Path) -> UserSettingsStore:
    """A store whose consent was accepted beforehand, as a returning user's would be."""
    store = UserSettingsStore(private_config)
    store.save(UserSettings(consent_accepted=True))
    return store


@pytest.fixture
def window(qtbot, context: AppContext, store: UserSettingsStore) -> Iterator[MainWindow]:  # type: ignore[no-untyped-def]
    app = QApplication.instance()
    assert isinstance(app, QApplication)
    apply_theme(app, "dark")
    main_window = MainWindow(context, store)
    add_window(qtbot, main_window)
    main_window.show()
    yield main_window
    main_window.shutdown()
