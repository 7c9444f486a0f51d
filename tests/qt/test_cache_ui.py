"""Tools > Clear cached faces…: the counts are shown, nothing goes before Yes, then the entries go."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtWidgets import QMessageBox

from faceswap_desktop.qt.main_window import MainWindow


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A cache folder with one cast scan (3 KB) and one source preparation (7 KB)."""
    base = tmp_path / "cache"
    monkeypatch.setenv("FACESWAP_CACHE_DIR", str(base))
    (base / "cast").mkdir(parents=True)
    (base / "cast" / "scan.json").write_bytes(b"x" * 3000)
    (base / "sources").mkdir()
    (base / "sources" / "photo.npz").write_bytes(b"y" * 7000)
    return base


def _entries(base: Path) -> list[str]:
    return sorted(p.name for p in base.rglob("*") if p.is_file())


def _open_question(window: MainWindow, qtbot) -> QMessageBox:  # type: ignore[no-untyped-def]
    window.actions_by_name["clear_cache"].trigger()
    qtbot.waitUntil(lambda: window.cache.box is not None and window.cache.box.isVisible(), timeout=5000)
    assert window.cache.box is not None
    return window.cache.box


def _last_toast(window: MainWindow) -> str:
    return window.toast.history[-1][1] if window.toast.history else ""


def test_clearing_asks_first_then_removes_the_cached_faces(window: MainWindow, qtbot, cache: Path) -> None:  # type: ignore[no-untyped-def]
    box = _open_question(window, qtbot)
    assert "Cast scans: 1 file(s), 3 KB" in box.text()
    assert "Source preparations: 1 file(s), 7 KB" in box.text()
    assert _entries(cache) == ["photo.npz", "scan.json"]  # asked, nothing removed yet

    box.button(QMessageBox.StandardButton.Yes).click()
    qtbot.waitUntil(lambda: _entries(cache) == [], timeout=5000)
    qtbot.waitUntil(lambda: "Removed 2 cached file(s)" in _last_toast(window), timeout=5000)
    assert window.toast.history[-1][0] == "success"


def test_cancel_keeps_the_cache_and_an_empty_cache_says_so(window: MainWindow, qtbot, cache: Path) -> None:  # type: ignore[no-untyped-def]
    _open_question(window, qtbot).button(QMessageBox.StandardButton.Cancel).click()
    qtbot.wait(200)
    assert _entries(cache) == ["photo.npz", "scan.json"]

    for path in cache.rglob("*.*"):
        path.unlink()
    window.actions_by_name["clear_cache"].trigger()
    qtbot.waitUntil(lambda: "Nothing is cached" in _last_toast(window), timeout=5000)
