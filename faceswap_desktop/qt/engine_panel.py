"""Engine and component pickers: swap engine, identity judge, detector, restorer, occlusion mask, provider.

The choices come from the context's registries; the panel only edits the session's
:class:`ComponentChoice`. Nothing is built here: the pipeline is built on the preview worker, and a
``ModelMissing`` raised there comes back to :meth:`EnginePanel.show_pipeline_error`, which names the model
and offers the model manager.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QFrame,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSlider,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from ..app.components import COMPONENT_MODELS, ComponentChoice, missing_model_id, provider_choices
from ..app.context import AppContext
from ..core.errors import FaceswapError, ModelIntegrityError, ModelMissing
from .icons import icon
from .session import SessionModel

NONE = ""
"""Combo data of the "None" entry of optional stages."""

LABELS: dict[str, str] = {
    "mesh": "Mesh (offline)",
    "inswapper": "InSwapper 128",
    "simswap": "SimSwap 512",
    "dlib": "dlib ResNet (embedded)",
    "arcface": "ArcFace w600k_r50",
    "mobilefacenet": "MobileFaceNet",
    "mediapipe": "MediaPipe (embedded)",
    "scrfd": "SCRFD 2.5G",
    "scrfd_10g": "SCRFD 10G",
    "gfpgan": "GFPGAN 1.4",
    "occluder": "Occluder",
    "xseg": "XSeg",
    "faceparser": "Face parser",
    "auto": "Automatic",
    "cpu": "CPU",
    "cuda": "CUDA",
    "dml": "DirectML",
    "coreml": "Core ML",
}

HELP: dict[str, str] = {
    "engine": "How the face is replaced. Mesh warps the source photo's face onto the target's 3D mesh and "
    "needs no download; InSwapper and SimSwap generate the face with a learned model.",
    "judge": "The face recognizer that scores likeness in the gauge. It never conditions the engine: "
    "a judge that would flatter the engine is replaced automatically.",
    "detector": "Finds the faces. The mesh engine needs MediaPipe's 478 landmarks.",
    "restorer": "Restores detail on the swapped face after the swap (photos only for now: videos skip it).",
    "restorer_amount": "How much of the restored face is blended in.",
    "masker": "Keeps hands, hair or glasses that cover the target face in front of the swap (photos only "
    "for now: videos skip it).",
    "provider": "Where ONNX models run. Changing it rebuilds their sessions.",
}


def component_label(component_id: str) -> str:
    return LABELS.get(component_id, component_id)


class EnginePanel(QWidget):
    """Combo boxes for every role (ids from the context registries) and the missing-model banner."""

    open_models_requested = Signal(str)  # the model id to select in the model manager ("" for none)

    def __init__(
        self,
        session: SessionModel,
        context: AppContext,
        providers: list[str] | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("EnginePanel")
        self.session = session
        self.missing_model = ""
        self.user_components: dict[str, str] = dict(getattr(context.models, "user_components", {}))
        optional = [NONE]
        self.combos: dict[str, QComboBox] = {
            "engine": self._combo("engine", context.swappers.ids()),
            "judge": self._combo("judge", [*context.recognizers.ids(), NONE], none_text="None (no score)"),
            "detector": self._combo("detector", context.detectors.ids()),
            "restorer": self._combo("restorer", optional + context.enhancers.ids()),
            "masker": self._combo("masker", optional + context.maskers.ids()),
            "provider": self._combo("provider", providers or provider_choices()),
        }
        self.amount = QSlider(Qt.Orientation.Horizontal)
        self.amount.setRange(0, 100)
        self.amount_spin = QSpinBox()
        self.amount_spin.setRange(0, 100)
        self.amount_spin.setSuffix(" %")
        self.amount_spin.setFixedWidth(64)
        self.amount_spin.setAlignment(Qt.AlignmentFlag.AlignRight)
        for widget in (self.amount, self.amount_spin):
            widget.setToolTip(HELP["restorer_amount"])
        amount_row = QWidget()
        amount_box = QHBoxLayout(amount_row)
        amount_box.setContentsMargins(0, 0, 0, 0)
        amount_box.addWidget(self.amount, 1)
        amount_box.addWidget(self.amount_spin)
        form = QFormLayout()
        form.setLabelAlignment(Qt.AlignmentFlag.AlignLeft)
        form.setHorizontalSpacing(10)
        form.setVerticalSpacing(8)
        for key, text in (("engine", "Engine"), ("judge", "Identity judge"), ("detector", "Detector")):
            form.addRow(self._label(text, key), self.combos[key])
        form.addRow(self._label("Restorer", "restorer"), self.combos["restorer"])
        self.amount_label = self._label("Restore amount", "restorer_amount")
        form.addRow(self.amount_label, amount_row)
        form.addRow(self._label("Occlusion mask", "masker"), self.combos["masker"])
        form.addRow(self._label("Run models on", "provider"), self.combos["provider"])
        self.banner = self._build_banner()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 8, 8, 4)
        layout.addWidget(self.banner)
        layout.addLayout(form)
        for key, combo in self.combos.items():
            combo.activated.connect(lambda _i, k=key, c=combo: self._propose(k, c.currentData() or None))
        self.amount.valueChanged.connect(lambda value: self._propose("restorer_amount", value))
        self.amount_spin.valueChanged.connect(lambda value: self._propose("restorer_amount", value))
        session.components_changed.connect(self._on_components_changed)
        self._sanitise()
        self._on_components_changed(session.components)

    # -- construction --------------------------------------------------------------------------------
    def _combo(self, key: str, ids: list[str], none_text: str = "None") -> QComboBox:
        combo = QComboBox()
        # Narrower than its longest item when the dock is (the open list shows every item in full).
        combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        combo.setMinimumContentsLength(12)
        combo.setObjectName(f"{key}Combo")
        combo.setToolTip(HELP[key])
        combo.setMinimumWidth(150)
        for component_id in ids:
            if component_id == NONE:
                combo.addItem(none_text, NONE)
                continue
            models = COMPONENT_MODELS.get((key, component_id), ())
            if component_id in self.user_components:
                combo.addItem(icon("mdi6.account-box-outline"), f"{component_id} (user model)", component_id)
                combo.setItemData(
                    combo.count() - 1,
                    f"Your model, added with `models add`: source not verified. Needs: {', '.join(models)}",
                    Qt.ItemDataRole.ToolTipRole,
                )
                continue
            combo.addItem(component_label(component_id), component_id)
            if models:
                index = combo.count() - 1
                combo.setItemIcon(index, icon("mdi6.download-outline"))
                combo.setItemData(
                    index,
                    f"Needs the downloadable model(s): {', '.join(models)}",
                    Qt.ItemDataRole.ToolTipRole,
                )
        return combo

    def _label(self, text: str, key: str) -> QLabel:
        label = QLabel(text)
        label.setToolTip(HELP[key])
        return label

    def _build_banner(self) -> QFrame:
        banner = QFrame()
        banner.setObjectName("MissingModelBanner")
        self.banner_text = QLabel("")
        self.banner_text.setWordWrap(True)
        self.banner_text.setTextFormat(Qt.TextFormat.RichText)
        self.banner_button = QPushButton(icon("mdi6.package-variant-closed"), "Open model manager…")
        self.banner_button.clicked.connect(lambda: self.open_models_requested.emit(self.missing_model))
        box = QVBoxLayout(banner)
        box.setContentsMargins(10, 8, 10, 8)
        box.addWidget(self.banner_text)
        box.addWidget(self.banner_button, 0, Qt.AlignmentFlag.AlignLeft)
        banner.hide()
        return banner

    # -- model <-> widgets ---------------------------------------------------------------------------
    def _sanitise(self) -> None:
        """A remembered id that this installation does not offer falls back to its default."""
        choice, default = self.session.components, ComponentChoice()
        changes = {}
        for key, combo in self.combos.items():
            value = getattr(choice, key)
            if combo.findData(value if value is not None else NONE) < 0:
                changes[key] = getattr(default, key)
        if changes:
            self.session.set_components(choice.replace(**changes))

    def _propose(self, key: str, value: object) -> None:
        choice = self.session.components
        if getattr(choice, key) != value:
            self.session.set_components(choice.replace(**{key: value}))

    def _on_components_changed(self, choice: ComponentChoice) -> None:
        """Show the model's choice without echoing it back; a new choice hides an old banner."""
        for key, combo in self.combos.items():
            value = getattr(choice, key)
            combo.blockSignals(True)
            combo.setCurrentIndex(max(combo.findData(value if value is not None else NONE), 0))
            combo.blockSignals(False)
        for widget in (self.amount, self.amount_spin):
            widget.blockSignals(True)
            widget.setValue(choice.restorer_amount)
            widget.setEnabled(choice.restorer is not None)
            widget.blockSignals(False)
        self.amount_label.setEnabled(choice.restorer is not None)
        self.clear_pipeline_error()

    # -- missing models ------------------------------------------------------------------------------
    def show_pipeline_error(self, error: Exception) -> bool:
        """Show the banner for a missing or corrupt model; False for any other error (not handled)."""
        if not isinstance(error, (ModelMissing, ModelIntegrityError)):
            return False
        self.missing_model = missing_model_id(error) or ""
        self.banner_text.setText(self._banner_html(error))
        self.banner_text.setToolTip(str(error))
        self.banner_button.setVisible(bool(self.missing_model))
        self.banner.show()
        return True

    def clear_pipeline_error(self) -> None:
        self.missing_model = ""
        self.banner.hide()

    def banner_message(self) -> str:
        """The banner as plain text (tests and accessibility); empty when hidden."""
        return self.banner_text.text() if self.banner.isVisible() else ""

    def _banner_html(self, error: FaceswapError) -> str:
        model = self.missing_model
        if not model:
            return f"<b>This choice cannot run.</b> {error}"
        users = [
            component_label(component)
            for (role, component), models in COMPONENT_MODELS.items()
            if model in models and getattr(self.session.components, role, None) == component
        ]
        who = " and ".join(dict.fromkeys(users)) or "The chosen components"
        if isinstance(error, ModelIntegrityError):
            return (
                f"<b>{who}</b> needs the model <b>{model}</b>, whose file failed verification and was "
                "moved to quarantine. Download it again in the model manager."
            )
        return (
            f"<b>{who}</b> needs the model <b>{model}</b>, which is not installed. Download or import it "
            "in the model manager, or pick another component."
        )


def settings_column(*panels: QWidget) -> QWidget:
    """Stack panels in one dock (the engine pickers above the blend settings)."""
    column = QWidget()
    column.setObjectName("SettingsColumn")
    layout = QVBoxLayout(column)
    layout.setContentsMargins(0, 0, 0, 0)
    layout.setSpacing(0)
    for number, panel in enumerate(panels):
        if number:
            line = QFrame()
            line.setObjectName("SectionDivider")
            line.setFrameShape(QFrame.Shape.HLine)
            layout.addWidget(line)
        layout.addWidget(panel)
    layout.addStretch(1)
    return column
