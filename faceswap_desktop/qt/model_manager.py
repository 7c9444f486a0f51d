"""The model manager: every registry model with its status, and download / import / verify actions.

All store work runs on a :class:`ModelTaskRunner`; this dialog only shows what it reports. Closing the
dialog hides it and lets downloads go on; :meth:`ModelManagerDialog.shutdown` cancels them.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QAction, QColor, QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMainWindow,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QStackedWidget,
    QTableWidget,
    QTableWidgetItem,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from ..inference.registry import ModelSpec
from ..inference.store import ModelStatus, ModelStore
from .icons import icon
from .model_tasks import CANCELLED, CORRUPT, NETWORK, ModelTaskRunner
from .theme import palette_colour
from .toast import ToastWidget

COLUMNS = ("Model", "Role", "Size", "Licence", "Status", "")
MODEL_COL, ROLE_COL, SIZE_COL, LICENCE_COL, STATUS_COL, ACTION_COL = range(len(COLUMNS))
MODEL_FILTER = "Model files (*.onnx *.dat *.pth);;All files (*)"

# Status text -> theme colour key.
_STATUS_STYLE = {
    ModelStatus.OK: ("ok", "good"),
    ModelStatus.MISSING: ("missing", "muted"),
    ModelStatus.CORRUPT: ("corrupt", "bad"),
}

_RUNNING_TEXT = {
    "download": "downloading…",
    "import": "importing…",
    "verify": "verifying…",
    "remove": "removing…",
}

FileChooser = Callable[[QWidget, str], "Path | None"]
LicenceConfirmer = Callable[[QWidget, ModelSpec], bool]

IMPORT_HINT = (
    "Already have the file (downloaded on another computer, or from the project's page)? "
    "Import… installs it from disk after checking its sha256."
)


def licence_question(spec: ModelSpec) -> str:
    """The text shown before a download starts: what the file is, its size and its licence."""
    size = f" ({format_size(spec.size)})" if spec.size else ""
    return (
        f"{spec.id}{size} is published under this licence:\n\n{spec.licence or 'no licence stated'}\n\n"
        "Download it and use it under these terms?"
    )


def confirm_licence(parent: QWidget, spec: ModelSpec) -> bool:
    """Show the model's licence and ask before downloading (the default :data:`LicenceConfirmer`)."""
    box = QMessageBox(parent)
    box.setWindowTitle(f"Licence of {spec.id}")
    box.setIcon(QMessageBox.Icon.Question)
    box.setText(licence_question(spec))
    download = box.addButton("Accept and download", QMessageBox.ButtonRole.AcceptRole)
    box.addButton(QMessageBox.StandardButton.Cancel)
    box.exec()
    return box.clickedButton() is download


def choose_model_file(parent: QWidget, model_id: str) -> Path | None:
    """Ask for a model file to import (the default :data:`FileChooser`)."""
    file, _ = QFileDialog.getOpenFileName(parent, f"Import {model_id}", "", MODEL_FILTER)
    return Path(file) if file else None


def format_size(size: int | None) -> str:
    if size is None:
        return "—"
    if size >= 1024**3:
        return f"{size / 1024**3:.2f} GB"
    if size < 100 * 1024:
        return f"{size / 1024:.0f} KB"
    return f"{size / 1024**2:.1f} MB"


class ModelRowActions(QWidget):
    """The action cell of one row: buttons, or a progress bar with Cancel while downloading."""

    def __init__(self, model_id: str, parent: QWidget | None = None, user: bool = False) -> None:
        super().__init__(parent)
        self.model_id = model_id
        self.user = user
        self.download_button = QPushButton(icon("mdi6.download"), "Download")
        self.download_button.setToolTip(
            f"Download {model_id} and verify its sha256 (its licence is shown first)"
        )
        self.import_button = QPushButton(icon("mdi6.file-import-outline"), "Import…")
        self.import_button.setToolTip(f"Import {model_id} from a file you already have (it is verified)")
        self.verify_button = QPushButton(icon("mdi6.shield-check-outline"), "Verify")
        self.verify_button.setToolTip(f"Re-hash the installed {model_id} file")
        self.remove_button = QPushButton(icon("mdi6.delete-outline"), "Remove")
        self.remove_button.setToolTip(f"Unregister your model {model_id} and delete its copy in the store")
        buttons = QWidget()
        row = QHBoxLayout(buttons)
        row.setContentsMargins(4, 2, 4, 2)
        row.setSpacing(4)
        for button in (self.download_button, self.import_button, self.verify_button, self.remove_button):
            row.addWidget(button)
        row.addStretch(1)
        self.progress = QProgressBar()
        self.progress.setRange(0, 1000)
        self.progress.setFixedHeight(8)
        self.progress_label = QLabel("starting…")
        self.progress_label.setObjectName("MutedLabel")
        self.cancel_button = QPushButton(icon("mdi6.close"), "Cancel")
        self.cancel_button.setToolTip(f"Stop downloading {model_id} (the partial file is kept for a resume)")
        progress_page = QWidget()
        bar = QVBoxLayout()
        bar.setSpacing(2)
        bar.addWidget(self.progress)
        bar.addWidget(self.progress_label)
        line = QHBoxLayout(progress_page)
        line.setContentsMargins(4, 2, 4, 2)
        line.addLayout(bar, 1)
        line.addWidget(self.cancel_button)
        self.pages = QStackedWidget()
        self.pages.addWidget(buttons)
        self.pages.addWidget(progress_page)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.pages)

    def set_downloading(self, downloading: bool) -> None:
        self.pages.setCurrentIndex(1 if downloading else 0)
        if downloading:
            self.progress.setRange(0, 0)  # busy until the first report says how big the file is
            self.progress_label.setText("connecting…")
            self.cancel_button.setEnabled(True)

    def set_progress(self, received: int, total: int | None) -> None:
        if total:
            self.progress.setRange(0, 1000)
            self.progress.setValue(int(1000 * min(received / total, 1.0)))
            self.progress_label.setText(f"{format_size(received)} of {format_size(total)}")
        else:
            self.progress.setRange(0, 0)
            self.progress_label.setText(f"{format_size(received)}")

    def set_status(self, status: ModelStatus | None, busy: bool) -> None:
        """Offer what makes sense: Download unless installed, Verify when a file is there; a user model
        has no download or import (it came from the user's file), only Verify and Remove."""
        self.download_button.setVisible(status is not ModelStatus.OK and not self.user)
        self.import_button.setVisible(not self.user)
        self.verify_button.setVisible(status in (ModelStatus.OK, ModelStatus.CORRUPT))
        self.remove_button.setVisible(self.user)
        for button in (self.download_button, self.import_button, self.verify_button, self.remove_button):
            button.setEnabled(not busy)


class ModelManagerDialog(QDialog):
    """A table of the registry's models; emits ``model_installed`` after a model becomes usable."""

    model_installed = Signal(str)
    notified = Signal(str, str)  # message, level: for the main window while this dialog is hidden

    def __init__(
        self,
        store: ModelStore,
        parent: QWidget | None = None,
        choose_file: FileChooser = choose_model_file,
        ask_licence: LicenceConfirmer = confirm_licence,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("ModelManagerDialog")
        self.setWindowTitle("Models")
        self.store, self.choose_file, self.ask_licence = store, choose_file, ask_licence
        self.runner = ModelTaskRunner(store, self)
        self.statuses: dict[str, ModelStatus] = {}
        self.notes: dict[str, tuple[str, str]] = {}  # model id -> (status text, colour) after a failure
        self.busy: set[str] = set()
        self.operations: dict[str, str] = {}  # model id -> the running operation's name
        self.rows: dict[str, int] = {}
        self.actions_by_id: dict[str, ModelRowActions] = {}
        self._build()
        self.runner.status_ready.connect(self._on_status)
        self.runner.progress.connect(self._on_progress)
        self.runner.retrying.connect(self._on_retrying)
        self.runner.finished.connect(self._on_finished)
        self.runner.failed.connect(self._on_failed)
        self.runner.removed.connect(self._on_removed)
        self.refresh()

    # -- construction --------------------------------------------------------------------------------
    def _build(self) -> None:
        title = QLabel("Models")
        title.setObjectName("DialogTitle")
        hint = QLabel(
            f"Downloadable models live in <b>{self.store.root}</b>. Every file is checked against its "
            "pinned sha256 before it is used; a file that fails is moved to quarantine. Your own models "
            "(<code>faceswap-desktop models add</code>) are checked against the sha256 recorded when "
            "you added them."
        )
        hint.setObjectName("MutedLabel")
        hint.setWordWrap(True)
        hint.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setObjectName("ModelTable")
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.table.verticalHeader().setVisible(False)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setShowGrid(False)
        self.table.setAlternatingRowColors(True)
        self.table.setWordWrap(False)
        self.table.setTextElideMode(Qt.TextElideMode.ElideRight)
        header = self.table.horizontalHeader()
        header.setHighlightSections(False)
        header.setDefaultAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        for column, mode in (
            (MODEL_COL, QHeaderView.ResizeMode.ResizeToContents),
            (ROLE_COL, QHeaderView.ResizeMode.ResizeToContents),
            (SIZE_COL, QHeaderView.ResizeMode.ResizeToContents),
            (LICENCE_COL, QHeaderView.ResizeMode.Stretch),
            (STATUS_COL, QHeaderView.ResizeMode.Fixed),
            (ACTION_COL, QHeaderView.ResizeMode.Fixed),
        ):
            header.setSectionResizeMode(column, mode)
        self.table.setColumnWidth(STATUS_COL, 170)
        self.table.setColumnWidth(ACTION_COL, 330)
        self.table.verticalHeader().setDefaultSectionSize(44)
        for spec in self.store.registry:
            self._add_row(spec)
        self.message = QLabel("")
        self.message.setObjectName("MutedLabel")
        self.message.setWordWrap(True)
        self.recheck_button = QPushButton(icon("mdi6.refresh"), "Re-check")
        self.recheck_button.setToolTip("Check every model's file again")
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.hide)
        bottom = QHBoxLayout()
        bottom.addWidget(self.message, 1)
        bottom.addWidget(self.recheck_button)
        bottom.addWidget(buttons)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(16, 14, 16, 12)
        layout.addWidget(title)
        layout.addWidget(hint)
        layout.addSpacing(4)
        layout.addWidget(self.table, 1)
        layout.addLayout(bottom)
        self.recheck_button.clicked.connect(self.refresh)
        self.toast = ToastWidget(self, anchor=self.table)  # above the message line, which says it too
        self.resize(1220, 650)

    def _add_row(self, spec: ModelSpec) -> None:
        row = self.table.rowCount()
        self.table.insertRow(row)
        self.rows[spec.id] = row
        name = QTableWidgetItem(spec.id)
        name.setToolTip(f"{spec.id}\nfile: {spec.file}\nprecision: {spec.precision}\nsha256: {spec.sha256}")
        font = name.font()
        font.setBold(True)
        name.setFont(font)
        size = QTableWidgetItem(format_size(spec.size))
        size.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if spec.size is None:
            size.setToolTip("The registry pins this file's sha256 but not its size.")
        licence = QTableWidgetItem(spec.licence)
        licence.setToolTip(spec.licence)
        if spec.user:
            licence.setToolTip(
                f"Registered with `models add` from your own file ({spec.layout}). Its graph was checked "
                "against the role's contract and its sha256 is verified on every load, but where the "
                "weights come from and their licence are not known to the app."
            )
            licence.setForeground(QColor(palette_colour(self, "warn")))
        for column, item in (
            (MODEL_COL, name),
            (ROLE_COL, QTableWidgetItem(spec.role.capitalize())),
            (SIZE_COL, size),
            (LICENCE_COL, licence),
            (STATUS_COL, QTableWidgetItem("")),
        ):
            self.table.setItem(row, column, item)
        actions = ModelRowActions(spec.id, user=spec.user)
        actions.remove_button.clicked.connect(lambda _c=False, m=spec.id: self.remove_user_model(m))
        actions.download_button.clicked.connect(lambda _c=False, m=spec.id: self.download_after_licence(m))
        actions.import_button.clicked.connect(lambda _c=False, m=spec.id: self._on_import_clicked(m))
        actions.verify_button.clicked.connect(lambda _c=False, m=spec.id: self.verify(m))
        actions.cancel_button.clicked.connect(lambda _c=False, m=spec.id: self.cancel(m))
        self.actions_by_id[spec.id] = actions
        self.table.setCellWidget(row, ACTION_COL, actions)

    # -- commands ------------------------------------------------------------------------------------
    def refresh(self) -> None:
        """Check every model that is not busy (on the worker; rows show "checking…" meanwhile)."""
        ids = [model_id for model_id in self.rows if model_id not in self.busy]
        for model_id in ids:
            self.notes.pop(model_id, None)
            self._show(model_id, "checking…", "muted")
        self.runner.scan(ids)

    def download_after_licence(self, model_id: str) -> None:
        """The Download button: the licence first; the download starts only once it is accepted."""
        if model_id in self.busy:
            return
        if self.ask_licence(self, self.store.registry.get(model_id)):
            self.download(model_id)
        else:
            self.message.setText(f"Download of {model_id} not started: its licence was not accepted.")

    def download(self, model_id: str) -> None:
        if model_id in self.busy:
            return
        self._start(model_id, "download")
        self.actions_by_id[model_id].set_downloading(True)
        self.runner.download(model_id)

    def cancel(self, model_id: str) -> None:
        self.actions_by_id[model_id].cancel_button.setEnabled(False)
        self.actions_by_id[model_id].progress_label.setText("cancelling…")
        self.runner.cancel(model_id)

    def import_file(self, model_id: str, source: Path) -> None:
        """Verify ``source`` against ``model_id`` and install it (on the worker)."""
        if model_id in self.busy:
            return
        self._start(model_id, "import")
        self.runner.import_file(model_id, source)

    def remove_user_model(self, model_id: str) -> None:
        """Unregister a user model and delete its stored copy (on the worker); its row goes away."""
        if model_id in self.busy or not self.store.registry.get(model_id).user:
            return
        self._start(model_id, "remove")
        self.runner.remove_user_model(model_id)

    def verify(self, model_id: str) -> None:
        if model_id in self.busy:
            return
        self._start(model_id, "verify")
        self.runner.verify(model_id)

    def show_model(self, model_id: str = "") -> None:
        """Show the dialog (non-modal) and select ``model_id``'s row when given."""
        self.show()
        self.raise_()
        self.activateWindow()
        row = self.rows.get(model_id)
        if row is not None:
            self.table.selectRow(row)
            item = self.table.item(row, MODEL_COL)
            if item is not None:
                self.table.scrollToItem(item)

    def status_text(self, model_id: str) -> str:
        """The status cell's text (tests and accessibility)."""
        item = self.table.item(self.rows[model_id], STATUS_COL)
        return item.text() if item is not None else ""

    def shutdown(self, timeout_ms: int = 30_000) -> bool:
        """Cancel downloads and wait for the workers (the main window calls this when it closes)."""
        return self.runner.shutdown(timeout_ms)

    # -- runner events -------------------------------------------------------------------------------
    def _on_import_clicked(self, model_id: str) -> None:
        source = self.choose_file(self, model_id)
        if source is not None:
            self.import_file(model_id, source)

    def _on_status(self, model_id: str, status: ModelStatus) -> None:
        if model_id in self.busy:
            return
        self.statuses[model_id] = status
        self._show_status(model_id)

    def _on_progress(self, model_id: str, received: int, total: int | None) -> None:
        if model_id in self.busy:
            self.actions_by_id[model_id].set_progress(received, total)
            if total:
                self._show(model_id, f"downloading {100 * received / total:.0f}%", "accent")

    def _on_retrying(self, model_id: str, note: str) -> None:
        """A transient failure: say what happened and when the next attempt is, instead of a spinner."""
        if model_id in self.busy:
            self.actions_by_id[model_id].progress_label.setText(note)
            self.actions_by_id[model_id].progress_label.setToolTip(note)
            self._show(model_id, "retrying…", "warn")

    def _on_removed(self, model_id: str) -> None:
        row = self.rows.pop(model_id)
        self.table.removeRow(row)
        self.rows = {m: r - 1 if r > row else r for m, r in self.rows.items()}
        self.actions_by_id.pop(model_id, None)
        self.busy.discard(model_id)
        self.statuses.pop(model_id, None)
        self._notify(
            f"{model_id} was removed; it stays in the component lists until the app restarts.", "success"
        )

    def _on_finished(self, model_id: str, status: ModelStatus) -> None:
        self._stop(model_id, status)
        if status is ModelStatus.OK:
            self._notify(f"{model_id} is installed and verified.", "success")
            self.model_installed.emit(model_id)

    def _on_failed(self, model_id: str, kind: str, message: str) -> None:
        if kind == CORRUPT:
            self.notes[model_id] = ("corrupt (quarantined)", "bad")
        elif kind != CANCELLED:
            self.notes[model_id] = (f"{self.operations.get(model_id, 'check')} failed", "warn")
        self._stop(model_id, self.store_status_guess(model_id, kind))
        item = self.table.item(self.rows[model_id], STATUS_COL)
        if item is not None:
            item.setToolTip(message if kind != CANCELLED else "")
        if kind == NETWORK:
            message = f"{message}. {IMPORT_HINT}"
            self.actions_by_id[model_id].import_button.setFocus()
        self._notify(message, "warning" if kind == CANCELLED else "error")

    def store_status_guess(self, model_id: str, kind: str) -> ModelStatus:
        """The status after a failure without touching the disk: a failed download/import installs
        nothing, so the previous status stands (a quarantined file is gone: missing)."""
        if kind == CORRUPT:
            return ModelStatus.MISSING
        return self.statuses.get(model_id, ModelStatus.MISSING)

    # -- display -------------------------------------------------------------------------------------
    def _start(self, model_id: str, operation: str) -> None:
        self.busy.add(model_id)
        self.operations[model_id] = operation
        self.notes.pop(model_id, None)
        self.actions_by_id[model_id].set_status(self.statuses.get(model_id), busy=True)
        self._show(model_id, _RUNNING_TEXT[operation], "accent")

    def _stop(self, model_id: str, status: ModelStatus) -> None:
        self.busy.discard(model_id)
        self.statuses[model_id] = status
        self.actions_by_id[model_id].set_downloading(False)
        self._show_status(model_id)

    def _show_status(self, model_id: str) -> None:
        status = self.statuses.get(model_id, ModelStatus.MISSING)
        text, colour = _STATUS_STYLE[status]
        note = self.notes.get(model_id)
        if note is not None and status is not ModelStatus.OK:
            text, colour = note
        self._show(model_id, text, colour)
        self.actions_by_id[model_id].set_status(status, busy=False)

    def _show(self, model_id: str, text: str, colour_key: str) -> None:
        item = self.table.item(self.rows[model_id], STATUS_COL)
        if item is None:
            return
        item.setText(text)
        item.setForeground(QColor(palette_colour(self, colour_key)))

    def _notify(self, text: str, level: str) -> None:
        self.message.setText(text)
        if self.isVisible():
            self.toast.show_message(text, level)
        else:
            self.notified.emit(text, level)


def install_models_entry(window: QMainWindow, open_manager: Callable[[], None]) -> QAction:
    """The "Models…" item (Tools menu) and a status bar button, both opening the model manager."""
    action = QAction(icon("mdi6.package-variant-closed"), "&Models…", window)
    action.setProperty("iconName", "mdi6.package-variant-closed")
    action.setShortcut(QKeySequence("Ctrl+Shift+M"))
    tip = "Download, import and verify the optional models (Ctrl+Shift+M)"
    action.setToolTip(tip)
    action.setStatusTip(tip)
    action.triggered.connect(open_manager)
    window.menuBar().addMenu("&Tools").addAction(action)
    button = QToolButton()
    button.setObjectName("ModelsStatusButton")
    button.setDefaultAction(action)
    button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
    button.setAutoRaise(True)
    window.statusBar().addPermanentWidget(button)
    return action
