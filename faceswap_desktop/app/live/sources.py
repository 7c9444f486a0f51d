"""Where live frames come from: a camera, or a video file standing in for one.

A :class:`FrameSource` is opened once, then read from one thread (the live runner's capture thread);
``read`` blocks until the next frame and returns ``None`` at the end of a file. A camera that cannot be
opened raises :class:`~..core.errors.CameraUnavailable`; one that stops delivering while streaming
raises :class:`~..core.errors.CameraLost`, which the runner turns into a clear message after it has
finalised any recording.

Sources: :class:`VideoFileSource` (tests, demos, benchmarks) and :class:`OpenCvCameraSource` (cameras,
for the CLI's ``--camera N`` and the window alike: V4L2 on Linux, Media Foundation on Windows,
AVFoundation on macOS). Qt Multimedia was tried for the window's cameras and dropped: initialising its
backend (``QMediaDevices.videoInputs()``) hung the GUI thread in 2 of 3 test runs while a worker thread
ran the mesh engine's warm-up (faulthandler showed both threads stuck), and it needs PySide6's 150 MB
Addons wheel. :func:`list_cameras` names cameras from sysfs on Linux; elsewhere OpenCV cannot list
them, so the first ones are offered by number.
"""

from __future__ import annotations

import glob
import os
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import cv2

from ...core.errors import CameraLost, CameraUnavailable
from ...core.media.guarded_decode import GuardedVideoReader
from ...core.media.video_io import VideoSource
from ...core.types import Image


@dataclass(frozen=True)
class CapturedFrame:
    """One camera frame: the picture (BGR, owned by the reader) and when it arrived."""

    image: Image
    captured_at: float
    """``time.perf_counter()`` when the frame was delivered (the start of its latency)."""
    index: int
    """Frame number since the source opened."""


@dataclass(frozen=True)
class SourceFormat:
    """What a source delivers."""

    width: int
    height: int
    fps: float


@dataclass(frozen=True)
class CameraChoice:
    """A camera to offer: its name and OpenCV's number for it."""

    label: str
    number: int


def list_cameras(sysfs: str = "/sys/class/video4linux") -> list[CameraChoice]:
    """The cameras of this computer: on Linux the V4L2 capture devices with their names (a webcam's
    metadata node, index 1, is left out); elsewhere cameras 0 and 1 by number."""
    if not sys.platform.startswith("linux"):
        return [CameraChoice(f"Camera {number}", number) for number in (0, 1)]
    cameras = []
    for device in sorted(glob.glob(f"{sysfs}/video[0-9]*"), key=lambda p: int(p.rsplit("video", 1)[1])):
        number = int(device.rsplit("video", 1)[1])
        try:
            if Path(device, "index").read_text().strip() not in ("", "0"):
                continue
            name = Path(device, "name").read_text().strip()
        except OSError:
            name = ""
        cameras.append(CameraChoice(f"{name or 'Camera'} ({number})", number))
    return cameras


class FrameSource(Protocol):
    """A camera-like stream of frames."""

    name: str
    realtime: bool
    """True: frames arrive at the source's own pace and the latest wins (a camera); False: the next
    frame is read only once the previous one was taken (every frame of a file is processed)."""

    def open(self) -> SourceFormat: ...

    def read(self) -> CapturedFrame | None: ...

    def close(self) -> None: ...


class VideoFileSource:
    """A video file played as a camera: paced at its frame rate (``realtime``) or frame by frame.

    Decoding runs in a helper process (``GuardedVideoReader``), as for every user file: a damaged file
    fails this source, not the app. ``loop`` starts again at the end (demos); ``size`` resizes frames
    to (width, height) as a camera set to that resolution would deliver them.
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        realtime: bool = True,
        loop: bool = False,
        size: tuple[int, int] | None = None,
        max_frames: int | None = None,
    ) -> None:
        self.path = Path(path)
        self.name = f"file: {self.path.name}"
        self.realtime, self.loop, self.size, self.max_frames = realtime, loop, size, max_frames
        self._reader: VideoSource | None = None
        self._frames: object = None
        self._count = 0
        self._next_due = 0.0
        self._interval = 0.0

    def open(self) -> SourceFormat:
        """Open the file (typed errors for a missing or damaged one)."""
        if not self.path.is_file():
            raise CameraUnavailable(f"the video standing in for a camera does not exist: {self.path}")
        self._reader = GuardedVideoReader(self.path)
        info = self._reader.info
        self._interval = 1.0 / float(info.fps) if info.fps else 1.0 / 30.0
        self._restart()
        width, height = self.size or (info.width, info.height)
        return SourceFormat(width, height, float(info.fps))

    def _restart(self) -> None:
        assert self._reader is not None
        self._frames = iter(self._reader.frames(0, self._reader.info.frame_count))

    def read(self) -> CapturedFrame | None:
        """The next frame (after waiting for its time when ``realtime``); None at the end."""
        if self._reader is None:
            raise CameraLost(f"{self.name} is closed")
        if self.max_frames is not None and self._count >= self.max_frames:
            return None
        item = next(self._frames, None)  # type: ignore[call-overload]
        if item is None and self.loop and self._count:
            self._restart()
            item = next(self._frames, None)  # type: ignore[call-overload]
        if item is None:
            return None
        image: Image = item[1]
        if self.size is not None and (image.shape[1], image.shape[0]) != self.size:
            image = cv2.resize(image, self.size, interpolation=cv2.INTER_AREA)
        if self.realtime:
            now = time.perf_counter()
            self._next_due = max(self._next_due + self._interval, now) if self._count else now
            time.sleep(max(0.0, self._next_due - now))
        self._count += 1
        return CapturedFrame(image, time.perf_counter(), self._count - 1)

    def close(self) -> None:
        """Release the file and its helper process."""
        if self._reader is not None:
            self._reader.close()
            self._reader = None


class OpenCvCameraSource:
    """Camera number ``index`` through OpenCV's capture (V4L2, Media Foundation, AVFoundation)."""

    realtime = True

    def __init__(self, index: int, size: tuple[int, int] | None = None, fps: float | None = None) -> None:
        self.index, self.size, self.fps = index, size, fps
        self.name = f"camera {index}"
        self._capture: cv2.VideoCapture | None = None
        self._count = 0

    def open(self) -> SourceFormat:
        """Open the camera; :class:`CameraUnavailable` says whether it is missing or busy."""
        device = Path(f"/dev/video{self.index}")
        if sys.platform.startswith("linux") and not device.exists():
            raise CameraUnavailable(f"camera {self.index} does not exist (no {device}); is it plugged in?")
        capture = cv2.VideoCapture(self.index)
        if not capture.isOpened():
            capture.release()
            raise CameraUnavailable(
                f"camera {self.index} could not be opened: another program may be using it, or this "
                "user may not be allowed to (on Linux: the 'video' group)"
            )
        if self.size is not None:
            capture.set(cv2.CAP_PROP_FRAME_WIDTH, self.size[0])
            capture.set(cv2.CAP_PROP_FRAME_HEIGHT, self.size[1])
        if self.fps is not None:
            capture.set(cv2.CAP_PROP_FPS, self.fps)
        ok, first = capture.read()
        if not ok or first is None:
            capture.release()
            raise CameraUnavailable(f"camera {self.index} opened but delivers no picture (busy?)")
        self._capture = capture
        fps = capture.get(cv2.CAP_PROP_FPS) or 30.0
        return SourceFormat(first.shape[1], first.shape[0], float(fps))

    def read(self) -> CapturedFrame | None:
        """The next frame; :class:`CameraLost` when the camera stops delivering."""
        if self._capture is None:
            raise CameraLost(f"{self.name} is closed")
        ok, image = self._capture.read()
        if not ok or image is None:
            raise CameraLost(
                f"{self.name} stopped delivering frames (unplugged, or taken by another program)"
            )
        self._count += 1
        return CapturedFrame(image, time.perf_counter(), self._count - 1)

    def close(self) -> None:
        """Release the camera."""
        if self._capture is not None:
            self._capture.release()
            self._capture = None
