"""'Maximise likeness' in the GUI: the settings search on the preview worker, with progress and cancel.

:class:`LikenessController` runs :meth:`PreviewEngine.maximize_likeness` on the analysis executor (the
preview engine's own thread, so its cached analyses are reused) and reports each swap with a queued
signal. :class:`LikenessUi` is the window's part: the action and its button, a progress strip in the
status bar with Cancel, the blend and engine panels locked while the search runs, and the winning
settings applied as one undoable step with the score before and after.
"""

from __future__ import annotations

import itertools
import threading
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QHBoxLayout, QLabel, QProgressBar, QPushButton, QToolButton, QWidget

from ..app.preview import LikenessOutcome, PreviewEngine, PreviewRequest
from ..core.errors import Cancelled
from ..core.likeness import Evaluation
from ..core.settings import SETTING_SPECS
from .export_flow import missing_for_swap
from .icons import icon
from .workers import SerialExecutor

if TYPE_CHECKING:
    from .main_window import MainWindow

ICON = "mdi6.auto-fix"
RESULT_TOAST_MS = 12_000
"""The result stays up longer than other notices: it is the before/after report."""


class LikenessController(QObject):
    """Runs one search at a time; signals come on the GUI thread, tagged with the run's id."""

    started = Signal(int)  # run id
    progressed = Signal(int, int, int, float)  # run id, swaps done, swaps planned, best cosine so far
    finished = Signal(int, object)  # run id, LikenessOutcome
    failed = Signal(int, object)  # run id, the exception (Cancelled when cancelled)

    def __init__(self, engine: PreviewEngine, executor: SerialExecutor, parent: QObject | None = None):
        super().__init__(parent)
        self.engine, self.executor = engine, executor
        self._ids = itertools.count(1)
        self.run_id = 0
        self._cancel = threading.Event()
        self.running = False

    def start(self, request: PreviewRequest) -> int:
        """Queue a search for ``request`` (refused while one runs: returns 0)."""
        if self.running:
            return 0
        self.run_id = run_id = next(self._ids)
        self.running = True
        cancel = self._cancel = threading.Event()

        def report(done: int, planned: int, best: Evaluation) -> None:  # worker thread
            if cancel.is_set():
                raise Cancelled("likeness search cancelled")
            self.progressed.emit(run_id, done, planned, best.cosine)

        def work() -> LikenessOutcome:  # worker thread
            if cancel.is_set():
                raise Cancelled("likeness search cancelled")
            return self.engine.maximize_likeness(request, on_evaluation=report)

        self.started.emit(run_id)
        self.executor.submit(
            work, lambda outcome: self._done(run_id, outcome), lambda error: self._fail(run_id, error)
        )
        return run_id

    def cancel(self) -> None:
        """Stop after the swap in progress (the settings stay as they are)."""
        self._cancel.set()

    def _done(self, run_id: int, outcome: LikenessOutcome) -> None:
        self.running = False
        self.finished.emit(run_id, outcome)

    def _fail(self, run_id: int, error: Exception) -> None:
        self.running = False
        self.failed.emit(run_id, error)


def describe_changes(outcome: LikenessOutcome) -> str:
    """ "Face shape 100 → 70, Mask feather 5 → 8" (labels from the setting specs)."""
    parts = []
    for name, (before, after) in outcome.changed.items():
        spec = SETTING_SPECS.get(name)
        parts.append(f"{spec.label if spec else name} {before} → {after}")
    return ", ".join(parts)


class LikenessUi(QObject):
    """The window's "Maximise likeness" action, progress strip and result reporting."""

    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.window = window
        self.controller = LikenessController(window.engine, window.analysis, self)
        self.action = QAction(icon(ICON), "&Maximise likeness", window)
        self.action.setProperty("iconName", ICON)
        self.action.setShortcut(QKeySequence("Ctrl+L"))
        tip = (
            "Try blend settings that make the face look more like the source while its edges stay "
            "invisible; the best are applied as one undoable step (Ctrl+L)"
        )
        self.action.setToolTip(tip)
        self.action.setStatusTip(tip)
        self.action.triggered.connect(self.start)
        self.button = QToolButton()
        self.button.setObjectName("LikenessButton")
        self.button.setDefaultAction(self.action)
        self.button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.progress_label = QLabel("")
        self.progress_bar = QProgressBar()
        self.progress_bar.setFixedWidth(140)
        self.progress_bar.setTextVisible(False)
        self.cancel_button = QPushButton(icon("mdi6.close"), "Cancel")
        self.cancel_button.setToolTip("Stop the search; the settings stay as they are")
        self.strip = QWidget()
        self.strip.setObjectName("LikenessProgress")
        row = QHBoxLayout(self.strip)
        row.setContentsMargins(0, 0, 8, 0)
        row.addWidget(self.progress_label)
        row.addWidget(self.progress_bar)
        row.addWidget(self.cancel_button)
        self.strip.hide()
        window.statusBar().addPermanentWidget(self.strip)
        self.cancel_button.clicked.connect(self.cancel)
        self.controller.progressed.connect(self._on_progress)
        self.controller.finished.connect(self._on_finished)
        self.controller.failed.connect(self._on_failed)
        self.last_outcome: LikenessOutcome | None = None

    # -- commands ------------------------------------------------------------------------------------
    def start(self) -> None:
        """Search from the current settings (photo targets only)."""
        window = self.window
        if self.controller.running:
            return
        if window.video.active:
            window.show_error("Maximise likeness works on a target photo, not a video.", "warning")
            return
        request = window.session.preview_request()
        if request is None:
            window.show_error(missing_for_swap(window.session) or "Nothing to search yet.", "warning")
            return
        if request.judge is None:
            window.show_error("Maximise likeness needs an identity judge: pick one in Settings.", "warning")
            return
        self.last_outcome = None
        self.controller.start(request)
        self._set_running(True)
        self.progress_label.setText("Maximising likeness… starting")
        self.progress_bar.setRange(0, 0)

    def cancel(self) -> None:
        if self.controller.running:
            self.cancel_button.setEnabled(False)
            self.progress_label.setText("Maximising likeness… cancelling")
            self.controller.cancel()

    # -- controller events ---------------------------------------------------------------------------
    def _on_progress(self, run_id: int, done: int, planned: int, best_cosine: float) -> None:
        if run_id != self.controller.run_id:
            return
        self.progress_bar.setRange(0, planned)
        self.progress_bar.setValue(done)
        if self.cancel_button.isEnabled():
            self.progress_label.setText(
                f"Maximising likeness… swap {done} of up to {planned} · best cosine {best_cosine:.3f}"
            )

    def _on_finished(self, run_id: int, outcome: LikenessOutcome) -> None:
        if run_id != self.controller.run_id:
            return
        self._set_running(False)
        self.last_outcome = outcome
        window, search = self.window, outcome.search
        swaps = len(search.evaluations)
        if window.session.preview_request() != outcome.request:
            window.show_error(
                "The photos or settings changed during the search; its settings were not applied.", "warning"
            )
            return
        scores = (
            f"{outcome.start_percent:.0f}% → {outcome.best_percent:.0f}% "
            f"(cosine {search.start.cosine:.3f} → {search.best.cosine:.3f}, {outcome.judge}, {swaps} swaps)"
        )
        if not outcome.worthwhile:
            near = " (the best differed by less than the judge's noise)" if outcome.changed else ""
            window.show_error(
                f"No gain found{near}; your settings are unchanged: {outcome.start_percent:.0f}% "
                f"(cosine {search.start.cosine:.3f}, {outcome.judge}, {swaps} swaps).",
                "info",
                RESULT_TOAST_MS,
            )
            return
        window.settings_panel.apply(search.best.settings, "Maximise likeness")
        why = (
            "Your settings showed a visible edge; these do not. "
            if outcome.realism_fix
            else "The judge that scored is the one the search optimised, so an independent judge would "
            "show less gain. "
        )
        window.show_error(
            f"Likeness {scores}. Changed: {describe_changes(outcome)} (Ctrl+Z undoes it). {why}",
            "success",
            RESULT_TOAST_MS,
        )

    def _on_failed(self, run_id: int, error: Exception) -> None:
        if run_id != self.controller.run_id:
            return
        self._set_running(False)
        if isinstance(error, Cancelled):
            self.window.show_error("Maximise likeness cancelled; the settings are unchanged.", "warning")
        else:
            self.window.show_error(f"Maximise likeness failed: {error}")

    def _set_running(self, running: bool) -> None:
        """Lock what the search would overwrite (blend, engine, sources) and show the progress strip."""
        window = self.window
        self.action.setEnabled(not running)
        self.cancel_button.setEnabled(running)
        self.strip.setVisible(running)
        for widget in (window.settings_panel, window.engine_panel):
            widget.setEnabled(not running)
        for name in ("undo", "redo", "reset"):
            window.actions_by_name[name].setEnabled(not running)
        if not running:  # the undo actions follow the stack again
            window.actions_by_name["undo"].setEnabled(window.undo_stack.canUndo())
            window.actions_by_name["redo"].setEnabled(window.undo_stack.canRedo())
        window.preview_panel.set_busy(running or window.controller.running)

    def shutdown(self) -> None:
        """Ask a running search to stop so that the window's shutdown does not wait for all of it."""
        self.controller.cancel()
