"""Uncaught errors and Qt's own warnings, routed to the log and shown without blocking.

:func:`install_qt_message_handler` sends Qt's qDebug/qWarning/qCritical messages to the ``qt`` logger.
:class:`ErrorReporter` receives the uncaught errors reported by
:class:`~faceswap_desktop.app.diagnostics.Diagnostics` (already logged, on whatever thread raised them)
and hands them to the GUI thread through a queued signal, where the main window shows a notification.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from PySide6 import __version__ as pyside_version
from PySide6.QtCore import (
    QMessageLogContext,
    QObject,
    Qt,
    QtMsgType,
    Signal,
    Slot,
    qInstallMessageHandler,
    qVersion,
)

from ..app.diagnostics import Diagnostics

qt_log = logging.getLogger("qt")

_LEVELS = {
    QtMsgType.QtDebugMsg: logging.DEBUG,
    QtMsgType.QtInfoMsg: logging.INFO,
    QtMsgType.QtWarningMsg: logging.WARNING,
    QtMsgType.QtCriticalMsg: logging.ERROR,
    QtMsgType.QtFatalMsg: logging.CRITICAL,
}


def qt_versions() -> dict[str, str]:
    """The Qt runtime and PySide6 versions, for the log header."""
    return {"qt": qVersion(), "pyside6": pyside_version}


def _route(kind: QtMsgType, context: QMessageLogContext, message: str) -> None:
    where = f" ({context.category})" if context.category and context.category != "default" else ""
    qt_log.log(_LEVELS.get(kind, logging.WARNING), "%s%s", message, where)


def install_qt_message_handler() -> Callable[[], None]:
    """Route Qt's messages to logging; returns a function that restores the previous handler."""
    previous = qInstallMessageHandler(_route)
    return lambda: qInstallMessageHandler(previous)


class ErrorReporter(QObject):
    """Shows error reports from any thread with ``show`` (a notification), on the GUI thread."""

    error_reported = Signal(str)

    def __init__(self, diagnostics: Diagnostics, show: Callable[[str], None], parent: QObject) -> None:
        super().__init__(parent)
        self._show = show
        self.shown: list[str] = []
        # Queued: the report may come from a worker thread; the slot runs on this object's GUI thread.
        self.error_reported.connect(self._on_reported, Qt.ConnectionType.QueuedConnection)
        self._remove = diagnostics.add_error_listener(self.error_reported.emit)
        self.destroyed.connect(self._remove)

    @Slot(str)
    def _on_reported(self, summary: str) -> None:
        message = f"Unexpected error: {summary}. It was logged; the app keeps running."
        self.shown.append(message)
        self._show(message)

    def detach(self) -> None:
        """Stop listening (idempotent)."""
        self._remove()
