"""Fixtures for video tests: the shared clips and small generated clips."""

from __future__ import annotations

from collections.abc import Callable
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import pytest

from faceswap_desktop.core.media.guarded_decode import GuardedVideoReader
from faceswap_desktop.core.video.temporal import SceneCutDetector
from tests.conftest import SHARED

VIDEOS = SHARED / "media" / "videos"
OBAMA = VIDEOS / "Obama_speaking.mp4"
HAMILTON = VIDEOS / "short_hamilton_clip.mp4"
FACENET = VIDEOS / "facenet_pytorch_video.mp4"
BIDEN = SHARED / "media" / "images" / "identity" / "biden" / "biden2.jpg"


def around_first_cut(clip: Path, before: int, after: int) -> tuple[int, int, float, float]:
    """The first scene cut of ``clip``'s first 200 frames: (the cut's frame, the first frame ``before``
    frames earlier, and the start and end times from that frame to ``after`` frames past the cut)."""
    reader = GuardedVideoReader(clip)
    cuts = SceneCutDetector()
    try:
        cut = next(index for index, frame in reader.frames(0, 200) if cuts.is_cut(frame))
        first = max(cut - before, 0)
        return cut, first, reader.time_of(first), reader.time_of(cut + after)
    finally:
        reader.close()


def write_clip(
    path: Path,
    frames: list[np.ndarray],
    pts: list[int] | None = None,
    time_base: Fraction = Fraction(1, 30),
    rotation: int | None = None,
    rate: int = 30,
    quality: tuple[int, str] = (10, "ultrafast"),
) -> Path:
    """A small H.264 clip from BGR frames with the given timestamps (``quality``: x264's crf and
    preset)."""
    height, width = frames[0].shape[:2]
    with av.open(str(path), "w") as output:
        options = {"crf": str(quality[0]), "preset": quality[1]}
        stream = output.add_stream("libx264", rate=rate, options=options)
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        stream.time_base = time_base
        stream.codec_context.time_base = time_base
        if rotation is not None:
            stream.set_display_rotation(rotation)
        for i, image in enumerate(frames):
            frame = av.VideoFrame.from_ndarray(image, format="bgr24")
            frame.pts = pts[i] if pts is not None else i
            for packet in stream.encode(frame):
                output.mux(packet)
        for packet in stream.encode(None):
            output.mux(packet)
    return path


@pytest.fixture
def make_clip(tmp_path: Path) -> Callable[..., Path]:
    def make(name: str, frames: list[np.ndarray], **kwargs: object) -> Path:
        return write_clip(tmp_path / name, frames, **kwargs)  # type: ignore[arg-type]

    return make


def first_packet_times(path: Path) -> dict[str, float]:
    """Seconds of the first packet of each stream type."""
    found: dict[str, float] = {}
    with av.open(str(path)) as container:
        for packet in container.demux():
            if packet.pts is not None and packet.stream.type not in found:
                found[packet.stream.type] = float(packet.pts * packet.time_base)
    return found


def stream_durations(path: Path) -> dict[str, float]:
    """Seconds from the first packet's start to the last packet's end, per stream type."""
    spans: dict[str, list[float]] = {}
    with av.open(str(path)) as container:
        for packet in container.demux():
            if packet.pts is None:
                continue
            start = float(packet.pts * packet.time_base)
            end = start + float((packet.duration or 0) * packet.time_base)
            span = spans.setdefault(packet.stream.type, [start, end])
            span[0], span[1] = min(span[0], start), max(span[1], end)
    return {kind: span[1] - span[0] for kind, span in spans.items()}
