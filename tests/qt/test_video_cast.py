"""The cast of a video in the target panel: a background scan, chips with screen time, a click picks a
person, the timeline marks where they appear, and the default stays provisional until the scan ends."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from qt_helpers import BIDEN, PREVIEW_TIMEOUT_MS
from test_video_person import GROUP_FRAME, HAMILTON, open_video
from test_video_timeline import wait_for_frame

from faceswap_desktop.app.session_snapshot import snapshot_from_dict
from faceswap_desktop.app.video_session import ReferenceChoice
from faceswap_desktop.core.geometry import box_iou
from faceswap_desktop.qt import cast_loader
from faceswap_desktop.qt.main_window import MainWindow
from faceswap_desktop.qt.session_autosave import take_snapshot

SCAN_TIMEOUT_MS = 120_000


def test_cast_chips_pick_a_person_and_the_timeline_shows_where_they_are(  # type: ignore[no-untyped-def]
    qtbot, window: MainWindow, tmp_path: Path
) -> None:
    open_video(qtbot, window)
    video, strip = window.video, window.video.cast_strip
    qtbot.waitUntil(lambda: video.cast is not None, timeout=SCAN_TIMEOUT_MS)
    cast = video.cast
    assert cast is not None and len(strip.chips) == len(cast.people) == 8  # see tests/video/test_cast.py
    assert strip.chips[0].text() == f"1 · {cast.people[0].seconds:.1f} s" and strip.chips[0].isChecked()
    result = wait_for_frame(qtbot, window, 0)
    assert result.request.cast is cast
    assert "Automatic: person 1, the most present." in window.target_panel.person_note.text()
    assert video.model.presence == cast.people[0].ranges

    qtbot.mouseClick(strip.chips[1], Qt.MouseButton.LeftButton)
    second = cast.people[1]
    assert video.reference == ReferenceChoice(person=2)
    assert [chip.isChecked() for chip in strip.chips[:3]] == [False, True, False]
    assert video.model.presence == second.ranges
    video.model.set_position(GROUP_FRAME)
    shown = wait_for_frame(qtbot, window, GROUP_FRAME)
    assert shown.chosen is not None and "Person 2 of the cast." in window.target_panel.person_note.text()
    # The face replaced is the one the cast saw as person 2 near this frame.
    near = min(second.sightings, key=lambda s: abs(s.frame - GROUP_FRAME))
    assert abs(near.frame - GROUP_FRAME) <= 3
    assert box_iou(shown.faces[shown.chosen].box, near.box) > 0.5
    window.target_panel.grab().save(str(tmp_path / "cast_chips.png"))
    # The session autosave keeps the cast member chosen (and reads it back).
    snapshot = take_snapshot(window)
    assert snapshot.video is not None and snapshot.video.reference_person == 2
    assert snapshot.video.reference_frame is None and "person 2 of the cast" in snapshot.describe()
    assert snapshot_from_dict(snapshot.to_dict()) == snapshot


def test_a_restored_session_replaces_the_cast_member_it_had_chosen(  # type: ignore[no-untyped-def]
    qtbot, window: MainWindow, private_config: Path
) -> None:
    from faceswap_desktop.app.session_snapshot import SessionGuard, SessionSnapshot, VideoState
    from faceswap_desktop.qt.session_autosave import SessionAutosave

    guard = SessionGuard(private_config)
    assert guard.start().owner
    autosave = SessionAutosave(window, guard)
    try:
        saved = SessionSnapshot(
            sources=(str(BIDEN),),
            target=str(HAMILTON),
            video=VideoState(position=GROUP_FRAME, out_point=274, reference_person=2),
        )
        assert autosave.restore(saved) == []
        video = window.video
        qtbot.waitUntil(lambda: video.reference == ReferenceChoice(person=2), timeout=SCAN_TIMEOUT_MS)
        qtbot.waitUntil(lambda: video.cast is not None, timeout=SCAN_TIMEOUT_MS)
        qtbot.waitUntil(
            lambda: "Person 2 of the cast." in window.target_panel.person_note.text(), timeout=SCAN_TIMEOUT_MS
        )
        assert [chip.isChecked() for chip in video.cast_strip.chips[:3]] == [False, True, False]
    finally:
        autosave.close()
        guard.finish()


def test_the_default_is_provisional_until_the_cast_is_scanned(  # type: ignore[no-untyped-def]
    qtbot, window: MainWindow, monkeypatch: pytest.MonkeyPatch
) -> None:
    release = threading.Event()
    scan = cast_loader.scan_video_cast

    def held_scan(*args):  # type: ignore[no-untyped-def]
        release.wait(timeout=60)
        return scan(*args)

    monkeypatch.setattr(cast_loader, "scan_video_cast", held_scan)
    open_video(qtbot, window)
    result = wait_for_frame(qtbot, window, 0)
    note = window.target_panel.person_note.text()
    assert result.request.cast is None and "provisional" in note
    assert "Finding the people" in window.video.cast_strip.note.text()
    release.set()
    qtbot.waitUntil(lambda: window.video.cast is not None, timeout=SCAN_TIMEOUT_MS)
    result = wait_for_frame(qtbot, window, 0)
    assert result.request.cast is window.video.cast
    qtbot.waitUntil(
        lambda: "Automatic: person 1" in window.target_panel.person_note.text(), timeout=PREVIEW_TIMEOUT_MS
    )
