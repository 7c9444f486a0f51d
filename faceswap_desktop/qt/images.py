"""Conversions between BGR numpy images and Qt images. Safe to call on worker threads (QImage only)."""

from __future__ import annotations

import cv2
import numpy as np
from PySide6.QtGui import QImage

from ..core.types import Image


def bgr_to_qimage(image: Image) -> QImage:
    """A deep-copied RGB888 QImage of a BGR uint8 image (independent of the numpy buffer)."""
    rgb = np.ascontiguousarray(cv2.cvtColor(image, cv2.COLOR_BGR2RGB))
    height, width = rgb.shape[:2]
    return QImage(rgb.data, width, height, rgb.strides[0], QImage.Format.Format_RGB888).copy()


def qimage_to_bgr(image: QImage) -> Image:
    """A BGR uint8 copy of a QImage (used by tests and screenshots)."""
    rgb = image.convertToFormat(QImage.Format.Format_RGB888)
    width, height, stride = rgb.width(), rgb.height(), rgb.bytesPerLine()
    buffer = np.frombuffer(rgb.constBits(), dtype=np.uint8, count=stride * height).reshape(height, stride)
    return cv2.cvtColor(
        np.ascontiguousarray(buffer[:, : width * 3].reshape(height, width, 3)), cv2.COLOR_RGB2BGR
    )
