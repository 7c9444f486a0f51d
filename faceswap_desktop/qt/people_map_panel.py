"""Further source identities of a video export, each mapped to a cast member ("→ Person N").

The source panel's photos are the first identity; it replaces the person chosen in the target panel
(a cast chip, a face clicked, or the default). This panel, under it, holds any further identities: each
one or more photos of one person, mapped to another member of the video's cast. Previews, scrubbing and
exports replace them all (``app/person_map.py``: one pipeline for the GUI and ``swap --map``).

Nothing here reads an image: a row shows the cast member's thumbnail (already in memory) and the photos'
names; the photos are read and checked on the preview worker.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QPainter, QPaintEvent
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QFrame,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from ..app.cast import Cast
from ..app.person_map import PersonSources
from .icons import icon
from .images import bgr_to_qimage
from .source_panel import thumbnail_icon

ROW_ICON = 32
VISIBLE_ROWS = 2
"""Rows shown without scrolling; more scroll inside the panel (the Source dock stays its size)."""
IMAGE_FILTER = "Images (*.png *.jpg *.jpeg *.bmp *.webp *.tif *.tiff)"


class ElidedLabel(QLabel):
    """A one-line label that shrinks with its row and ends in "…" when its text does not fit (a long
    file name must not push the row's buttons out of a narrow dock)."""

    def __init__(self, text: str) -> None:
        super().__init__(text)
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)

    def minimumSizeHint(self) -> QSize:  # noqa: N802
        return QSize(48, super().minimumSizeHint().height())

    def paintEvent(self, _event: QPaintEvent) -> None:  # noqa: N802
        painter = QPainter(self)
        shown = self.fontMetrics().elidedText(self.text(), Qt.TextElideMode.ElideMiddle, self.width())
        painter.drawText(self.rect(), int(Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft), shown)


@dataclass
class SourceIdentity:
    """Photos of one further source person and the cast member they replace."""

    photos: tuple[Path, ...]
    person: int


class MorePeoplePanel(QWidget):
    """Rows of further source identities, each with a "→ Person N" picker and a remove button;
    ``changed`` whenever the mapping changes. Enabled once the open video's cast is known."""

    changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("MorePeoplePanel")
        self.identities: list[SourceIdentity] = []
        self.cast: Cast | None = None
        self.main_person: int | None = None
        self.pending: list[SourceIdentity] = []
        """Identities restored before the cast was known (added when it is, :meth:`restore`)."""
        self.title = QLabel("More people")
        self.title.setObjectName("SectionLabel")
        self.note = QLabel("")
        self.note.setObjectName("MutedLabel")
        self.note.setWordWrap(True)
        self.add_button = QPushButton(icon("mdi6.account-plus-outline"), "Add…")
        self.add_button.setToolTip(
            "Photos of one more source person; pick the member of the video's cast they replace"
        )
        self.add_button.clicked.connect(self._ask_for_photos)
        self.rows: list[QWidget] = []
        self.pickers: list[QComboBox] = []
        """One "→ Person N" picker per row (tests read them)."""
        self.labels: list[QLabel] = []
        # The rows scroll inside a box of at most VISIBLE_ROWS rows: at the Source dock's default height
        # under the photos, a growing list of rows was cut off below the dock's edge.
        rows_widget = QWidget()
        self._rows = QVBoxLayout(rows_widget)
        self._rows.setContentsMargins(0, 0, 0, 0)
        self._rows.setSpacing(2)
        self._rows.addStretch(1)
        self.scroll = QScrollArea()
        self.scroll.setWidget(rows_widget)
        self.scroll.setWidgetResizable(True)
        self.scroll.setFrameShape(QFrame.Shape.NoFrame)
        self.scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.scroll.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Fixed)
        header = QHBoxLayout()
        header.addWidget(self.title)
        header.addStretch(1)
        header.addWidget(self.add_button)  # beside the title: one line less than under the rows
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 2, 8, 4)
        layout.setSpacing(2)
        layout.addLayout(header)
        layout.addWidget(self.note)
        layout.addWidget(self.scroll)
        self._redraw()

    # -- state ---------------------------------------------------------------------------------------
    def set_cast(self, cast: Cast | None, main_person: int | None) -> None:
        """The open video's cast (None: none yet, or no video) and the person the main source replaces;
        mappings to people this cast does not have are dropped."""
        had = self.mappings()
        if cast is not self.cast:
            numbers = {m.number for m in cast.members} if cast is not None else set()
            self.identities = [i for i in self.identities if i.person in numbers]
            if cast is not None:
                restored = [i for i in self.pending if i.person in numbers and i.photos]
                self.identities, self.pending = self.identities + restored, []
        self.cast, self.main_person = cast, main_person
        self._redraw()
        if self.mappings() != had:
            self.changed.emit()

    def add_identity(self, photos: list[Path], person: int | None = None) -> SourceIdentity | None:
        """A further identity from ``photos``, mapped to ``person`` (default: the most present member
        nobody replaces yet). None when there is no cast or nobody left to map."""
        if self.cast is None or not photos:
            return None
        taken = {self.main_person, *(i.person for i in self.identities)}
        numbers = [m.number for m in self.cast.members]
        if person is None:
            person = next((n for n in numbers if n not in taken), None)
        if person is None or person not in numbers:
            return None
        identity = SourceIdentity(tuple(photos), person)
        self.identities.append(identity)
        self._redraw()
        self.changed.emit()
        return identity

    def reset(self) -> None:
        """Another video (or none): no cast, no identities, nothing pending."""
        had = bool(self.mappings())
        self.identities, self.pending, self.cast, self.main_person = [], [], None, None
        self._redraw()
        if had:
            self.changed.emit()

    def restore(self, identities: list[tuple[tuple[Path, ...], int]]) -> None:
        """Identities of a restored session: added now when the cast is known, else when it is."""
        wanted = [SourceIdentity(photos, person) for photos, person in identities if photos]
        if self.cast is None:
            self.pending = wanted
            return
        numbers = {m.number for m in self.cast.members}
        self.identities += [i for i in wanted if i.person in numbers]
        self._redraw()
        self.changed.emit()

    def set_person(self, row: int, person: int) -> None:
        """Map identity ``row`` to cast member ``person``."""
        if 0 <= row < len(self.identities) and self.identities[row].person != person:
            self.identities[row].person = person
            self._redraw()
            self.changed.emit()

    def unmap(self, person: int) -> None:
        """Stop replacing cast member ``person`` with a further identity (every row mapped to them)."""
        kept = [i for i in self.identities if i.person != person]
        if len(kept) != len(self.identities):
            self.identities = kept
            self._redraw()
            self.changed.emit()

    def source_names(self) -> list[str]:
        """S2.. as their rows name them (the first photo's name, "+N" for more)."""
        return [
            i.photos[0].name + (f" +{len(i.photos) - 1}" if len(i.photos) > 1 else "")
            for i in self.identities
        ]

    def skipped_note(self) -> str:
        """A sentence on the rows left out because their person is already replaced ("" when none)."""
        rows = self.conflicts()
        if not rows:
            return ""
        named = ", ".join(f"S{row + 2} (person {self.identities[row].person})" for row in rows)
        return f"{named} skipped: the photos above or an earlier row already replace that person"

    def remove(self, row: int) -> None:
        if 0 <= row < len(self.identities):
            del self.identities[row]
            self._redraw()
            self.changed.emit()

    def conflicts(self) -> list[int]:
        """Rows whose person the main source or an earlier row already replaces."""
        seen = {self.main_person} if self.main_person is not None else set()
        clashing = []
        for row, identity in enumerate(self.identities):
            if identity.person in seen:
                clashing.append(row)
            seen.add(identity.person)
        return clashing

    def mappings(self) -> tuple[PersonSources, ...]:
        """The mapping previews and exports use: every row without a conflict."""
        skipped = set(self.conflicts())
        return tuple(
            PersonSources(i.photos, i.person) for row, i in enumerate(self.identities) if row not in skipped
        )

    # -- drawing -------------------------------------------------------------------------------------
    def _redraw(self) -> None:
        for widget in self.rows:
            self._rows.removeWidget(widget)
            widget.deleteLater()
        self.rows, self.pickers, self.labels = [], [], []
        clashing = set(self.conflicts())
        for row, identity in enumerate(self.identities):
            widget = self._row(row, identity, row in clashing)
            self._rows.insertWidget(row, widget)
            self.rows.append(widget)
        height = max((w.sizeHint().height() for w in self.rows), default=0)
        shown = min(len(self.rows), VISIBLE_ROWS)
        self.scroll.setFixedHeight(shown * height + max(shown - 1, 0) * self._rows.spacing())
        self.scroll.setVisible(bool(self.rows))
        self.add_button.setEnabled(self.cast is not None and bool(self.cast.people))
        main = f"person {self.main_person}" if self.main_person is not None else "the chosen person"
        if self.cast is None:
            self.note.setText("Once the video's cast is known, more people can be replaced at once.")
        elif not self.identities:
            self.note.setText(f"Photos above (S1) → {main}. Right-click a cast chip to assign a source.")
        else:
            count = len(self.mappings()) + 1
            self.note.setText(f"Photos above (S1) → {main}; {count} people replaced.")
        # With rows, they and the cast chips say who replaces whom: the note would only push the rows
        # below the dock's default height; it stays as the title's tooltip.
        self.note.setVisible(not self.identities)
        self.title.setToolTip(self.note.text())

    def _row(self, row: int, identity: SourceIdentity, clash: bool) -> QWidget:
        assert self.cast is not None
        face = QLabel()
        member = self.cast.person(identity.person)
        pixmap = thumbnail_icon(bgr_to_qimage(member.thumbnail), ROW_ICON).pixmap(QSize(ROW_ICON, ROW_ICON))
        face.setPixmap(pixmap)
        more = f" +{len(identity.photos) - 1}" if len(identity.photos) > 1 else ""
        label = ElidedLabel(f"S{row + 2}: {identity.photos[0].name}{more}")
        label.setToolTip(f"Source {row + 2}: " + ", ".join(str(p) for p in identity.photos))
        picker = QComboBox()
        for candidate in self.cast.people:
            picker.addItem(f"→ Person {candidate.number}", candidate.number)
        for candidate in self.cast.others:
            picker.addItem(f"→ Other {candidate.number} (glimpsed)", candidate.number)
        picker.setCurrentIndex(picker.findData(identity.person))
        picker.setToolTip("The cast member these photos replace")
        if clash:
            label.setText(label.text() + " (skipped: person taken)")
            label.setObjectName("ErrorLabel")
            picker.setToolTip("The main source or another row already replaces this person: skipped")
        picker.currentIndexChanged.connect(
            lambda _i, r=row, p=picker: self.set_person(r, int(p.currentData()))
        )
        remove = QToolButton()
        remove.setIcon(icon("mdi6.close"))
        remove.setToolTip("Stop replacing this person")
        remove.clicked.connect(lambda _checked=False, r=row: self.remove(r))
        widget = QWidget()
        line = QHBoxLayout(widget)
        line.setContentsMargins(0, 0, 0, 0)
        line.addWidget(face)
        line.addWidget(label, 1)
        line.addWidget(picker)
        line.addWidget(remove)
        self.pickers.append(picker)
        self.labels.append(label)
        return widget

    def _ask_for_photos(self) -> None:
        self.ask_for_photos()

    def ask_for_photos(self, person: int | None = None) -> None:
        """Ask for photos of one more source person (a file dialog) and map them to ``person`` (default:
        the most present member nobody replaces yet)."""
        files, _ = QFileDialog.getOpenFileNames(self, "Photos of one more source person", "", IMAGE_FILTER)
        if files:
            self.add_identity([Path(f) for f in files], person)


def merged_ranges(ranges: list[tuple[tuple[int, int], ...]]) -> tuple[tuple[int, int], ...]:
    """Several people's inclusive frame ranges as one sorted list, overlapping or touching ones joined."""
    merged: list[tuple[int, int]] = []
    for first, last in sorted(r for person in ranges for r in person):
        if merged and first <= merged[-1][1] + 1:
            merged[-1] = (merged[-1][0], max(merged[-1][1], last))
        else:
            merged.append((first, last))
    return tuple(merged)
