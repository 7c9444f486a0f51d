"""Toolbar and button icons from qtawesome, with a blank fallback so a missing font never breaks the UI."""

from __future__ import annotations

import logging

from PySide6.QtGui import QIcon

from .theme import THEMES, current_theme

log = logging.getLogger(__name__)


def icon(name: str, colour: str | None = None) -> QIcon:
    """A Material Design icon (e.g. ``"mdi6.folder-open"``) in the theme's text colour."""
    try:
        import qtawesome

        return qtawesome.icon(name, color=colour or THEMES[current_theme()]["text"])
    except Exception as error:  # qtawesome raises several types for unknown names or fonts
        log.debug("icon %s unavailable: %s", name, error)
        return QIcon()
