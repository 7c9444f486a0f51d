"""Live mode's app layer: a file-backed camera through the runner, recording, the labelled virtual camera,
a camera lost mid-stream, frames without a face, mirror, and a live identity change."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import av
import numpy as np
import pytest

from faceswap_desktop.app.context import AppContext
from faceswap_desktop.app.live.recorder import RecordingOptions
from faceswap_desktop.app.live.runner import LiveFrame, LiveOptions, LiveRunner
from faceswap_desktop.app.live.sources import CapturedFrame, OpenCvCameraSource, SourceFormat, VideoFileSource
from faceswap_desktop.app.live.virtual_camera import LabelledVirtualCamera, PyVirtualCamSink
from faceswap_desktop.core.errors import CameraLost, CameraUnavailable, OutputConflict
from faceswap_desktop.core.media.image_io import read_image
from faceswap_desktop.core.media.live_label import burn_live_label, live_label_box
from faceswap_desktop.core.media.provenance import DIGITAL_SOURCE_TYPE
from faceswap_desktop.core.media.video_io import VideoReader
from faceswap_desktop.core.pipeline import FacePipeline, PreparedSource

CLIP = Path(__file__).resolve().parents[2].parent / "shared" / "media" / "videos" / "Obama_speaking.mp4"
FRAMES = 12


class FakeVirtualCamera:
    """Keeps what a virtual camera would show."""

    name = "fake virtual camera"

    def __init__(self) -> None:
        self.frames: list[np.ndarray] = []
        self.closed = False

    def send(self, image: np.ndarray) -> None:
        self.frames.append(image)

    def close(self) -> None:
        self.closed = True


class UnpluggedCamera:
    """The file-backed camera, unplugged after ``frames`` frames (its next read raises CameraLost)."""

    realtime = False
    name = "camera 1"

    def __init__(self, frames: int) -> None:
        self.inner = VideoFileSource(CLIP, realtime=False)
        self.left = frames

    def open(self) -> SourceFormat:
        return self.inner.open()

    def read(self) -> CapturedFrame | None:
        if self.left == 0:
            raise CameraLost("camera 1 disconnected (unplugged)")
        self.left -= 1
        return self.inner.read()

    def close(self) -> None:
        self.inner.close()


class StillSource:
    """A camera looking at a wall: the same face-less picture ``count`` times."""

    realtime = False
    name = "wall"

    def __init__(self, image: np.ndarray, count: int) -> None:
        self.image, self.count, self.index = image, count, 0

    def open(self) -> SourceFormat:
        return SourceFormat(self.image.shape[1], self.image.shape[0], 30.0)

    def read(self) -> CapturedFrame | None:
        if self.index == self.count:
            return None
        self.index += 1
        return CapturedFrame(self.image.copy(), time.perf_counter(), self.index - 1)

    def close(self) -> None:
        pass


@pytest.fixture(scope="module")
def pipeline(context: AppContext) -> FacePipeline:
    return context.build_pipeline(judge=None)


@pytest.fixture(scope="module")
def prepared(pipeline: FacePipeline, media: Path) -> PreparedSource:
    return pipeline.prepare_source([read_image(media / "identity" / "biden" / "biden.jpg")])


@pytest.fixture(scope="module")
def clip_frames() -> list[np.ndarray]:
    with VideoReader(CLIP) as reader:
        return [image for _index, image in reader.frames(0, FRAMES)]


def run(runner: LiveRunner, timeout: float = 60.0) -> None:
    runner.start()
    assert runner.wait(timeout) is not None, "live did not end"


def decoded(path: Path) -> tuple[list[np.ndarray], dict[str, str]]:
    with av.open(str(path)) as container:
        frames = [frame.to_ndarray(format="bgr24") for frame in container.decode(video=0)]
        return frames, dict(container.metadata)


def test_the_label_changes_only_its_box_and_is_legible() -> None:
    frame = np.full((480, 640, 3), 200, np.uint8)
    labelled = burn_live_label(frame)
    x0, y0, x1, y1 = live_label_box(640, 480)
    assert (frame == 200).all(), "the input frame is not modified"
    outside = labelled.copy()
    outside[y0:y1, x0:x1] = 200
    assert (outside == 200).all()
    box = labelled[y0:y1, x0:x1]
    assert (box == 50).mean() > 0.5, "the box darkens what is under it"
    assert (box.min(axis=2) >= 240).sum() > 200, "white text in the box"
    assert y1 - y0 >= 0.06 * 480, "large enough to read on a call"


def test_a_file_camera_is_swapped_recorded_and_labelled_on_the_virtual_camera(
    tmp_path: Path, pipeline: FacePipeline, prepared: PreparedSource, analyser, clip_frames: list[np.ndarray]
) -> None:
    shown: list[LiveFrame] = []
    runner = LiveRunner(
        VideoFileSource(CLIP, realtime=False, max_frames=FRAMES), pipeline, analyser, prepared,
        on_frame=shown.append,
    )  # fmt: skip
    runner.start()
    output = tmp_path / "live.mp4"
    runner.start_recording(RecordingOptions(output))
    fake = FakeVirtualCamera()
    runner.attach_virtual_camera(LabelledVirtualCamera(fake))
    end = runner.wait(60)
    assert end is not None and end.reason == "ended" and end.error is None
    # Frame by frame (not real time): every frame of the clip was processed, none dropped.
    assert runner.stats.captured == runner.stats.processed == FRAMES and runner.stats.dropped == 0
    assert [frame.number for frame in shown] == list(range(FRAMES))
    assert all(frame.swapped for frame in shown)
    # The swap changed the face (Biden's texture on Obama), not the whole picture.
    for frame, original in zip(shown, clip_frames, strict=True):
        changed = np.abs(frame.image.astype(int) - original.astype(int)).max(axis=2) > 20
        assert 0.01 < changed.mean() < 0.4
    # The recording: every frame shown, synthetic-media tags, C2PA-signed, nothing left beside it.
    assert end.recording is not None and end.recording.frames == FRAMES
    assert end.recording.content_credentials == "signed"
    frames, metadata = decoded(output)
    assert len(frames) == FRAMES
    assert metadata["digital_source_type"] == DIGITAL_SOURCE_TYPE
    assert np.abs(frames[5].astype(int) - shown[5].image.astype(int)).mean() < 4  # the swapped frame
    assert [p.name for p in tmp_path.iterdir()] == ["live.mp4"]
    # The virtual camera: every frame, each with the label burned in and the rest as shown.
    assert len(fake.frames) == FRAMES and fake.closed
    height, width = shown[0].image.shape[:2]
    x0, y0, x1, y1 = live_label_box(width, height)
    for sent, frame in zip(fake.frames, shown, strict=True):
        assert np.array_equal(sent, burn_live_label(frame.image))
        box = sent[y0:y1, x0:x1]
        assert (box.min(axis=2) >= 240).sum() > 100, "white label text"
        outside = sent.copy()
        outside[y0:y1, x0:x1] = frame.image[y0:y1, x0:x1]
        assert np.array_equal(outside, frame.image)


def test_a_camera_removed_mid_stream_says_so_and_finalises_the_recording(
    tmp_path: Path, pipeline: FacePipeline, prepared: PreparedSource, analyser
) -> None:
    runner = LiveRunner(UnpluggedCamera(6), pipeline, analyser, prepared)
    runner.start()
    output = tmp_path / "cut.mp4"
    runner.start_recording(RecordingOptions(output))
    end = runner.wait(60)
    assert end is not None and end.reason == "error" and isinstance(end.error, CameraLost)
    assert "disconnected" in end.message and f"recording saved: {output}" in end.message
    frames, metadata = decoded(output)
    assert len(frames) == runner.stats.processed == 6
    assert metadata["digital_source_type"] == DIGITAL_SOURCE_TYPE
    assert [p.name for p in tmp_path.iterdir()] == ["cut.mp4"], "no partial file left"


def test_no_face_in_view_passes_frames_through_untouched_and_mirror_flips(
    pipeline: FacePipeline, prepared: PreparedSource, analyser
) -> None:
    wall = np.tile(np.linspace(0, 255, 320, dtype=np.uint8)[None, :, None], (240, 1, 3))
    shown: list[LiveFrame] = []
    run(LiveRunner(StillSource(wall, 4), pipeline, analyser, prepared, on_frame=shown.append))
    assert len(shown) == 4 and not any(frame.face_found for frame in shown)
    assert all(np.array_equal(frame.image, wall) for frame in shown)
    mirrored: list[LiveFrame] = []
    options = LiveOptions(mirror=True)
    run(LiveRunner(StillSource(wall, 2), pipeline, analyser, prepared, options, on_frame=mirrored.append))
    assert all(np.array_equal(frame.image, wall[:, ::-1]) for frame in mirrored)


def test_the_source_identity_changes_while_live_runs(
    pipeline: FacePipeline, prepared: PreparedSource, analyser, clip_frames: list[np.ndarray]
) -> None:
    shown: list[LiveFrame] = []
    runner = LiveRunner(VideoFileSource(CLIP, realtime=False, max_frames=6), pipeline, analyser, prepared)

    def on_frame(frame: LiveFrame) -> None:
        shown.append(frame)
        if frame.number == 2:
            runner.set_source(None)  # no identity: frames from the next on pass through

    runner.on_frame = on_frame
    run(runner)
    assert [frame.swapped for frame in shown] == [True, True, True, False, False, False]
    assert np.array_equal(shown[4].image, clip_frames[4])


def test_a_recording_never_replaces_a_file_or_an_input(tmp_path: Path, media: Path) -> None:
    from faceswap_desktop.app.live.recorder import check_recording

    existing = tmp_path / "taken.mp4"
    existing.write_bytes(b"keep")
    with pytest.raises(OutputConflict, match="exists"):
        check_recording(RecordingOptions(existing))
    with pytest.raises(OutputConflict):
        check_recording(RecordingOptions(tmp_path / "x.gif"))
    assert existing.read_bytes() == b"keep"


def test_missing_cameras_and_virtual_cameras_give_clear_errors() -> None:
    with pytest.raises(CameraUnavailable, match="camera 63"):
        OpenCvCameraSource(63).open()
    with pytest.raises(CameraUnavailable, match="virtual camera"):
        PyVirtualCamSink(64, 48, 30)  # no v4l2loopback device here (or pyvirtualcam not installed)
    source = VideoFileSource(CLIP.with_name("no_such_clip.mp4"))
    with pytest.raises(CameraUnavailable, match="does not exist"):
        source.open()


def test_a_camera_faster_than_the_loop_drops_frames_rather_than_queueing_them(
    pipeline: FacePipeline, prepared: PreparedSource, analyser
) -> None:
    """A camera that delivers 30 frames at once to a loop showing each for 100 ms: the loop skips to the
    newest frame each time, and the last frame is never dropped."""
    wall = np.zeros((120, 160, 3), np.uint8)
    camera = StillSource(wall, 30)
    camera.realtime = True  # type: ignore[misc]
    shown: list[LiveFrame] = []

    def slow_display(frame: LiveFrame) -> None:
        shown.append(frame)
        time.sleep(0.1)

    runner = LiveRunner(camera, pipeline, analyser, prepared, on_frame=slow_display)
    run(runner)
    stats = runner.stats
    assert stats.captured == 30 and stats.processed + stats.dropped == 30 and stats.dropped >= 15
    indices = [frame.camera_index for frame in shown]
    assert indices == sorted(indices) and indices[-1] == 29


def test_frames_are_resized_like_a_camera_set_to_a_resolution() -> None:
    source = VideoFileSource(CLIP, realtime=False, size=(640, 480), max_frames=2)
    assert source.open() == SourceFormat(640, 480, 30.0)
    try:
        first = source.read()
        assert first is not None and first.image.shape == (480, 640, 3)
        assert source.read() is not None and source.read() is None
    finally:
        source.close()


def test_cameras_are_listed_with_their_names_without_metadata_nodes(tmp_path: Path) -> None:
    import sys

    from faceswap_desktop.app.live.sources import CameraChoice, list_cameras

    for number, name, index in ((0, "Integrated Webcam", 0), (1, "Integrated Webcam", 1), (10, "USB Cam", 0)):
        device = tmp_path / f"video{number}"
        device.mkdir()
        (device / "name").write_text(name + "\n")
        (device / "index").write_text(f"{index}\n")
    cameras = list_cameras(str(tmp_path))
    if sys.platform.startswith("linux"):
        assert cameras == [CameraChoice("Integrated Webcam (0)", 0), CameraChoice("USB Cam (10)", 10)]
    else:
        assert [camera.number for camera in cameras] == [0, 1]


@pytest.mark.parametrize("ahead", [True, False], ids=["two threads", "one thread"])
def test_the_next_frame_is_tracked_while_this_one_is_swapped(
    pipeline: FacePipeline, prepared: PreparedSource, analyser, monkeypatch: pytest.MonkeyPatch, ahead: bool
) -> None:
    """Tracking and swapping run on two threads, one frame apart (the two cores of a small machine):
    every frame is still tracked, swapped and shown once, in camera order, with its own track."""
    from types import SimpleNamespace

    from faceswap_desktop.app.live import runner as runner_module
    from faceswap_desktop.core.types import Face
    from faceswap_desktop.core.video.tracking import TrackResult

    spans: dict[str, list[tuple[int, float, float, str]]] = {"track": [], "swap": []}
    face = Face((10.0, 10.0, 50.0, 50.0), 1.0, np.zeros((5, 2), np.float32))

    def track(self, frame: np.ndarray, number: int, timestamp: float) -> TrackResult:  # type: ignore[no-untyped-def]
        started = time.perf_counter()
        time.sleep(0.02)
        spans["track"].append(
            (number, started, time.perf_counter(), runner_module.threading.current_thread().name)
        )
        return TrackResult(face, face, 1, False, False, None, 0)

    def swap(pipeline, prepared, settings, index, image, track, score, in_place):  # type: ignore[no-untyped-def]
        started = time.perf_counter()
        time.sleep(0.04)
        image[0, 0] = index  # which track the swap was given
        spans["swap"].append(
            (index, started, time.perf_counter(), runner_module.threading.current_thread().name)
        )
        return SimpleNamespace(image=image)

    monkeypatch.setattr(runner_module.FaceTracker, "update", track)
    monkeypatch.setattr(runner_module, "swap_tracked_face", swap)
    shown: list[LiveFrame] = []
    runner = LiveRunner(
        StillSource(np.zeros((60, 80, 3), np.uint8), 8),
        pipeline,
        analyser,
        prepared,
        on_frame=shown.append,
        track_while_swapping=ahead,
    )
    run(runner)
    assert [frame.camera_index for frame in shown] == list(range(8))
    assert [int(frame.image[0, 0, 0]) for frame in shown] == list(range(8))
    assert [n for n, *_ in spans["track"]] == list(range(8)) and [n for n, *_ in spans["swap"]] == list(
        range(8)
    )
    if not ahead:  # one thread takes turns: never overlapping
        assert {s[3] for s in spans["track"]} == {s[3] for s in spans["swap"]} == {"live"}
        return
    assert {s[3] for s in spans["track"]} == {"live-track"} and {s[3] for s in spans["swap"]} == {"live"}
    # Frame n + 1 was tracked while frame n was being swapped.
    overlapping = sum(
        1
        for (n, t0, t1, _), (m, s0, s1, _) in zip(spans["track"][1:], spans["swap"], strict=False)
        if t0 < s1 and s0 < t1
    )
    assert overlapping >= 3  # 0 when they take turns on one thread; 7 on an idle machine
    # Yet the next frame is taken late in the swap in progress (as late as still ends its 20 ms of
    # tracking before that 40 ms swap does), so it is fresher than at the swap's start.
    late = sum(
        1
        for (_n, t0, *_), (_m, s0, *_) in zip(spans["track"][3:], spans["swap"][2:], strict=False)
        if t0 >= s0 + 0.005
    )
    assert late >= 3


def test_the_display_gets_the_newest_frame_on_its_own_thread_without_holding_up_the_loop(
    pipeline: FacePipeline, prepared: PreparedSource, analyser
) -> None:
    """``on_display`` (the window's scaling and conversion for the screen) runs on the "live-show"
    thread, latest frame wins: a display far slower than the loop (200 ms a frame) misses frames rather
    than holding the loop up (every frame is still processed and handed to ``on_frame``, the recording's
    path), and the last frame is shown. The stages the live thread spends its time in are counted."""
    wall = np.zeros((120, 160, 3), np.uint8)
    every: list[int] = []
    displayed: list[tuple[int, str]] = []

    def slow_display(frame: LiveFrame) -> None:
        displayed.append((frame.camera_index, threading.current_thread().name))
        time.sleep(0.2)

    runner = LiveRunner(
        StillSource(wall, 20), pipeline, analyser, prepared,
        on_frame=lambda frame: every.append(frame.camera_index), on_display=slow_display,
    )  # fmt: skip
    run(runner)
    assert every == list(range(20)), "every frame processed, in order, whatever the display does"
    shown = [index for index, _thread in displayed]
    assert {thread for _index, thread in displayed} == {"live-show"}
    assert shown == sorted(shown) and shown[-1] == 19, "the newest frame, in order, the last one shown"
    assert len(shown) < 20 and runner.stats.not_displayed == 20 - len(shown)
    assert {"wait", "track", "swap", "show"} <= set(runner.stats.stage_ms)
