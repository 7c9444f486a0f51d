"""The GUI's watermark switches: the File-menu toggle for photo exports, the video dialog's checkbox."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
from qt_helpers import BIDEN, OBAMA, PREVIEW_TIMEOUT_MS, SHARED, load_inputs

from faceswap_desktop.app.jobs import JobState
from faceswap_desktop.core.errors import FaceswapError
from faceswap_desktop.core.media.image_io import read_image
from faceswap_desktop.core.media.watermark import add_watermark, watermark_box
from faceswap_desktop.qt import video_panel
from faceswap_desktop.qt.main_window import MainWindow
from faceswap_desktop.qt.video_export_dialog import VideoExportDialog

OBAMA_CLIP = SHARED / "media" / "videos" / "Obama_speaking.mp4"


def export_photo(qtbot, window: MainWindow, output: Path) -> Any:  # type: ignore[no-untyped-def]
    info = window.queue_export(output)
    assert info is not None
    qtbot.waitUntil(lambda: window.runner.queue.get(info.job_id).state.is_final, timeout=PREVIEW_TIMEOUT_MS)
    done = window.runner.queue.get(info.job_id)
    assert done.state is JobState.DONE, done.error
    return done.outcome.summary


def test_the_photo_watermark_toggle(qtbot, window: MainWindow, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    load_inputs(qtbot, window, [OBAMA], BIDEN)
    toggle = window.actions_by_name["watermark"]
    assert toggle.isCheckable() and not toggle.isChecked()  # off by default
    assert export_photo(qtbot, window, tmp_path / "plain.png")["provenance"]["watermark"] is False
    toggle.trigger()
    summary = export_photo(qtbot, window, tmp_path / "marked.png")
    assert summary["provenance"] == {
        **summary["provenance"],
        "watermark": True,
        "content_credentials": "signed",
    }
    target, plain, marked = (
        read_image(BIDEN),
        read_image(tmp_path / "plain.png"),
        read_image(tmp_path / "marked.png"),
    )
    x0, y0, x1, y1 = watermark_box(target.shape[1], target.shape[0])
    corner = (slice(y0, y1), slice(x0, x1))
    assert np.array_equal(plain[corner], target[corner])
    assert np.array_equal(marked[corner], add_watermark(target)[corner])


def test_the_video_dialog_checkbox_reaches_the_export(  # type: ignore[no-untyped-def]
    qtbot, window: MainWindow, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    window.session.add_sources([BIDEN])
    qtbot.waitUntil(lambda: len(window.session.sources) == 1, timeout=PREVIEW_TIMEOUT_MS)
    window.session.set_target(OBAMA_CLIP)
    qtbot.waitUntil(lambda: window.video.active, timeout=PREVIEW_TIMEOUT_MS)
    requests: list[Any] = []

    def capture(context: object, request: Any, *args: object, **kwargs: object) -> None:
        requests.append(request)
        raise FaceswapError("captured")  # queue nothing: the export itself is tested in the app layer

    monkeypatch.setattr(video_panel, "video_export_work", capture)
    dialog = VideoExportDialog(window.video.model, OBAMA_CLIP, has_audio=False)
    qtbot.addWidget(dialog)
    dialog.output.setText(str(tmp_path / "v.mp4"))
    assert not dialog.watermark.isChecked() and dialog.choice().watermark is False
    dialog.watermark.setChecked(True)
    choice = dialog.choice()
    assert choice.watermark is True
    assert window.video.queue_export(choice) is None
    assert [request.watermark for request in requests] == [True]
