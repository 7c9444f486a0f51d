"""Batches in the window: File > Batch…, Tools > Ray cluster…, and each batch's per-item list in the
Jobs panel.

A batch is one job of the window's job queue (:func:`~..app.batch_job.setup_work`): its row shows the
aggregated progress and a Cancel button; under it, :class:`BatchItemsTable` lists every item's state,
identity score and, for a failed or skipped item, the reason. The table reads the job's
:class:`~..app.batch_job.BatchBoard` when the job runner polls (10 Hz while jobs run).
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QColor, QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHeaderView,
    QLabel,
    QMenu,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from ..app.jobs import JobInfo, JobState
from .export_flow import pictures_folder
from .icons import icon

if TYPE_CHECKING:
    from ..app.batch_job import BatchBoard
    from ..app.batch_setup import BatchSetup
    from ..app.keyframes import KeyframeTrack
    from ..app.video import VideoExportRequest
    from .batch_dialog import BatchDialog, ClusterDialog
    from .main_window import MainWindow

# The batch machinery (planning, executors, segments) is imported when a batch or the dialog is first
# used, not when the window starts.

STATE_COLOURS = {"done": "#4caf50", "skipped": "#9e9e9e", "failed": "#ef5350", "running": "#42a5f5"}
TABLE_ROWS_SHOWN = 6


class BatchItemsTable(QWidget):
    """A batch's items: name, state, identity score, reason; and a line saying what renders them."""

    def __init__(self, board: BatchBoard, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("BatchItems")
        self.board = board
        self.shown_version = -1
        self.executor = QLabel()
        self.executor.setObjectName("MutedLabel")
        self.table = QTableWidget(0, 4)
        self.table.setHorizontalHeaderLabels(["Item", "State", "Identity", "Reason"])
        self.table.verticalHeader().hide()
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setWordWrap(False)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.ResizeToContents)
        header.setStretchLastSection(True)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 2, 0, 0)
        layout.setSpacing(2)
        layout.addWidget(self.executor)
        layout.addWidget(self.table)
        self.refresh()

    def refresh(self) -> None:
        """Show the board's latest states (cheap when nothing changed)."""
        from ..app.batch_job import ITEM_STATES  # loaded with the board this table shows

        if self.board.version == self.shown_version:
            return
        self.shown_version = self.board.version
        views = self.board.snapshot()
        counts = self.board.counts()
        tally = ", ".join(f"{counts[state]} {state}" for state in ITEM_STATES if counts[state])
        where = f"on {self.board.executor}" if self.board.executor else "planning…"
        self.executor.setText(" · ".join(filter(None, [where, tally])))
        self.table.setRowCount(len(views))
        for row, view in enumerate(views):
            score = f"{view.identity_percent:.0f}%" if view.identity_percent is not None else ""
            cells = (view.name, view.state, score, view.reason)
            for column, text in enumerate(cells):
                cell = self.table.item(row, column)
                if cell is None:
                    cell = QTableWidgetItem()
                    self.table.setItem(row, column, cell)
                cell.setText(text)
                cell.setToolTip(view.target if column == 0 else text)
                if column == 1:
                    cell.setForeground(QColor(STATE_COLOURS.get(view.state, "#bdbdbd")))
                elif column == 2:
                    cell.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        shown = min(max(len(views), 1), TABLE_ROWS_SHOWN)
        row_height = self.table.verticalHeader().defaultSectionSize()
        self.table.setFixedHeight(self.table.horizontalHeader().height() + shown * row_height + 4)

    def column(self, column: int) -> dict[str, str]:
        """Item name -> the text shown in ``column`` (1: state, 2: identity, 3: reason)."""
        shown: dict[str, str] = {}
        for row in range(self.table.rowCount()):
            name, cell = self.table.item(row, 0), self.table.item(row, column)
            if name is not None and cell is not None:
                shown[name.text()] = cell.text()
        return shown


class BatchUi:
    """The window's batch entries and the jobs panel's per-item lists."""

    def __init__(self, window: MainWindow) -> None:
        self.window = window
        self.dialog: BatchDialog | None = None
        self.boards: dict[int, BatchBoard] = {}
        self.action = QAction(icon("mdi6.folder-multiple-image"), "&Batch…", window)
        self.action.setProperty("iconName", "mdi6.folder-multiple-image")
        self.action.setShortcut(QKeySequence("Ctrl+Shift+B"))
        tip = "Swap the source person onto many photos and videos, here or on a Ray cluster (Ctrl+Shift+B)"
        self.action.setToolTip(tip)
        self.action.setStatusTip(tip)
        self.action.triggered.connect(self.open_dialog)
        self.cluster_action = QAction(icon("mdi6.server-network"), "&Ray cluster…", window)
        self.cluster_action.setProperty("iconName", "mdi6.server-network")
        self.cluster_action.setStatusTip("The Ray cluster batches and video exports can run on")
        self.cluster_action.triggered.connect(self.open_cluster_settings)
        self._install_menus()
        self.button = QPushButton(icon("mdi6.folder-multiple-image"), "Batch…")
        self.button.setToolTip(tip)
        self.button.clicked.connect(self.open_dialog)
        panel = window.jobs_panel
        panel.add_header_widget(self.button)
        panel.details_factory = self._details_for
        window.runner.job_finished.connect(self._on_job_finished)

    def _install_menus(self) -> None:
        menus = {entry.text(): entry.menu() for entry in self.window.menuBar().actions()}
        file_menu = menus.get("&File")
        if isinstance(file_menu, QMenu):
            file_menu.insertAction(self.window.actions_by_name["watermark"], self.action)
        tools = menus.get("&Tools")
        if not isinstance(tools, QMenu):
            tools = self.window.menuBar().addMenu("&Tools")
        tools.addAction(self.cluster_action)
        self.window.actions_by_name["batch"] = self.action
        self.window.actions_by_name["cluster"] = self.cluster_action

    # -- commands ------------------------------------------------------------------------------------
    def open_dialog(self) -> BatchDialog:
        """Show the batch dialog (window-modal, not blocking); Start queues the batch."""
        from .batch_dialog import BatchDialog

        w = self.window
        last = w.user_settings.last_export_folder
        folder = (Path(last) if last else pictures_folder()) / "batch"
        dialog = BatchDialog(
            tuple(w.session.usable_sources),
            w.session.settings,
            w.session.components,
            w.user_settings.cluster_address,
            folder,
            watermark=w.actions_by_name["watermark"].isChecked(),
            parent=w,
        )
        dialog.accepted.connect(lambda: self.start(dialog.setup()))
        dialog.finished.connect(dialog.deleteLater)
        self.dialog = dialog
        dialog.open()
        return dialog

    def start(self, setup: BatchSetup) -> JobInfo:
        """Queue ``setup`` as one job; its items appear under its row in the Jobs panel."""
        from ..app.batch_job import BatchBoard, setup_work

        w = self.window
        board = BatchBoard()
        work = setup_work(w.context, setup, board)
        where = "Ray" if setup.cluster is not None else "this computer"
        title = f"Batch → {setup.output_dir.name or setup.output_dir} ({where})"
        info = w.runner.queue.submit(title, work, setup.settings, setup.output_dir)
        self.boards[info.job_id] = board
        w.runner.start_pending()
        w.user_settings = w.user_settings.with_changes(last_export_folder=str(setup.output_dir.parent))
        return info

    def send_video_export(self, request: VideoExportRequest, track: KeyframeTrack | None) -> JobInfo:
        """Queue the window's video export on the Ray cluster of the settings."""
        from ..app.batch import BatchItem
        from ..app.batch_job import BatchBoard, cluster_export_work
        from ..app.job_specs import video_spec

        w = self.window
        spec = video_spec(request, track).to_dict()
        output = request.output
        item = BatchItem(output.name, "video", request.target, request.sources, output, spec)
        board = BatchBoard()
        work = cluster_export_work(w.context, item, w.user_settings.cluster_address, board, request.overwrite)
        info = w.runner.queue.submit(f"Export {output.name} (Ray)", work, request.settings, output)
        self.boards[info.job_id] = board
        w.runner.start_pending()
        w.user_settings = w.user_settings.with_changes(last_export_folder=str(output.parent))
        return info

    def open_cluster_settings(self) -> ClusterDialog:
        """Tools > Ray cluster…: the address, saved with the user settings when the dialog is saved."""
        from .batch_dialog import ClusterDialog

        dialog = ClusterDialog(self.window.user_settings.cluster_address, self.window)
        dialog.accepted.connect(lambda: self.set_cluster_address(dialog.value()))
        dialog.finished.connect(dialog.deleteLater)
        dialog.open()
        return dialog

    def set_cluster_address(self, address: str) -> None:
        w = self.window
        w.user_settings = w.user_settings.with_changes(cluster_address=address.strip())
        try:
            w.store.save(w.user_settings)
        except OSError as error:
            w.show_error(f"Could not save the settings: {error}")
        if self.dialog is not None and self.dialog.isVisible():
            self.dialog.set_cluster_address(address.strip())

    # -- the jobs panel ------------------------------------------------------------------------------
    def _details_for(self, job_id: int) -> QWidget | None:
        board = self.boards.get(job_id)
        return BatchItemsTable(board) if board is not None else None

    def _on_job_finished(self, info: JobInfo) -> None:
        board = self.boards.get(info.job_id)
        if board is None:
            return
        counts: Counter[str] = board.counts()
        if info.state is JobState.DONE:
            text = ", ".join(f"{counts[s]} {s}" for s in ("done", "skipped", "failed") if counts[s])
            level = "warning" if counts["failed"] else "success"
            self.window.show_error(f"Batch finished: {text or 'nothing to do'} in {info.output}", level)
        elif info.state is JobState.FAILED:
            self.window.show_error(f"Batch failed: {info.error}")
