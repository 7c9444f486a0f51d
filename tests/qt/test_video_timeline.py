"""The video timeline driven through the real window on the shared Obama clip."""

from __future__ import annotations

import threading
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import Qt
from qt_helpers import BIDEN, PREVIEW_TIMEOUT_MS, SHARED
from test_main_window import drop_files

from faceswap_desktop.app.jobs import JobState
from faceswap_desktop.core.media.video_io import probe_video
from faceswap_desktop.core.media.video_writer import EncodeOptions
from faceswap_desktop.core.settings import SwapSettings
from faceswap_desktop.qt.main_window import MainWindow
from faceswap_desktop.qt.video_export_dialog import VideoExportChoice, VideoExportDialog
from faceswap_desktop.qt.video_workers import VideoFrameResult

OBAMA_CLIP = SHARED / "media" / "videos" / "Obama_speaking.mp4"
OBAMA_FRAMES = 259


def open_clip(qtbot, window: MainWindow, with_source: bool = True) -> None:  # type: ignore[no-untyped-def]
    if with_source:
        window.session.add_sources([BIDEN])
        qtbot.waitUntil(lambda: len(window.session.sources) == 1, timeout=PREVIEW_TIMEOUT_MS)
    window.session.set_target(OBAMA_CLIP)  # routed to the video workspace by content
    qtbot.waitUntil(lambda: window.video.active, timeout=PREVIEW_TIMEOUT_MS)


def wait_for_frame(qtbot, window: MainWindow, index: int, checked: bool = True) -> VideoFrameResult:  # type: ignore[no-untyped-def]
    """The result on screen for frame ``index`` once it is current (and, with ``checked``, once the
    identity check of its swapped face is done: the first result may show a guess)."""

    def shown() -> bool:
        result = window.video.last_result
        return (
            result is not None
            and result.request == window.video.preview_request()
            and result.request.index == index
            and not (checked and result.needs_confirmation)
        )

    qtbot.waitUntil(shown, timeout=PREVIEW_TIMEOUT_MS)
    assert window.video.last_result is not None
    return window.video.last_result


def test_dropping_a_video_shows_the_timeline_and_a_swapped_frame(qtbot, window: MainWindow) -> None:
    window.session.add_sources([BIDEN])
    qtbot.waitUntil(lambda: len(window.session.sources) == 1, timeout=PREVIEW_TIMEOUT_MS)
    drop_files(window.target_panel, [OBAMA_CLIP])
    qtbot.waitUntil(lambda: window.video.active, timeout=PREVIEW_TIMEOUT_MS)
    video = window.video
    assert video.timeline.isVisible()
    assert video.model.frame_count == OBAMA_FRAMES
    assert video.timeline.frame_label.text() == "frame 1/259"
    result = wait_for_frame(qtbot, window, 0)
    assert result.swapped and result.face_found
    assert window.session.target is None  # the photo workflow stepped aside
    qtbot.waitUntil(lambda: len(video.model.thumbnails) > 4, timeout=PREVIEW_TIMEOUT_MS)
    assert video.model.identity.get(0) is not None  # the plot got this frame's similarity
    assert "259 frames" in window.target_panel.name_label.text()


def test_fast_scrubbing_renders_only_the_last_position(qtbot, window: MainWindow) -> None:
    open_clip(qtbot, window)
    wait_for_frame(qtbot, window, 0)
    engine, model = window.video.engine, window.video.model
    entered, release = threading.Event(), threading.Event()

    def hold_first(request) -> None:  # type: ignore[no-untyped-def]
        if request.index == 50:  # keep the first scrub position busy while the user drags on
            entered.set()
            release.wait(10)

    engine.before_render = hold_first
    engine.rendered.clear()
    shown: list[int] = []
    window.video.controller.preview_ready.connect(lambda result, _image: shown.append(result.request.index))
    model.set_position(50)
    qtbot.waitUntil(entered.is_set, timeout=5_000)
    for position in (80, 120, 160, 200):
        model.set_position(position)
        qtbot.wait(60)  # longer than the throttle: each position reaches the latest-wins slot
    release.set()
    result = wait_for_frame(qtbot, window, 200)
    qtbot.wait(100)
    assert engine.rendered == [50, 200]  # 80, 120 and 160 were replaced before they started
    assert engine.confirmed == [200]  # frame 50's identity check was skipped: the user had moved on
    assert shown == [200]  # frame 50 finished stale and was dropped
    assert result.request.index == 200 and window.video.timeline.frame_label.text() == "frame 201/259"
    assert 200 in model.identity and not {80, 120, 160} & set(model.identity)


def test_keys_step_and_mark_the_range(qtbot, window: MainWindow) -> None:
    open_clip(qtbot, window, with_source=False)
    model, track = window.video.model, window.video.timeline.track
    qtbot.keyClick(track, Qt.Key.Key_Right)
    qtbot.keyClick(track, Qt.Key.Key_Right, Qt.KeyboardModifier.ShiftModifier)
    assert model.position == 11
    qtbot.keyClick(window.preview, Qt.Key.Key_Left)  # the preview forwards timeline keys
    assert model.position == 10
    qtbot.keyClick(track, Qt.Key.Key_I)
    model.set_position(69)
    window.video.timeline.out_button.click()
    assert (model.in_point, model.out_point) == (10, 69)
    start, end = model.range_seconds()
    assert start == pytest.approx(10 / 30) and end == pytest.approx(70 / 30)
    assert window.video.timeline.range_label.text() == "11–70 · 2.00 s"
    dialog = VideoExportDialog(model, OBAMA_CLIP, has_audio=False)
    qtbot.addWidget(dialog)
    assert (dialog.first.value(), dialog.last.value()) == (11, 70)
    assert not dialog.audio.isEnabled() and dialog.audio.currentData() == "none"
    dialog.codec.setCurrentIndex(dialog.codec.findData("vp9"))
    assert dialog.crf.isEnabled() and dialog.crf.maximum() == 63
    dialog.codec.setCurrentIndex(dialog.codec.findData("prores"))
    assert not dialog.crf.isEnabled() and dialog.preset.currentText() == "hq"
    choice = dialog.choice()
    assert (
        choice.output.suffix == ".mov"
        and choice.encode.crf is None
        and (choice.first_frame, choice.last_frame) == (10, 69)
    )
    result = wait_for_frame(qtbot, window, 69)
    assert result.face_found is None and not result.swapped  # no source yet: the plain frame
    window.video.timeline.clear_range_button.click()
    assert not model.has_range
    qtbot.keyClick(track, Qt.Key.Key_Space)  # play from the playhead, in real time
    assert model.playing
    qtbot.waitUntil(lambda: model.position >= 75, timeout=5_000)
    qtbot.keyClick(track, Qt.Key.Key_Space)
    assert not model.playing and not window.video.timeline.play_timer.isActive()
    window.session.set_target(BIDEN)  # a photo again: the timeline steps aside
    qtbot.waitUntil(lambda: window.session.target is not None, timeout=PREVIEW_TIMEOUT_MS)
    assert not window.video.active and not window.video.timeline.isVisible()


def test_keyframes_drive_the_settings_and_show_on_the_track(qtbot, window: MainWindow) -> None:
    open_clip(qtbot, window)
    video, model = window.video, window.video.model
    model.set_position(20)
    window.session.set_settings(SwapSettings(strength=20))
    qtbot.keyClick(video.timeline.track, Qt.Key.Key_K)
    model.set_position(120)
    window.session.set_settings(SwapSettings(strength=80, blend_mode="poisson"))
    video.timeline.key_button.click()
    assert model.track.frames == (20, 120) and video.timeline.key_button.text() == "Key (2)"
    model.set_position(70)
    assert window.session.settings.strength == 50 and window.session.settings.blend_mode == "alpha"
    assert window.settings_panel.editors["strength"].value() == 50  # the sliders follow the keyframes
    assert wait_for_frame(qtbot, window, 70).request.settings.strength == 50
    image = video.timeline.track.grab().toImage()
    x = round(video.timeline.track.frame_centre(20) * image.devicePixelRatio())
    y = round((video.timeline.track.thumbs_rect().bottom()) * image.devicePixelRatio())
    assert image.pixelColor(x, y).name() == "#f5b84a"  # a keyframe diamond, in the dark theme's amber
    qtbot.keyClick(video.timeline.track, Qt.Key.Key_K, Qt.KeyboardModifier.ShiftModifier)
    assert model.track.frames == (20, 120)  # nothing keyed at 70
    model.set_position(20)
    qtbot.keyClick(video.timeline.track, Qt.Key.Key_K, Qt.KeyboardModifier.ShiftModifier)
    assert model.track.frames == (120,)


def test_export_of_the_marked_range_writes_its_frames_and_fills_the_plot(
    qtbot, window: MainWindow, tmp_path: Path
) -> None:
    open_clip(qtbot, window)
    model = window.video.model
    model.set_in(30)
    model.set_out(59)
    model.set_keyframe(SwapSettings(strength=60), 30)
    dialog = VideoExportDialog(model, OBAMA_CLIP, has_audio=False)
    qtbot.addWidget(dialog)
    dialog.output.setText(str(tmp_path / "range.mp4"))
    dialog.preset.setCurrentText("ultrafast")
    info = window.video.queue_export(dialog.choice())
    assert info is not None
    qtbot.waitUntil(lambda: window.runner.queue.get(info.job_id).state.is_final, timeout=60_000)
    done = window.runner.queue.get(info.job_id)
    assert done.state is JobState.DONE, done.error
    assert probe_video(tmp_path / "range.mp4").frame_count == 30
    qtbot.waitUntil(lambda: set(range(30, 60)) <= set(model.identity), timeout=5_000)
    measured = [v for i, v in model.identity.items() if 30 <= i < 60 and v is not None and not np.isnan(v)]
    assert len(measured) >= 10  # every 3rd exported frame is scored
    # The queue turns DONE on the worker thread; the row hears of it through a queued signal.
    qtbot.waitUntil(lambda: "Done" in window.jobs_panel.rows[info.job_id].status.text(), timeout=5_000)


def test_cancelling_a_video_job_leaves_no_file(qtbot, window: MainWindow, tmp_path: Path) -> None:
    open_clip(qtbot, window)
    out = tmp_path / "out"
    out.mkdir()
    choice = VideoExportChoice(out / "whole.mp4", EncodeOptions(preset="ultrafast"), 0, OBAMA_FRAMES - 1)
    info = window.video.queue_export(choice)
    assert info is not None
    qtbot.waitUntil(lambda: window.runner.queue.get(info.job_id).fraction > 0.02, timeout=60_000)
    row = window.jobs_panel.rows[info.job_id]
    # The queue's progress is set on the worker thread; the row hears of it at the runner's next poll.
    qtbot.waitUntil(lambda: row.info.fraction > 0.02, timeout=5_000)
    assert row.cancel_button.isVisible() and "frame" in row.status.text()
    row.cancel_button.click()
    qtbot.waitUntil(lambda: window.runner.queue.get(info.job_id).state.is_final, timeout=10_000)
    assert window.runner.queue.get(info.job_id).state is JobState.CANCELLED
    assert list(out.iterdir()) == []  # neither the video nor its partial file


def test_shutting_down_while_the_analysis_thread_is_busy_still_closes_the_video_session(
    qtbot, window: MainWindow
) -> None:
    open_clip(qtbot, window)
    wait_for_frame(qtbot, window, 0)
    assert window.video.engine.session is not None
    started, release = threading.Event(), threading.Event()

    def busy() -> None:
        started.set()
        release.wait(2)

    window.analysis.submit(busy, lambda _v: None, lambda _e: None)
    assert started.wait(5)
    # The panel queues the session's close behind the busy task; shutdown drops queued tasks.
    threading.Timer(0.3, release.set).start()
    window.shutdown()
    assert window.video.engine.session is None


def test_a_resting_frame_settles_into_the_frame_the_export_writes(  # type: ignore[no-untyped-def]
    qtbot, window: MainWindow, tmp_path: Path, monkeypatch
) -> None:
    """The quick render fits landmarks on the frame alone; once the playhead rests, the frame is
    re-rendered as the export tracks it from its in point, and that is the exported frame (issue #17)."""
    from faceswap_desktop.app import video as video_module

    open_clip(qtbot, window)
    wait_for_frame(qtbot, window, 0)
    model = window.video.model
    model.set_position(10)
    window.video.timeline.track.setFocus()
    qtbot.keyClick(window.video.timeline.track, Qt.Key.Key_I)
    model.set_position(40)
    qtbot.waitUntil(
        lambda: (
            window.video.last_result is not None
            and window.video.last_result.request.index == 40
            and window.video.last_result.settled
        ),
        timeout=PREVIEW_TIMEOUT_MS,
    )
    settled = window.video.last_result
    assert settled is not None and settled.request.export_start == 10
    assert settled.swapped and settled.chosen is not None and settled.faces  # the person is still shown
    assert "as the export renders it" in window.status_label.text()

    written: list[np.ndarray] = []

    class CapturingWriter(video_module.VideoWriter):
        def write(self, image, pts, seconds):  # type: ignore[no-untyped-def]
            written.append(image.copy())
            return super().write(image, pts, seconds)

    monkeypatch.setattr(video_module, "VideoWriter", CapturingWriter)
    choice = VideoExportChoice(tmp_path / "range.mp4", EncodeOptions(audio="none"), 10, 45)
    info = window.video.queue_export(choice)
    assert info is not None
    qtbot.waitUntil(lambda: window.runner.queue.get(info.job_id).state.is_final, timeout=PREVIEW_TIMEOUT_MS)
    assert window.runner.queue.get(info.job_id).state is JobState.DONE
    np.testing.assert_array_equal(settled.frame, written[40 - 10])
