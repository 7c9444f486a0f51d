"""Window layout and theme usability (issue #16): small windows, Reset layout, icon contrast, toasts."""

from __future__ import annotations

from PySide6.QtCore import QRect, QSize, Qt
from PySide6.QtGui import QColor, QIcon
from PySide6.QtWidgets import QApplication, QPushButton, QScrollArea, QWidget
from qt_helpers import BIDEN, OBAMA, load_inputs

from faceswap_desktop.app.user_settings import UserSettingsStore
from faceswap_desktop.qt.layout import SIDE_WIDTH
from faceswap_desktop.qt.main_window import MainWindow
from faceswap_desktop.qt.theme import THEMES, apply_theme, current_theme, theme_choice


def settle(qtbot) -> None:  # type: ignore[no-untyped-def]
    QApplication.processEvents()
    qtbot.wait(50)
    QApplication.processEvents()


def reachable(widget: QWidget) -> bool:
    """The whole widget lies inside its dock's scrollable content, which the scroll bar can bring into
    view in full: nothing is cut off at the right (there is no horizontal scroll) or at the bottom."""
    area = widget.parentWidget()
    while area is not None and not isinstance(area, QScrollArea):
        area = area.parentWidget()
    assert area is not None, f"{widget} is not in a scroll area"
    content, viewport = area.widget(), area.viewport()
    box = QRect(widget.mapTo(content, widget.rect().topLeft()), widget.size())
    scroll_range = area.verticalScrollBar().maximum() + viewport.height()
    return (
        widget.isVisible()
        and box.left() >= 0
        and box.right() < viewport.width()
        and box.top() >= 0
        and box.bottom() < min(content.height(), scroll_range)
    )


def test_small_window_keeps_every_setting_reachable_and_grows_back(qtbot, window: MainWindow) -> None:  # type: ignore[no-untyped-def]
    window.resize(1024, 700)
    settle(qtbot)
    editors = [w for name, w in window.settings_panel.editors.items()]
    editors += window.engine_panel.findChildren(QWidget, options=Qt.FindChildOption.FindChildrenRecursively)
    editors += window.source_panel.findChildren(QPushButton) + window.target_panel.findChildren(QPushButton)
    checked = [w for w in editors if w.isVisibleTo(window) and w.objectName() != "MissingModelBanner"]
    assert len(checked) > 16
    assert [w for w in checked if not reachable(w)] == []
    assert all(dock.isVisible() and dock.width() >= dock.minimumWidth() for dock in window.docks)
    window.reset_layout()  # the default sizes for this small window, where the side docks are narrowest
    settle(qtbot)
    assert [w for w in checked if not reachable(w)] == []
    for dock in window.docks:  # no panel is wider than its dock shows (they never scroll sideways)
        area = dock.widget()
        if isinstance(area, QScrollArea):
            assert area.widget().width() <= area.viewport().width(), dock.objectName()
    window.resize(1440, 900)
    settle(qtbot)
    # Back at a large size the side panels are at least their default share again, without dragging.
    side = min(max(int(1440 * 0.24), SIDE_WIDTH[0]), SIDE_WIDTH[1])
    for name in ("SourceDock", "SimilarityDock", "SettingsDock"):
        dock = window.findChild(QWidget, name)
        assert dock is not None and dock.width() >= side - 2, (name, dock.width())


def test_reset_layout_brings_back_closed_and_floating_panels(qtbot, window: MainWindow) -> None:  # type: ignore[no-untyped-def]
    docks = {dock.objectName(): dock for dock in window.docks}
    docks["SettingsDock"].close()
    docks["SourceDock"].setFloating(True)
    window.resizeDocks([docks["SimilarityDock"]], [60], Qt.Orientation.Horizontal)
    settle(qtbot)
    window.actions_by_name["reset_layout"].trigger()
    settle(qtbot)
    assert all(dock.isVisible() and not dock.isFloating() for dock in window.docks)
    assert window.dockWidgetArea(docks["SourceDock"]) == Qt.DockWidgetArea.LeftDockWidgetArea
    assert docks["SourceDock"].geometry().top() < docks["TargetDock"].geometry().top()
    assert docks["SimilarityDock"].width() >= SIDE_WIDTH[0]
    assert "Reset &layout" in [a.text() for a in window.menuBar().actions()[2].menu().actions()]


def contrast(a: QColor, b: QColor) -> float:
    """WCAG contrast ratio of two colours."""

    def luminance(colour: QColor) -> float:
        def channel(value: float) -> float:
            return value / 12.92 if value <= 0.03928 else ((value + 0.055) / 1.055) ** 2.4

        return (
            0.2126 * channel(colour.redF())
            + 0.7152 * channel(colour.greenF())
            + 0.0722 * channel(colour.blueF())
        )

    high, low = sorted((luminance(a), luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def icon_colour(icon: QIcon) -> QColor:
    """The mean colour of an icon's opaque pixels."""
    image = icon.pixmap(QSize(24, 24)).toImage()
    pixels = [image.pixelColor(x, y) for x in range(image.width()) for y in range(image.height())]
    solid = [p for p in pixels if p.alpha() > 200]
    assert solid, "the icon drew nothing"
    return QColor(
        int(sum(p.red() for p in solid) / len(solid)),
        int(sum(p.green() for p in solid) / len(solid)),
        int(sum(p.blue() for p in solid) / len(solid)),
    )


def test_icons_follow_a_theme_switch_with_contrast(qtbot, window: MainWindow) -> None:  # type: ignore[no-untyped-def]
    play = window.video.timeline.play_button.icon()  # created under the dark theme, never re-set
    toolbar_icons = {name: window.actions_by_name[name].icon() for name in ("open_sources", "undo", "fit")}
    window.actions_by_name["theme_light"].trigger()
    assert current_theme() == "light"
    background = QColor(THEMES["light"]["window"])
    for name, icon in {**toolbar_icons, "play": play}.items():
        assert contrast(icon_colour(icon), background) >= 4.5, name
    window.actions_by_name["theme_dark"].trigger()
    assert contrast(icon_colour(play), QColor(THEMES["dark"]["window"])) >= 4.5


def test_follow_the_system_theme_is_remembered(qtbot, window: MainWindow, store: UserSettingsStore) -> None:  # type: ignore[no-untyped-def]
    window.actions_by_name["theme_system"].trigger()
    assert theme_choice() == "system" and current_theme() in ("dark", "light")
    window.shutdown()
    assert store.load().theme == "system"
    app = QApplication.instance()
    assert isinstance(app, QApplication)
    apply_theme(app, "dark")


def test_fit_button_explains_itself(window: MainWindow) -> None:
    toolbar = window.findChild(QWidget, "MainToolBar")
    button = toolbar.widgetForAction(window.actions_by_name["fit"])  # type: ignore[attr-defined]
    assert "whole photo" in button.toolTip() and button.accessibleName() == "Fit to window"


def test_jobs_show_several_rows_and_toasts_stay_off_the_timeline(qtbot, window: MainWindow, tmp_path) -> None:  # type: ignore[no-untyped-def]
    load_inputs(qtbot, window, [OBAMA], BIDEN)
    infos = [window.queue_export(tmp_path / f"out{number}.png") for number in range(3)]
    assert all(infos)
    qtbot.waitUntil(lambda: len(window.jobs_panel.rows) == 3)
    settle(qtbot)
    viewport = window.jobs_panel.findChild(QScrollArea).viewport()
    shown = [
        row
        for row in window.jobs_panel.rows.values()
        if viewport.rect().contains(QRect(row.mapTo(viewport, row.rect().topLeft()), row.size()))
    ]
    assert len(shown) >= 2, "the Jobs panel shows fewer than two jobs at the default size"
    for info in infos:
        window.runner.cancel(info.job_id)  # type: ignore[union-attr]
    qtbot.waitUntil(lambda: window.runner.queue.pending_count() == 0, timeout=30_000)
    window.video.timeline.setVisible(True)  # as with a video target
    settle(qtbot)
    window.show_error("A notice", "info")
    settle(qtbot)
    assert not window.toast.geometry().intersects(window.video.timeline.geometry())
    assert window.toast.geometry().bottom() <= window.preview.geometry().bottom()
    window.video.timeline.setVisible(False)
