"""The main window: wires the session model, the preview controller, the job runner and the panels."""

from __future__ import annotations

import logging
from pathlib import Path

from PySide6.QtCore import QByteArray, Qt
from PySide6.QtGui import QCloseEvent, QImage, QUndoStack
from PySide6.QtWidgets import (
    QApplication,
    QDockWidget,
    QFileDialog,
    QLabel,
    QMainWindow,
    QMessageBox,
    QScrollArea,
    QToolBar,
    QWidget,
)

from ..app.context import DEFAULT_JUDGE, AppContext
from ..app.export import folder_write_problem, photo_export_job
from ..app.isolated_judge import IsolatedJudges, PipelineFactory, isolated_pipeline_factory
from ..app.job_specs import photo_spec
from ..app.job_store import JobStore
from ..app.jobs import JobInfo, JobQueue, JobState
from ..app.photo import PhotoSwapRequest
from ..app.preview import PreviewEngine, PreviewResult
from ..app.user_settings import UserSettings, UserSettingsStore
from ..core.errors import FaceswapError
from ..core.identity import DLIB_CALIBRATION
from ..core.mesh.mesh_engine import warm_up as warm_up_mesh_engine
from ..core.roles import RecognizerSource
from .actions import install_actions, refresh_icons
from .batch_ui import BatchUi
from .cache_ui import CacheUi
from .drops import IMAGE_FILTER, TARGET_FILTER
from .engine_panel import EnginePanel, settings_column
from .export_flow import confirm_folder, default_export_path, missing_for_swap, remember_folder
from .gauge import SimilarityPanel
from .jobs_panel import JobQueuePanel
from .layout import apply_default_sizes, configure_docks
from .layout import reset_layout as reset_dock_layout
from .likeness import LikenessUi
from .live_workspace import LiveWorkspace
from .model_manager import ModelManagerDialog, install_models_entry
from .preview_panel import PreviewPanel
from .session import SessionModel
from .settings_panel import BlendSettingsPanel
from .source_panel import SourcePanel
from .target_panel import TargetPanel
from .theme import apply_theme
from .toast import ToastWidget
from .video_panel import VideoWorkspace
from .workers import JobRunner, PreviewController, SerialExecutor

log = logging.getLogger(__name__)


class MainWindow(QMainWindow):
    """The photo workflow window. ``isolate_judge`` runs the identity judge in a helper process;
    ``job_store`` (opened) saves the export queue so it survives a crash."""

    def __init__(
        self,
        context: AppContext,
        store: UserSettingsStore,
        user_settings: UserSettings | None = None,
        isolate_judge: bool = False,
        job_store: JobStore | None = None,
    ) -> None:
        super().__init__()
        self.setObjectName("MainWindow")
        self.setWindowTitle("faceswap-desktop")
        self.context, self.store = context, store
        self.user_settings = user_settings or store.load()
        # Every identity embedding of the window (scores, the timeline's person checks, the exports'
        # trackers) comes from ``self.recognizers``. The judges are ONNX models now: ONNX Runtime releases
        # the GIL and its sessions are thread-safe, so they run in this process (measured: a 5 ms timer
        # on the GUI thread stalls no more than with the judge in a helper process). dlib's bindings in
        # this process crashed or hung the app during video exports (issue #17); ``isolate_judge`` still
        # runs each judge in a child process, for a judge with native code of that kind.
        self.judges = IsolatedJudges({DEFAULT_JUDGE: DLIB_CALIBRATION.model})
        self.build_pipeline: PipelineFactory = (
            isolated_pipeline_factory(context, self.judges) if isolate_judge else context.build_pipeline
        )
        self.recognizers: RecognizerSource = self.judges.recognizer if isolate_judge else context.recognizer
        self.analysis = SerialExecutor("analysis", self)
        # Frame first, score after (two phases): the frame is on screen before the judge's embedding.
        self.engine = PreviewEngine(context, self.build_pipeline, defer_score=True)
        self.session = SessionModel(
            self.engine,
            self.analysis,
            self.user_settings.blend_settings(),
            self,
            components=self.user_settings.component_choice(),
            warm_pipeline=True,
        )
        self.controller = PreviewController(self.engine, self.analysis, self)
        self.job_store = job_store
        self.runner = JobRunner(JobQueue(recorder=job_store), self)
        self.undo_stack = QUndoStack(self)
        self.last_result: PreviewResult | None = None
        self.model_manager: ModelManagerDialog | None = None
        self._closed = False
        self._build_panels()
        self.actions_by_name = install_actions(self)
        self.actions_by_name["models"] = install_models_entry(self, self.open_model_manager)
        self.likeness = LikenessUi(self)
        self._install_likeness()
        self._build_status_bar()
        self._connect()
        self.batch = BatchUi(self)  # File > Batch…, Tools > Ray cluster…, the batches' item lists
        self.cache = CacheUi(self)  # Tools > Clear cached faces…
        self.video = VideoWorkspace(self)
        self.live = LiveWorkspace(self)
        self._restore_geometry()
        # The mesh engine's first-use work (OpenCV's LAB tables, cached operators: ~180 ms on 2 cores)
        # would otherwise land on the first preview; the user is still choosing photos now.
        self.analysis.submit(warm_up_mesh_engine, lambda _v: None, lambda _e: None)

    # -- construction --------------------------------------------------------------------------------
    def _build_panels(self) -> None:
        self.preview_panel = PreviewPanel(self)
        self.preview = self.preview_panel.view
        self.setCentralWidget(self.preview_panel)
        self.source_panel = SourcePanel(self.session)
        self.target_panel = TargetPanel(self.session)
        self.similarity_panel = SimilarityPanel()
        self.settings_panel = BlendSettingsPanel(self.session, self.undo_stack, self.store)
        self.engine_panel = EnginePanel(self.session, self.context)
        self.jobs_panel = JobQueuePanel(self.runner)
        self.docks: list[QDockWidget] = []
        area = Qt.DockWidgetArea
        for title, widget, where in (
            ("Source", self.source_panel, area.LeftDockWidgetArea),
            ("Target", self.target_panel, area.LeftDockWidgetArea),
            ("Similarity", self.similarity_panel, area.RightDockWidgetArea),
            ("Settings", settings_column(self.engine_panel, self.settings_panel), area.RightDockWidgetArea),
            ("Jobs", self.jobs_panel, area.BottomDockWidgetArea),
        ):
            dock = QDockWidget(title, self)
            dock.setObjectName(f"{title.replace(' ', '')}Dock")
            dock.setWidget(scrollable(widget) if widget is not self.jobs_panel else widget)
            dock.setFeatures(
                QDockWidget.DockWidgetFeature.DockWidgetMovable
                | QDockWidget.DockWidgetFeature.DockWidgetClosable
            )
            self.addDockWidget(where, dock)
            self.docks.append(dock)
        configure_docks(self)
        # Over the picture, not over the video timeline under it.
        self.toast = ToastWidget(self.preview_panel, anchor=self.preview)

    def _install_likeness(self) -> None:
        """The Maximise likeness action: Edit menu, toolbar (before Export) and beside Reset."""
        action = self.actions_by_name["likeness"] = self.likeness.action
        for entry in self.menuBar().actions():
            if entry.text() == "&Edit" and entry.menu() is not None:
                entry.menu().addSeparator()
                entry.menu().addAction(action)
        toolbar = self.findChild(QToolBar, "MainToolBar")
        if toolbar is not None:
            toolbar.insertAction(self.actions_by_name["export"], action)
            toolbar.insertSeparator(self.actions_by_name["export"])
        self.settings_panel.button_row.insertWidget(1, self.likeness.button)

    def _build_status_bar(self) -> None:
        self.status_label = QLabel("Add a source photo and a target photo to start.")
        self.zoom_label = QLabel("Fit")
        self.statusBar().addWidget(self.status_label, 1)
        self.statusBar().addPermanentWidget(self.zoom_label)

    def _connect(self) -> None:
        s = self.session
        s.preview_request_changed.connect(self.controller.request)
        s.target_changed.connect(self._on_target_changed)
        s.selection_changed.connect(lambda: self.preview.set_selected(s.selection))
        s.error_raised.connect(self.show_error)
        s.loading_changed.connect(self._on_loading_changed)
        self.controller.preview_ready.connect(self._on_preview_ready)
        self.controller.scores_ready.connect(self._on_scores_ready)
        self.controller.preview_failed.connect(self.on_preview_failed)
        self.engine_panel.open_models_requested.connect(self.open_model_manager)
        self.controller.busy_changed.connect(self._on_loading_changed)
        self.runner.job_finished.connect(self._on_job_finished)
        self.settings_panel.error_raised.connect(self.show_error)
        self.source_panel.open_requested.connect(self.open_sources)
        self.target_panel.open_requested.connect(self.open_target)
        self.preview.files_dropped.connect(lambda paths: s.set_target(paths[0]))
        self.preview.zoom_changed.connect(lambda scale: self.zoom_label.setText(f"Zoom {scale * 100:.0f}%"))
        self.preview_panel.mode_changed.connect(self._on_mode_changed)
        self.preview.face_clicked.connect(self._on_face_clicked)

    def _restore_geometry(self) -> None:
        self.resize(1440, 900)
        apply_default_sizes(self)
        if self.user_settings.window_geometry:
            self.restoreGeometry(QByteArray.fromBase64(self.user_settings.window_geometry.encode()))
        if self.user_settings.window_state:
            self.restoreState(QByteArray.fromBase64(self.user_settings.window_state.encode()))

    # -- commands ------------------------------------------------------------------------------------
    def open_sources(self) -> None:
        files, _ = QFileDialog.getOpenFileNames(
            self, "Add source photos", self.user_settings.last_folder, IMAGE_FILTER
        )
        if files:
            self.user_settings = self.user_settings.with_changes(last_folder=str(Path(files[0]).parent))
            self.session.add_sources([Path(f) for f in files])

    def open_target(self) -> None:
        file, _ = QFileDialog.getOpenFileName(
            self, "Open target photo or video", self.user_settings.last_folder, TARGET_FILTER
        )
        if file:
            self.user_settings = self.user_settings.with_changes(last_folder=str(Path(file).parent))
            self.session.set_target(Path(file))

    def ask_output_path(self, default: Path) -> Path | None:
        """Ask where to export; our own overwrite question follows, so the dialog does not ask."""
        file, _ = QFileDialog.getSaveFileName(
            self,
            "Export swapped photo",
            str(default),
            "PNG (*.png);;JPEG (*.jpg *.jpeg);;WebP (*.webp)",
            options=QFileDialog.Option.DontConfirmOverwrite,
        )
        return Path(file) if file else None

    def confirm(self, title: str, question: str) -> bool:
        answer = QMessageBox.question(self, title, question)
        return answer == QMessageBox.StandardButton.Yes

    def export(self) -> None:
        """Ask for an output path (default ``<target>_swapped.png``) and queue an export job."""
        if self.video.active:
            self.video.export()
            return
        missing = missing_for_swap(self.session)
        if missing:
            self.show_error(missing, "warning")
            return
        output = self.ask_output_path(default_export_path(self))
        if output is not None and confirm_folder(self, output):
            self.queue_export(output)

    def queue_export(self, output: Path, overwrite: bool | None = None) -> JobInfo | None:
        """Queue an export of the current state (its settings snapshot is taken now)."""
        if output.exists() and overwrite is None:
            overwrite = self.confirm("Replace file?", f"{output.name} already exists. Replace it?")
            if not overwrite:
                return None
        request_state = self.session.preview_request()
        if request_state is None:
            return None
        problem = folder_write_problem(output.parent)
        if problem:
            self.show_error(f"Cannot export there: {problem}. Choose another folder.")
            return None
        request = PhotoSwapRequest(
            sources=request_state.sources,
            target=request_state.target,
            output=output,
            settings=request_state.settings,
            selection=request_state.selection,
            overwrite=bool(overwrite),
            **self.session.components.request_fields(),
            watermark=self.actions_by_name["watermark"].isChecked(),
        )
        try:
            work = photo_export_job(self.context, request, self.build_pipeline)
        except FaceswapError as error:
            self.show_error(str(error))
            return None
        info = self.runner.queue.submit(
            f"Export {output.name}", work, request.settings, output, spec=photo_spec(request)
        )
        self.runner.start_pending()
        remember_folder(self, output)
        return info

    def open_model_manager(self, model_id: str = "") -> None:
        """Show the model manager (created on first use), with ``model_id``'s row selected."""
        if self.model_manager is None:
            self.model_manager = ModelManagerDialog(self.context.models.store, self)  # type: ignore[attr-defined]
            self.model_manager.notified.connect(self.show_error)
            self.model_manager.model_installed.connect(lambda _m: self._emit_preview_request())
        self.model_manager.show_model(model_id if isinstance(model_id, str) else "")

    def reset_layout(self) -> None:
        """View > Reset layout: every panel back at its default place and size."""
        reset_dock_layout(self)

    def _emit_preview_request(self) -> None:
        self.controller.request(self.session.preview_request())

    def toggle_compare(self, checked: bool) -> None:
        self.preview_panel.set_mode("split" if checked else "after")

    def toggle_before(self, checked: bool) -> None:
        self.preview_panel.set_mode("before" if checked else "after")

    def set_theme(self, name: str) -> None:
        app = QApplication.instance()
        if isinstance(app, QApplication):
            apply_theme(app, name)
        self.user_settings = self.user_settings.with_changes(theme=name)
        refresh_icons(self.actions_by_name)
        self.update()

    def show_error(self, message: str, level: str = "error", timeout_ms: int = 6000) -> None:
        """A non-blocking notification; also logged and shown in the status bar."""
        log.warning("%s", message)
        self.toast.show_message(message, level, timeout_ms)
        self.status_label.setText(message)

    # -- events --------------------------------------------------------------------------------------
    def _on_target_changed(self) -> None:
        target = self.session.target
        self.last_result = None
        self.similarity_panel.set_faces([])
        self.preview.set_target(target.image if target else None, target.faces if target else ())
        self.preview.set_selected(self.session.selection)

    def _on_preview_ready(self, result: PreviewResult, frame: QImage) -> None:
        target = self.session.target
        if target is None or result.request.target != target.path:
            return
        self.last_result = result
        self.preview.set_result(frame)
        self._show_scores(result)
        self.engine_panel.clear_pipeline_error()

    def _on_scores_ready(self, result: PreviewResult) -> None:
        """The second phase: the faces of the frame on screen are scored (dropped when another
        preview, or none, is on screen by now)."""
        shown = self.last_result
        if shown is None or shown.generation != result.generation or shown.request != result.request:
            return
        self.last_result = result
        self._show_scores(result)

    def _show_scores(self, result: PreviewResult) -> None:
        """The gauges and the status line: the scores, or (before they are measured) that they are coming."""
        self.similarity_panel.show_result(result)
        text = f"Preview of {len(result.swapped)} face(s) in {result.elapsed_ms:.0f} ms"
        self.status_label.setText(text + (" · measuring likeness…" if result.score_pending else ""))

    def on_preview_failed(self, error: Exception) -> None:
        """A photo or video preview failed: a missing model gets the banner naming it."""
        if self.engine_panel.show_pipeline_error(error):
            model = self.engine_panel.missing_model
            hint = f"Model {model} is missing or damaged" if model else str(error)
            self.show_error(f"{hint}. Tools → Models… installs it.", "warning")
        else:
            self.show_error(str(error))

    def _on_loading_changed(self, _busy: bool) -> None:
        busy = self.session.loading or self.controller.running
        self.preview_panel.set_busy(busy)

    def _on_face_clicked(self, index: int) -> None:
        """A face clicked on the picture: in a video, that person is replaced; in a photo, the face is
        added to or taken from the faces swapped (one face always stays chosen)."""
        if self.video.active:
            self.video.choose_person(index)
            return
        chosen = set(self.session.selection) ^ {index}
        if chosen:
            self.session.set_selection(tuple(sorted(chosen)))

    def _on_mode_changed(self, mode: str) -> None:
        self.actions_by_name["compare"].setChecked(mode == "split")
        self.actions_by_name["before"].setChecked(mode == "before")

    def _on_job_finished(self, info: JobInfo) -> None:
        if info.state is JobState.DONE:
            self.show_error(f"Exported {info.output}", "success")
        elif info.state is JobState.FAILED:
            self.show_error(f"Export failed: {info.error}")

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802
        running = self.runner.queue.pending_count()
        if running and not self.confirm(
            "Quit?", f"{running} export job(s) are not finished. Cancel them and quit?"
        ):
            event.ignore()
            return
        self.shutdown()
        event.accept()

    def shutdown(self) -> None:
        """Cancel jobs, stop the workers and the judge process, and save the user settings (idempotent)."""
        if self._closed:
            return
        self._closed = True
        self.live.shutdown()
        self.video.shutdown()
        self.likeness.shutdown()
        self.controller.request(None)
        self.runner.shutdown()
        self.jobs_panel.shutdown()
        if self.job_store is not None:
            self.job_store.close()
        self.analysis.shutdown()
        self.cache.worker.shutdown()
        # The video session is closed here, not queued on the analysis thread: shutting that thread down
        # drops queued tasks when it was busy, and it is idle now.
        self.video.engine.close()
        if self.model_manager is not None:
            self.model_manager.shutdown()
        self.judges.close()
        self.user_settings = self.user_settings.with_changes(
            window_geometry=bytes(self.saveGeometry().toBase64().data()).decode(),
            window_state=bytes(self.saveState().toBase64().data()).decode(),
            swap_settings=self.session.settings.to_dict(),
            components=self.session.components.to_dict(),
        )
        try:
            self.store.save(self.user_settings)
        except OSError as error:
            log.warning("could not save user settings: %s", error)


def scrollable(widget: QWidget) -> QScrollArea:
    """Wrap a panel so a small window scrolls it instead of growing past the screen."""
    area = QScrollArea()
    area.setWidgetResizable(True)
    area.setFrameShape(QScrollArea.Shape.NoFrame)
    area.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
    area.setWidget(widget)
    area.setMinimumHeight(min(widget.minimumSizeHint().height(), 220))
    return area
