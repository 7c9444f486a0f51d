"""The batch dialog (File > Batch…): the current source person onto many targets, on this computer or a
Ray cluster, with the window's blend settings.

The dialog only collects choices (no disk access beyond the file pickers): the job expands folders and
globs, tells photos from videos and connects to Ray on its own thread (:func:`~..app.batch_job.setup_work`).
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QButtonGroup,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QPushButton,
    QRadioButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from ..app.batch import DEFAULT_NAME
from ..app.batch_pool import default_workers
from ..app.batch_setup import BatchSetup
from ..app.cluster import RAY_INSTALL_HINT, cluster_target, ray_installed
from ..app.components import ComponentChoice
from ..core.settings import SwapSettings
from .drops import IMAGE_FILTER, TARGET_FILTER

CONTAINERS = ("mp4", "mov", "mkv", "webm")


class BatchDialog(QDialog):
    """Sources, targets (files, folders, globs), output folder and name, existing outputs, executor."""

    def __init__(
        self,
        sources: tuple[Path, ...],
        settings: SwapSettings,
        components: ComponentChoice,
        cluster_address: str,
        output_dir: Path,
        watermark: bool = False,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("BatchDialog")
        self.setWindowTitle("Batch swap")
        self.settings, self.components, self.watermark = settings, components, watermark
        self.cluster_address = cluster_address
        self.sources = tuple(sources)
        self.sources_label = QLabel()
        self.sources_label.setWordWrap(True)
        choose_sources = QPushButton("Choose…")
        choose_sources.setToolTip("Use other photos of the source person for this batch")
        choose_sources.clicked.connect(self._choose_sources)
        self.targets = QListWidget()
        self.targets.setObjectName("BatchTargets")
        self.targets.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.targets.setMinimumHeight(110)
        self.pattern = QLineEdit()
        self.pattern.setPlaceholderText("or a pattern: /photos/shoot*/*.jpg")
        add_pattern = QPushButton("Add")
        add_pattern.setToolTip("Every photo and video the pattern matches (checked when the batch starts)")
        add_pattern.clicked.connect(self._add_pattern)
        self.pattern.returnPressed.connect(self._add_pattern)
        add_files = QPushButton("Add files…")
        add_files.clicked.connect(self._add_files)
        add_folder = QPushButton("Add folder…")
        add_folder.setToolTip("Every photo and video in the folder (not its sub-folders)")
        add_folder.clicked.connect(self._add_folder)
        remove = QPushButton("Remove")
        remove.clicked.connect(self._remove_selected)
        self.output_dir = QLineEdit(str(output_dir))
        self.output_dir.setObjectName("BatchOutputDir")
        browse = QPushButton("Browse…")
        browse.clicked.connect(self._choose_output_dir)
        self.name = QLineEdit()
        self.name.setPlaceholderText(DEFAULT_NAME)
        self.name.setToolTip(
            "{target}: the target's file name, {source}: the source photo's, {n}: the item's number "
            "({n:03d} pads it). Photos keep their extension; videos get the container below."
        )
        self.existing = QComboBox()
        self.existing.addItem("Skip them (a re-run renders only what is missing)", False)
        self.existing.addItem("Render them again (overwrite)", True)
        self.faces = QComboBox()
        self.faces.addItem("The first face (left-most)", False)
        self.faces.addItem("Every face", True)
        self.container = QComboBox()
        self.container.addItems(CONTAINERS)
        self.local = QRadioButton("This computer, with")
        self.local.setChecked(True)
        self.workers = QSpinBox()
        self.workers.setRange(1, max(default_workers(), 1) * 4)
        self.workers.setValue(default_workers())
        self.workers.setSuffix(" worker process(es)")
        self.ray = QRadioButton()
        self.ray.setObjectName("BatchRayChoice")
        self.ray_available = ray_installed()
        group = QButtonGroup(self)
        group.addButton(self.local)
        group.addButton(self.ray)
        self.set_cluster_address(cluster_address)
        self.summary = QLabel(self._settings_text())
        self.summary.setObjectName("MutedLabel")
        self.summary.setWordWrap(True)
        self.problem = QLabel()
        self.problem.setObjectName("BatchProblem")
        self.problem.setWordWrap(True)
        self.problem.hide()

        sources_row = QHBoxLayout()
        sources_row.addWidget(self.sources_label, 1)
        sources_row.addWidget(choose_sources)
        target_buttons = QHBoxLayout()
        for button in (add_files, add_folder, remove):
            target_buttons.addWidget(button)
        target_buttons.addStretch(1)
        pattern_row = QHBoxLayout()
        pattern_row.addWidget(self.pattern, 1)
        pattern_row.addWidget(add_pattern)
        targets_box = QVBoxLayout()
        targets_box.addWidget(self.targets)
        targets_box.addLayout(target_buttons)
        targets_box.addLayout(pattern_row)
        output_row = QHBoxLayout()
        output_row.addWidget(self.output_dir, 1)
        output_row.addWidget(browse)
        local_row = QHBoxLayout()
        local_row.addWidget(self.local)
        local_row.addWidget(self.workers)
        local_row.addStretch(1)
        run_box = QVBoxLayout()
        run_box.addLayout(local_row)
        run_box.addWidget(self.ray)
        form = QFormLayout()
        form.addRow("Source person", sources_row)
        form.addRow("Targets", targets_box)
        form.addRow("Output folder", output_row)
        form.addRow("Names", self.name)
        form.addRow("Existing outputs", self.existing)
        form.addRow("Faces in photos", self.faces)
        form.addRow("Video container", self.container)
        form.addRow("Run on", run_box)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.start_button = buttons.addButton("Start batch", QDialogButtonBox.ButtonRole.AcceptRole)
        self.start_button.setObjectName("BatchStart")
        buttons.accepted.connect(self._on_start)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.summary)
        layout.addWidget(self.problem)
        layout.addWidget(buttons)
        self._show_sources()
        self.resize(640, self.sizeHint().height())
        self.pattern.setFocus()  # type a folder or pattern, Enter adds it

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802
        """Enter in a text field (a pattern being added, a folder typed) never starts the batch."""
        fields = (self.pattern, self.output_dir, self.name)
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and self.focusWidget() in fields:
            event.accept()
            return
        super().keyPressEvent(event)

    # -- choices -------------------------------------------------------------------------------------
    def add_targets(self, entries: list[str]) -> None:
        """Add files, folders or glob patterns (as typed; checked when the batch starts)."""
        present = {self.targets.item(row).text() for row in range(self.targets.count())}
        for entry in entries:
            if entry and entry not in present:
                self.targets.addItem(entry)
                present.add(entry)

    def target_entries(self) -> list[str]:
        return [self.targets.item(row).text() for row in range(self.targets.count())]

    def set_cluster_address(self, address: str) -> None:
        """Show the cluster the Ray choice would use; without Ray the choice is off, saying how to add it."""
        self.cluster_address = address
        where = address.strip() or "none set: a local Ray instance"
        self.ray.setText(f"Ray cluster ({where})")
        self.ray.setEnabled(self.ray_available)
        if self.ray_available:
            self.ray.setToolTip(
                "Each photo and each video segment is a Ray task. Set the cluster's address in "
                "Tools › Ray cluster…"
            )
        else:
            self.ray.setChecked(False)
            self.local.setChecked(True)
            self.ray.setToolTip(f"Ray is not installed. Install it with: {RAY_INSTALL_HINT}")

    def setup(self) -> BatchSetup:
        """The batch the dialog describes, with the window's settings snapshot."""
        text = self.output_dir.text().strip()
        return BatchSetup(
            sources=self.sources,
            targets=tuple(self.target_entries()),
            output_dir=Path(text).expanduser(),
            name=self.name.text().strip(),
            overwrite=bool(self.existing.currentData()),
            settings=self.settings,
            components=self.components.request_fields(),
            all_faces=bool(self.faces.currentData()),
            watermark=self.watermark,
            container=self.container.currentText(),
            workers=self.workers.value(),
            cluster=cluster_target(self.cluster_address) if self.ray.isChecked() else None,
        )

    def missing(self) -> str:
        """What keeps the batch from starting (empty when nothing does)."""
        if not self.sources:
            return "Add a source photo first (here or in the Source panel)."
        if not self.targets.count():
            return "Add at least one target: files, a folder or a pattern."
        if not self.output_dir.text().strip():
            return "Choose an output folder."
        return ""

    # -- slots ---------------------------------------------------------------------------------------
    def _on_start(self) -> None:
        problem = self.missing()
        self.problem.setText(problem)
        self.problem.setVisible(bool(problem))
        if not problem:
            self.accept()

    def _show_sources(self) -> None:
        names = ", ".join(path.name for path in self.sources[:4])
        more = f" and {len(self.sources) - 4} more" if len(self.sources) > 4 else ""
        self.sources_label.setText(names + more if self.sources else "none: choose photos of the person")

    def _settings_text(self) -> str:
        c = self.components
        return (
            f"Uses the window's settings: engine {c.engine}, strength {self.settings.strength:g}, "
            f"mask feather {self.settings.mask_feather:g}"
            + (", visible AI mark" if self.watermark else "")
            + ". Videos: the most present person of each clip. Every output is labelled as synthetic "
            "media."
        )

    def _choose_sources(self) -> None:
        files, _ = QFileDialog.getOpenFileNames(self, "Photos of the source person", "", IMAGE_FILTER)
        if files:
            self.sources = tuple(Path(f) for f in files)
            self._show_sources()

    def _add_files(self) -> None:
        files, _ = QFileDialog.getOpenFileNames(self, "Add target photos and videos", "", TARGET_FILTER)
        self.add_targets(files)

    def _add_folder(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Add a folder of targets")
        if folder:
            self.add_targets([folder])

    def _add_pattern(self) -> None:
        self.add_targets([self.pattern.text().strip()])
        self.pattern.clear()

    def _remove_selected(self) -> None:
        for item in self.targets.selectedItems():
            self.targets.takeItem(self.targets.row(item))

    def _choose_output_dir(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Output folder", self.output_dir.text())
        if folder:
            self.output_dir.setText(folder)


class ClusterDialog(QDialog):
    """Tools > Ray cluster…: the address batches and video exports are sent to (saved in the settings)."""

    def __init__(self, address: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("ClusterDialog")
        self.setWindowTitle("Ray cluster")
        self.address = QLineEdit(address)
        self.address.setObjectName("ClusterAddress")
        self.address.setPlaceholderText("HEAD_IP:6379, or auto")
        help_text = QLabel(
            "The head of a Ray cluster (started with <tt>ray start --head</tt>; see docs/batch.md), "
            "as HOST:PORT. <i>auto</i>: the cluster started on this computer. Empty: none; a batch "
            "sent to Ray then starts a local Ray instance."
        )
        help_text.setWordWrap(True)
        status = QLabel(
            "Ray is installed."
            if ray_installed()
            else f"Ray is not installed: {RAY_INSTALL_HINT} (on every machine of the cluster)."
        )
        status.setObjectName("MutedLabel")
        status.setWordWrap(True)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        form = QFormLayout()
        form.addRow("Address", self.address)
        layout.addLayout(form)
        layout.addWidget(help_text)
        layout.addWidget(status)
        layout.addWidget(buttons)
        self.resize(520, self.sizeHint().height())

    def value(self) -> str:
        return self.address.text().strip()
