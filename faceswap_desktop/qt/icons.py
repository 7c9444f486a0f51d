"""Toolbar and button icons from qtawesome, drawn in the current theme's colours at paint time.

An icon made here does not keep the colour of the theme it was created under: its engine asks for the
theme's colours each time it is painted, so every toolbar, transport and panel icon follows a theme
change without anybody re-creating it. A missing icon font gives a blank icon, never a broken window.
"""

from __future__ import annotations

import logging

from PySide6.QtCore import QRect, QSize, Qt
from PySide6.QtGui import QIcon, QIconEngine, QPainter, QPixmap

from .theme import THEMES, current_theme

log = logging.getLogger(__name__)

_CACHE: dict[tuple[str, str, str | None], QIcon] = {}


def _qtawesome_icon(name: str, theme: str, colour: str | None) -> QIcon:
    """The qtawesome icon of ``name`` coloured for ``theme`` (cached: fonts are slow to look up)."""
    key = (name, theme, colour)
    cached = _CACHE.get(key)
    if cached is not None:
        return cached
    colours = THEMES[theme]
    try:
        import qtawesome

        made = qtawesome.icon(
            name,
            color=colour or colours["text"],
            color_active=colour or colours["text"],
            color_disabled=colours["muted"],
            # A checked tool button is filled with the accent colour: its icon is white like its text.
            color_on="white" if colour is None else colour,
            color_on_active="white" if colour is None else colour,
            color_on_disabled=colours["muted"],
        )
    except Exception as error:  # qtawesome raises several types for unknown names or fonts
        log.debug("icon %s unavailable: %s", name, error)
        made = QIcon()
    _CACHE[key] = made
    return made


class ThemedIconEngine(QIconEngine):
    """Paints a qtawesome icon in the colours of the theme current at paint time."""

    def __init__(self, name: str, colour: str | None = None) -> None:
        super().__init__()
        self.name, self.colour = name, colour

    def current(self) -> QIcon:
        return _qtawesome_icon(self.name, current_theme(), self.colour)

    def paint(self, painter: QPainter, rect: QRect, mode: QIcon.Mode, state: QIcon.State) -> None:
        self.current().paint(painter, rect, Qt.AlignmentFlag.AlignCenter, mode, state)

    def pixmap(self, size: QSize, mode: QIcon.Mode, state: QIcon.State) -> QPixmap:
        return self.current().pixmap(size, mode, state)

    def clone(self) -> QIconEngine:
        return ThemedIconEngine(self.name, self.colour)

    def key(self) -> str:
        return "ThemedIconEngine"


def icon(name: str, colour: str | None = None) -> QIcon:
    """A Material Design icon (e.g. ``"mdi6.folder-open"``) in the theme's text colour, or in ``colour``;
    it is re-tinted when the theme changes."""
    return QIcon(ThemedIconEngine(name, colour))


def app_icon() -> QIcon:
    """The application's own icon (title bars, task bar, Alt-Tab), shipped in the package.

    Rendered from ``resources/icons/faceswap-desktop.svg`` by ``scripts/make_icons.py``."""
    from importlib import resources

    path = resources.files("faceswap_desktop") / "resources" / "icons" / "faceswap-desktop.png"
    return QIcon(str(path))
