"""The timeline model and track without a window: range, export seconds, identity values and painting."""

from __future__ import annotations

import math

import pytest
from PySide6.QtCore import QPoint, Qt

from faceswap_desktop.core.settings import SwapSettings
from faceswap_desktop.qt.timeline_model import NOT_MEASURED, TimelineModel, format_time
from faceswap_desktop.qt.timeline_track import TimelineTrack
from faceswap_desktop.qt.video_export_dialog import default_video_output

TIMES = tuple(i / 30 for i in range(90))


def make_model() -> TimelineModel:
    model = TimelineModel()
    model.set_video(TIMES, 3.0, SwapSettings())
    return model


def test_in_and_out_points_stay_ordered_and_give_export_seconds() -> None:
    model = make_model()
    assert not model.has_range and model.range_seconds() == (None, None)
    model.set_position(60)
    model.set_in()
    assert (model.in_point, model.out_point) == (60, 89)
    model.set_out(30)  # before the in point: the in point follows
    assert (model.in_point, model.out_point) == (30, 30)
    model.set_out(59)
    assert model.range_seconds() == (pytest.approx(1.0), pytest.approx(2.0))
    model.set_out(89)
    assert model.range_seconds() == (pytest.approx(1.0), None)  # to the end of the video
    model.clear_range()
    assert not model.has_range


def test_playhead_clamps_and_identity_keeps_measurements() -> None:
    model = make_model()
    model.step(-5)
    assert model.position == 0
    model.set_position(500)
    assert model.position == 89
    model.set_identity(3, 71.5)
    model.set_identity(3, NOT_MEASURED)  # an unscored export frame never hides a measured one
    assert model.identity[3] == 71.5
    model.set_identity(4, NOT_MEASURED)
    assert math.isnan(model.identity[4])  # type: ignore[arg-type]
    model.set_identity(4, None)
    assert model.identity[4] is None


def test_time_format() -> None:
    assert format_time(0) == "0:00.00"
    assert format_time(83.456) == "1:23.46"
    assert format_time(3725.5) == "1:02:05.50"


def test_track_paints_missing_faces_and_a_click_on_the_plot_seeks(qtbot) -> None:  # type: ignore[no-untyped-def]
    model = make_model()
    track = TimelineTrack(model)
    qtbot.addWidget(track)
    track.resize(900, track.sizeHint().height())
    for frame in range(20, 30):
        model.set_identity(frame, None)  # the person was not found there
    for frame in range(40, 50):
        model.set_identity(frame, 95.0)
    image = track.grab().toImage()
    bottom = round(track.plot_rect().bottom() - 2)
    missing = image.pixelColor(round(track.frame_centre(25)), bottom)
    good = image.pixelColor(round(track.frame_centre(45)), bottom)
    empty = image.pixelColor(round(track.frame_centre(70)), bottom)
    assert missing.red() > 200 and missing.green() < 130  # the theme's "bad" red
    assert good.green() > 150 and good.red() < 120
    assert empty != missing and empty != good
    assert "not found" in track.describe(25) and "95%" in track.describe(45)
    click = QPoint(round(track.frame_centre(44)), round(track.plot_rect().center().y()))
    qtbot.mouseClick(track, Qt.MouseButton.LeftButton, pos=click)
    assert model.position == 44


def test_default_video_output_skips_existing_and_queued_files(tmp_path) -> None:  # type: ignore[no-untyped-def]
    clip = tmp_path / "clip.mp4"
    clip.write_bytes(b"")
    (tmp_path / "clip_swapped.mp4").write_bytes(b"")
    queued = tmp_path / "clip_swapped-2.mp4"
    assert default_video_output(clip, taken=[queued]) == tmp_path / "clip_swapped-3.mp4"
    assert default_video_output(clip, "prores") == tmp_path / "clip_swapped.mov"
