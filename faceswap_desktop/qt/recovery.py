"""After a crash: offer the exports the last session left unfinished, without blocking the window.

The dialog is modeless: the user can keep working and decide later. "Recover all" puts the jobs back on
the queue (a running one restarts from scratch; its partial file is removed first); "Discard" removes
them from the saved queue. Closing the dialog decides nothing: they are offered again at the next start.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import TYPE_CHECKING

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QListWidget,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from ..app.job_specs import JobSpec, build_work
from ..app.job_store import JobRecord, LoadReport, RecoveryOutcome, recover_jobs
from ..app.jobs import JobState, JobWork

if TYPE_CHECKING:
    from .main_window import MainWindow

log = logging.getLogger(__name__)


def describe_record(record: JobRecord) -> str:
    """One line of the recovery list: title and where the job was."""
    if record.state is JobState.RUNNING:
        where = f"was running ({record.fraction * 100:.0f}%), restarts from the beginning"
    else:
        where = "was waiting"
    if record.attempts > 1:
        where += f"; interrupted {record.attempts} times so far"
    return f"{record.title} — {where}"


class RecoveryDialog(QDialog):
    """Lists the unfinished jobs with "Recover all" and "Discard"; modeless."""

    recover_requested = Signal()
    discard_requested = Signal()

    def __init__(self, records: Sequence[JobRecord], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("RecoveryDialog")
        self.setWindowTitle("Recover unfinished exports?")
        self.setModal(False)
        self.records = list(records)
        intro = QLabel(
            f"The last session ended before {len(self.records)} export(s) finished. "
            "Put them back on the queue?"
        )
        intro.setWordWrap(True)
        self.list = QListWidget()
        self.list.addItems([describe_record(record) for record in self.records])
        buttons = QDialogButtonBox()
        self.recover_button = QPushButton("Recover all")
        self.recover_button.setDefault(True)
        self.discard_button = QPushButton("Discard")
        buttons.addButton(self.recover_button, QDialogButtonBox.ButtonRole.AcceptRole)
        buttons.addButton(self.discard_button, QDialogButtonBox.ButtonRole.DestructiveRole)
        later = buttons.addButton("Decide later", QDialogButtonBox.ButtonRole.RejectRole)
        later.setToolTip("Keep them saved; they are offered again at the next start")
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(self.list, 1)
        layout.addWidget(buttons)
        self.recover_button.clicked.connect(self._on_recover)
        self.discard_button.clicked.connect(self._on_discard)
        later.clicked.connect(self.reject)

    def _on_recover(self) -> None:
        self.recover_requested.emit()
        self.accept()

    def _on_discard(self) -> None:
        self.discard_requested.emit()
        self.accept()


def recover_into_window(window: MainWindow, records: Sequence[JobRecord]) -> RecoveryOutcome:
    """Re-queue ``records`` on the window's job runner and start them."""
    store = window.job_store
    if store is None:
        return RecoveryOutcome()

    def make_work(spec: JobSpec) -> JobWork:
        return build_work(window.context, spec, window.build_pipeline, recognizers=window.recognizers)

    outcome = recover_jobs(window.runner.queue, store, records, make_work)
    for _ in outcome.requeued:
        window.runner.start_pending()
    parts = [f"{len(outcome.requeued)} export(s) back on the queue"]
    if outcome.done:
        parts.append(f"{len(outcome.done)} had finished before the interruption")
    window.show_error("; ".join(parts), "info")
    return outcome


def offer_recovery(window: MainWindow, report: LoadReport) -> RecoveryDialog | None:
    """Tell the user about a set-aside queue file and offer the recoverable jobs (modeless)."""
    for problem in report.problems:
        window.show_error(problem, "warning")
    if not report.recoverable or window.job_store is None:
        return None
    store, records = window.job_store, list(report.recoverable)
    dialog = RecoveryDialog(records, window)
    dialog.recover_requested.connect(lambda: recover_into_window(window, records))
    dialog.discard_requested.connect(lambda: store.forget(record.key for record in records))
    dialog.show()
    return dialog
