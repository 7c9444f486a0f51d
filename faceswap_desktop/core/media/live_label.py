"""The visible "AI-altered" label burned into every frame a virtual camera sends.

People on the other end of a call see the picture, not its metadata, so the label is in the pixels and
cannot be turned off. It is larger than an export's optional watermark (6% of the shorter side, at least
14 px of cap height) and sits in the top-left corner on a dark box, where call apps rarely overlay their
own controls. Only the pixels of :func:`live_label_box` change.
"""

from __future__ import annotations

import cv2
import numpy as np

from ..types import Image

LIVE_LABEL_TEXT = "AI-altered"
TEXT_HEIGHT_FRACTION = 0.06
MIN_TEXT_HEIGHT = 14
MARGIN_FRACTION = 0.02
BOX_DARKEN = 0.25
"""What the box keeps of the pixels under it (white 255 becomes 64, against 255 text)."""

_FONT = cv2.FONT_HERSHEY_SIMPLEX


def _layout(width: int, height: int) -> tuple[float, int, int, int, int, int]:
    """(font scale, thickness, text width, text height, baseline, padding) for a frame size."""
    short = min(width, height)
    target = max(MIN_TEXT_HEIGHT, round(short * TEXT_HEIGHT_FRACTION))
    (unit_width, unit_height), _base = cv2.getTextSize(LIVE_LABEL_TEXT, _FONT, 1.0, 1)
    room = width - 2 * round(short * MARGIN_FRACTION)
    scale = max(0.1, min(target / unit_height, room / (unit_width + 0.9 * unit_height)))
    thickness = max(1, round(scale * 2.0))
    (text_width, text_height), baseline = cv2.getTextSize(LIVE_LABEL_TEXT, _FONT, scale, thickness)
    padding = max(3, round(text_height * 0.4))
    return scale, thickness, text_width, text_height, baseline, padding


def live_label_box(width: int, height: int) -> tuple[int, int, int, int]:
    """(x0, y0, x1, y1) of the label on a ``width`` x ``height`` frame (x1, y1 exclusive)."""
    if width <= 0 or height <= 0:
        raise ValueError(f"no label on an empty {width}x{height} frame")
    _scale, _thick, text_width, text_height, baseline, padding = _layout(width, height)
    margin = round(min(width, height) * MARGIN_FRACTION)
    x1 = min(width, margin + text_width + 2 * padding)
    y1 = min(height, margin + text_height + baseline + 2 * padding)
    return margin, margin, x1, y1


def burn_live_label(image: Image) -> Image:
    """A copy of ``image`` (BGR uint8) with the "AI-altered" label drawn; ``image`` is not modified."""
    height, width = image.shape[:2]
    x0, y0, x1, y1 = live_label_box(width, height)
    scale, thickness, _tw, text_height, _base, padding = _layout(width, height)
    labelled = np.array(image, copy=True)
    box = labelled[y0:y1, x0:x1]
    box[...] = (box.astype(np.float32) * BOX_DARKEN).astype(np.uint8)
    cv2.putText(
        box, LIVE_LABEL_TEXT, (padding, padding + text_height), _FONT, scale, (255, 255, 255), thickness,
        cv2.LINE_AA,
    )  # fmt: skip
    return labelled
