"""The video timeline driven through the real window on the shared Obama clip."""

from __future__ import annotations

import threading
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import Qt
from qt_helpers import BIDEN, PREVIEW_TIMEOUT_MS, SHARED

from faceswap_desktop.app.jobs import JobState
from faceswap_desktop.core.settings import SwapSettings
from faceswap_desktop.core.video_io import probe_video
from faceswap_desktop.core.video_writer import EncodeOptions
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


def wait_for_frame(qtbot, window: MainWindow, index: int) -> VideoFrameResult:  # type: ignore[no-untyped-def]
    def shown() -> bool:
        result = window.video.last_result
        return result is not None and result.request == window.video.preview_request() and result.request.index == index

    qtbot.waitUntil(shown, timeout=PREVIEW_TIMEOUT_MS)
    assert window.video.last_result is not None
    return window.video.last_result


def test_opening_a_video_shows_the_timeline_and_a_swapped_frame(qtbot, window: MainWindow) -> None:
    open_clip(qtbot, window)
    video = window.video
    assert video.timeline.isVisible()
    assert video.model.frame_count == OBAMA_FRAMES
    assert "of 259" in video.timeline.frame_label.text()
    result = wait_for_frame(qtbot, window, 0)
    assert result.swapped and result.face_found
    assert window.session.target is None  # the photo workflow stepped aside
    qtbot.waitUntil(lambda: len(video.model.thumbnails) > 4, timeout=PREVIEW_TIMEOUT_MS)
    assert video.model.identity.get(0) is not None  # the plot got this frame's similarity
    window.grab().save("/tmp/tl/smoke.png")
