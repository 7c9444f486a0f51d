"""Cameras for Live mode: the list to choose from, and a Qt Multimedia camera as a live frame source.

Qt Multimedia is in PySide6's Addons wheel (the ``camera`` extra). Where it cannot be imported (not
installed, or a system library such as libpulse missing on Linux), the list falls back to OpenCV's
capture of cameras by number, which is also what the CLI uses.

:class:`QtCameraSource` is made and started on the GUI thread (a ``QCamera`` lives in a thread with an
event loop); each new video frame is converted to a BGR array in the sink's frame callback and kept in
a one-frame slot, from which the live runner's capture thread reads (latest frame wins). The camera
disappearing (``QMediaDevices.videoInputsChanged`` without it, or a camera error) makes the next read
raise :class:`~..core.errors.CameraLost`.
"""

from __future__ import annotations

import glob
import logging
import sys
import threading
import time
from dataclasses import dataclass
from typing import Any

import numpy as np
from PySide6.QtCore import QObject, Qt
from PySide6.QtGui import QImage

from ..app.live.slot import LatestSlot
from ..app.live.sources import CapturedFrame, SourceFormat
from ..core.errors import CameraLost, CameraUnavailable

log = logging.getLogger(__name__)

FIRST_FRAME_TIMEOUT_S = 5.0


def qt_multimedia() -> Any | None:
    """The QtMultimedia module, or None where it cannot be loaded (the reason is logged)."""
    try:
        from PySide6 import QtMultimedia
    except ImportError as error:
        log.info("Qt Multimedia unavailable (%s); cameras through OpenCV", error)
        return None
    return QtMultimedia


@dataclass(frozen=True)
class CameraChoice:
    """One camera in the list: how to open it and what it offers."""

    label: str
    key: str
    """A Qt camera's device id, or the OpenCV camera number as text."""
    backend: str
    """'qt' or 'opencv'."""
    sizes: tuple[tuple[int, int], ...] = ((640, 480), (1280, 720))


def list_cameras() -> list[CameraChoice]:
    """The cameras of this computer (Qt Multimedia's names and formats, else OpenCV numbers)."""
    multimedia = qt_multimedia()
    if multimedia is not None:
        cameras = []
        for device in multimedia.QMediaDevices.videoInputs():
            sizes = sorted({(f.resolution().width(), f.resolution().height()) for f in device.videoFormats()})
            key = bytes(device.id().data()).decode(errors="replace")
            cameras.append(CameraChoice(device.description(), key, "qt", tuple(sizes) or CameraChoice.sizes))
        return cameras
    if sys.platform.startswith("linux"):
        numbers = sorted(int(path.removeprefix("/dev/video")) for path in glob.glob("/dev/video[0-9]*"))
    else:
        numbers = [0, 1]
    return [CameraChoice(f"Camera {number}", str(number), "opencv") for number in numbers]


class QtCameraSource(QObject):
    """A Qt Multimedia camera read by the live runner (create it on the GUI thread)."""

    realtime = True

    def __init__(self, choice: CameraChoice, size: tuple[int, int] | None, fps: float | None) -> None:
        super().__init__()
        multimedia = qt_multimedia()
        if multimedia is None:
            raise CameraUnavailable("Qt Multimedia is not available here; install faceswap-desktop[camera]")
        self.name = choice.label
        self._choice = choice
        self._slot: LatestSlot[CapturedFrame] = LatestSlot()
        self._error: str | None = None
        self._count = 0
        self._lock = threading.Lock()
        device = next(
            (
                d
                for d in multimedia.QMediaDevices.videoInputs()
                if bytes(d.id().data()).decode() == choice.key
            ),
            None,
        )
        if device is None:
            raise CameraUnavailable(f"{choice.label} is not connected any more")
        self._camera = multimedia.QCamera(device)
        chosen = _best_format(device, size, fps)
        if chosen is not None:
            self._camera.setCameraFormat(chosen)
        self._sink = multimedia.QVideoSink()
        self._session = multimedia.QMediaCaptureSession()
        self._session.setCamera(self._camera)
        self._session.setVideoSink(self._sink)
        # Direct: the conversion runs where the frame arrives (the backend's thread where it has one),
        # never queued behind the GUI's events.
        self._sink.videoFrameChanged.connect(self._on_frame, Qt.ConnectionType.DirectConnection)
        self._camera.errorOccurred.connect(self._on_error)
        self._devices = multimedia.QMediaDevices(self)
        self._devices.videoInputsChanged.connect(self._on_inputs_changed)
        self._multimedia = multimedia
        self._camera.start()

    def open(self) -> SourceFormat:
        """Wait for the first frame (any thread but the GUI's); a camera that sends none is busy."""
        deadline = time.monotonic() + FIRST_FRAME_TIMEOUT_S
        while time.monotonic() < deadline:
            if self._error is not None:
                raise CameraUnavailable(f"{self.name}: {self._error}")
            first = self._slot.take(0.1)
            if first is not None:
                self._slot.put(first)
                height, width = first.image.shape[:2]
                return SourceFormat(width, height, 30.0)
        raise CameraUnavailable(f"{self.name} sends no picture (another program may be using it)")

    def read(self) -> CapturedFrame | None:
        while True:
            if self._error is not None:
                raise CameraLost(f"{self.name} disconnected: {self._error}")
            frame = self._slot.take(0.2)
            if frame is not None:
                return frame

    def close(self) -> None:
        """Stop the camera (safe from any thread: queued to the camera's own thread)."""
        self._slot.close()
        from PySide6.QtCore import QMetaObject

        QMetaObject.invokeMethod(self._camera, "stop", Qt.ConnectionType.QueuedConnection)

    # -- callbacks -----------------------------------------------------------------------------------
    def _on_frame(self, frame: Any) -> None:
        image = frame.toImage()
        if image.isNull():
            return
        image = image.convertToFormat(QImage.Format.Format_BGR888)
        width, height, stride = image.width(), image.height(), image.bytesPerLine()
        pixels = np.frombuffer(image.constBits(), np.uint8, stride * height).reshape(height, stride)
        array = pixels[:, : width * 3].reshape(height, width, 3).copy()
        with self._lock:
            self._count += 1
            index = self._count - 1
        self._slot.put(CapturedFrame(array, time.perf_counter(), index))

    def _on_error(self, *args: object) -> None:
        self._error = self._camera.errorString() or "camera error"
        self._slot.close()

    def _on_inputs_changed(self) -> None:
        ids = {bytes(d.id().data()).decode() for d in self._multimedia.QMediaDevices.videoInputs()}
        if self._choice.key not in ids:
            self._error = "the camera was unplugged"
            self._slot.close()


def _best_format(device: Any, size: tuple[int, int] | None, fps: float | None) -> Any | None:
    """The camera format closest to the asked size, then frame rate."""
    formats = list(device.videoFormats())
    if not formats or size is None:
        return None

    def distance(fmt: Any) -> tuple[int, float]:
        resolution = fmt.resolution()
        pixels = abs(resolution.width() * resolution.height() - size[0] * size[1])
        return pixels, abs(fmt.maxFrameRate() - (fps or 30.0))

    return min(formats, key=distance)
