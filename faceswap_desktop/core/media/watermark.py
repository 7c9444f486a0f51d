"""The optional visible "AI-generated" mark: corner text on a darkened box, sized to the image.

Off by default (exports are always labelled in their metadata; see :mod:`.provenance`). When asked for,
the mark goes in the bottom-right corner of every exported photo or video frame. Its text height is a
fixed fraction of the image's shorter side, so it reads the same on a thumbnail and on 4K, and the box
darkens what is under it rather than hiding it, so white text stays legible on any background.
Only the pixels inside :func:`watermark_box` change.
"""

from __future__ import annotations

from dataclasses import replace

from ..types import Image
from .corner_label import LabelStyle, draw_label, label_box

WATERMARK_TEXT = "AI-generated"
TEXT_HEIGHT_FRACTION = 0.035
"""Cap height of the text as a fraction of the shorter image side (38 px at 1080p)."""
MIN_TEXT_HEIGHT = 10
"""Below about 10 px the Hershey font stops being legible, so small images get a relatively larger mark
(unless the image is too narrow for the text, which then shrinks to fit its width)."""
BOX_DARKEN = 0.4
"""What the box keeps of the pixels under it (0.4: white 255 becomes 102, against 255 text)."""

WATERMARK_STYLE = LabelStyle(
    text=WATERMARK_TEXT,
    corner="bottom-right",
    text_height_fraction=TEXT_HEIGHT_FRACTION,
    min_text_height=MIN_TEXT_HEIGHT,
    thickness_per_scale=1.5,
    padding_fraction=0.45,
    min_padding=2,
    box_darken=BOX_DARKEN,
)


def watermark_box(width: int, height: int, text: str = WATERMARK_TEXT) -> tuple[int, int, int, int]:
    """(x0, y0, x1, y1) of the mark on a ``width`` x ``height`` image, clipped to the image (x1, y1
    exclusive). It sits a margin of 2% of the shorter side away from the bottom-right corner."""
    return label_box(width, height, replace(WATERMARK_STYLE, text=text))


def add_watermark(image: Image, text: str = WATERMARK_TEXT) -> Image:
    """A copy of ``image`` (BGR uint8) with the mark drawn; ``image`` itself is not modified."""
    return draw_label(image, replace(WATERMARK_STYLE, text=text))
