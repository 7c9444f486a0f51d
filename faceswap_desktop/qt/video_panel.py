"""The video workflow of the main window: a video target, the timeline, live frames and video exports.

:class:`VideoWorkspace` is the glue between the photo session (source photos, blend settings), the
:class:`TimelineModel` and its widget, the latest-wins frame preview (a
:class:`VideoPreviewController` driving a :class:`VideoPreviewEngine` on the analysis thread: each frame
is shown with the likeliest face swapped, then corrected if its identity check says otherwise), the
thumbnail loader and the job runner. The GUI thread never decodes, seeks, swaps, embeds or encodes.
"""

from __future__ import annotations

import dataclasses
import logging
import queue
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QEvent, QObject, Qt, Signal
from PySide6.QtGui import QImage, QKeyEvent
from PySide6.QtWidgets import QDialog

from ..app.cast import Cast, member_at
from ..app.export import default_export_folder
from ..app.job_specs import video_spec
from ..app.jobs import JobInfo
from ..app.video import VideoExportRequest
from ..app.video_jobs import video_export_work
from ..app.video_report import FrameRecord
from ..app.video_session import ReferenceChoice, tracker_embedder
from ..core.errors import FaceswapError
from ..core.media.video_io import VideoInfo
from .cast_loader import CastLoader
from .cast_strip import NEW_PHOTOS, NOBODY, CastStrip
from .export_flow import confirm_folder, pictures_folder, remember_folder
from .people_map_panel import MorePeoplePanel, merged_ranges
from .timeline import TimelineWidget
from .timeline_model import NOT_MEASURED, TimelineModel
from .video_export_dialog import VideoExportChoice, VideoExportDialog
from .video_workers import (
    OpenedVideo,
    ThumbnailLoader,
    VideoFrameResult,
    VideoPreviewController,
    VideoPreviewEngine,
    VideoPreviewRequest,
)

if TYPE_CHECKING:
    from .main_window import MainWindow

log = logging.getLogger(__name__)

EXPORT_SCORE_EVERY = 3
"""Score every 3rd exported frame for the identity plot (the judge costs ~100 ms a face)."""


PERSON = "Person A"
"""The replaced person's name in the picture, the face chips and the gauge, the same in every frame."""


def person_labels(count: int, chosen: int | None, tags: tuple[str, ...] = ()) -> tuple[str, ...]:
    """Tags for a frame's faces: "A" on the replaced person, ``tags[i]`` (a further source: "S2") on
    the others."""
    return tuple("A" if i == chosen else (tags[i] if i < len(tags) else "") for i in range(count))


class VideoWorkspace(QObject):
    """Owns the timeline and the video preview; lives as long as the main window."""

    reference_changed = Signal()
    """The person to replace changed (:attr:`reference`)."""

    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.window = window
        self.session = window.session
        self.view = window.preview
        self.path: Path | None = None
        self.info: VideoInfo | None = None
        self.last_result: VideoFrameResult | None = None
        self.reference = ReferenceChoice()
        """The person to replace; the default is the cast's most present person (provisionally, until
        the cast is scanned, the largest face of the first frame with a face)."""
        self.cast: Cast | None = None
        """The open video's cast, once scanned in the background."""
        # The tracking judge and detector an export uses, so the GUI's scan and exports share one cache
        # entry (the judges are the window's: in-process, or isolated when asked).
        self.casts = CastLoader(
            lambda: tracker_embedder(window.recognizers, "auto", defer=True),
            lambda: window.context.detector("mediapipe"),
            self,
        )
        self.cast_strip = CastStrip()
        window.target_panel.add_video_widget(self.cast_strip)
        # Further source identities, each mapped to a cast member, under the source photos.
        self.more_people = MorePeoplePanel()
        self.more_people.setVisible(False)
        window.source_panel.layout().addWidget(self.more_people)
        self.model = TimelineModel(self)
        self.timeline = TimelineWidget(self.model)
        self.timeline.setVisible(False)
        window.preview_panel.layout().addWidget(self.timeline)
        self.engine = VideoPreviewEngine(
            window.context, window.build_pipeline, recognizers=window.recognizers
        )
        self.controller = VideoPreviewController(self.engine, window.analysis, self)
        self.thumbnails = ThumbnailLoader(self)
        self._records: queue.SimpleQueue[tuple[Path, FrameRecord]] = queue.SimpleQueue()
        self._opening: Path | None = None
        self._clicked: tuple[ReferenceChoice, tuple[float, float, float, float]] | None = None
        """The last face clicked as the person to replace, and its box (to find them in the cast)."""
        self._mapped: dict[int, str] = {}
        """Cast members replaced by further sources: ``{person: "S2"}``."""
        self._connect()

    def _connect(self) -> None:
        s, model = self.session, self.model
        s.video_requested.connect(self.open_video)
        s.target_changed.connect(self._on_photo_target_changed)
        s.sources_changed.connect(self.request_preview)
        s.sources_changed.connect(self._name_sources)
        s.settings_changed.connect(self._on_settings_changed)
        s.components_changed.connect(lambda _choice: self.request_preview())
        model.position_changed.connect(self._on_position_changed)
        model.playing_changed.connect(self._on_playing_changed)
        self.timeline.keyframe_requested.connect(self.set_keyframe)
        self.timeline.keyframe_removal_requested.connect(lambda: model.remove_keyframe())
        self.timeline.export_requested.connect(self.export)
        self.controller.preview_ready.connect(self._on_frame_ready)
        self.controller.identity_confirmed.connect(self._on_identity_confirmed)
        self.controller.preview_failed.connect(self.window.on_preview_failed)  # names a missing model
        self.controller.busy_changed.connect(self.window.preview_panel.set_busy)
        self.thumbnails.thumbnails_ready.connect(self._on_thumbnails_ready)
        self.window.runner.jobs_changed.connect(self._drain_records)
        self.window.target_panel.person_chosen.connect(self.choose_person)
        self.window.target_panel.person_reset.connect(self.reset_person)
        self.casts.cast_ready.connect(self._on_cast_ready)
        self.casts.cast_progress.connect(self._on_cast_progress)
        self.casts.cast_failed.connect(self._on_cast_failed)
        self.cast_strip.person_clicked.connect(self.choose_cast_person)
        self.cast_strip.source_assigned.connect(self.assign_source)
        self.more_people.changed.connect(self._on_mapping_changed)
        self.view.installEventFilter(self)
        self.view.setFocusPolicy(Qt.FocusPolicy.ClickFocus)  # so its keys can reach the timeline

    @property
    def active(self) -> bool:
        """True while a video is the target."""
        return self.path is not None

    # -- opening -------------------------------------------------------------------------------------
    def open_video(self, path: Path) -> None:
        """Open ``path`` on the analysis thread; the timeline appears when it is indexed."""
        self._opening = path
        self.window.preview_panel.set_busy(True)
        self.window.analysis.submit(lambda: self.engine.open(path), self._on_opened, self._on_open_failed)

    def _on_opened(self, opened: OpenedVideo) -> None:
        if opened.path != self._opening:
            return
        self._opening = None
        self.session.clear_target()  # after this, photo previews no longer apply
        self.path, self.info, self.last_result = opened.path, opened.info, None
        self.reference, self.cast = ReferenceChoice(), None
        self.model.set_video(opened.times, opened.info.duration, self.session.settings)
        self.cast_strip.set_scanning(0, 0)
        self.more_people.reset()  # another video, another cast
        self.more_people.setVisible(True)
        self.window.source_panel.set_compact(True)  # room for the "More people" rows under the photos
        self.casts.load(opened.path)
        if opened.info.partial:  # say so now, not only when an export is refused
            self.window.show_error(opened.info.partial_message(), "warning")
        self.view.set_target(opened.first_frame)
        self.view.placeholder = "Drop a target photo or video here"
        self.timeline.setVisible(True)
        self.timeline.track.setFocus()
        self.thumbnails.load(opened.path)
        self.window.target_panel.name_label.setText(
            f"{opened.path.name} · video · {opened.info.width}×{opened.info.height} · "
            f"{opened.info.frame_count} frames"
        )
        self.window.status_label.setText(
            f"Opened {opened.path.name}: {opened.info.frame_count} frames at {float(opened.info.fps):.2f} fps"
        )
        self.request_preview()

    def _on_open_failed(self, error: Exception) -> None:
        self._opening = None
        self.window.preview_panel.set_busy(False)
        self.window.show_error(f"Could not open the video: {error}")

    def _on_photo_target_changed(self) -> None:
        if self.session.target is not None and self.active:
            self.close_video()

    def close_video(self) -> None:
        """Back to the photo workflow."""
        self.model.set_playing(False)
        self.controller.request(None)
        self.path, self.info, self.last_result = None, None, None
        self.reference, self.cast = ReferenceChoice(), None
        self.casts.cancel()
        self.more_people.reset()
        self.more_people.setVisible(False)
        self.window.source_panel.set_compact(False)
        self.timeline.setVisible(False)
        self.window.target_panel.hide_video_faces()
        self.window.analysis.submit(self.engine.close, lambda _v: None, lambda _e: None)

    # -- preview -------------------------------------------------------------------------------------
    def preview_request(self) -> VideoPreviewRequest | None:
        if self.path is None:
            return None
        components = self.session.components
        return VideoPreviewRequest(
            self.path,
            self.model.position,
            self.session.usable_sources,
            self.session.settings,
            self.reference,
            engine=components.engine,
            judge=components.judge,
            provider=components.provider,
            export_start=self.model.in_point,
            cast=self.cast,
            more_people=self.more_people.mappings(),
        )

    def request_preview(self) -> None:
        """Ask for the frame at the playhead; newer requests replace older ones (latest wins)."""
        if self.active:
            self.controller.request(self.preview_request())

    def _on_position_changed(self, frame: int) -> None:
        if self.model.track:  # keyframed: the sliders follow the interpolated settings
            self.session.set_settings(self.model.track.settings_at(frame))
        self.request_preview()

    def _on_settings_changed(self, settings: object) -> None:
        if not self.model.track:
            self.model.set_base(self.session.settings)
        self.request_preview()

    def _on_frame_ready(self, result: VideoFrameResult, frame: QImage) -> None:
        if result.request.path != self.path:
            return
        if result.correction and result.request.index != self.model.position:
            return  # the identity check of a frame the user has already left
        self.last_result = result
        self.window.engine_panel.clear_pipeline_error()
        self.view.before, self.view.after = result.original, frame
        self.view.faces = result.faces
        # The replaced person keeps one name from frame to frame; the others' numbers would change.
        # People replaced by further sources carry their source's name (the cast places them).
        tags = self._source_tags(result)
        self.view.labels = person_labels(len(result.faces), result.chosen, tags)
        self.view.set_selected(() if result.chosen is None else (result.chosen,))
        self.window.target_panel.show_video_faces(
            result.chips,
            result.chosen,
            result.request.index,
            result.reference_frame,
            automatic=result.request.reference == ReferenceChoice(),
            person=self.chosen_person(),
            provisional=result.request.cast is None,
            tags=tuple(f"{tag} (person {n})" if tag else "" for tag, n in zip(tags, numbers, strict=True))
            if (numbers := self._face_members(result))
            else (),
        )
        self._show_gauge(result)
        if not result.needs_confirmation:  # the plot shows checked identities only
            self._plot_identity(result)
        self._show_status(result)

    def _face_members(self, result: VideoFrameResult) -> tuple[int | None, ...]:
        """The cast member of each face of the frame on screen (None where the cast cannot tell)."""
        cast, index = self.cast, result.request.index
        if cast is None or not self._mapped:
            return ()
        return tuple(member_at(cast, index, face.box) for face in result.faces)

    def _source_tags(self, result: VideoFrameResult) -> tuple[str, ...]:
        """ "S2".. on the faces of people replaced by further sources, "" on the others."""
        members = self._face_members(result)
        return tuple(
            self._mapped.get(n, "") if n is not None and i != result.chosen else ""
            for i, n in enumerate(members)
        )

    def _on_identity_confirmed(self, result: VideoFrameResult) -> None:
        """The frame on screen swapped the chosen person after all, and its similarity is measured:
        show the score, plot it, and say so."""
        shown = self.last_result
        if shown is None or shown.request != result.request or shown.generation != result.generation:
            return  # another frame (or the same frame for other settings) is on screen by now
        self.last_result = result
        self._show_gauge(result)
        self._plot_identity(result)
        self._show_status(result)

    def _show_gauge(self, result: VideoFrameResult) -> None:
        """The swapped face's score, or (shown before it was measured) a gauge saying it is coming."""
        face = result.swapped_face
        if face is not None and result.chosen is not None:
            face = dataclasses.replace(face, index=result.chosen)  # the gauge names the face on screen
        shown = face is not None and (face.similarity is not None or result.score_pending)
        self.window.similarity_panel.set_faces(
            [face] if shown and face else [], measuring=result.score_pending, titles=(PERSON,)
        )

    def _plot_identity(self, result: VideoFrameResult) -> None:
        if result.face_found is not None:
            found = result.face_found
            value = result.similarity_percent if result.similarity_percent is not None else NOT_MEASURED
            self.model.set_identity(result.request.index, value if found else None)

    def _show_status(self, result: VideoFrameResult) -> None:
        score = f" · {result.similarity_percent:.0f}% like the source" if result.similarity_percent else ""
        where = f"Frame {result.request.index + 1}"
        if result.face_found is False:
            self.window.status_label.setText(f"{where}: the chosen person is not in this frame")
        elif result.identity == "assumed":
            self.window.status_label.setText(f"{where} in {result.elapsed_ms:.0f} ms{score} · checking who…")
        elif result.score_pending:
            self.window.status_label.setText(f"{where} in {result.elapsed_ms:.0f} ms · measuring likeness…")
        elif result.settled:
            self.window.status_label.setText(f"{where}: as the export renders it{score}")
        elif result.correction:
            self.window.status_label.setText(f"{where}: corrected to the chosen person{score}")
        else:
            self.window.status_label.setText(f"{where} in {result.elapsed_ms:.0f} ms{score}")

    def _on_playing_changed(self, playing: bool) -> None:
        # While playing, frames are shown as quickly rendered; where playback stops, the frame settles
        # into the export's exact render.
        self.controller.settle_enabled = not playing
        if not playing:
            self.request_preview()

    def _on_thumbnails_ready(self, path: Path, thumbs: list[tuple[int, QImage]]) -> None:
        if path == self.path:
            self.model.set_thumbnails(thumbs)

    # -- person to replace ---------------------------------------------------------------------------
    def choose_person(self, face_index: int) -> None:
        """Replace the person whose face is ``face_index`` in the frame on screen (from now on, in the
        preview and in exports; they are followed through the video by identity)."""
        shown = self.last_result
        if not self.active or shown is None or not 0 <= face_index < len(shown.faces):
            return
        if shown.chosen == face_index:
            return  # already the person being replaced
        choice = ReferenceChoice(shown.request.index, face_index)
        # Kept to find the clicked person in the cast (chosen_person): a person mapped to a further
        # source and then clicked is replaced by the photos above only; that row is skipped.
        self._clicked = (choice, shown.faces[face_index].box)
        self.set_reference(choice)
        self._say(
            f"{PERSON} is now the face clicked in frame {shown.request.index + 1}; they are followed "
            "through the video"
        )

    def reset_person(self) -> None:
        """Back to the default person: the most present person of the cast."""
        self.set_reference(ReferenceChoice())
        self.window.status_label.setText("Replacing the most present person of the video")

    def choose_cast_person(self, number: int) -> None:
        """Replace cast member ``number`` (from now on, in the preview and in exports)."""
        if self.active and self.cast is not None:
            self.set_reference(ReferenceChoice(person=number))
            self._say(f"Replacing person {number} of the cast with the source photos from now on")

    def assign_source(self, person: int, source: int) -> None:
        """A cast chip's "Replace with" menu: replace cast member ``person`` with source ``source`` (1:
        the source photos, as a click on the chip; 2..: further identity S2..; ``NEW_PHOTOS``: photos to
        ask for; ``NOBODY``: no further source). The source photos win: a further source mapped to the
        person they replace is skipped, and the status line says so."""
        if not self.active or self.cast is None:
            return
        panel = self.more_people
        if source == 1:
            self.choose_cast_person(person)
            return
        if source == NEW_PHOTOS:
            panel.ask_for_photos(person)
            return
        if source == NOBODY:
            panel.unmap(person)
            self._say(f"Person {person} is no longer replaced by a further source")
        else:
            panel.set_person(source - 2, person)
            self._say(f"S{source} now replaces person {person}")

    def _say(self, message: str) -> None:
        """A status message, with the further sources left out because their person is taken."""
        note = self.more_people.skipped_note()
        self.window.status_label.setText(f"{message}. {note}" if note else message)

    def chosen_person(self) -> int | None:
        """The cast member being replaced, when the cast is known and the choice is one of its people."""
        if self.cast is None or not self.cast.people:
            return None
        if self.reference.person is not None:
            return self.reference.person
        if self.reference == ReferenceChoice():
            member = self.cast.most_present()
            return member.number if member is not None else None
        clicked = self._clicked
        if clicked is not None and clicked[0] == self.reference and self.reference.frame_index is not None:
            return member_at(self.cast, self.reference.frame_index, clicked[1])
        return None

    def set_reference(self, choice: ReferenceChoice) -> None:
        """Replace the person ``choice`` names from now on (the preview and exports follow them)."""
        if choice != self.reference:
            self.reference = choice
            self.model.clear_identity()  # the plot measured the previous person
            self.reference_changed.emit()
            self._show_presence()
            self.request_preview()

    # -- cast ----------------------------------------------------------------------------------------
    def _on_cast_ready(self, path: Path, cast: Cast) -> None:
        if path != self.path:
            return
        self.cast = cast
        self.cast_strip.set_cast(cast, self.chosen_person())
        self.more_people.set_cast(cast, self.chosen_person())
        self._show_presence()
        self.request_preview()  # the default person is no longer provisional

    def _on_cast_progress(self, path: Path, done: int, total: int) -> None:
        if path == self.path and self.cast is None:
            self.cast_strip.set_scanning(done, total)

    def _on_cast_failed(self, path: Path, message: str) -> None:
        if path == self.path:
            self.cast_strip.set_failed(message)

    def _show_presence(self) -> None:
        """The timeline marks where the people to replace appear (cast members only); the cast chips
        show who replaces whom."""
        number = self.chosen_person()
        self.more_people.set_cast(self.cast, number)
        skipped = set(self.more_people.conflicts())
        rows = enumerate(self.more_people.identities)
        mapped = {i.person: f"S{row + 2}" for row, i in rows if row not in skipped}
        self._mapped = mapped
        self._name_sources()
        people = ([number] if number is not None else []) + list(mapped)
        cast = self.cast
        self.model.set_presence(merged_ranges([cast.person(n).ranges for n in people]) if cast else ())
        self.cast_strip.set_chosen(number)
        self.cast_strip.set_mapped(mapped)
        self._offer_plots(number, mapped)

    def _name_sources(self) -> None:
        """The sources a cast chip's menu offers: the source photos (S1), then the further identities."""
        photos = [item.path.name for item in self.session.sources if item.has_face]
        first = photos[0] + (f" +{len(photos) - 1}" if len(photos) > 1 else "") if photos else ""
        self.cast_strip.set_sources([first, *self.more_people.source_names()])

    def _offer_plots(self, main: int | None, mapped: dict[int, str]) -> None:
        """One identity plot per person replaced: the timeline's picker lists them (hidden for one)."""
        picker = self.timeline.plot_picker
        shown = self.model.plotted_person if self.model.plotted_person in mapped else None
        picker.blockSignals(True)
        picker.clear()
        picker.addItem(f"Identity: person {main}" if main is not None else "Identity: person A", None)
        for person, tag in mapped.items():
            picker.addItem(f"Identity: person {person} ({tag})", person)
        picker.setCurrentIndex(max(picker.findData(shown), 0))
        picker.blockSignals(False)
        picker.setVisible(bool(mapped))
        self.model.plot_person(shown)

    def _on_mapping_changed(self) -> None:
        """A further source identity was added, removed or mapped to another cast member."""
        self._show_presence()
        self.request_preview()

    # -- keyframes -----------------------------------------------------------------------------------
    def set_keyframe(self) -> None:
        """Keyframe the current blend settings at the playhead."""
        if self.active:
            self.model.set_keyframe(self.session.settings)
            self.window.status_label.setText(f"Keyframe set at frame {self.model.position + 1}")

    # -- export --------------------------------------------------------------------------------------
    def export(self) -> None:
        """Ask how to export (dialog) and queue the job."""
        if self.path is None or self.info is None:
            return
        if not self.session.usable_sources:
            self.window.show_error("Add a source photo with a face first.", "warning")
            return
        jobs = self.window.runner.queue.jobs()
        taken = [job.output for job in jobs if job.output is not None and not job.state.is_final]
        folder = default_export_folder(self.window.user_settings.last_export_folder, pictures_folder())
        partial = self.info.partial_message() if self.info.partial else ""
        dialog = VideoExportDialog(
            self.model,
            self.path,
            self.info.has_audio,
            self.window,
            taken,
            folder,
            partial_message=partial,
            cluster_address=self.window.user_settings.cluster_address,
        )
        if dialog.exec() != QDialog.DialogCode.Accepted:
            return
        choice = dialog.choice()
        if not confirm_folder(self.window, choice.output, also=(self.path,)):
            return
        overwrite = choice.output.exists()
        if overwrite and not self.window.confirm(
            "Replace file?", f"{choice.output.name} already exists. Replace it?"
        ):
            return
        self.queue_export(choice, overwrite)

    def queue_export(self, choice: VideoExportChoice, overwrite: bool = False) -> JobInfo | None:
        """Queue an export of frames ``first..last`` (inclusive) with the keyframed settings."""
        if self.path is None or not self.session.usable_sources:
            return None
        model, path = self.model, self.path
        end_frame = choice.last_frame + 1
        track = model.track if model.track else None
        request = VideoExportRequest(
            sources=self.session.usable_sources,
            target=path,
            output=choice.output,
            settings=self.session.settings if track is None else track.settings_at(choice.first_frame),
            encode=choice.encode,
            start=model.time_of(choice.first_frame) if choice.first_frame > 0 else None,
            end=model.time_of(end_frame) if end_frame < model.frame_count else None,
            reference=self._export_reference(),
            more_people=self.more_people.mappings(),
            engine=self.session.components.engine,
            judge=self.session.components.judge,
            score_every=EXPORT_SCORE_EVERY,
            settings_at=track.settings_at if track is not None else None,
            overwrite=overwrite,
            watermark=choice.watermark,
            allow_partial=choice.allow_partial,
        )
        if choice.on_cluster:
            return self.window.batch.send_video_export(request, track)
        try:
            work = video_export_work(
                self.window.context,
                request,
                self.window.build_pipeline,
                on_record=lambda record: self._records.put((path, record)),
                recognizers=self.window.recognizers,
            )
        except FaceswapError as error:
            self.window.show_error(str(error))
            return None
        frames = choice.last_frame - choice.first_frame + 1
        info = self.window.runner.queue.submit(
            f"Export {choice.output.name} ({frames} frames)",
            work,
            request.settings,
            choice.output,
            spec=video_spec(request, track),
        )
        self.window.runner.start_pending()
        remember_folder(self.window, choice.output)
        return info

    def _export_reference(self) -> ReferenceChoice:
        """The export's main person. With further people mapped, the default is pinned to the person
        the GUI shows as replaced (the clip's most present): the export's own default, the most present
        in the exported range, could be a person mapped to another source."""
        person = self.chosen_person()
        mapped = self.more_people.mappings()
        if mapped and self.reference == ReferenceChoice() and person is not None:
            return ReferenceChoice(person=person)
        return self.reference

    def _drain_records(self, _jobs: list[JobInfo] | None = None) -> None:
        """Move the export's per-frame records onto the identity plot (runs at the runner's 10 Hz)."""
        while True:
            try:
                path, record = self._records.get_nowait()
            except queue.Empty:
                return
            if path != self.path:
                continue
            for person, percent in record.more:
                self.model.set_person_identity(
                    person, record.index, percent if percent is not None else NOT_MEASURED
                )
            if not record.face_found:
                self.model.set_identity(record.index, None)
            elif record.similarity_percent is not None:
                self.model.set_identity(record.index, record.similarity_percent)
            else:  # the model keeps a measured value over "not measured"
                self.model.set_identity(record.index, NOT_MEASURED)

    # -- keys and shutdown ---------------------------------------------------------------------------
    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802
        """Timeline keys also work while the preview has focus."""
        if self.active and event.type() == QEvent.Type.KeyPress and isinstance(event, QKeyEvent):
            return self.timeline.handle_key(event)
        return super().eventFilter(watched, event)

    def shutdown(self) -> None:
        """Stop playback and background work. The window shuts the analysis thread down and then closes
        this workspace's session (``engine.close``), so the close can't be dropped behind a busy task."""
        self.model.set_playing(False)
        self.controller.request(None)
        self.thumbnails.shutdown()
        self.casts.shutdown()
