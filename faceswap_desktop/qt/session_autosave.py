"""The window's state saved whenever it changes, and offered back after a crash.

:class:`SessionAutosave` listens to the photo session and the video timeline; each change (re)starts a
short timer, and when it fires the window's state is taken as a :class:`SessionSnapshot` and handed to
the :class:`SessionGuard`'s writer thread (the GUI thread never writes the file itself).
:class:`RestoreDialog` offers the state an unclean exit left, beside the unfinished-export recovery.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QLabel, QPushButton, QVBoxLayout, QWidget

from ..app.components import choice_from_mapping
from ..app.session_snapshot import SessionGuard, SessionSnapshot, VideoState
from ..app.video_session import ReferenceChoice
from ..core.errors import BadInput
from ..core.settings import settings_from_mapping

if TYPE_CHECKING:
    from .main_window import MainWindow

log = logging.getLogger(__name__)

SAVE_DELAY_MS = 400
"""Changes within this time are saved together (a slider drag writes once, not per step)."""


def take_snapshot(window: MainWindow) -> SessionSnapshot:
    """The window's state now."""
    session, video = window.session, window.video
    sources = tuple(str(item.path) for item in session.sources)
    target = str(session.target.path) if session.target is not None else None
    video_state = None
    if video.active and video.path is not None:
        model, reference = video.model, video.reference
        target = str(video.path)
        video_state = VideoState(
            position=model.position,
            in_point=model.in_point,
            out_point=model.out_point,
            reference_frame=reference.frame_index,
            reference_face=reference.face_index,
            reference_person=reference.person,
            keyframes=tuple((frame, settings.to_dict()) for frame, settings in model.track.keys),
            more_people=tuple(
                (tuple(str(photo) for photo in m.sources), m.person) for m in video.more_people.mappings()
            ),
        )
    return SessionSnapshot(
        sources=sources,
        target=target,
        selection=tuple(session.selection) if session.target is not None else (),
        settings=session.settings.to_dict(),
        components=session.components.to_dict(),
        video=video_state,
    )


class SessionAutosave(QObject):
    """Saves the window's state (debounced) through ``guard`` whenever the user changes it."""

    saved = Signal()

    def __init__(self, window: MainWindow, guard: SessionGuard) -> None:
        super().__init__(window)
        self.window, self.guard = window, guard
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(SAVE_DELAY_MS)
        self._timer.timeout.connect(self.save_now)
        self._restoring_video: VideoState | None = None
        self._restoring_selection: tuple[str, tuple[int, ...]] | None = None
        session, model = window.session, window.video.model
        for signal in (
            session.sources_changed,
            session.target_changed,
            session.selection_changed,
            session.settings_changed,
            session.components_changed,
            model.video_changed,
            model.range_changed,
            model.keyframes_changed,
            model.position_changed,
            window.video.reference_changed,
            window.video.more_people.changed,
        ):
            signal.connect(self.schedule)
        model.video_changed.connect(self._on_video_opened)
        session.target_changed.connect(self._on_target_loaded)

    def schedule(self, *_args: object) -> None:
        """Save soon (restarts the timer)."""
        self._timer.start()

    def save_now(self) -> None:
        """Save the state now (on the writer thread)."""
        self._timer.stop()
        self.guard.save(take_snapshot(self.window))
        self.saved.emit()

    def close(self) -> None:
        """Stop the timer (the window is closing; a clean exit forgets the snapshot)."""
        self._timer.stop()

    # -- restoring -----------------------------------------------------------------------------------
    def restore(self, snapshot: SessionSnapshot) -> list[str]:
        """Put ``snapshot`` back into the window; returns the files that no longer exist."""
        window, missing = self.window, []
        try:
            window.session.set_settings(settings_from_mapping(snapshot.settings))
        except (BadInput, TypeError) as error:
            log.warning("saved blend settings not restored: %s", error)
        window.session.set_components(choice_from_mapping(dict(snapshot.components)))
        sources = [Path(path) for path in snapshot.sources]
        missing += [str(path) for path in sources if not path.is_file()]
        window.session.add_sources([path for path in sources if path.is_file()])
        if snapshot.target is not None:
            target = Path(snapshot.target)
            if not target.is_file():
                missing.append(str(target))
            else:
                self._restoring_video = snapshot.video
                self._restoring_selection = (str(target), snapshot.selection)
                window.session.set_target(target)
        return missing

    def _on_target_loaded(self) -> None:
        pending, self._restoring_selection = self._restoring_selection, None
        target = self.window.session.target
        if pending is not None and target is not None and str(target.path) == pending[0] and pending[1]:
            self.window.session.set_selection(pending[1])

    def _on_video_opened(self) -> None:
        state, self._restoring_video = self._restoring_video, None
        if state is not None:
            # After the workspace has finished taking the new video (it resets marks and person).
            QTimer.singleShot(0, lambda: self._apply_video(state))

    def _apply_video(self, state: VideoState) -> None:
        video = self.window.video
        model = video.model
        for frame, mapping in state.keyframes:
            try:
                model.set_keyframe(settings_from_mapping(mapping), model.clamp(frame))
            except (BadInput, TypeError) as error:
                log.warning("keyframe at %d not restored: %s", frame, error)
        model.set_out(state.out_point)
        model.set_in(state.in_point)
        model.set_position(state.position)
        if state.reference_frame is not None:
            video.set_reference(ReferenceChoice(state.reference_frame, state.reference_face))
        elif state.reference_person is not None:
            # Applied as soon as the video's cast is known (its previews wait for it until then).
            video.set_reference(ReferenceChoice(person=state.reference_person))
        # Also once the cast is known (a mapping names cast members).
        restored = [(tuple(Path(p) for p in photos), person) for photos, person in state.more_people]
        video.more_people.restore(restored)


class RestoreDialog(QDialog):
    """ "The last session ended unexpectedly. Restore it?" with Restore / Start fresh; modeless."""

    def __init__(self, snapshot: SessionSnapshot, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("RestoreDialog")
        self.setWindowTitle("Restore the last session?")
        self.setModal(False)
        self.snapshot = snapshot
        intro = QLabel(
            "The last session ended unexpectedly. Its work was saved as it went:\n\n"
            f"{snapshot.describe()}\n\nRestore the photos, target, settings and marks?"
        )
        intro.setWordWrap(True)
        buttons = QDialogButtonBox()
        self.restore_button = QPushButton("Restore")
        self.restore_button.setDefault(True)
        self.fresh_button = QPushButton("Start fresh")
        buttons.addButton(self.restore_button, QDialogButtonBox.ButtonRole.AcceptRole)
        buttons.addButton(self.fresh_button, QDialogButtonBox.ButtonRole.RejectRole)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(buttons)
        self.restore_button.clicked.connect(self.accept)
        self.fresh_button.clicked.connect(self.reject)


def offer_restore(window: MainWindow, autosave: SessionAutosave, snapshot: SessionSnapshot) -> RestoreDialog:
    """Show the restore offer (modeless); either answer saves the window's state from then on."""
    dialog = RestoreDialog(snapshot, window)

    def restore() -> None:
        missing = autosave.restore(snapshot)
        if missing:
            names = ", ".join(Path(path).name for path in missing)
            window.show_error(f"Restored the last session; these files are gone: {names}", "warning")
        else:
            window.show_error("Restored the last session", "info")

    def start_fresh() -> None:
        autosave.save_now()  # the unwanted state is not offered again after another crash

    dialog.accepted.connect(restore)
    dialog.rejected.connect(start_fresh)
    dialog.show()
    return dialog
