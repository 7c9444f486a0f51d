"""The cast of the open video as chips: each person's best-posed face and screen time, most present
first. Clicking a chip picks that person to replace; the chosen one is checked."""

from __future__ import annotations

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtWidgets import QGridLayout, QLabel, QToolButton, QVBoxLayout, QWidget

from ..app.cast import Cast
from .images import bgr_to_qimage
from .source_panel import thumbnail_icon

CHIP_ICON = 48
COLUMNS = 4
MAX_CHIPS = 12
"""The most present people get chips; a crowd's passers-by would bury them."""


class CastStrip(QWidget):
    """Chips of the cast members (``set_cast``); ``person_clicked(number)`` when one is clicked."""

    person_clicked = Signal(int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("CastStrip")
        self.title = QLabel("Cast")
        self.title.setObjectName("SectionLabel")
        self.note = QLabel("")
        self.note.setObjectName("MutedLabel")
        self.note.setWordWrap(True)
        self.chips: list[QToolButton] = []
        self._grid = QGridLayout()
        self._grid.setSpacing(4)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 4, 0, 0)
        layout.addWidget(self.title)
        layout.addWidget(self.note)
        layout.addLayout(self._grid)
        self.cast: Cast | None = None

    def set_scanning(self, done: int, total: int) -> None:
        """The scan is running: no chips yet, its progress."""
        self._clear()
        percent = f" {100 * done // total}%" if total > 0 else ""
        self.note.setText(f"Finding the people of this video…{percent}")

    def set_failed(self, message: str) -> None:
        self._clear()
        self.note.setText(f"The cast could not be scanned: {message}")

    def set_cast(self, cast: Cast, chosen: int | None) -> None:
        """One chip per person; ``chosen`` (a person number) is checked."""
        self._clear()
        self.cast = cast
        for position, member in enumerate(cast.people[:MAX_CHIPS]):
            chip = QToolButton()
            chip.setCheckable(True)
            chip.setIconSize(QSize(CHIP_ICON, CHIP_ICON))
            chip.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextUnderIcon)
            chip.setIcon(thumbnail_icon(bgr_to_qimage(member.thumbnail), CHIP_ICON))
            chip.setText(f"{member.number} · {member.seconds:.1f} s")
            chip.setToolTip(
                f"Person {member.number}: on screen {member.seconds:.1f} s ({member.frames} frames), "
                f"face {member.mean_size:.0f} px on average. Click to replace this person."
            )
            chip.setChecked(member.number == chosen)
            chip.clicked.connect(lambda _checked=False, n=member.number: self._on_clicked(n))
            self._grid.addWidget(chip, position // COLUMNS, position % COLUMNS)
            self.chips.append(chip)
        count = len(cast.people)
        shown = f" ({MAX_CHIPS} shown)" if count > MAX_CHIPS else ""
        self.note.setText(
            f"{count} {'person' if count == 1 else 'people'}{shown}, most present first (screen time × "
            "face size)."
            if count
            else "Nobody found in this video."
        )

    def set_chosen(self, chosen: int | None) -> None:
        """Check the chip of person ``chosen`` (None: none)."""
        if self.cast is None:
            return
        for member, chip in zip(self.cast.people, self.chips, strict=False):
            chip.setChecked(member.number == chosen)

    def set_mapped(self, mapped: dict[int, str]) -> None:
        """Mark the chips of people replaced by further source identities (``{person: "S2"}``)."""
        if self.cast is None:
            return
        for member, chip in zip(self.cast.people, self.chips, strict=False):
            tag = f" → {mapped[member.number]}" if member.number in mapped else ""
            chip.setText(f"{member.number} · {member.seconds:.1f} s{tag}")

    def _on_clicked(self, number: int) -> None:
        self.set_chosen(number)
        self.person_clicked.emit(number)

    def _clear(self) -> None:
        for chip in self.chips:
            self._grid.removeWidget(chip)
            chip.deleteLater()
        self.chips, self.cast = [], None
