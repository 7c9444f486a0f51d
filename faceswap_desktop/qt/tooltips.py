"""Wrapped tooltips: a long plain tooltip becomes rich text, which Qt's tooltip label word-wraps.

Qt shows a plain-text tooltip as one line however long it is (some of ours are a paragraph). Instead
of rewriting every ``setToolTip`` call, one application event filter rewrites a long plain tooltip
when it is about to be shown.
"""

from __future__ import annotations

import html

from PySide6.QtCore import QEvent, QObject
from PySide6.QtGui import QHelpEvent, Qt
from PySide6.QtWidgets import QApplication, QToolTip, QWidget

WRAP_AT = 70
"""Tooltips longer than this many characters are wrapped (a paragraph of about 60 characters a line)."""
TIP_WIDTH_PX = 380


def wrapped_tooltip(text: str) -> str:
    """``text`` as rich text of bounded width when it is long plain text; otherwise unchanged."""
    if len(text) <= WRAP_AT or Qt.mightBeRichText(text):
        return text
    body = "<br>".join(html.escape(line) for line in text.splitlines())
    # A table's width is honoured by Qt's rich text (a div's CSS width is not: Qt then picks ~200 px).
    return f"<table width='{TIP_WIDTH_PX}'><tr><td>{body}</td></tr></table>"


class TooltipWrapper(QObject):
    """Application event filter: shows long plain tooltips wrapped."""

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802
        if event.type() != QEvent.Type.ToolTip or not isinstance(watched, QWidget):
            return False
        text = watched.toolTip()
        wrapped = wrapped_tooltip(text)
        if wrapped == text or not isinstance(event, QHelpEvent):
            return False
        QToolTip.showText(event.globalPos(), wrapped, watched)
        return True


def install_tooltip_wrapping(app: QApplication) -> None:
    """Install the filter once per application."""
    if app.findChild(TooltipWrapper) is None:
        wrapper = TooltipWrapper(app)
        app.installEventFilter(wrapper)
