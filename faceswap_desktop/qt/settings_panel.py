"""Blend settings generated from SETTING_SPECS, with undo/redo, reset to defaults and named presets."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QUndoCommand, QUndoStack
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QPushButton,
    QSlider,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from ..app.user_settings import UserSettingsStore
from ..core.errors import FaceswapError
from ..core.settings import SETTING_SPECS, SettingSpec, SwapSettings
from .icons import icon
from .session import SessionModel

CHOICE_LABELS: dict[str, str] = {
    "none": "Off",
    "lab": "Match tone and contrast (LAB)",
    "lab_mean": "Match tone only (LAB mean)",
    "histogram": "Match colour histogram",
    "lowfreq": "Keep target's shading",
    "alpha": "Soft edge (alpha)",
    "poisson": "Seamless clone (Poisson)",
    "multiband": "Multi-band",
    "source": "Source person's eyes",
    "target": "Target's own eyes",
    "128": "Off (128 px, 1 run)",
    "256": "256 px (4 runs)",
    "384": "384 px (9 runs)",
    "512": "512 px (16 runs)",
    "auto": "Automatic (by face size)",
}
"""Plain words for the internal choice values (the stored values stay as they are)."""

SLIDER_MIN_WIDTH = 90
"""The slider takes the row's spare width; below this it is too short to aim with (the spin box and the
arrow keys then give single steps)."""
COMBO_MIN_CHARS = 12
"""Combo boxes may be narrower than their longest item (it shows in full in the open list)."""


def choice_label(value: str) -> str:
    """The words shown for a choice value (its own name, made readable, when there are none)."""
    return CHOICE_LABELS.get(value, value.replace("_", " ").capitalize())


class SetSettingsCommand(QUndoCommand):
    """One undoable settings change; consecutive changes of the same slider drag merge into one."""

    MERGE_ID = 0x5E7

    def __init__(
        self, session: SessionModel, old: SwapSettings, new: SwapSettings, text: str, key: str
    ) -> None:
        super().__init__(text)
        self.session, self.old, self.new, self.key = session, old, new, key
        self.open = True

    def id(self) -> int:
        return self.MERGE_ID

    def mergeWith(self, other: QUndoCommand) -> bool:  # noqa: N802
        if (
            not isinstance(other, SetSettingsCommand)
            or not self.open
            or other.key != self.key
            or not self.key
        ):
            return False
        self.new = other.new
        return True

    def redo(self) -> None:
        self.session.set_settings(self.new)

    def undo(self) -> None:
        self.session.set_settings(self.old)


class BlendSettingsPanel(QWidget):
    """One editor per setting (range and help text from its spec); edits go through the undo stack."""

    error_raised = Signal(str)

    def __init__(
        self,
        session: SessionModel,
        undo_stack: QUndoStack,
        store: UserSettingsStore,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("BlendSettingsPanel")
        self.session, self.undo_stack, self.store = session, undo_stack, store
        self.editors: dict[str, QWidget] = {}
        form = QFormLayout()
        form.setLabelAlignment(Qt.AlignmentFlag.AlignLeft)
        form.setHorizontalSpacing(10)
        form.setVerticalSpacing(8)
        for spec in SETTING_SPECS.values():
            label = QLabel(spec.label)
            label.setToolTip(spec.help)
            form.addRow(label, self._editor(spec))
        self.reset_button = QPushButton(icon("mdi6.restore"), "Reset")
        self.reset_button.setToolTip("Reset every blend setting to its default (undoable)")
        self.presets = QComboBox()
        self.presets.setToolTip("Load a saved preset")
        self.presets.setMinimumWidth(120)
        self.save_button = QPushButton(icon("mdi6.content-save-outline"), "")
        self.save_button.setToolTip("Save the current settings as a named preset")
        self.delete_button = QPushButton(icon("mdi6.delete-outline"), "")
        self.delete_button.setToolTip("Delete the selected preset")
        preset_row = QHBoxLayout()
        preset_row.addWidget(self.presets, 1)
        preset_row.addWidget(self.save_button)
        preset_row.addWidget(self.delete_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 8, 8, 8)
        layout.addLayout(form)
        presets_label = QLabel("Presets")
        presets_label.setObjectName("SectionLabel")
        layout.addSpacing(6)
        layout.addWidget(presets_label)
        layout.addLayout(preset_row)
        self.button_row = QHBoxLayout()
        """Reset, and room for the window's own setting actions (Maximise likeness)."""
        self.button_row.addWidget(self.reset_button)
        self.button_row.addStretch(1)
        layout.addLayout(self.button_row)
        layout.addStretch(1)
        self.reset_button.clicked.connect(self.reset_to_defaults)
        self.save_button.clicked.connect(self._on_save_clicked)
        self.delete_button.clicked.connect(self._on_delete_clicked)
        self.presets.activated.connect(self._on_preset_activated)
        session.settings_changed.connect(self._on_settings_changed)
        self._on_settings_changed(session.settings)
        self.refresh_presets()

    def _editor(self, spec: SettingSpec) -> QWidget:
        if spec.kind == "int":
            slider = QSlider(Qt.Orientation.Horizontal)
            slider.setRange(spec.minimum, spec.maximum)
            # Arrow keys move one step, Page Up/Down a tenth of the range; the slider takes focus on a
            # click so the arrows fine-tune what a drag set.
            slider.setSingleStep(1)
            slider.setPageStep(max((spec.maximum - spec.minimum) // 10, 1))
            slider.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
            slider.setMinimumWidth(SLIDER_MIN_WIDTH)
            spin = QSpinBox()
            spin.setRange(spec.minimum, spec.maximum)
            spin.setSuffix(f" {spec.suffix}" if spec.suffix else "")
            spin.setFixedWidth(72)
            spin.setAlignment(Qt.AlignmentFlag.AlignRight)
            spin.setAccelerated(False)
            tip = f"{spec.help}\nArrow keys (or the spin box arrows) change it one step at a time."
            for widget in (slider, spin):
                widget.setToolTip(tip)
            slider.valueChanged.connect(lambda value, n=spec.name: self._propose(n, value))
            slider.sliderReleased.connect(self._close_merge)
            spin.valueChanged.connect(lambda value, n=spec.name: self._propose(n, value))
            row = QWidget()
            box = QHBoxLayout(row)
            box.setContentsMargins(0, 0, 0, 0)
            box.addWidget(slider, 1)
            box.addWidget(spin)
            self.editors[spec.name] = slider
            self.editors[spec.name + ".spin"] = spin
            return row
        if spec.kind == "choice":
            combo = QComboBox()
            combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
            combo.setMinimumContentsLength(COMBO_MIN_CHARS)
            for choice in spec.choices:
                combo.addItem(choice_label(choice), choice)
            combo.setToolTip(spec.help)
            combo.currentIndexChanged.connect(lambda i, n=spec.name, c=combo: self._propose(n, c.itemData(i)))
            self.editors[spec.name] = combo
            return combo
        check = QCheckBox()
        check.setToolTip(spec.help)
        check.toggled.connect(lambda value, n=spec.name: self._propose(n, bool(value)))
        self.editors[spec.name] = check
        return check

    def _propose(self, name: str, value: Any) -> None:
        """A widget changed: push an undoable change (drags of one slider merge)."""
        old = self.session.settings
        if getattr(old, name) == value:
            return
        new = old.replace(**{name: value})
        self.undo_stack.push(
            SetSettingsCommand(self.session, old, new, f"Change {SETTING_SPECS[name].label}", name)
        )

    def _close_merge(self) -> None:
        if self.undo_stack.count():
            command = self.undo_stack.command(self.undo_stack.count() - 1)
            if isinstance(command, SetSettingsCommand):
                command.open = False

    def apply(self, settings: SwapSettings, text: str) -> None:
        """Replace all settings in one undoable step (reset, preset)."""
        self._close_merge()
        if settings != self.session.settings:
            self.undo_stack.push(SetSettingsCommand(self.session, self.session.settings, settings, text, ""))

    def reset_to_defaults(self) -> None:
        self.apply(SwapSettings(), "Reset settings")

    def _on_settings_changed(self, settings: SwapSettings) -> None:
        """The model changed (edit, undo, preset): show it without echoing changes back."""
        for name, spec in SETTING_SPECS.items():
            value = getattr(settings, name)
            editor = self.editors[name]
            editor.blockSignals(True)
            if spec.kind == "int":
                assert isinstance(editor, QSlider)
                editor.setValue(value)
                spin = self.editors[name + ".spin"]
                spin.blockSignals(True)
                spin.setValue(value)  # type: ignore[attr-defined]
                spin.blockSignals(False)
            elif spec.kind == "choice":
                assert isinstance(editor, QComboBox)
                editor.setCurrentIndex(editor.findData(value))
            else:
                assert isinstance(editor, QCheckBox)
                editor.setChecked(bool(value))
            editor.blockSignals(False)

    # -- presets -------------------------------------------------------------------------------------
    def refresh_presets(self, select: str = "") -> None:
        self.presets.clear()
        self.presets.addItem("Choose a preset…", "")
        for name in sorted(self.store.presets()):
            self.presets.addItem(name, name)
        self.presets.setCurrentIndex(max(self.presets.findData(select), 0))
        self.delete_button.setEnabled(self.presets.count() > 1)

    def save_preset(self, name: str) -> None:
        try:
            clean = self.store.save_preset(name, self.session.settings)
        except (FaceswapError, OSError) as error:
            self.error_raised.emit(f"Could not save the preset: {error}")
            return
        self.refresh_presets(select=clean)

    def load_preset(self, name: str) -> None:
        preset = self.store.presets().get(name)
        if preset is None:
            self.error_raised.emit(f"Preset {name!r} no longer exists.")
            self.refresh_presets()
            return
        self.apply(preset, f"Load preset {name}")

    def _on_save_clicked(self) -> None:
        name, ok = QInputDialog.getText(self, "Save preset", "Preset name:")
        if ok and name.strip():
            self.save_preset(name)

    def _on_delete_clicked(self) -> None:
        name = self.presets.currentData()
        if name:
            self.store.delete_preset(name)
            self.refresh_presets()

    def _on_preset_activated(self, index: int) -> None:
        name = self.presets.itemData(index)
        if name:
            self.load_preset(name)
