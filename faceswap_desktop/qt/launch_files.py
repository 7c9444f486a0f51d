"""Files handed to the app from outside: the command line, and macOS's "open document" events.

On Linux and Windows a file manager starts the app with the file's path (see ``app/launch.py``); on
macOS Finder starts the ``.app`` and then sends a ``QFileOpenEvent`` for each document, also to an app
that is already running.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QEvent, QObject
from PySide6.QtGui import QFileOpenEvent

from ..app.launch import LaunchFiles, open_problem
from .main_window import MainWindow


def open_launch_files(window: MainWindow, files: LaunchFiles) -> None:
    """Load the sources and the target named at start (in the background, like a drop) and say what
    could not be opened."""
    for problem in files.problems:
        window.show_error(f"Could not open {problem}", "warning")
    if files.sources:
        window.session.add_sources(list(files.sources))
    if files.target is not None:
        window.session.set_target(files.target)


class FileOpenEvents(QObject):
    """Installed on the application: a document opened from Finder becomes the target."""

    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self._window = window

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802
        if event.type() == QEvent.Type.FileOpen and isinstance(event, QFileOpenEvent):
            path = Path(event.file())
            problem = open_problem(path)
            if problem:
                self._window.show_error(f"Could not open {problem}", "warning")
            else:
                self._window.session.set_target(path)
            return True
        return super().eventFilter(watched, event)
