"""Source photos: drop or open several photos of one person; thumbnails of the detected face.

The photos can be reordered by dragging a thumbnail within the list or with the move buttons; the list
never reorders itself: it asks the session model, and redraws from the model's order.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QByteArray, QMimeData, QSize, Qt, Signal
from PySide6.QtGui import (
    QColor,
    QDragEnterEvent,
    QDragMoveEvent,
    QDropEvent,
    QIcon,
    QImage,
    QKeyEvent,
    QPainter,
    QPixmap,
)
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from .drops import dropped_paths
from .icons import icon
from .session import SessionModel, SourceItem
from .theme import palette_colour

ICON_SIDE = 72
QWIDGETSIZE_MAX = 16_777_215
"""Qt's largest widget size (no maximum)."""
ROW_MIME = "application/x-faceswap-source-row"
"""Mime type of a source thumbnail dragged within its list: ``<list id>:<row>``."""


def badged_icon(item: SourceItem) -> QIcon:
    """The thumbnail, with a red warning badge when no face was found."""
    pixmap = QPixmap.fromImage(
        item.thumbnail.scaled(
            ICON_SIDE,
            ICON_SIDE,
            Qt.AspectRatioMode.KeepAspectRatio,
            Qt.TransformationMode.SmoothTransformation,
        )
    )
    if not item.has_face:
        painter = QPainter(pixmap)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setBrush(QColor("#f2646b"))
        painter.setPen(Qt.PenStyle.NoPen)
        painter.drawEllipse(pixmap.width() - 24, 4, 20, 20)
        painter.setPen(QColor("white"))
        painter.drawText(pixmap.width() - 24, 4, 20, 20, Qt.AlignmentFlag.AlignCenter, "!")
        painter.end()
    return QIcon(pixmap)


class SourceList(QListWidget):
    """The thumbnail list. Dragging a thumbnail onto another asks for a move (``move_requested``); files
    dropped on it are handed on (``files_dropped``). Qt's own item moving is never used: the session model
    owns the order and the list is redrawn from it."""

    move_requested = Signal(int, int)  # from row, to row
    files_dropped = Signal(list)  # list[Path]

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setDragEnabled(True)
        self.setAcceptDrops(True)
        self.setDropIndicatorShown(True)
        self.setDragDropMode(QAbstractItemView.DragDropMode.DragDrop)
        self.setDefaultDropAction(Qt.DropAction.MoveAction)

    def mimeTypes(self) -> list[str]:  # noqa: N802
        return [ROW_MIME]

    def mimeData(self, items: list[QListWidgetItem]) -> QMimeData:  # noqa: N802
        mime = QMimeData()
        if items:
            mime.setData(ROW_MIME, QByteArray(f"{id(self)}:{self.row(items[0])}".encode()))
        return mime

    def dragged_row(self, mime: QMimeData) -> int | None:
        """The row a drag from this very list carries (None for anything else)."""
        if not mime.hasFormat(ROW_MIME):
            return None
        owner, _, row = bytes(mime.data(ROW_MIME).data()).decode(errors="replace").partition(":")
        if owner != str(id(self)) or not row.isdigit() or int(row) >= self.count():
            return None
        return int(row)

    def drop_row(self, event: QDropEvent) -> int:
        """The row a drop at the event's position lands on: the item under it, or the end."""
        index = self.indexAt(event.position().toPoint())
        return index.row() if index.isValid() else self.count() - 1

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:  # noqa: N802
        self._accept_drag(event)

    def dragMoveEvent(self, event: QDragMoveEvent) -> None:  # noqa: N802
        self._accept_drag(event)

    def _accept_drag(self, event: QDragMoveEvent) -> None:
        if self.dragged_row(event.mimeData()) is not None:
            event.setDropAction(Qt.DropAction.MoveAction)
            event.accept()
        elif dropped_paths(event.mimeData()):
            event.acceptProposedAction()
        else:
            event.ignore()

    def dropEvent(self, event: QDropEvent) -> None:  # noqa: N802
        mime = event.mimeData()
        row = self.dragged_row(mime)
        if row is not None:
            # Accepted as a copy so that Qt does not delete the dragged item itself.
            event.setDropAction(Qt.DropAction.CopyAction)
            event.accept()
            target = self.drop_row(event)
            if target != row:
                self.move_requested.emit(row, target)
            return
        paths = dropped_paths(mime)
        if paths:
            event.acceptProposedAction()
            self.files_dropped.emit(paths)
        else:
            event.ignore()


class SourcePanel(QWidget):
    """A list of the source photos; drops and buttons call the session model."""

    open_requested = Signal()

    def __init__(self, session: SessionModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("SourcePanel")
        self.session = session
        self.setAcceptDrops(True)
        self.list = SourceList()
        self.list.setViewMode(QListWidget.ViewMode.IconMode)
        self.list.setIconSize(QSize(ICON_SIDE, ICON_SIDE))
        self.list.setGridSize(QSize(ICON_SIDE + 22, ICON_SIDE + 26))
        self.list.setResizeMode(QListWidget.ResizeMode.Adjust)
        self.list.setMovement(QListWidget.Movement.Snap)
        self.list.setMinimumHeight(ICON_SIDE + 34)
        self.list.setToolTip(
            "Photos of the source person; several photos make a steadier identity. Drag a photo onto "
            "another to reorder them."
        )
        self.hint = QLabel("Drop photos of the source person here")
        self.hint.setObjectName("MutedLabel")
        self.hint.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.add_button = QPushButton(icon("mdi6.image-plus"), "Add…")
        self.add_button.setToolTip("Add source photos (Ctrl+O)")
        self.remove_button = QPushButton(icon("mdi6.delete-outline"), "")
        self.remove_button.setToolTip("Remove the selected photo (Delete)")
        self.left_button = QPushButton(icon("mdi6.chevron-left"), "")
        self.left_button.setToolTip("Move the selected photo earlier")
        self.right_button = QPushButton(icon("mdi6.chevron-right"), "")
        self.right_button.setToolTip("Move the selected photo later")
        buttons = QHBoxLayout()
        buttons.addWidget(self.add_button)
        buttons.addStretch(1)
        for button in (self.left_button, self.right_button, self.remove_button):
            buttons.addWidget(button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 8, 8, 8)
        layout.addWidget(self.list)
        layout.addWidget(self.hint)
        layout.addLayout(buttons)
        self.add_button.clicked.connect(self.open_requested)
        self.remove_button.clicked.connect(self._on_remove_clicked)
        self.left_button.clicked.connect(lambda: self._on_move_clicked(-1))
        self.right_button.clicked.connect(lambda: self._on_move_clicked(1))
        self.list.currentRowChanged.connect(lambda _row: self._update_buttons())
        self.list.move_requested.connect(self.move_source)
        self.list.files_dropped.connect(self.session.add_sources)
        session.sources_changed.connect(self._on_sources_changed)
        self._on_sources_changed()

    def set_compact(self, compact: bool) -> None:
        """One row of photos at most (more scroll), so that what sits under the list (a video's "More
        people" rows) shows at the dock's default height; off: the list takes the free height."""
        self.list.setMaximumHeight(self.list.minimumHeight() if compact else QWIDGETSIZE_MAX)

    def _on_sources_changed(self) -> None:
        row = self.list.currentRow()
        self.list.clear()
        for item in self.session.sources:
            entry = QListWidgetItem(badged_icon(item), item.path.name)
            tip = (
                str(item.path) if item.has_face else f"{item.path}\nNo face found: not used for the identity."
            )
            entry.setToolTip(tip)
            if not item.has_face:
                entry.setForeground(palette_colour(self, "bad"))
            self.list.addItem(entry)
        self.list.setCurrentRow(min(row, self.list.count() - 1))
        used, total = len(self.session.usable_sources), len(self.session.sources)
        self.hint.setText(
            f"{used} of {total} photo(s) used for the identity" if total else "Drop photos of the person here"
        )
        self._update_buttons()

    def _update_buttons(self) -> None:
        row, count = self.list.currentRow(), self.list.count()
        self.remove_button.setEnabled(row >= 0)
        self.left_button.setEnabled(row > 0)
        self.right_button.setEnabled(0 <= row < count - 1)

    def _on_remove_clicked(self) -> None:
        if self.list.currentRow() >= 0:
            self.session.remove_source(self.list.currentRow())

    def _on_move_clicked(self, step: int) -> None:
        row = self.list.currentRow()
        if row >= 0:
            self.move_source(row, row + step)

    def move_source(self, row: int, new_row: int) -> None:
        """Move a photo to ``new_row`` (the session reorders; the selection follows the photo)."""
        count = len(self.session.sources)
        if not (0 <= row < count) or not (0 <= new_row < count) or row == new_row:
            return
        self.session.move_source(row, new_row)
        self.list.setCurrentRow(new_row)

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802
        if event.key() == Qt.Key.Key_Delete:
            self._on_remove_clicked()
        else:
            super().keyPressEvent(event)

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:  # noqa: N802
        if dropped_paths(event.mimeData()):
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:  # noqa: N802
        paths: list[Path] = dropped_paths(event.mimeData())
        if paths:
            self.session.add_sources(paths)
            event.acceptProposedAction()


def thumbnail_icon(image: QImage, side: int) -> QIcon:
    return QIcon(
        QPixmap.fromImage(
            image.scaled(
                side, side, Qt.AspectRatioMode.KeepAspectRatio, Qt.TransformationMode.SmoothTransformation
            )
        )
    )
