"""The visible "AI-altered" label burned into every frame a virtual camera sends.

People on the other end of a call see the picture, not its metadata, so the label is in the pixels and
cannot be turned off. It is larger than an export's optional watermark (6% of the shorter side, at least
14 px of cap height) and sits in the top-left corner on a dark box, where call apps rarely overlay their
own controls. Only the pixels of :func:`live_label_box` change.
"""

from __future__ import annotations

from ..types import Image
from .corner_label import LabelStyle, draw_label, label_box

LIVE_LABEL_TEXT = "AI-altered"
TEXT_HEIGHT_FRACTION = 0.06
MIN_TEXT_HEIGHT = 14
BOX_DARKEN = 0.25
"""What the box keeps of the pixels under it (white 255 becomes 64, against 255 text)."""

LIVE_LABEL_STYLE = LabelStyle(
    text=LIVE_LABEL_TEXT,
    corner="top-left",
    text_height_fraction=TEXT_HEIGHT_FRACTION,
    min_text_height=MIN_TEXT_HEIGHT,
    thickness_per_scale=2.0,
    padding_fraction=0.4,
    min_padding=3,
    box_darken=BOX_DARKEN,
)


def live_label_box(width: int, height: int) -> tuple[int, int, int, int]:
    """(x0, y0, x1, y1) of the label on a ``width`` x ``height`` frame (x1, y1 exclusive)."""
    return label_box(width, height, LIVE_LABEL_STYLE)


def burn_live_label(image: Image) -> Image:
    """A copy of ``image`` (BGR uint8) with the "AI-altered" label drawn; ``image`` is not modified."""
    return draw_label(image, LIVE_LABEL_STYLE)
