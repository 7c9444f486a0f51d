"""A non-blocking notification banner that floats over the bottom of its parent and fades away."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt, QTimer
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QWidget

from .theme import THEMES, current_theme

LEVEL_KEYS = {"error": "bad", "warning": "warn", "info": "accent", "success": "good"}


class ToastWidget(QWidget):
    """Shows one message at a time (newest wins) for a few seconds; never takes focus or blocks."""

    def __init__(self, parent: QWidget, anchor: QWidget | None = None) -> None:
        """``anchor``: a child of ``parent`` whose bottom the toast sits above (the whole parent by
        default), so that it never covers controls laid out under that child."""
        super().__init__(parent)
        self.anchor = anchor
        self.setObjectName("ToastWidget")
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        self.label = QLabel()
        self.label.setWordWrap(True)
        self.close_button = QPushButton("✕")
        self.close_button.setFlat(True)
        self.close_button.setFixedWidth(28)
        self.close_button.setToolTip("Dismiss")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(14, 8, 6, 8)
        layout.addWidget(self.label, 1)
        layout.addWidget(self.close_button)
        self.timer = QTimer(self, singleShot=True)
        self.timer.timeout.connect(self.hide)
        self.close_button.clicked.connect(self.hide)
        self.level = ""
        self.history: list[tuple[str, str]] = []
        parent.installEventFilter(self)
        if anchor is not None:
            anchor.installEventFilter(self)
        self.hide()

    def show_message(self, text: str, level: str = "error", timeout_ms: int = 6000) -> None:
        """Display ``text``; ``level`` is error, warning, info or success."""
        self.level = level
        self.history.append((level, text))
        colour = THEMES[current_theme()][LEVEL_KEYS.get(level, "accent")]
        self.setStyleSheet(
            f"QWidget#ToastWidget {{ background: {colour}; border-radius: 8px; }}"
            "QLabel, QPushButton { color: white; font-weight: 600; background: transparent; border: none; }"
        )
        self.label.setText(text)
        self._place()
        self.show()
        self.raise_()
        self.timer.start(timeout_ms)

    def text(self) -> str:
        return self.label.text() if self.isVisible() else ""

    def _place(self) -> None:
        parent = self.parentWidget()
        width = min(560, parent.width() - 40)
        self.setFixedWidth(max(width, 200))
        # A wrapped label's height depends on the width: ask the layout for it (adjustSize alone left a
        # long message cut off at the top and bottom).
        layout = self.layout()
        height = layout.totalHeightForWidth(self.width()) if layout.hasHeightForWidth() else -1
        self.setFixedHeight(max(height, layout.totalMinimumSize().height()))
        bottom = parent.height()
        if self.anchor is not None and self.anchor.isVisible():
            bottom = self.anchor.geometry().bottom()
        self.move((parent.width() - self.width()) // 2, max(bottom - self.height() - 24, 0))

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802
        watching = watched is self.parentWidget() or watched is self.anchor
        resized = event.type() in (QEvent.Type.Resize, QEvent.Type.Move)
        if watching and resized and self.isVisible():
            self._place()
        return False
