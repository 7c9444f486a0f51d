"""The live view's frames: scaled on the display thread and converted to the screen's 32-bit format, with
the same pixels as the 24-bit image scaled the same way (what the view drew before)."""

from __future__ import annotations

import cv2
import numpy as np
from PySide6.QtGui import QImage

from faceswap_desktop.qt.live_workspace import recent_median, view_image


def as_bgr(image: QImage) -> np.ndarray:
    image = image.convertToFormat(QImage.Format.Format_BGR888)
    stride = image.bytesPerLine()
    rows = np.frombuffer(image.constBits(), np.uint8, stride * image.height()).reshape(image.height(), stride)
    return rows[:, : image.width() * 3].reshape(image.height(), image.width(), 3).copy()


def test_a_frame_is_scaled_to_fit_and_keeps_its_colours() -> None:
    rng = np.random.default_rng(7)
    frame = rng.integers(0, 256, (720, 1280, 3), dtype=np.uint8)
    qimage, pixels = view_image(frame, (1000, 900))
    assert (qimage.width(), qimage.height()) == (1000, 562)  # aspect kept, fits the width
    assert qimage.format() == QImage.Format.Format_RGB32
    assert pixels.shape[:2] == (562, 1000) and qimage.constBits() is not None
    expected = cv2.resize(frame, (1000, 562), interpolation=cv2.INTER_LINEAR)
    assert np.array_equal(as_bgr(qimage), expected), "the same pixels as the 24-bit image scaled alike"
    # Far smaller (below half size): an area resize, which does not alias.
    small, _ = view_image(frame, (320, 240))
    assert np.array_equal(as_bgr(small), cv2.resize(frame, (320, 180), interpolation=cv2.INTER_AREA))


def test_a_frame_of_the_view_size_is_converted_only() -> None:
    frame = np.zeros((480, 640, 3), np.uint8)
    frame[:, :, 2] = 255  # red in BGR
    qimage, pixels = view_image(frame, (640, 480))
    assert (qimage.width(), qimage.height()) == (640, 480)
    assert qimage.pixelColor(10, 10).red() == 255 and qimage.pixelColor(10, 10).blue() == 0
    assert not np.shares_memory(pixels, frame), "the frame handed out is never written"


def test_the_status_latency_is_the_median_of_the_recent_frames() -> None:
    # 1000 slow frames at the start, then 300 fast ones: the status says what live does now.
    assert recent_median([500.0] * 1000 + [40.0] * 299 + [45.0]) == 40.0
    assert recent_median([30.0, 10.0, 20.0]) == 20.0
    assert recent_median([]) == 0.0
