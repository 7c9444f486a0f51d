"""Menus, toolbar and keyboard shortcuts of the main window."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QAction, QActionGroup, QKeySequence
from PySide6.QtWidgets import QApplication, QToolBar

from .icons import icon
from .tooltips import install_tooltip_wrapping

if TYPE_CHECKING:
    from .main_window import MainWindow


def _action(
    window: MainWindow,
    text: str,
    icon_name: str,
    shortcut: QKeySequence | str | None,
    tip: str,
    slot: Callable[..., object],
    checkable: bool = False,
) -> QAction:
    action = QAction(icon(icon_name), text, window)
    action.setProperty("iconName", icon_name)
    if shortcut:
        action.setShortcut(QKeySequence(shortcut))
        tip = f"{tip} ({QKeySequence(shortcut).toString(QKeySequence.SequenceFormat.NativeText)})"
    action.setToolTip(tip)
    action.setStatusTip(tip)
    action.setCheckable(checkable)
    action.triggered.connect(slot)
    return action


def install_actions(window: MainWindow) -> dict[str, QAction]:
    """Create every action, the menu bar and the toolbar; returns the actions by name."""
    w = window
    undo = w.undo_stack.createUndoAction(w, "Undo")
    undo.setShortcut(QKeySequence.StandardKey.Undo)
    undo.setIcon(icon("mdi6.undo"))
    undo.setProperty("iconName", "mdi6.undo")
    redo = w.undo_stack.createRedoAction(w, "Redo")
    redo.setShortcut(QKeySequence.StandardKey.Redo)
    redo.setIcon(icon("mdi6.redo"))
    redo.setProperty("iconName", "mdi6.redo")
    actions = {
        "open_sources": _action(
            w,
            "Add &source photos…",
            "mdi6.account-plus-outline",
            QKeySequence.StandardKey.Open,
            "Add photos of the source person",
            w.open_sources,
        ),
        "open_target": _action(
            w,
            "Open &target photo…",
            "mdi6.image-search-outline",
            "Ctrl+T",
            "Open the photo whose faces are replaced",
            w.open_target,
        ),
        "export": _action(
            w,
            "&Export…",
            "mdi6.export-variant",
            "Ctrl+E",
            "Export the swapped photo as a background job",
            w.export,
        ),
        "watermark": _action(
            w,
            "Add visible \u201cAI-generated\u201d &mark to exports",
            "mdi6.watermark",
            None,
            "Draw an \u201cAI-generated\u201d mark in the corner of exported photos "
            "(the metadata labels are always added)",
            lambda _checked=False: None,
            True,
        ),
        "quit": _action(w, "&Quit", "mdi6.exit-to-app", QKeySequence.StandardKey.Quit, "Quit", w.close),
        "undo": undo,
        "redo": redo,
        "reset": _action(
            w,
            "&Reset blend settings",
            "mdi6.restore",
            "Ctrl+R",
            "Reset every blend setting to its default",
            w.settings_panel.reset_to_defaults,
        ),
        "compare": _action(
            w,
            "Split &compare",
            "mdi6.compare-horizontal",
            "C",
            "Show the original and the result side by side with a slider",
            w.toggle_compare,
            True,
        ),
        "before": _action(
            w,
            "Show &original",
            "mdi6.eye-outline",
            "B",
            "Toggle between the original target and the result",
            w.toggle_before,
            True,
        ),
        "zoom_in": _action(
            w,
            "Zoom &in",
            "mdi6.magnify-plus-outline",
            QKeySequence.StandardKey.ZoomIn,
            "Zoom in",
            lambda: w.preview.zoom_by(1.25),
        ),
        "zoom_out": _action(
            w,
            "Zoom &out",
            "mdi6.magnify-minus-outline",
            QKeySequence.StandardKey.ZoomOut,
            "Zoom out",
            lambda: w.preview.zoom_by(0.8),
        ),
        "fit": _action(
            w,
            "&Fit to window",
            "mdi6.fit-to-screen-outline",
            "Ctrl+0",
            "Fit: show the whole photo in the window",
            w.preview.fit_to_window,
        ),
        "actual": _action(
            w,
            "Actual &size",
            "mdi6.numeric-1-box-outline",
            "Ctrl+1",
            "Show the photo at 100%, centred on the chosen face",
            w.preview.actual_size,
        ),
    }
    themes = QActionGroup(w)
    for name, text, tip in (
        ("dark", "Dark theme", "Switch to the dark theme"),
        ("light", "Light theme", "Switch to the light theme"),
        (
            "system",
            "Follow the system theme",
            "Use the desktop's light or dark scheme, and follow its changes",
        ),
    ):
        theme_action = _action(
            w, text, "mdi6.theme-light-dark", None, tip, lambda _c=False, n=name: w.set_theme(n), True
        )
        theme_action.setChecked(name == w.user_settings.theme)
        themes.addAction(theme_action)
        actions[f"theme_{name}"] = theme_action

    menu = w.menuBar()
    file_menu = menu.addMenu("&File")
    for name in ("open_sources", "open_target", "export", "watermark"):
        file_menu.addAction(actions[name])
    file_menu.addSeparator()
    file_menu.addAction(actions["quit"])
    edit_menu = menu.addMenu("&Edit")
    for name in ("undo", "redo", "reset"):
        edit_menu.addAction(actions[name])
    view_menu = menu.addMenu("&View")
    for name in ("before", "compare", "zoom_in", "zoom_out", "fit", "actual"):
        view_menu.addAction(actions[name])
    view_menu.addSeparator()
    for name in ("theme_dark", "theme_light", "theme_system"):
        view_menu.addAction(actions[name])
    view_menu.addSeparator()
    panels = view_menu.addMenu("Panels")
    for dock in w.docks:
        panels.addAction(dock.toggleViewAction())
    actions["reset_layout"] = _action(
        w,
        "Reset &layout",
        "mdi6.view-dashboard-outline",
        "Ctrl+Shift+0",
        "Show every panel again at its default place and size for this window size",
        w.reset_layout,
    )
    view_menu.addAction(actions["reset_layout"])

    toolbar = QToolBar("Main toolbar")
    toolbar.setObjectName("MainToolBar")
    toolbar.setIconSize(QSize(20, 20))
    toolbar.setMovable(False)
    toolbar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
    for name in ("open_sources", "open_target"):
        toolbar.addAction(actions[name])
    toolbar.addSeparator()
    for name in ("undo", "redo"):
        toolbar.addAction(actions[name])
    toolbar.addSeparator()
    for name in ("before", "compare", "fit"):
        toolbar.addAction(actions[name])
    toolbar.addSeparator()
    toolbar.addAction(actions["export"])
    for name in ("undo", "redo", "fit"):
        button = toolbar.widgetForAction(actions[name])
        if button is not None:
            # An icon-only button says what it does on hover and to screen readers.
            button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonIconOnly)
            button.setToolTip(actions[name].toolTip() or actions[name].text().replace("&", ""))
            button.setAccessibleName(actions[name].text().replace("&", ""))
    w.addToolBar(toolbar)
    app = QApplication.instance()
    if isinstance(app, QApplication):
        install_tooltip_wrapping(app)
    return actions


def refresh_icons(actions: dict[str, QAction]) -> None:
    """Re-create the actions' icons (they also follow a theme change by themselves, see :mod:`icons`)."""
    for action in actions.values():
        name = action.property("iconName")
        if name:
            action.setIcon(icon(str(name)))
