"""Target photo: drop or open it; face chips choose which of its faces are swapped."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import (
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from .drops import dropped_paths
from .icons import icon
from .session import SessionModel
from .source_panel import thumbnail_icon

CHIP_ICON = 56
CHIP_COLUMNS = 3


class TargetPanel(QWidget):
    """Shows the target's name and one checkable chip per detected face."""

    open_requested = Signal()

    def __init__(self, session: SessionModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("TargetPanel")
        self.session = session
        self.setAcceptDrops(True)
        self.name_label = QLabel("Drop a target photo here")
        self.name_label.setObjectName("MutedLabel")
        self.name_label.setWordWrap(True)
        self.open_button = QPushButton(icon("mdi6.image-search-outline"), "Open…")
        self.open_button.setToolTip("Open the target photo (Ctrl+T)")
        self.all_button = QPushButton("All faces")
        self.all_button.setToolTip("Swap every face of the target")
        self.chips: list[QToolButton] = []
        self._chip_grid = QGridLayout()
        self._chip_grid.setSpacing(6)
        header = QHBoxLayout()
        header.addWidget(self.name_label, 1)
        header.addWidget(self.open_button)
        faces_header = QHBoxLayout()
        self.faces_label = QLabel("Faces to swap")
        self.faces_label.setObjectName("SectionLabel")
        faces_header.addWidget(self.faces_label)
        faces_header.addStretch(1)
        faces_header.addWidget(self.all_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 8, 8, 8)
        layout.addLayout(header)
        layout.addLayout(faces_header)
        layout.addLayout(self._chip_grid)
        layout.addStretch(1)
        self.open_button.clicked.connect(self.open_requested)
        self.all_button.clicked.connect(self._on_all_clicked)
        session.target_changed.connect(self._on_target_changed)
        session.selection_changed.connect(self._on_selection_changed)
        self._on_target_changed()

    def _on_target_changed(self) -> None:
        for chip in self.chips:
            self._chip_grid.removeWidget(chip)
            chip.deleteLater()
        self.chips = []
        target = self.session.target
        if target is None:
            self.name_label.setText("Drop a target photo here")
        else:
            self.name_label.setText(f"{target.path.name} · {len(target.faces)} face(s)")
            self.name_label.setToolTip(str(target.path))
            for index, chip_image in enumerate(target.chips):
                chip = QToolButton()
                chip.setCheckable(True)
                chip.setIcon(thumbnail_icon(chip_image, CHIP_ICON))
                chip.setIconSize(QSize(CHIP_ICON, CHIP_ICON))
                chip.setText(f"Face {index + 1}")
                chip.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextUnderIcon)
                chip.setToolTip(f"Swap face {index + 1} (faces are numbered left to right)")
                chip.toggled.connect(lambda _checked: self._on_chip_toggled())
                self._chip_grid.addWidget(chip, index // CHIP_COLUMNS, index % CHIP_COLUMNS)
                self.chips.append(chip)
        has_faces = bool(self.chips)
        self.faces_label.setVisible(has_faces)
        self.all_button.setVisible(len(self.chips) > 1)
        self._on_selection_changed()

    def _on_selection_changed(self) -> None:
        for index, chip in enumerate(self.chips):
            chip.blockSignals(True)
            chip.setChecked(index in self.session.selection)
            chip.blockSignals(False)

    def _on_chip_toggled(self) -> None:
        self.session.set_selection(tuple(i for i, chip in enumerate(self.chips) if chip.isChecked()))

    def _on_all_clicked(self) -> None:
        self.session.set_selection(tuple(range(len(self.chips))))

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:  # noqa: N802
        if dropped_paths(event.mimeData()):
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:  # noqa: N802
        paths: list[Path] = dropped_paths(event.mimeData())
        if paths:
            self.session.set_target(paths[0])
            event.acceptProposedAction()
