"""Choosing the person to replace in a video: face chips of the frame on screen, preview and export."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PySide6.QtCore import Qt
from qt_helpers import BIDEN, PREVIEW_TIMEOUT_MS, SHARED
from test_video_timeline import OBAMA_CLIP, wait_for_frame

from faceswap_desktop.app.jobs import JobState
from faceswap_desktop.app.video_session import ReferenceChoice
from faceswap_desktop.core.media.video_io import VideoReader
from faceswap_desktop.core.media.video_writer import EncodeOptions
from faceswap_desktop.core.types import Face, Image
from faceswap_desktop.qt.main_window import MainWindow
from faceswap_desktop.qt.video_export_dialog import VideoExportChoice

HAMILTON = SHARED / "media" / "videos" / "short_hamilton_clip.mp4"
GROUP_FRAME = 230  # four faces on stage
"""Frame 0 shows two faces; frame 230 shows four (MediaPipe, checked when these tests were written)."""


def open_video(qtbot, window: MainWindow, path: Path = HAMILTON, with_source: bool = True) -> None:  # type: ignore[no-untyped-def]
    if with_source and not window.session.sources:
        window.session.add_sources([BIDEN])
        qtbot.waitUntil(lambda: len(window.session.sources) == 1, timeout=PREVIEW_TIMEOUT_MS)
    window.session.set_target(path)
    qtbot.waitUntil(lambda: window.video.active and window.video.path == path, timeout=PREVIEW_TIMEOUT_MS)


def frame_of(path: Path, index: int) -> Image:
    """A frame read with the test's own reader (the workspace's belongs to its worker thread)."""
    with VideoReader(path) as reader:
        return reader.frame_at(index)


def largest(faces: tuple[Face, ...]) -> int:
    return max(range(len(faces)), key=lambda i: faces[i].width * faces[i].height)


def change_in(before: Image, after: Image, face: Face) -> float:
    """Mean absolute change of the pixels inside ``face``'s box."""
    x0, y0, x1, y1 = (int(round(v)) for v in face.box)
    region = (slice(max(y0, 0), y1), slice(max(x0, 0), x1))
    return float(np.abs(after[region].astype(np.int16) - before[region].astype(np.int16)).mean())


def checked_chips(window: MainWindow) -> list[int]:
    panel = window.target_panel
    return [i for i, chip in enumerate(panel.person_chips) if not chip.isHidden() and chip.isChecked()]


def test_default_person_is_the_largest_face_of_the_first_frame(qtbot, window: MainWindow) -> None:  # type: ignore[no-untyped-def]
    open_video(qtbot, window)
    result = wait_for_frame(qtbot, window, 0)
    panel = window.target_panel
    assert result.request.reference == ReferenceChoice()
    assert len(result.faces) >= 2 and result.reference_frame == 0
    assert panel.person_box.isVisible() and panel.person_chip_count() == len(result.faces)
    assert result.chosen == largest(result.faces)
    assert checked_chips(window) == [result.chosen]
    assert window.preview.selected == (result.chosen,)  # the face box on the preview is highlighted
    assert "Automatic" in panel.person_note.text() and panel.auto_button.isHidden()
    # Only the chosen face changed.
    others = [i for i in range(len(result.faces)) if i != result.chosen]
    original = frame_of(HAMILTON, 0)
    chosen_change = change_in(original, result.frame, result.faces[result.chosen])
    assert all(chosen_change > 3 * change_in(original, result.frame, result.faces[i]) for i in others)


def test_picking_a_face_replaces_that_person_in_preview_and_export(  # type: ignore[no-untyped-def]
    qtbot, window: MainWindow, tmp_path: Path
) -> None:
    open_video(qtbot, window)
    wait_for_frame(qtbot, window, 0)
    video, panel = window.video, window.target_panel
    video.model.set_position(GROUP_FRAME)
    shown = wait_for_frame(qtbot, window, GROUP_FRAME)
    assert len(shown.faces) >= 3 and panel.person_chip_count() == len(shown.faces)
    pick = next(i for i in range(len(shown.faces)) if i != shown.chosen)
    qtbot.mouseClick(panel.person_chips[pick], Qt.MouseButton.LeftButton)
    assert video.reference == ReferenceChoice(GROUP_FRAME, pick)
    assert video.model.identity == {}  # the plot measured the previous person
    result = wait_for_frame(qtbot, window, GROUP_FRAME)
    assert result.request.reference == ReferenceChoice(GROUP_FRAME, pick)
    assert result.chosen == pick and result.reference_frame == GROUP_FRAME
    assert checked_chips(window) == [pick] and window.preview.selected == (pick,)
    # The replaced person keeps one name in the gauge, the chips and on the picture, whichever face it is.
    assert window.similarity_panel.gauges[0].title == "Person A"
    assert panel.person_chips[pick].text() == "Person A"
    assert {panel.person_chips[i].text() for i in range(len(result.faces)) if i != pick} == {"Other face"}
    assert window.preview.face_label(pick) == "A"
    assert all(window.preview.face_label(i) == "" for i in range(len(result.faces)) if i != pick)
    assert "Picked in frame 231" in panel.person_note.text() and not panel.auto_button.isHidden()
    original = frame_of(HAMILTON, GROUP_FRAME)
    changes = [change_in(original, result.frame, face) for face in result.faces]
    assert max(range(len(changes)), key=changes.__getitem__) == pick

    # The export replaces the same person.
    output = tmp_path / "picked.mp4"
    choice = VideoExportChoice(output, EncodeOptions(preset="ultrafast", crf=12), GROUP_FRAME, GROUP_FRAME)
    info = video.queue_export(choice)
    assert info is not None
    qtbot.waitUntil(lambda: window.runner.queue.get(info.job_id).state.is_final, timeout=60_000)
    done = window.runner.queue.get(info.job_id)
    assert done.state is JobState.DONE, done.error
    with VideoReader(output) as reader:
        exported = reader.frame_at(0)
    changes = [change_in(original, exported, face) for face in result.faces]
    assert max(range(len(changes)), key=changes.__getitem__) == pick

    # Automatic brings the default back.
    qtbot.mouseClick(panel.auto_button, Qt.MouseButton.LeftButton)
    assert video.reference == ReferenceChoice()
    assert wait_for_frame(qtbot, window, GROUP_FRAME).request.reference == ReferenceChoice()
    assert panel.auto_button.isHidden()


def test_clicking_the_chosen_face_changes_nothing_and_a_new_video_resets(qtbot, window: MainWindow) -> None:  # type: ignore[no-untyped-def]
    open_video(qtbot, window)
    result = wait_for_frame(qtbot, window, 0)
    video, panel = window.video, window.target_panel
    assert result.chosen is not None
    qtbot.mouseClick(panel.person_chips[result.chosen], Qt.MouseButton.LeftButton)
    assert video.reference == ReferenceChoice() and checked_chips(window) == [result.chosen]
    other = next(i for i in range(len(result.faces)) if i != result.chosen)
    qtbot.mouseClick(panel.person_chips[other], Qt.MouseButton.LeftButton)
    assert video.reference == ReferenceChoice(0, other)
    open_video(qtbot, window, OBAMA_CLIP)
    assert video.reference == ReferenceChoice()
    assert wait_for_frame(qtbot, window, 0).request.reference == ReferenceChoice()


def test_faces_are_offered_before_a_source_is_added(qtbot, window: MainWindow) -> None:  # type: ignore[no-untyped-def]
    open_video(qtbot, window, with_source=False)
    result = wait_for_frame(qtbot, window, 0)
    assert not result.swapped and len(result.faces) >= 2
    assert result.chosen == largest(result.faces)
    assert window.target_panel.person_chip_count() == len(result.faces)
    # Back to a photo target: the picker goes away.
    window.session.set_target(BIDEN)
    qtbot.waitUntil(lambda: not window.video.active, timeout=PREVIEW_TIMEOUT_MS)
    assert not window.target_panel.person_box.isVisible()
