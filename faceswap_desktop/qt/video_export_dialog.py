"""The video export dialog: codec, quality (CRF), preset, audio, trim range and the output file."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from ..app.cluster import RAY_INSTALL_HINT, ray_installed
from ..core.media.video_writer import CODECS, CONTAINER_BY_EXTENSION, EncodeOptions, available_codecs
from .timeline_model import TimelineModel, format_time

AUDIO_CHOICES = (("auto", "Keep (copy when possible)"), ("aac", "Re-encode (AAC)"), ("none", "No audio"))
EXTENSION_BY_CODEC = {"h264": ".mp4", "h265": ".mp4", "vp9": ".webm", "prores": ".mov"}


@dataclass(frozen=True)
class VideoExportChoice:
    """What the user chose: output file, encoding and the inclusive frame range."""

    output: Path
    encode: EncodeOptions
    first_frame: int
    last_frame: int
    watermark: bool = False
    allow_partial: bool = False
    """Export the frames a damaged clip yields (fewer than its container declares)."""
    on_cluster: bool = False
    """Render on the Ray cluster of the settings (segments at keyframes) instead of this computer."""


def default_video_output(
    target: Path, codec: str = "h264", taken: Iterable[Path] = (), folder: Path | None = None
) -> Path:
    """``<video>_swapped.<ext>`` in ``folder`` (beside the video by default), numbered when that exists or
    a queued job will write it."""
    suffix = EXTENSION_BY_CODEC.get(codec, ".mp4")
    taken_set = {path.resolve() for path in taken}
    where = folder if folder is not None else target.parent
    candidate, number = where / f"{target.stem}_swapped{suffix}", 2
    while candidate.exists() or candidate.resolve() in taken_set:
        candidate = where / f"{target.stem}_swapped-{number}{suffix}"
        number += 1
    return candidate


def cluster_checkbox(address: str) -> QCheckBox:
    """ "Render on the Ray cluster": off, saying how to install Ray, when it is not installed."""
    box = QCheckBox(f"Render on the Ray cluster ({address})")
    box.setObjectName("ExportOnCluster")
    if ray_installed():
        box.setToolTip(
            "Segments of the video render as Ray tasks on the cluster; they are joined and signed here "
            "(Tools › Ray cluster… sets the address)"
        )
    else:
        box.setEnabled(False)
        box.setToolTip(f"Ray is not installed. Install it with: {RAY_INSTALL_HINT}")
    return box


class VideoExportDialog(QDialog):
    """Asks how to export; the trim starts at the timeline's in/out points."""

    def __init__(
        self,
        model: TimelineModel,
        target: Path,
        has_audio: bool,
        parent: QWidget | None = None,
        taken: Iterable[Path] = (),
        folder: Path | None = None,
        partial_message: str = "",
        cluster_address: str = "",
    ) -> None:
        """``partial_message``: the clip is damaged (fewer frames readable than declared); the dialog
        says so and lets the user decide whether to export what can be read."""
        super().__init__(parent)
        self.setObjectName("VideoExportDialog")
        self.setWindowTitle("Export video")
        self.model = model
        self.codec = QComboBox()
        for name in available_codecs():
            self.codec.addItem(name.upper() if name != "prores" else "ProRes", name)
        self.crf = QSpinBox()
        self.crf.setToolTip("Constant rate factor: lower is better quality and a bigger file")
        self.preset = QComboBox()
        self.preset.setToolTip("Encoder speed/size trade-off (ProRes: the profile)")
        self.audio = QComboBox()
        for mode, text in AUDIO_CHOICES:
            self.audio.addItem(text, mode)
        self.set_has_audio(has_audio)
        last = max(model.frame_count, 1)
        self.first = QSpinBox()
        self.last = QSpinBox()
        for box in (self.first, self.last):
            box.setRange(1, last)
            box.setToolTip("Frame numbers; the timeline's In and Out buttons (I, O) set them too")
        self.first.setValue(model.in_point + 1)
        self.last.setValue(model.out_point + 1)
        self.range_hint = QLabel()
        self.range_hint.setObjectName("MutedLabel")
        self.output = QLineEdit(str(default_video_output(target, taken=taken, folder=folder)))
        self.watermark = QCheckBox("Add a visible \u201cAI-generated\u201d mark to every frame")
        self.watermark.setToolTip("The file is labelled as synthetic in its metadata either way")
        browse = QPushButton("Browse…")
        browse.clicked.connect(self._on_browse)
        trim = QHBoxLayout()
        trim.addWidget(self.first)
        trim.addWidget(QLabel("to"))
        trim.addWidget(self.last)
        trim.addWidget(self.range_hint, 1)
        out_row = QHBoxLayout()
        out_row.addWidget(self.output, 1)
        out_row.addWidget(browse)
        form = QFormLayout()
        form.addRow("Codec", self.codec)
        form.addRow("Quality (CRF)", self.crf)
        form.addRow("Preset", self.preset)
        form.addRow("Audio", self.audio)
        form.addRow("Frames", trim)
        form.addRow("Save as", out_row)
        form.addRow("", self.watermark)
        self.allow_partial = QCheckBox("Export the frames that can be read")
        self.allow_partial.setToolTip(partial_message)
        self.partial_note = QLabel(partial_message)
        self.partial_note.setWordWrap(True)
        self.partial_note.setObjectName("ErrorLabel")
        if partial_message:
            form.addRow("", self.partial_note)
            form.addRow("", self.allow_partial)
        else:
            self.allow_partial.hide()
            self.partial_note.hide()
        self.cluster = cluster_checkbox(cluster_address)
        if cluster_address:
            form.addRow("", self.cluster)
        self.error_label = QLabel()
        self.error_label.setObjectName("ErrorLabel")
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Queue export")
        self.buttons.accepted.connect(self._on_accept)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.error_label)
        layout.addWidget(self.buttons)
        self.codec.currentIndexChanged.connect(self._on_codec_changed)
        self.first.valueChanged.connect(self._on_range_edited)
        self.last.valueChanged.connect(self._on_range_edited)
        self._on_codec_changed()
        self._on_range_edited()
        self.setMinimumWidth(520)

    def set_has_audio(self, has_audio: bool) -> None:
        """Disable the audio choice for a silent video."""
        if not has_audio:
            self.audio.setCurrentIndex(2)
        self.audio.setEnabled(has_audio)
        self.audio.setToolTip("" if has_audio else "This video has no audio")

    def _on_codec_changed(self) -> None:
        codec = self.codec.currentData() or "h264"
        spec = CODECS[codec]
        self.crf.setEnabled(spec.crf_range is not None)
        if spec.crf_range is not None:
            self.crf.setRange(*spec.crf_range)
            self.crf.setValue(spec.default_crf or 0)
        self.preset.clear()
        self.preset.addItems(list(spec.presets))
        self.preset.setCurrentText(spec.default_preset)
        path = Path(self.output.text())
        if CONTAINER_BY_EXTENSION.get(path.suffix.lower()) not in spec.containers:
            self.output.setText(str(path.with_suffix(EXTENSION_BY_CODEC.get(codec, ".mp4"))))

    def _on_range_edited(self) -> None:
        first, last = self.first.value() - 1, self.last.value() - 1
        if last < first:
            self.range_hint.setText("the last frame must not be before the first")
            return
        seconds = self.model.time_of(last) - self.model.time_of(first) + 1 / self.model.fps
        start = format_time(self.model.time_of(first))
        self.range_hint.setText(f"{last - first + 1} frames from {start} ({seconds:.2f} s)")

    def _on_browse(self) -> None:
        file, _ = QFileDialog.getSaveFileName(
            self, "Export swapped video", self.output.text(), "Videos (*.mp4 *.mov *.mkv *.webm)"
        )
        if file:
            self.output.setText(file)

    def choice(self) -> VideoExportChoice:
        """The current choice (valid or not; the export validates it)."""
        codec = self.codec.currentData() or "h264"
        return VideoExportChoice(
            output=Path(self.output.text()).expanduser(),
            encode=EncodeOptions(
                codec=codec,
                crf=self.crf.value() if self.crf.isEnabled() else None,
                preset=self.preset.currentText() or None,
                audio=self.audio.currentData(),
            ),
            first_frame=self.first.value() - 1,
            last_frame=self.last.value() - 1,
            watermark=self.watermark.isChecked(),
            allow_partial=self.allow_partial.isChecked(),
            on_cluster=self.cluster.isChecked() and self.cluster.isEnabled(),
        )

    def _on_accept(self) -> None:
        choice = self.choice()
        if choice.last_frame < choice.first_frame:
            self.error_label.setText("The last frame must not be before the first.")
        elif not choice.output.name:
            self.error_label.setText("Choose where to save the video.")
        else:
            self.accept()
