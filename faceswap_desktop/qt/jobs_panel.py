"""The job queue panel: one row per export with progress, ETA, state, cancel and open-folder buttons.

When the saved queue cannot be written (see :mod:`faceswap_desktop.app.job_store`) the panel says so.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable

from PySide6.QtCore import QUrl, Signal
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from ..app.jobs import JobInfo, JobState
from .icons import icon
from .workers import JobRunner

STATE_WORDS = {
    JobState.QUEUED: "Queued",
    JobState.RUNNING: "Running",
    JobState.DONE: "Done",
    JobState.FAILED: "Failed",
    JobState.CANCELLED: "Cancelled",
}


def describe_eta(seconds: float | None) -> str:
    if seconds is None:
        return ""
    if seconds < 1:
        return "under a second left"
    if seconds < 90:
        return f"about {seconds:.0f} s left"
    return f"about {seconds / 60:.0f} min left"


ROW_HEIGHT = 44
"""About one job row's height with its spacing."""
ROWS_SHOWN = 2
"""The panel never shrinks below two rows: the newest job and the one before it."""


class JobRowWidget(QFrame):
    """One job: title, progress bar, state/ETA line and its buttons."""

    cancel_requested = Signal(int)

    def __init__(self, info: JobInfo, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("JobRow")
        self.job_id = info.job_id
        self.info = info
        self.title = QLabel(info.title)
        self.status = QLabel()
        self.status.setObjectName("MutedLabel")
        self.progress = QProgressBar()
        self.progress.setRange(0, 1000)
        self.progress.setFixedHeight(8)
        self.cancel_button = QPushButton(icon("mdi6.close-circle-outline"), "Cancel")
        self.cancel_button.setToolTip("Stop this job")
        self.open_button = QPushButton(icon("mdi6.folder-open-outline"), "Show")
        self.open_button.setToolTip("Open the folder of the exported file")
        # Title and state on one line, the bar under them: a row is ~40 px high, so a short Jobs panel
        # still shows several jobs.
        self.status.setMinimumWidth(40)
        self.status.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        line = QHBoxLayout()
        line.setSpacing(10)
        line.addWidget(self.title)
        line.addWidget(self.status, 1)
        text = QVBoxLayout()
        text.setSpacing(3)
        text.addLayout(line)
        text.addWidget(self.progress)
        self.text_layout = text
        self.details: QWidget | None = None
        """Shown under the progress bar (a batch's per-item list)."""
        layout = QHBoxLayout(self)
        layout.setContentsMargins(10, 4, 10, 4)
        layout.addLayout(text, 1)
        layout.addWidget(self.cancel_button)
        layout.addWidget(self.open_button)
        self.cancel_button.clicked.connect(lambda: self.cancel_requested.emit(self.job_id))
        self.open_button.clicked.connect(self._on_open_clicked)
        self.update_info(info)

    def update_info(self, info: JobInfo) -> None:
        self.info = info
        self.progress.setValue(int(info.fraction * 1000))
        parts = [STATE_WORDS[info.state]]
        if info.state is JobState.RUNNING:
            parts += [f"{info.fraction * 100:.0f}%", info.message, describe_eta(info.eta_s)]
        elif info.state is JobState.FAILED:
            parts.append(info.error)
        elif info.state is JobState.DONE and info.output is not None:
            parts.append(str(info.output))
        if info.state is JobState.DONE and info.warning:
            parts.append(info.warning)
        self.status.setText(" · ".join(p for p in parts if p))
        self.status.setToolTip(self.status.text())
        self.cancel_button.setVisible(not info.state.is_final)
        self.open_button.setVisible(info.state is JobState.DONE and info.output is not None)

    def set_details(self, widget: QWidget) -> None:
        self.details = widget
        self.text_layout.addWidget(widget)

    def _on_open_clicked(self) -> None:
        if self.info.output is not None:
            output = self.info.output  # a batch's output is its folder
            folder = output if output.is_dir() else output.parent
            QDesktopServices.openUrl(QUrl.fromLocalFile(str(folder)))


class JobQueuePanel(QWidget):
    """Subscribes to the job runner's snapshots and keeps one row per job."""

    save_problem_changed = Signal()  # emitted on the store's writer thread, delivered queued

    def __init__(self, runner: JobRunner, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("JobQueuePanel")
        self.runner = runner
        self.rows: dict[int, JobRowWidget] = {}
        self.details_factory: Callable[[int], QWidget | None] = lambda _job_id: None
        """Makes the widget shown under a new job's row (None: nothing); set by the batch UI."""
        self.empty = QLabel("Exports you start appear here (Ctrl+E).")
        self.empty.setObjectName("MutedLabel")
        self.save_warning = QLabel()
        self.save_warning.setObjectName("MutedLabel")
        self.save_warning.setWordWrap(True)
        self.save_warning.hide()
        self.clear_button = QPushButton(icon("mdi6.broom"), "Clear finished")
        self.clear_button.setToolTip("Remove finished, failed and cancelled jobs from the list")
        body = QWidget()
        self._rows_layout = QVBoxLayout(body)
        self._rows_layout.setContentsMargins(0, 0, 0, 0)
        self._rows_layout.setSpacing(4)
        self._rows_layout.addWidget(self.empty)
        self._rows_layout.addStretch(1)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(body)
        scroll.setMinimumHeight(ROWS_SHOWN * ROW_HEIGHT)
        header = QHBoxLayout()
        header.addWidget(self.save_warning, 1)
        header.addStretch(1)
        header.addWidget(self.clear_button)
        self._header = header
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 4, 8, 8)
        layout.addLayout(header)
        layout.addWidget(scroll, 1)
        self.clear_button.clicked.connect(self._on_clear_clicked)
        runner.jobs_changed.connect(self._on_jobs_changed)
        # The store's last write (a job turning DONE) can fail or recover after the runner stops
        # polling, so the store itself says when saving starts or stops failing.
        self.save_problem_changed.connect(self._show_save_problem)
        self._store = runner.queue.recorder
        if hasattr(self._store, "add_write_error_listener"):
            self._store.add_write_error_listener(self._relay_save_problem)

    def _relay_save_problem(self, _problem: str) -> None:
        """Writer thread -> GUI thread (the signal is queued: this object lives on the GUI thread), where
        :meth:`_show_save_problem` reads the store's latest state."""
        # RuntimeError: the panel is gone (its C++ side deleted) while the store still writes.
        with contextlib.suppress(RuntimeError):
            self.save_problem_changed.emit()

    def add_header_widget(self, widget: QWidget) -> None:
        """A button beside "Clear finished" (the batch UI's "Batch…")."""
        self._header.insertWidget(self._header.count() - 1, widget)

    def shutdown(self) -> None:
        """Stop hearing from the job store (call before closing it)."""
        if hasattr(self._store, "remove_write_error_listener"):
            self._store.remove_write_error_listener(self._relay_save_problem)

    def _on_jobs_changed(self, jobs: list[JobInfo]) -> None:
        alive = {info.job_id for info in jobs}
        for job_id in [j for j in self.rows if j not in alive]:
            self.rows.pop(job_id).deleteLater()
        for info in jobs:
            row = self.rows.get(info.job_id)
            if row is None:
                row = JobRowWidget(info)
                row.cancel_requested.connect(self.runner.cancel)
                details = self.details_factory(info.job_id)
                if details is not None:
                    row.set_details(details)
                self.rows[info.job_id] = row
                self._rows_layout.insertWidget(0, row)  # newest first
            row.update_info(info)
            refresh = getattr(row.details, "refresh", None)
            if refresh is not None:
                refresh()
        self.empty.setVisible(not self.rows)
        self._show_save_problem()
        self.clear_button.setEnabled(any(info.state.is_final for info in jobs))

    def _show_save_problem(self) -> None:
        """Say so when the queue cannot be saved (disk full...): a crash would lose these jobs."""
        problem = str(getattr(self._store, "write_error", "") or "")
        self.save_warning.setText(f"⚠ {problem}; these jobs would not survive a crash" if problem else "")
        self.save_warning.setVisible(bool(problem))

    def _on_clear_clicked(self) -> None:
        self.runner.queue.clear_finished()
        self._on_jobs_changed(self.runner.queue.jobs())
