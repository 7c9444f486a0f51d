"""The main window's dock layout: sensible minimum sizes, default sizes that scale with the window, and
View > Reset layout.

The side docks take the full height of the window (the Jobs dock sits under the preview only), so that a
small window still gives the settings most of its height; every panel scrolls when it is short of room.
Qt keeps a dock's size when the window grows, so a window made small and then large again keeps its
cramped panels: :func:`reset_layout` puts every panel back at its default place and share of the window.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDockWidget

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


def configure_docks(window: MainWindow) -> None:
    """Corners and minimum sizes (once, when the docks are built)."""
    window.setCorner(Qt.Corner.BottomLeftCorner, Qt.DockWidgetArea.LeftDockWidgetArea)
    window.setCorner(Qt.Corner.BottomRightCorner, Qt.DockWidgetArea.RightDockWidgetArea)
    for dock in window.docks:
        name = dock.objectName()
        if name in DOCK_MIN_HEIGHT:
            dock.setMinimumWidth(SIDE_MIN_WIDTH)
            dock.widget().setMinimumHeight(DOCK_MIN_HEIGHT[name])
    apply_default_sizes(window)


def apply_default_sizes(window: MainWindow) -> None:
    """Size the docks for the window's current size."""
    docks = {dock.objectName(): dock for dock in window.docks}
    width, height = window.width(), window.height()
    side = _clamp(width * 0.24, SIDE_WIDTH)
    left = [docks["SourceDock"], docks["TargetDock"]]
    right = [docks["SimilarityDock"], docks["SettingsDock"]]
    window.resizeDocks([left[0], right[0]], [side, side], Qt.Orientation.Horizontal)
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
