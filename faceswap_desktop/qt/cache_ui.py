"""Tools > Clear cached faces…: what the per-user cache holds (cast scans, source preparations: both
contain faces from the user's media), and removing it after a confirmation.

Listing and removing the files run on a worker (``SerialExecutor``): a cache on a network home folder
or a slow disk must not stall the window.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtGui import QAction
from PySide6.QtWidgets import QMenu, QMessageBox

from ..app.cache_maintenance import CacheKindUsage, cache_usage, clear_caches, describe_size
from ..app.cast_cache import user_cache_base
from .icons import icon
from .workers import SerialExecutor

if TYPE_CHECKING:
    from .main_window import MainWindow


class CacheUi:
    """The Tools menu's "Clear cached faces…" item and its confirmation."""

    def __init__(self, window: MainWindow) -> None:
        self.window = window
        self.worker = SerialExecutor("cache", window)
        self.action = QAction(icon("mdi6.broom"), "Clear cached &faces…", window)
        self.action.setProperty("iconName", "mdi6.broom")
        tip = "Remove the cached cast scans and source preparations (they hold faces; made again when needed)"
        self.action.setToolTip(tip)
        self.action.setStatusTip(tip)
        self.action.triggered.connect(self.ask)
        menus = {entry.text(): entry.menu() for entry in window.menuBar().actions()}
        tools = menus.get("&Tools")
        if not isinstance(tools, QMenu):
            tools = window.menuBar().addMenu("&Tools")
        tools.addAction(self.action)
        window.actions_by_name["clear_cache"] = self.action
        self.box: QMessageBox | None = None

    def ask(self) -> None:
        """Measure the cache on the worker, then ask before removing anything."""
        self.action.setEnabled(False)
        self.worker.submit(cache_usage, self._confirm, self._failed)

    def _confirm(self, usage: list[CacheKindUsage]) -> None:
        self.action.setEnabled(True)
        files = sum(u.files for u in usage)
        if files == 0:
            self.window.show_error("Nothing is cached.", "info")
            return
        lines = [f"{u.kind.capitalize()}: {u.files} file(s), {describe_size(u.bytes)}" for u in usage]
        box = QMessageBox(
            QMessageBox.Icon.Question,
            "Clear cached faces",
            "The cache holds faces from your videos and photos:\n\n"
            + "\n".join(lines)
            + f"\n\nFolder: {user_cache_base()}\n\nRemove them? Cast scans and source preparations "
            "are made again when needed (a video's cast is scanned again when it is opened).",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel,
            self.window,
        )
        box.setDefaultButton(QMessageBox.StandardButton.Cancel)
        box.accepted.connect(self._clear)
        box.finished.connect(box.deleteLater)
        self.box = box
        box.open()  # window-modal, never a nested event loop

    def _clear(self) -> None:
        self.action.setEnabled(False)
        self.worker.submit(clear_caches, self._cleared, self._failed)

    def _cleared(self, outcome: tuple[int, int, list[str]]) -> None:
        self.action.setEnabled(True)
        removed, freed, problems = outcome
        text = f"Removed {removed} cached file(s), {describe_size(freed)}."
        if problems:
            self.window.show_error(f"{text} {len(problems)} could not be removed: {problems[0]}", "warning")
        else:
            self.window.show_error(text, "success")

    def _failed(self, error: Exception) -> None:
        self.action.setEnabled(True)
        self.window.show_error(f"Could not read the cache folder: {error}")
