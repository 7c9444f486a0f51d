"""The optional visible "AI-generated" mark: corner text on a darkened box, sized to the image.

Off by default (exports are always labelled in their metadata; see :mod:`.provenance`). When asked for,
the mark goes in the bottom-right corner of every exported photo or video frame. Its text height is a
fixed fraction of the image's shorter side, so it reads the same on a thumbnail and on 4K, and the box
darkens what is under it rather than hiding it, so white text stays legible on any background.
Only the pixels inside :func:`watermark_box` change.
"""

from __future__ import annotations

import cv2
import numpy as np

from ..types import Image

WATERMARK_TEXT = "AI-generated"
TEXT_HEIGHT_FRACTION = 0.035
"""Cap height of the text as a fraction of the shorter image side (38 px at 1080p)."""
MIN_TEXT_HEIGHT = 10
"""Below about 10 px the Hershey font stops being legible, so small images get a relatively larger mark
(unless the image is too narrow for the text, which then shrinks to fit its width)."""
MARGIN_FRACTION = 0.02
BOX_DARKEN = 0.4
"""What the box keeps of the pixels under it (0.4: white 255 becomes 102, against 255 text)."""

_FONT = cv2.FONT_HERSHEY_SIMPLEX


def _layout(width: int, height: int, text: str) -> tuple[float, int, int, int, int, int]:
    """(font scale, thickness, text width, text height, baseline, padding) for an image size."""
    short = min(width, height)
    target = max(MIN_TEXT_HEIGHT, round(short * TEXT_HEIGHT_FRACTION))
    (unit_width, unit_height), _base = cv2.getTextSize(text, _FONT, 1.0, 1)
    # Padding is about 0.45 of the text height on each side; narrow images shrink the text to fit.
    room = width - 2 * round(short * MARGIN_FRACTION)
    scale = max(0.1, min(target / unit_height, room / (unit_width + 0.9 * unit_height)))
    thickness = max(1, round(scale * 1.5))
    (text_width, text_height), baseline = cv2.getTextSize(text, _FONT, scale, thickness)
    padding = max(2, round(text_height * 0.45))
    return scale, thickness, text_width, text_height, baseline, padding


def watermark_box(width: int, height: int, text: str = WATERMARK_TEXT) -> tuple[int, int, int, int]:
    """(x0, y0, x1, y1) of the mark on a ``width`` x ``height`` image, clipped to the image (x1, y1
    exclusive). It sits a margin of 2% of the shorter side away from the bottom-right corner."""
    if width <= 0 or height <= 0:
        raise ValueError(f"no watermark on an empty {width}x{height} image")
    _scale, _thick, text_width, text_height, baseline, padding = _layout(width, height, text)
    margin = round(min(width, height) * MARGIN_FRACTION)
    x1, y1 = width - margin, height - margin
    x0 = x1 - (text_width + 2 * padding)
    y0 = y1 - (text_height + baseline + 2 * padding)
    return max(0, x0), max(0, y0), max(0, x1), max(0, y1)


def add_watermark(image: Image, text: str = WATERMARK_TEXT) -> Image:
    """A copy of ``image`` (BGR uint8) with the mark drawn; ``image`` itself is not modified."""
    height, width = image.shape[:2]
    x0, y0, x1, y1 = watermark_box(width, height, text)
    scale, thickness, _tw, text_height, _base, padding = _layout(width, height, text)
    marked = image.copy()
    # Drawing into a view of the box clips the anti-aliased text to it: nothing outside the box changes.
    box = marked[y0:y1, x0:x1]
    box[...] = (box.astype(np.float32) * BOX_DARKEN).astype(np.uint8)
    origin = (padding, padding + text_height)
    cv2.putText(box, text, origin, _FONT, scale, (255, 255, 255), thickness, cv2.LINE_AA)
    return marked
