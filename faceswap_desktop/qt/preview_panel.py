"""The centre of the window: the preview view with its compare bar (mode, split slider, busy hint)."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QButtonGroup, QHBoxLayout, QLabel, QPushButton, QSlider, QVBoxLayout, QWidget

from .preview_view import PreviewView


class PreviewPanel(QWidget):
    """Hosts :class:`PreviewView` and the after / before / split buttons with the split slider."""

    mode_changed = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("PreviewPanel")
        self.view = PreviewView()
        self.mode_buttons: dict[str, QPushButton] = {}
        group = QButtonGroup(self)
        bar = QHBoxLayout()
        bar.setContentsMargins(8, 4, 8, 4)
        for mode, text, tip in (
            ("after", "Result", "Show the swapped result"),
            ("before", "Original", "Show the untouched target (B)"),
            ("split", "Split", "Compare original and result with a slider (C)"),
        ):
            button = QPushButton(text)
            button.setCheckable(True)
            button.setToolTip(tip)
            group.addButton(button)
            button.clicked.connect(lambda _c=False, m=mode: self.set_mode(m))
            self.mode_buttons[mode] = button
            bar.addWidget(button)
        self.mode_buttons["after"].setChecked(True)
        self.split_slider = QSlider(Qt.Orientation.Horizontal)
        self.split_slider.setRange(0, 1000)
        self.split_slider.setValue(500)
        self.split_slider.setFixedWidth(180)
        self.split_slider.setToolTip("Where the split between original and result lies")
        self.split_slider.setEnabled(False)
        self.split_slider.setVisible(False)
        self.busy_label = QLabel("")
        self.busy_label.setObjectName("MutedLabel")
        bar.addSpacing(12)
        bar.addWidget(self.split_slider)
        bar.addStretch(1)
        bar.addWidget(self.busy_label)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addLayout(bar)
        layout.addWidget(self.view, 1)
        self.split_slider.valueChanged.connect(lambda value: self.view.set_split(value / 1000))
        self.view.split_changed.connect(self._on_view_split_changed)

    def set_mode(self, mode: str) -> None:
        self.view.set_mode(mode)
        self.mode_buttons[mode].setChecked(True)
        self.split_slider.setEnabled(mode == "split")
        self.split_slider.setVisible(mode == "split")
        self.mode_changed.emit(mode)

    def set_busy(self, busy: bool) -> None:
        self.busy_label.setText("Updating preview…" if busy else "")

    def _on_view_split_changed(self, fraction: float) -> None:
        self.split_slider.blockSignals(True)
        self.split_slider.setValue(int(fraction * 1000))
        self.split_slider.blockSignals(False)
