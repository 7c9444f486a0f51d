"""The cast of the open video as chips: each person's best-posed face and screen time, most present
first. Clicking a chip picks that person to replace with the source photos; the chosen one is checked.
A chip's context menu ("Replace with") assigns any source identity to that person: the photos above
(S1), a further identity of the "More people" panel (S2, ..), new photos, or nobody."""

from __future__ import annotations

from PySide6.QtCore import QPoint, QSize, Qt, Signal
from PySide6.QtWidgets import QGridLayout, QLabel, QMenu, QToolButton, QVBoxLayout, QWidget

from ..app.cast import Cast
from .images import bgr_to_qimage
from .source_panel import thumbnail_icon

CHIP_ICON = 48
COLUMNS = 4
MAX_CHIPS = 12
"""The most present people get chips; a crowd's passers-by would bury them."""
NEW_PHOTOS, NOBODY = 0, -1
"""``source_assigned`` codes besides the source numbers (1: the photos above, 2..: further identities)."""


class CastStrip(QWidget):
    """Chips of the cast members (``set_cast``); ``person_clicked(number)`` when one is clicked."""

    person_clicked = Signal(int)
    source_assigned = Signal(int, int)
    """(person, source): replace the person with source ``source`` (1: the source photos, 2..: further
    identity S2..), :data:`NEW_PHOTOS` (photos to ask for), or :data:`NOBODY` (stop replacing them)."""

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
        self.sources: list[str] = []
        """Names of the source identities, S1 first (:meth:`set_sources`)."""
        self._chosen: int | None = None
        self._mapped: dict[int, str] = {}
        self._menu: QMenu | None = None

    def set_sources(self, names: list[str]) -> None:
        """The source identities a chip's menu offers: ``names[0]`` is S1 (the source photos; "" when
        there are none yet), then S2.."""
        self.sources = list(names)

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
                f"face {member.mean_size:.0f} px on average. Click to replace this person with the "
                "source photos; right-click to replace them with another source."
            )
            chip.setChecked(member.number == chosen)
            chip.clicked.connect(lambda _checked=False, n=member.number: self._on_clicked(n))
            chip.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
            chip.customContextMenuRequested.connect(
                lambda at, n=member.number, c=chip: self._show_menu(n, c.mapToGlobal(at))
            )
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
        if cast.others:
            # Glimpsed once with a face too dark or small to tell (app.cast.Cast.others): no chip, but a
            # click on their face in the frame still picks them.
            glimpsed = len(cast.others)
            self.note.setText(
                f"{self.note.text()} {glimpsed} other{'s' if glimpsed > 1 else ''} only glimpsed (no chip; "
                "click a face in the frame to pick it)."
            )

    def set_chosen(self, chosen: int | None) -> None:
        """Check the chip of person ``chosen`` (None: none)."""
        if self.cast is None:
            return
        self._chosen = chosen
        for member, chip in zip(self.cast.people, self.chips, strict=False):
            chip.setChecked(member.number == chosen)

    def set_mapped(self, mapped: dict[int, str]) -> None:
        """Mark the chips of people replaced by further source identities (``{person: "S2"}``)."""
        if self.cast is None:
            return
        self._mapped = dict(mapped)
        for member, chip in zip(self.cast.people, self.chips, strict=False):
            tag = f" → {mapped[member.number]}" if member.number in mapped else ""
            chip.setText(f"{member.number} · {member.seconds:.1f} s{tag}")

    def menu_for(self, number: int) -> QMenu:
        """The "Replace with" menu of person ``number``'s chip: each source identity (the one replacing
        them checked), new photos, and "Don't replace" when a further identity replaces them."""
        menu = QMenu(self)
        menu.setToolTipsVisible(True)
        menu.addSection(f"Replace person {number} with")
        current = 1 if number == self._chosen else None
        if number in self._mapped:
            current = int(self._mapped[number].removeprefix("S"))
        for source, name in enumerate(self.sources or [""], start=1):
            action = menu.addAction(f"S{source}: {name or 'no source photos yet'}")
            action.setCheckable(True)
            action.setChecked(source == current)
            action.setEnabled(bool(name))
            action.triggered.connect(lambda _c=False, s=source: self.source_assigned.emit(number, s))
        menu.addSeparator()
        new = menu.addAction("Other photos…")
        new.setToolTip("Photos of one more source person, to replace this person")
        new.triggered.connect(lambda _c=False: self.source_assigned.emit(number, NEW_PHOTOS))
        if number in self._mapped:
            stop = menu.addAction(f"Don't replace (remove {self._mapped[number]})")
            stop.triggered.connect(lambda _c=False: self.source_assigned.emit(number, NOBODY))
        return menu

    def _show_menu(self, number: int, at: QPoint) -> None:
        if self._menu is not None:
            self._menu.deleteLater()
        self._menu = self.menu_for(number)
        self._menu.popup(at)  # not exec(): no nested event loop

    def _on_clicked(self, number: int) -> None:
        self.set_chosen(number)
        self.person_clicked.emit(number)

    def _clear(self) -> None:
        for chip in self.chips:
            self._grid.removeWidget(chip)
            chip.deleteLater()
        self.chips, self.cast = [], None
