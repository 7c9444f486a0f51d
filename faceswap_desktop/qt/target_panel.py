"""Target photo or video: drop or open it. Face chips choose which faces of a photo are swapped, or, for a
video, which person (a face of the frame on screen) is replaced and then followed through the video."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QDragEnterEvent, QDropEvent, QImage
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
    person_chosen = Signal(int)  # index of a face in the video frame on screen
    person_reset = Signal()  # back to the automatic choice

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
        self.person_box = self._build_person_box()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 8, 8, 8)
        layout.addLayout(header)
        layout.addLayout(faces_header)
        layout.addLayout(self._chip_grid)
        layout.addWidget(self.person_box)
        layout.addStretch(1)
        self.open_button.clicked.connect(self.open_requested)
        self.all_button.clicked.connect(self._on_all_clicked)
        session.target_changed.connect(self._on_target_changed)
        session.selection_changed.connect(self._on_selection_changed)
        self._on_target_changed()

    def _build_person_box(self) -> QWidget:
        """The video's person picker: the faces of the frame on screen, the chosen one checked."""
        box = QWidget()
        box.setObjectName("PersonPicker")
        self.person_label = QLabel("Person to replace")
        self.person_label.setObjectName("SectionLabel")
        self.auto_button = QPushButton("Automatic")
        self.auto_button.setToolTip("Replace the most present person of the video (the default)")
        self.auto_button.clicked.connect(self.person_reset)
        self.person_note = QLabel("")
        self.person_note.setObjectName("MutedLabel")
        self.person_note.setWordWrap(True)
        self.person_chips: list[QToolButton] = []
        self._person_grid = QGridLayout()
        self._person_grid.setSpacing(6)
        header = QHBoxLayout()
        header.addWidget(self.person_label)
        header.addStretch(1)
        header.addWidget(self.auto_button)
        layout = QVBoxLayout(box)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(header)
        layout.addWidget(self.person_note)
        layout.addLayout(self._person_grid)
        box.hide()
        return box

    def show_video_faces(
        self,
        chips: Sequence[QImage],
        chosen: int | None,
        frame: int,
        reference_frame: int | None,
        automatic: bool,
        person: int | None = None,
        provisional: bool = False,
        tags: Sequence[str] = (),
    ) -> None:
        """The faces of video frame ``frame`` (0-based) as chips; ``chosen`` is the replaced person.
        ``person``: their number in the cast; ``provisional``: the cast is still being scanned;
        ``tags[i]``: the name of the further source replacing face i ("S2 (person 3)"), if any."""
        while len(self.person_chips) < len(chips):
            number = len(self.person_chips)
            chip = QToolButton()
            chip.setCheckable(True)
            chip.setIconSize(QSize(CHIP_ICON, CHIP_ICON))
            chip.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextUnderIcon)
            chip.clicked.connect(lambda _checked=False, i=number: self._on_person_clicked(i))
            self._person_grid.addWidget(chip, number // CHIP_COLUMNS, number % CHIP_COLUMNS)
            self.person_chips.append(chip)
        for index, chip in enumerate(self.person_chips):
            chip.setVisible(index < len(chips))
            if index < len(chips):
                chip.setIcon(thumbnail_icon(chips[index], CHIP_ICON))
                chip.setChecked(index == chosen)
                # Only the replaced person has a name that holds across frames: a face's number
                # names whoever is at that place, left to right, in this frame.
                tag = tags[index] if index < len(tags) else ""
                chip.setText("Person A" if index == chosen else tag or "Other face")
                if index == chosen:
                    tip = "Person A: the person replaced in every frame by the source photos"
                elif tag:
                    # The source photos win over a further source: that source is then skipped.
                    tip = (
                        f"{tag}: replaced by a further source. Click to replace them with the source "
                        "photos instead (they become Person A; the further source is then skipped)"
                    )
                else:
                    tip = (
                        f"Replace this person instead (a face of frame {frame + 1}); they become Person A "
                        "and are followed through the video by identity"
                    )
                chip.setToolTip(tip)
        picked = f"frame {reference_frame + 1}" if reference_frame is not None else "no frame yet"
        # Short sentences: the note shares a narrow dock with the chips, and a wrapped label there is
        # not given more height when its text grows (a fourth line was cut off).
        if automatic and provisional:
            rule = f"Automatic, provisional (largest face, {picked}) until the cast is found."
        elif automatic:
            rule = f"Automatic: person {person}, the most present." if person else "Automatic."
        else:
            rule = f"Person {person} of the cast." if person else f"Picked in {picked}."
        if not chips:
            where = "No face in this frame."
        elif chosen is None:
            where = "Not in this frame; click a face to pick that person."
        else:
            where = "Person A is here; click another face to pick that person."
        self.person_note.setText(f"{rule} {where}")
        self.person_note.setToolTip(
            "The person to replace. Automatic: the most present person of the video (screen time x face "
            "size); until its cast is scanned, the largest face of the first frame with a face. They "
            "are followed through the video by identity."
        )
        self.auto_button.setVisible(not automatic)
        self.person_box.show()

    def add_video_widget(self, widget: QWidget) -> None:
        """Show ``widget`` (the cast chips) under the video's person picker."""
        layout = self.person_box.layout()
        assert layout is not None
        layout.addWidget(widget)

    def hide_video_faces(self) -> None:
        self.person_box.hide()

    def person_chip_count(self) -> int:
        """How many face chips the person picker shows (tests)."""
        return sum(1 for chip in self.person_chips if not chip.isHidden())

    def _on_person_clicked(self, index: int) -> None:
        for number, chip in enumerate(self.person_chips):
            chip.setChecked(number == index)  # exclusive, and a click on the chosen one keeps it
        self.person_chosen.emit(index)

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
