"""Source photos: drop or open several photos of one person; thumbnails of the detected face."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QColor, QDragEnterEvent, QDropEvent, QIcon, QImage, QKeyEvent, QPainter, QPixmap
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


class SourcePanel(QWidget):
    """A list of the source photos; drops and buttons call the session model."""

    open_requested = Signal()

    def __init__(self, session: SessionModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("SourcePanel")
        self.session = session
        self.setAcceptDrops(True)
        self.list = QListWidget()
        self.list.setViewMode(QListWidget.ViewMode.IconMode)
        self.list.setIconSize(QSize(ICON_SIDE, ICON_SIDE))
        self.list.setGridSize(QSize(ICON_SIDE + 22, ICON_SIDE + 26))
        self.list.setResizeMode(QListWidget.ResizeMode.Adjust)
        self.list.setMovement(QListWidget.Movement.Static)
        self.list.setDragDropMode(QAbstractItemView.DragDropMode.NoDragDrop)
        self.list.setAcceptDrops(False)
        self.list.setMinimumHeight(ICON_SIDE + 34)
        self.list.setToolTip("Photos of the source person; several photos make a steadier identity.")
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
        session.sources_changed.connect(self._on_sources_changed)
        self._on_sources_changed()

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
            self.session.move_source(row, row + step)
            self.list.setCurrentRow(row + step)

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
