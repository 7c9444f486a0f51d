"""A damaged clip in the window: the user is told at once, and decides whether a partial export is
wanted (issue #23)."""

from __future__ import annotations

from pathlib import Path

from qt_helpers import BIDEN, PREVIEW_TIMEOUT_MS, SHARED

from faceswap_desktop.app.jobs import JobState
from faceswap_desktop.core.media.video_writer import EncodeOptions
from faceswap_desktop.qt.main_window import MainWindow
from faceswap_desktop.qt.video_export_dialog import VideoExportChoice, VideoExportDialog

DAMAGED = SHARED / "media/hostile/damaged_moov_sample_sizes.mp4"


def test_a_damaged_clip_is_flagged_and_exported_only_when_the_user_allows_it(  # type: ignore[no-untyped-def]
    qtbot, window: MainWindow, tmp_path: Path
) -> None:
    window.session.add_sources([BIDEN])
    qtbot.waitUntil(lambda: len(window.session.sources) == 1, timeout=PREVIEW_TIMEOUT_MS)
    window.session.set_target(DAMAGED)
    qtbot.waitUntil(lambda: window.video.active, timeout=PREVIEW_TIMEOUT_MS)
    info = window.video.info
    assert info is not None and info.partial
    assert any("only 1 of the 259 frames" in message for _level, message in window.toast.history)

    dialog = VideoExportDialog(
        window.video.model, DAMAGED, info.has_audio, partial_message=info.partial_message()
    )
    qtbot.addWidget(dialog)
    assert not dialog.allow_partial.isHidden() and not dialog.allow_partial.isChecked()
    assert "only 1 of the 259 frames" in dialog.partial_note.text()
    assert dialog.choice().allow_partial is False
    dialog.allow_partial.setChecked(True)
    assert dialog.choice().allow_partial is True

    refused = window.video.queue_export(
        VideoExportChoice(tmp_path / "no.mp4", EncodeOptions(audio="none"), 0, 0)
    )
    allowed = window.video.queue_export(
        VideoExportChoice(tmp_path / "yes.mp4", EncodeOptions(audio="none"), 0, 0, allow_partial=True)
    )
    assert refused is not None and allowed is not None
    queue = window.runner.queue
    qtbot.waitUntil(lambda: queue.get(allowed.job_id).state.is_final, timeout=PREVIEW_TIMEOUT_MS)
    assert queue.get(refused.job_id).state is JobState.FAILED
    assert "only 1 of the 259 frames" in queue.get(refused.job_id).error
    assert queue.get(allowed.job_id).state is JobState.DONE, queue.get(allowed.job_id).error
    assert (tmp_path / "yes.mp4").is_file() and not (tmp_path / "no.mp4").exists()


def test_an_intact_clip_offers_no_partial_export(qtbot, window: MainWindow) -> None:  # type: ignore[no-untyped-def]
    from faceswap_desktop.qt.timeline_model import TimelineModel

    model = TimelineModel()
    model.set_video((0.0, 1 / 30), 2 / 30, window.session.settings)
    dialog = VideoExportDialog(model, DAMAGED, False)
    qtbot.addWidget(dialog)
    assert dialog.allow_partial.isHidden() and dialog.choice().allow_partial is False
