"""The main window's dock layout: sensible minimum sizes, default sizes that scale with the window, and
View > Reset layout.

The side docks take the full height of the window (the Jobs dock sits under the preview only), so that a
small window still gives the settings most of its height; every panel scrolls when it is short of room.
Qt keeps a dock's size when the window grows, so a window made small and then large again keeps its
cramped panels: :func:`reset_layout` puts every panel back at its default place and share of the window.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QEvent, QObject, Qt, QTimer
from PySide6.QtGui import QResizeEvent
from PySide6.QtWidgets import QDockWidget, QScrollArea

if TYPE_CHECKING:
    from .main_window import MainWindow

SIDE_WIDTH = (250, 380)
"""Bounds of a side dock's default width (pixels); between them it is 24% of the window's width."""
SIDE_MIN_WIDTH = 230
"""Narrower than this, the settings' labels, sliders and spin boxes no longer fit side by side."""
JOBS_HEIGHT = (120, 220)
"""Bounds of the Jobs dock's default height; between them it is 20% of the window's height."""
DOCK_MIN_HEIGHT = {"SourceDock": 120, "TargetDock": 150, "SimilarityDock": 150, "SettingsDock": 160}
"""Below these a panel shows too little to be of use; it scrolls instead of shrinking further."""

AREAS = {
    "SourceDock": Qt.DockWidgetArea.LeftDockWidgetArea,
    "TargetDock": Qt.DockWidgetArea.LeftDockWidgetArea,
    "SimilarityDock": Qt.DockWidgetArea.RightDockWidgetArea,
    "SettingsDock": Qt.DockWidgetArea.RightDockWidgetArea,
    "JobsDock": Qt.DockWidgetArea.BottomDockWidgetArea,
}


def _clamp(value: float, bounds: tuple[int, int]) -> int:
    return int(min(max(value, bounds[0]), bounds[1]))


class GrowWithWindow(QObject):
    """When the window grows, docks narrower (or a Jobs dock lower) than their default share of the new
    size grow to it: a window made small and then large again gets its panels back without dragging.
    A dock the user made larger than its default is left alone."""

    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.window = window

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802
        if watched is self.window and isinstance(event, QResizeEvent) and event.oldSize().isValid():
            grew_w = event.size().width() > event.oldSize().width()
            grew_h = event.size().height() > event.oldSize().height()
            if grew_w or grew_h:
                grow_docks(self.window, grew_w, grew_h)
        return False


def grow_docks(window: MainWindow, width: bool, height: bool) -> None:
    """Bring docks that are below their default size for the window's size up to it."""
    docks = {dock.objectName(): dock for dock in window.docks if dock.isVisible() and not dock.isFloating()}
    side = _clamp(window.width() * 0.24, SIDE_WIDTH)
    if width:
        small = []
        for name in ("SourceDock", "SimilarityDock", "SettingsDock"):
            dock = docks.get(name)
            wanted = max(side, settings_width(dock)) if dock is not None and name == "SettingsDock" else side
            if dock is not None and dock.width() < wanted:
                small.append((dock, wanted))
        if small:
            window.resizeDocks([d for d, _ in small], [w for _, w in small], Qt.Orientation.Horizontal)
    jobs = docks.get("JobsDock")
    wanted_jobs = _clamp(window.height() * 0.2, JOBS_HEIGHT)
    if height and jobs is not None and jobs.height() < wanted_jobs:
        window.resizeDocks([jobs], [wanted_jobs], Qt.Orientation.Vertical)


def configure_docks(window: MainWindow) -> None:
    """Corners, minimum sizes and growth with the window (once, when the docks are built)."""
    window.setCorner(Qt.Corner.BottomLeftCorner, Qt.DockWidgetArea.LeftDockWidgetArea)
    window.setCorner(Qt.Corner.BottomRightCorner, Qt.DockWidgetArea.RightDockWidgetArea)
    for dock in window.docks:
        name = dock.objectName()
        if name in DOCK_MIN_HEIGHT:
            dock.setMinimumWidth(max(settings_width(dock), SIDE_MIN_WIDTH))
            dock.widget().setMinimumHeight(DOCK_MIN_HEIGHT[name])
    apply_default_sizes(window)
    window.installEventFilter(GrowWithWindow(window))
    # After the new gauges are laid out (their size hints count then).
    window.similarity_panel.gauges_rebuilt.connect(lambda: QTimer.singleShot(0, lambda: fit_gauges(window)))


def fit_gauges(window: MainWindow) -> None:
    """Give the Similarity dock the height its gauges need (six faces: two rows), taking it from the
    Settings dock under it, which scrolls, but never more than 60% of the column."""
    docks = {dock.objectName(): dock for dock in window.docks}
    gauges, settings = docks["SimilarityDock"], docks["SettingsDock"]
    if gauges.isFloating() or settings.isFloating() or not settings.isVisible():
        return
    if window.dockWidgetArea(gauges) != window.dockWidgetArea(settings):
        return
    panel = window.similarity_panel
    title = gauges.height() - gauges.widget().height()
    wanted = panel.sizeHint().height() + title + 4
    column = gauges.height() + settings.height()
    wanted = min(wanted, int(column * 0.6))
    if gauges.height() < wanted:
        window.resizeDocks([gauges, settings], [wanted, column - wanted], Qt.Orientation.Vertical)


def settings_width(dock: QDockWidget) -> int:
    """The width a side dock needs to show its widest row and a vertical scroll bar (the panels never
    scroll sideways, so anything wider would be cut off)."""
    area = dock.widget()
    content = area.widget() if isinstance(area, QScrollArea) else area
    bar = area.verticalScrollBar().sizeHint().width() if isinstance(area, QScrollArea) else 0
    return content.minimumSizeHint().width() + bar + 4


def apply_default_sizes(window: MainWindow) -> None:
    """Size the docks for the window's current size."""
    docks = {dock.objectName(): dock for dock in window.docks}
    width, height = window.width(), window.height()
    side = _clamp(width * 0.24, SIDE_WIDTH)
    left = [docks["SourceDock"], docks["TargetDock"]]
    right = [docks["SimilarityDock"], docks["SettingsDock"]]
    # The settings never need a horizontal scroll: their column is at least as wide as its content.
    settings = max(side, settings_width(docks["SettingsDock"]))
    window.resizeDocks([left[0], right[0]], [side, settings], Qt.Orientation.Horizontal)
    window.resizeDocks([docks["JobsDock"]], [_clamp(height * 0.2, JOBS_HEIGHT)], Qt.Orientation.Vertical)
    # The source list needs less than the target's face chips; the gauges less than the settings.
    column = max(height - 120, 300)
    window.resizeDocks(left, [int(column * 0.35), int(column * 0.65)], Qt.Orientation.Vertical)
    window.resizeDocks(right, [int(column * 0.36), int(column * 0.64)], Qt.Orientation.Vertical)


def reset_layout(window: MainWindow) -> None:
    """Every dock shown, docked at its default place, and sized for the current window."""
    for dock in window.docks:
        area = AREAS.get(dock.objectName())
        if area is None:
            continue
        dock.setFloating(False)
        if window.dockWidgetArea(dock) != area:
            window.addDockWidget(area, dock)
        dock.show()
    _restore_order(window)
    apply_default_sizes(window)


def _restore_order(window: MainWindow) -> None:
    """Source above Target and Similarity above Settings, whatever the user dragged where."""
    docks = {dock.objectName(): dock for dock in window.docks}
    for upper, lower in (("SourceDock", "TargetDock"), ("SimilarityDock", "SettingsDock")):
        first, second = docks[upper], docks[lower]
        window.splitDockWidget(first, second, Qt.Orientation.Vertical)


def visible_docks(window: MainWindow) -> list[QDockWidget]:
    """The docks shown now (tests)."""
    return [dock for dock in window.docks if dock.isVisible()]
