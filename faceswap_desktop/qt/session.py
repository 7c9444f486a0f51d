"""The photo session model: source photos, target photo, face choice and blend settings.

Views receive this model in their constructor and subscribe to its signals; drops and buttons only call
its methods. Files are decoded and analysed on the analysis executor, never on the GUI thread.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QImage

from ..app.components import ComponentChoice
from ..app.preview import PreviewEngine, PreviewRequest, face_crop, fit_thumbnail
from ..core.media.video_io import looks_like_video
from ..core.pipeline import FaceSelection
from ..core.settings import SwapSettings
from ..core.types import Face
from .images import bgr_to_qimage
from .workers import SerialExecutor

THUMB_SIDE = 96
CHIP_SIDE = 72


@dataclass(frozen=True)
class SourceItem:
    """A source photo as the views show it: a thumbnail of its face (or the photo when none was found)."""

    path: Path
    thumbnail: QImage
    has_face: bool


@dataclass(frozen=True)
class TargetItem:
    """The target photo with its faces (left to right) and one chip image per face."""

    path: Path
    image: QImage
    faces: tuple[Face, ...]
    chips: tuple[QImage, ...]


class SessionModel(QObject):
    """State of the photo workflow; emits a change signal for each part and a preview request."""

    sources_changed = Signal()
    target_changed = Signal()
    selection_changed = Signal()
    settings_changed = Signal(object)  # SwapSettings
    components_changed = Signal(object)  # ComponentChoice
    loading_changed = Signal(bool)
    error_raised = Signal(str)
    preview_request_changed = Signal(object)  # PreviewRequest | None
    video_requested = Signal(object)  # Path of a video chosen as the target

    def __init__(
        self,
        engine: PreviewEngine,
        executor: SerialExecutor,
        settings: SwapSettings | None = None,
        parent: QObject | None = None,
        components: ComponentChoice | None = None,
        warm_pipeline: bool = False,
    ) -> None:
        """``warm_pipeline``: build the preview pipeline (load the judge's model, or start its helper
        process) as soon as a source photo with a face is in, before the target is chosen."""
        super().__init__(parent)
        self.engine, self.executor = engine, executor
        self._warm_pipeline = warm_pipeline
        self.sources: list[SourceItem] = []
        self.target: TargetItem | None = None
        self.selection: tuple[int, ...] = (0,)
        self.settings = settings or SwapSettings()
        self.components = components or ComponentChoice()
        self._loading = 0

    # -- sources -------------------------------------------------------------------------------------
    def add_sources(self, paths: list[Path]) -> None:
        """Analyse each photo in the background and append it (duplicates are ignored)."""
        known = {item.path for item in self.sources}
        for path in paths:
            if path not in known:
                known.add(path)
                self._run(lambda p=path: self._load_source(p), self._on_source_loaded)

    def _load_source(self, path: Path) -> SourceItem:
        analysis = self.engine.analyse_source(path)
        if analysis.face is None:
            return SourceItem(path, bgr_to_qimage(fit_thumbnail(analysis.image, THUMB_SIDE)), False)
        return SourceItem(path, bgr_to_qimage(face_crop(analysis.image, analysis.face, THUMB_SIDE)), True)

    def _on_source_loaded(self, item: SourceItem) -> None:
        if any(existing.path == item.path for existing in self.sources):
            return
        self.sources.append(item)
        if not item.has_face:
            self.error_raised.emit(f"No face found in {item.path.name}; it is not used for the identity.")
        elif self.target is None and self._warm_pipeline:
            # The first preview would otherwise start the judge's process (~1.1 s of it); the user is
            # still choosing the target now. Queued on the analysis thread, after the loads in flight.
            warm = PreviewRequest((item.path,), item.path, self.settings, **self.components.request_fields())
            self.executor.submit(lambda: self.engine.warm_pipeline(warm), lambda _v: None, lambda _e: None)
        self.sources_changed.emit()
        self._emit_request()

    def remove_source(self, index: int) -> None:
        del self.sources[index]
        self.sources_changed.emit()
        self._emit_request()

    def move_source(self, index: int, new_index: int) -> None:
        item = self.sources.pop(index)
        self.sources.insert(max(0, min(new_index, len(self.sources))), item)
        self.sources_changed.emit()
        self._emit_request()

    # -- target --------------------------------------------------------------------------------------
    def set_target(self, path: Path) -> None:
        """Analyse the target photo in the background; it replaces the current target when ready.

        A video (recognised by its content) is handed on with ``video_requested`` instead."""
        if looks_like_video(path):
            self.video_requested.emit(path)
            return
        self._run(lambda: self._load_target(path), self._on_target_loaded)

    def clear_target(self) -> None:
        """Forget the target photo (a video took its place)."""
        if self.target is not None:
            self.target, self.selection = None, ()
            self.target_changed.emit()
            self.selection_changed.emit()
            self._emit_request()

    def _load_target(self, path: Path) -> TargetItem:
        analysis = self.engine.analyse_target(path)
        chips = tuple(bgr_to_qimage(face_crop(analysis.image, face, CHIP_SIDE)) for face in analysis.faces)
        return TargetItem(path, bgr_to_qimage(analysis.image), analysis.faces, chips)

    def _on_target_loaded(self, item: TargetItem) -> None:
        self.target = item
        self.selection = (0,) if item.faces else ()
        if not item.faces:
            self.error_raised.emit(f"No face found in the target {item.path.name}.")
        self.target_changed.emit()
        self.selection_changed.emit()
        self._emit_request()

    def set_selection(self, indices: tuple[int, ...]) -> None:
        """Which target faces to swap (left-to-right indices)."""
        count = len(self.target.faces) if self.target else 0
        clean = tuple(sorted({i for i in indices if 0 <= i < count}))
        if clean != self.selection:
            self.selection = clean
            self.selection_changed.emit()
            self._emit_request()

    # -- settings ------------------------------------------------------------------------------------
    def set_settings(self, settings: SwapSettings) -> None:
        if settings != self.settings:
            self.settings = settings
            self.settings_changed.emit(settings)
            self._emit_request()

    def set_components(self, components: ComponentChoice) -> None:
        """Change the engine/component choice; the next preview is built with it (on the worker)."""
        if components != self.components:
            self.components = components
            self.components_changed.emit(components)
            self._emit_request()

    # -- derived -------------------------------------------------------------------------------------
    @property
    def usable_sources(self) -> tuple[Path, ...]:
        return tuple(item.path for item in self.sources if item.has_face)

    def preview_request(self) -> PreviewRequest | None:
        """The request the current state asks for, or None when something is missing."""
        if not self.usable_sources or self.target is None or not self.target.faces or not self.selection:
            return None
        return PreviewRequest(
            self.usable_sources,
            self.target.path,
            self.settings,
            self.face_selection(),
            **self.components.request_fields(),
        )

    def face_selection(self) -> FaceSelection:
        return FaceSelection(indices=self.selection or (0,))

    @property
    def loading(self) -> bool:
        return self._loading > 0

    def _emit_request(self) -> None:
        self.preview_request_changed.emit(self.preview_request())

    def _run(self, function, on_success) -> None:  # type: ignore[no-untyped-def]
        self._loading += 1
        self.loading_changed.emit(True)

        def success(value: object) -> None:
            self._finish_loading()
            on_success(value)

        def failure(error: Exception) -> None:
            self._finish_loading()
            self.error_raised.emit(str(error))

        self.executor.submit(function, success, failure)

    def _finish_loading(self) -> None:
        self._loading -= 1
        if self._loading == 0:
            self.loading_changed.emit(False)
