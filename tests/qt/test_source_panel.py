"""Reordering source photos: move buttons, dragging a thumbnail within the list, files dropped on it."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PySide6.QtCore import QByteArray, QMimeData, QPoint, QPointF, Qt, QUrl
from PySide6.QtGui import QDragEnterEvent, QDragMoveEvent, QDropEvent
from PySide6.QtWidgets import QApplication, QWidget
from qt_helpers import BIDEN, MEDIA, PREVIEW_TIMEOUT_MS, load_inputs, wait_for_preview

from faceswap_desktop.qt.main_window import MainWindow
from faceswap_desktop.qt.source_panel import ROW_MIME

PERSON = [MEDIA / "identity/deepface_p01" / name for name in ("img1.jpg", "img2.jpg", "img4.jpg")]


def send_drag(widget: QWidget, mime: QMimeData, point: QPoint) -> tuple[bool, QDropEvent]:
    """Deliver drag-enter, drag-move and (when entering was accepted) a drop at ``point``."""
    actions = Qt.DropAction.MoveAction | Qt.DropAction.CopyAction
    args = (actions, mime, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier)
    enter = QDragEnterEvent(point, *args)
    QApplication.sendEvent(widget, enter)
    move = QDragMoveEvent(point, *args)
    QApplication.sendEvent(widget, move)
    drop = QDropEvent(QPointF(point), *args)
    if enter.isAccepted():
        QApplication.sendEvent(widget, drop)
    return enter.isAccepted(), drop


def order(window: MainWindow) -> list[Path]:
    return [item.path for item in window.session.sources]


def shown_names(window: MainWindow) -> list[str]:
    panel_list = window.source_panel.list
    return [panel_list.item(row).text() for row in range(panel_list.count())]


def add_person(qtbot, window: MainWindow) -> None:  # type: ignore[no-untyped-def]
    window.session.add_sources(PERSON)
    qtbot.waitUntil(lambda: len(window.session.sources) == len(PERSON), timeout=PREVIEW_TIMEOUT_MS)
    assert order(window) == PERSON


def test_move_buttons_reorder_the_photos_and_the_request(qtbot, window: MainWindow) -> None:  # type: ignore[no-untyped-def]
    first = load_inputs(qtbot, window, PERSON, BIDEN)
    assert first.request.sources == tuple(PERSON)
    panel = window.source_panel
    panel.list.setCurrentRow(0)
    assert not panel.left_button.isEnabled() and panel.right_button.isEnabled()
    qtbot.mouseClick(panel.right_button, Qt.MouseButton.LeftButton)
    moved = [PERSON[1], PERSON[0], PERSON[2]]
    assert order(window) == moved
    assert shown_names(window) == [path.name for path in moved]
    assert panel.list.currentRow() == 1  # the selection follows the moved photo
    result = wait_for_preview(qtbot, window)
    assert result.request.sources == tuple(moved)
    # The identity is the mean of every photo's embedding and the texture photo is picked by pose, so
    # the order alone must not change the swap.
    assert np.array_equal(result.frame, first.frame)

    panel.list.setCurrentRow(2)
    assert panel.left_button.isEnabled() and not panel.right_button.isEnabled()
    qtbot.mouseClick(panel.left_button, Qt.MouseButton.LeftButton)
    qtbot.mouseClick(panel.left_button, Qt.MouseButton.LeftButton)
    assert order(window) == [PERSON[2], PERSON[1], PERSON[0]]
    assert panel.list.currentRow() == 0 and not panel.left_button.isEnabled()
    assert wait_for_preview(qtbot, window).request.sources == (PERSON[2], PERSON[1], PERSON[0])


def test_dragging_a_thumbnail_onto_another_moves_it(qtbot, window: MainWindow) -> None:  # type: ignore[no-untyped-def]
    add_person(qtbot, window)
    panel_list = window.source_panel.list
    viewport = panel_list.viewport()
    mime = panel_list.mimeData([panel_list.item(0)])
    onto_last = panel_list.visualItemRect(panel_list.item(2)).center()
    with qtbot.waitSignal(window.session.sources_changed, timeout=1000):
        accepted, drop = send_drag(viewport, mime, onto_last)
    assert accepted and drop.isAccepted()
    assert drop.dropAction() != Qt.DropAction.MoveAction  # Qt must not delete the dragged item itself
    assert order(window) == [PERSON[1], PERSON[2], PERSON[0]]
    assert shown_names(window) == [PERSON[1].name, PERSON[2].name, PERSON[0].name]
    assert panel_list.currentRow() == 2

    # Last onto first.
    mime = panel_list.mimeData([panel_list.item(2)])
    send_drag(viewport, mime, panel_list.visualItemRect(panel_list.item(0)).center())
    assert order(window) == [PERSON[0], PERSON[1], PERSON[2]]

    # Dropped on itself: nothing changes.
    mime = panel_list.mimeData([panel_list.item(1)])
    with qtbot.assertNotEmitted(window.session.sources_changed, wait=100):
        send_drag(viewport, mime, panel_list.visualItemRect(panel_list.item(1)).center())
    assert order(window) == PERSON


def test_a_row_from_another_list_is_refused(qtbot, window: MainWindow) -> None:  # type: ignore[no-untyped-def]
    add_person(qtbot, window)
    panel_list = window.source_panel.list
    mime = QMimeData()
    mime.setData(ROW_MIME, QByteArray(b"12345:0"))  # not this list's id
    with qtbot.assertNotEmitted(window.session.sources_changed, wait=100):
        accepted, _drop = send_drag(
            panel_list.viewport(), mime, panel_list.visualItemRect(panel_list.item(2)).center()
        )
    assert not accepted
    assert order(window) == PERSON


def test_files_dropped_on_the_list_are_added(qtbot, window: MainWindow) -> None:  # type: ignore[no-untyped-def]
    viewport = window.source_panel.list.viewport()
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(path)) for path in PERSON[:2]])
    with qtbot.waitSignal(window.session.sources_changed, timeout=PREVIEW_TIMEOUT_MS):
        accepted, drop = send_drag(viewport, mime, viewport.rect().center())
    assert accepted and drop.isAccepted()
    qtbot.waitUntil(lambda: len(window.session.sources) == 2, timeout=PREVIEW_TIMEOUT_MS)
    assert order(window) == PERSON[:2]
