"""Live mode in the window, fed by a file-backed camera playing a shared clip in real time: consent first,
swapped frames on screen, the gauge, mirror, recording, snapshot, no virtual camera here; and a camera
unplugged mid-stream: the message, and the recording finalised."""

from __future__ import annotations

import threading
from pathlib import Path

import av
import cv2
import numpy as np
from PySide6.QtCore import Qt
from qt_helpers import SHARED

from faceswap_desktop.app.live.sources import CapturedFrame, SourceFormat, VideoFileSource
from faceswap_desktop.core.errors import CameraLost
from faceswap_desktop.core.media.provenance import DIGITAL_SOURCE_TYPE
from faceswap_desktop.core.media.video_io import VideoReader
from faceswap_desktop.qt.live_panel import FILE_CAMERA
from faceswap_desktop.qt.main_window import MainWindow

CLIP = SHARED / "media" / "videos" / "Obama_speaking.mp4"
BIDEN = SHARED / "media" / "images" / "identity" / "biden" / "biden.jpg"
TIMEOUT_MS = 60_000


def qimage_array(image) -> np.ndarray:  # type: ignore[no-untyped-def]
    image = image.convertToFormat(image.Format.Format_BGR888)
    stride = image.bytesPerLine()
    rows = np.frombuffer(image.constBits(), np.uint8, stride * image.height()).reshape(image.height(), stride)
    return rows[:, : image.width() * 3].reshape(image.height(), image.width(), 3).copy()


def prepare(qtbot, window: MainWindow, folder: Path) -> list[int]:  # type: ignore[no-untyped-def]
    """Source photo in, the file camera chosen, outputs into ``folder``; returns the consent log."""
    folder.mkdir()
    window.session.add_sources([BIDEN])
    qtbot.waitUntil(lambda: len(window.session.usable_sources) == 1, timeout=TIMEOUT_MS)
    live = window.live
    combo = live.panel.camera_combo
    combo.setCurrentIndex(combo.findData(FILE_CAMERA))
    live.file_camera = CLIP
    live.output_folder = folder
    asked: list[int] = []
    live.confirm_consent = lambda: asked.append(1) or True
    return asked


def test_a_file_camera_plays_into_live_mode_swapped(qtbot, window: MainWindow, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    live = window.live
    tmp_path = tmp_path / "out"  # beside the test's config folder
    asked = prepare(qtbot, window, tmp_path)
    refused: list[int] = []
    live.confirm_consent = lambda: refused.append(1) and False
    qtbot.mouseClick(live.panel.start_button, Qt.MouseButton.LeftButton)
    assert refused == [1] and not live.active and not live._starting, "no consent: live does not start"
    live.confirm_consent = lambda: asked.append(1) or True
    qtbot.mouseClick(live.panel.start_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: live.active and live.view.frames_shown >= 8, timeout=TIMEOUT_MS)
    assert asked == [1] and live.view.isVisible() and not window.preview.isVisible()
    assert live.panel.start_button.text() == "Stop live"
    # What is on screen is a swapped frame of the clip: the face changed, not the whole picture.
    shown = live.last_shown
    assert shown is not None and shown.swapped
    on_screen = qimage_array(live.view.image)  # scaled to the view on the live thread
    height, width = on_screen.shape[:2]
    assert abs(width / height - 512 / 388) < 0.02
    expected = cv2.resize(shown.image, (width, height), interpolation=cv2.INTER_AREA)
    assert np.abs(on_screen.astype(int) - expected.astype(int)).mean() < 3
    with VideoReader(CLIP) as reader:
        original = reader.frame_at(shown.camera_index)
    changed = np.abs(shown.image.astype(int) - original.astype(int)).max(axis=2) > 20
    assert 0.01 < changed.mean() < 0.4
    # The gauge: the live face measured against the source (about once a second).
    qtbot.waitUntil(
        lambda: (
            len(window.similarity_panel.gauges) == 1
            and window.similarity_panel.gauges[0].similarity is not None
        ),
        timeout=TIMEOUT_MS,
    )
    assert window.similarity_panel.gauges[0].title == "Live"
    # Mirror applies from the next frame.
    live.panel.mirror_box.setChecked(True)
    assert live.runner is not None and live.runner.options.mirror
    # Record a few frames, then stop the recording: a labelled file with every frame handed to it.
    qtbot.mouseClick(live.panel.record_button, Qt.MouseButton.LeftButton)
    assert live.panel.record_button.text() == "Stop recording"
    qtbot.waitUntil(lambda: live.runner is not None and live.runner.recording, timeout=TIMEOUT_MS)
    start = live.runner.stats.processed
    qtbot.waitUntil(lambda: live.runner.stats.processed >= start + 6, timeout=TIMEOUT_MS)
    qtbot.mouseClick(live.panel.record_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: live.last_recording is not None, timeout=TIMEOUT_MS)
    recording = live.last_recording
    assert recording.output.parent == tmp_path and recording.content_credentials == "signed"
    with av.open(str(recording.output)) as container:
        assert sum(1 for _ in container.decode(video=0)) == recording.frames >= 5
        assert container.metadata["digital_source_type"] == DIGITAL_SOURCE_TYPE
    qtbot.mouseClick(live.panel.snapshot_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: bool(list(tmp_path.glob("live-*.png"))), timeout=TIMEOUT_MS)
    # No virtual camera device on this machine: a clear message, and the box unticks itself.
    live.panel.virtual_box.setChecked(True)
    qtbot.waitUntil(lambda: not live.panel.virtual_box.isChecked(), timeout=TIMEOUT_MS)
    assert "virtual camera" in window.toast.history[-1][1]
    qtbot.mouseClick(live.panel.start_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not live.active, timeout=TIMEOUT_MS)
    assert window.preview.isVisible() and not live.view.isVisible()
    assert live.last_end is not None and live.last_end.reason == "stopped"
    assert sorted(p.suffix for p in tmp_path.iterdir()) == [".mp4", ".png"], "no partial file left"


class UnpluggedCamera:
    """The clip in real time, unplugged ``after`` frames once ``armed`` is set."""

    realtime = True
    name = "USB camera"

    def __init__(self, after: int) -> None:
        self.inner = VideoFileSource(CLIP, realtime=True, loop=True)
        self.armed, self.after = threading.Event(), after

    def open(self) -> SourceFormat:
        return self.inner.open()

    def read(self) -> CapturedFrame | None:
        if self.armed.is_set():
            if self.after == 0:
                raise CameraLost("USB camera disconnected (unplugged)")
            self.after -= 1
        return self.inner.read()

    def close(self) -> None:
        self.inner.close()


def test_a_camera_unplugged_mid_stream_says_so_and_keeps_the_recording(  # type: ignore[no-untyped-def]
    qtbot, window: MainWindow, tmp_path: Path
) -> None:
    live = window.live
    tmp_path = tmp_path / "out"
    prepare(qtbot, window, tmp_path)
    camera = UnpluggedCamera(after=10)
    live._make_source = lambda: camera  # type: ignore[method-assign]
    qtbot.mouseClick(live.panel.start_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: live.active and live.view.frames_shown >= 2, timeout=TIMEOUT_MS)
    qtbot.mouseClick(live.panel.record_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: live.runner is not None and live.runner.recording, timeout=TIMEOUT_MS)
    camera.armed.set()
    qtbot.waitUntil(lambda: not live.active, timeout=TIMEOUT_MS)
    end = live.last_end
    assert end is not None and isinstance(end.error, CameraLost) and end.recording is not None
    level, message = window.toast.history[-1]
    assert level == "error" and "USB camera disconnected" in message and "recording saved" in message
    assert "disconnected" in live.panel.status_label.text()
    assert [p.name for p in tmp_path.iterdir()] == [end.recording.output.name]
    with av.open(str(end.recording.output)) as container:
        assert sum(1 for _ in container.decode(video=0)) == end.recording.frames >= 1
        assert container.metadata["digital_source_type"] == DIGITAL_SOURCE_TYPE
    assert live.panel.start_button.text() == "Start live" and not live.panel.record_button.isChecked()
