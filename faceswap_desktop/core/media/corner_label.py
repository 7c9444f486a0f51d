"""Visible text labels burned into a corner of an image: white text on a box that darkens what is under
it, sized to the image. The export's optional watermark (:mod:`.watermark`) and the virtual camera's
label (:mod:`.live_label`) are two styles of this one drawing; only the pixels of :func:`label_box`
change.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import cv2
import numpy as np

from ..types import Image

_FONT = cv2.FONT_HERSHEY_SIMPLEX
MARGIN_FRACTION = 0.02
"""Distance of the box from the image's edges, as a fraction of the shorter side."""


@dataclass(frozen=True)
class LabelStyle:
    """How large a label is and where it goes."""

    text: str
    corner: Literal["top-left", "bottom-right"]
    text_height_fraction: float
    """Cap height of the text as a fraction of the shorter image side."""
    min_text_height: int
    """Below this the text is not shrunk further (unless the image is too narrow for it)."""
    thickness_per_scale: float
    padding_fraction: float
    """Padding on each side, as a fraction of the text height."""
    min_padding: int
    box_darken: float
    """What the box keeps of the pixels under it."""


def _layout(width: int, height: int, style: LabelStyle) -> tuple[float, int, int, int, int, int]:
    """(font scale, thickness, text width, text height, baseline, padding) for an image size."""
    short = min(width, height)
    target = max(style.min_text_height, round(short * style.text_height_fraction))
    (unit_width, unit_height), _base = cv2.getTextSize(style.text, _FONT, 1.0, 1)
    # Narrow images shrink the text to fit their width, padding included.
    room = width - 2 * round(short * MARGIN_FRACTION)
    scale = max(0.1, min(target / unit_height, room / (unit_width + 0.9 * unit_height)))
    thickness = max(1, round(scale * style.thickness_per_scale))
    (text_width, text_height), baseline = cv2.getTextSize(style.text, _FONT, scale, thickness)
    padding = max(style.min_padding, round(text_height * style.padding_fraction))
    return scale, thickness, text_width, text_height, baseline, padding


def label_box(width: int, height: int, style: LabelStyle) -> tuple[int, int, int, int]:
    """(x0, y0, x1, y1) of the label on a ``width`` x ``height`` image, clipped to it (x1, y1
    exclusive), a margin of 2% of the shorter side away from the style's corner."""
    if width <= 0 or height <= 0:
        raise ValueError(f"no label on an empty {width}x{height} image")
    _scale, _thick, text_width, text_height, baseline, padding = _layout(width, height, style)
    margin = round(min(width, height) * MARGIN_FRACTION)
    box_width, box_height = text_width + 2 * padding, text_height + baseline + 2 * padding
    if style.corner == "top-left":
        return margin, margin, min(width, margin + box_width), min(height, margin + box_height)
    x1, y1 = width - margin, height - margin
    return max(0, x1 - box_width), max(0, y1 - box_height), max(0, x1), max(0, y1)


def draw_label(image: Image, style: LabelStyle) -> Image:
    """A copy of ``image`` (BGR uint8) with the label drawn; ``image`` itself is not modified."""
    height, width = image.shape[:2]
    x0, y0, x1, y1 = label_box(width, height, style)
    scale, thickness, _tw, text_height, _base, padding = _layout(width, height, style)
    labelled = np.array(image, copy=True)
    # Drawing into a view of the box clips the anti-aliased text to it: nothing outside the box changes.
    box = labelled[y0:y1, x0:x1]
    box[...] = (box.astype(np.float32) * style.box_darken).astype(np.uint8)
    origin = (padding, padding + text_height)
    cv2.putText(box, style.text, origin, _FONT, scale, (255, 255, 255), thickness, cv2.LINE_AA)
    return labelled
