"""The photo workflow driven through the real window: drops, live preview, gauges, face choice, errors."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PySide6.QtCore import QMimeData, QPointF, Qt, QUrl
from PySide6.QtGui import QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import QApplication, QSlider, QWidget
from qt_helpers import BIDEN, OBAMA, PREVIEW_TIMEOUT_MS, TWO_PEOPLE, add_window, load_inputs, wait_for_preview

from faceswap_desktop.app.context import AppContext
from faceswap_desktop.app.user_settings import UserSettingsStore
from faceswap_desktop.core.settings import SwapSettings
from faceswap_desktop.qt.main_window import MainWindow


def drop_files(widget: QWidget, paths: list[Path]) -> None:
    """Deliver a real drag-enter + drop pair carrying file URLs to ``widget``."""
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(path)) for path in paths])
    point = QPointF(widget.width() / 2, widget.height() / 2)
    enter = QDragEnterEvent(
        point.toPoint(),
        Qt.DropAction.CopyAction,
        mime,
        Qt.MouseButton.LeftButton,
        Qt.KeyboardModifier.NoModifier,
    )
    QApplication.sendEvent(widget, enter)
    assert enter.isAccepted()
    drop = QDropEvent(
        point, Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier
    )
    QApplication.sendEvent(widget, drop)
    assert drop.isAccepted()


def test_drop_fills_panels_and_previews(qtbot, window: MainWindow) -> None:
    with qtbot.waitSignal(window.session.sources_changed, timeout=PREVIEW_TIMEOUT_MS):
        drop_files(window.source_panel, [OBAMA])
    assert window.source_panel.list.count() == 1
    assert window.session.sources[0].has_face
    with qtbot.waitSignal(window.session.target_changed, timeout=PREVIEW_TIMEOUT_MS):
        drop_files(window.target_panel, [BIDEN])
    assert len(window.target_panel.chips) == 1 and window.target_panel.chips[0].isChecked()
    result = wait_for_preview(qtbot, window)
    assert np.any(result.frame != result.original)
    assert window.similarity_panel.gauges[0].similarity is not None
    assert "cosine" in window.similarity_panel.gauges[0].text()


def test_slider_change_gives_new_preview_and_gauge_and_undo(qtbot, window: MainWindow) -> None:
    first = load_inputs(qtbot, window, [OBAMA], BIDEN)
    gauge = window.similarity_panel.gauges[0]
    first_cosine = gauge.similarity.cosine
    slider = window.settings_panel.editors["strength"]
    assert isinstance(slider, QSlider) and (slider.minimum(), slider.maximum()) == (0, 100)
    for value in (90, 70, 50, 30):  # a drag: throttled, only the latest matters
        slider.setValue(value)
    second = wait_for_preview(qtbot, window)
    assert second.request.settings.strength == 30
    assert not np.array_equal(second.frame, first.frame)
    assert gauge.similarity.cosine != first_cosine
    assert window.undo_stack.count() == 1  # the drag merged into one undo step
    window.actions_by_name["undo"].trigger()
    assert window.session.settings.strength == 100 and slider.value() == 100
    undone = wait_for_preview(qtbot, window)
    assert np.array_equal(undone.frame, first.frame)
    window.actions_by_name["redo"].trigger()
    assert slider.value() == 30


def test_multi_face_target_honours_the_choice(qtbot, window: MainWindow) -> None:
    load_inputs(qtbot, window, [OBAMA], TWO_PEOPLE)
    chips = window.target_panel.chips
    assert len(chips) >= 2
    chips[1].setChecked(True)
    chips[0].setChecked(False)
    assert window.session.selection == (1,)
    assert window.preview.selected == (1,)
    result = wait_for_preview(qtbot, window)
    assert [face.index for face in result.swapped] == [1]
    assert len(window.similarity_panel.gauges) == 1
    changed = np.any(result.frame != result.original, axis=2)
    ys, xs = np.nonzero(changed)
    assert len(xs) > 500
    x0, y0, x1, y1 = result.faces[1].box
    margin = 0.5 * max(x1 - x0, y1 - y0)
    assert xs.min() >= x0 - margin and xs.max() <= x1 + margin
    assert ys.min() >= y0 - margin and ys.max() <= y1 + margin
    fx0, fy0, fx1, fy1 = (int(v) for v in result.faces[0].box)
    assert not changed[fy0:fy1, fx0:fx1].any()  # the face that was not chosen is untouched
    window.target_panel.all_button.click()
    every = wait_for_preview(qtbot, window)
    assert [face.index for face in every.swapped] == list(range(len(chips)))
    assert len(window.similarity_panel.gauges) == len(chips)


def test_bad_file_shows_a_notification(qtbot, window: MainWindow, tmp_path: Path) -> None:
    bad = tmp_path / "broken.jpg"
    bad.write_text("this is not an image")
    drop_files(window.target_panel, [bad])
    qtbot.waitUntil(lambda: window.toast.isVisible(), timeout=PREVIEW_TIMEOUT_MS)
    assert "not a supported image" in window.toast.text()
    assert window.session.target is None and window.isVisible()


def test_source_without_face_gets_a_badge(qtbot, window: MainWindow, tmp_path: Path) -> None:
    import cv2

    blank = tmp_path / "wall.png"
    cv2.imwrite(str(blank), np.full((240, 320, 3), 180, np.uint8))
    with qtbot.waitSignal(window.session.sources_changed, timeout=PREVIEW_TIMEOUT_MS):
        window.session.add_sources([blank])
    assert not window.session.sources[0].has_face
    assert "No face found" in window.source_panel.list.item(0).toolTip()
    assert "No face found" in window.toast.text()
    assert window.session.preview_request() is None


def test_preview_view_zoom_pan_and_compare(qtbot, window: MainWindow) -> None:
    load_inputs(qtbot, window, [OBAMA], BIDEN)
    view = window.preview
    fit_scale = view.scale()
    window.actions_by_name["zoom_in"].trigger()
    assert view.scale() > fit_scale and not view.fit
    window.actions_by_name["fit"].trigger()
    assert view.fit and abs(view.scale() - fit_scale) < 1e-6
    window.actions_by_name["compare"].trigger()
    assert view.mode == "split" and window.preview_panel.split_slider.isEnabled()
    window.preview_panel.split_slider.setValue(250)
    assert abs(view.split - 0.25) < 1e-3
    window.actions_by_name["before"].trigger()
    assert view.mode == "before" and not window.actions_by_name["compare"].isChecked()
    image = view.grab().toImage()
    assert not image.isNull()


def test_settings_and_geometry_are_persisted(qtbot, window: MainWindow, store: UserSettingsStore) -> None:
    window.settings_panel.editors["mask_feather"].setValue(20)  # type: ignore[attr-defined]
    window.settings_panel.save_preset("soft")
    assert "soft" in store.presets()
    window.settings_panel.reset_to_defaults()
    assert window.session.settings.mask_feather == SwapSettings().mask_feather
    window.settings_panel.load_preset("soft")
    assert window.session.settings.mask_feather == 20
    window.set_theme("light")
    window.close()
    saved = store.load()
    assert saved.theme == "light" and saved.window_geometry and saved.window_state
    assert saved.swap_settings["mask_feather"] == 20 and saved.consent_accepted


def test_the_window_warms_the_mesh_engine_up_off_the_gui_thread(
    qtbot, context: AppContext, store: UserSettingsStore, monkeypatch
) -> None:
    """The engine's first-use work (~180 ms) is done while the user picks photos, not in the first
    preview, and not on the GUI thread."""
    import threading

    from faceswap_desktop.qt import main_window as main_window_module

    threads: list[threading.Thread] = []

    def record() -> None:
        threads.append(threading.current_thread())

    monkeypatch.setattr(main_window_module, "warm_up_mesh_engine", record)
    window = MainWindow(context, store)
    add_window(qtbot, window)
    qtbot.waitUntil(lambda: bool(threads), timeout=5000)
    assert threads[0] is not threading.main_thread()
    window.shutdown()


def test_adding_a_source_loads_the_judge_before_a_target_is_chosen(  # type: ignore[no-untyped-def]
    qtbot, window: MainWindow, monkeypatch
) -> None:
    """The judge's model (~0.6 s to load) is loaded while the user picks the target, so the first
    preview does not wait for it."""
    warmed: list[bool] = []
    real = window.engine.warm_pipeline
    monkeypatch.setattr(window.engine, "warm_pipeline", lambda request: warmed.append(real(request)) or True)
    window.session.add_sources([OBAMA])
    qtbot.waitUntil(lambda: len(window.session.sources) == 1, timeout=PREVIEW_TIMEOUT_MS)
    qtbot.waitUntil(lambda: warmed == [True], timeout=PREVIEW_TIMEOUT_MS)
    assert ("judge", "dlib") in window.context._instances  # built, in this process
    assert window.session.target is None and window.last_result is None
