"""Joining separately encoded video segments into one file without re-encoding (a PyAV remux).

A batch render (``app/batch_run.py``) can export a long video as segments, each encoded by another
worker or machine, each starting at 0 on its own timeline. Here their packets are copied one after the
other into the final container, every segment shifted to where its first frame belongs on the
export's timeline, and the audio of the whole range is muxed once (copied or re-encoded as a single
export does, by :class:`~.video_audio.AudioTrack`).

Why a remux is enough: every segment's encoder starts with a keyframe and its own settings are the
same (same codec, size, options), so the codec headers are identical and each segment decodes on its
own. With B-frames an encoder's decode timestamps run a constant delay behind the presentation ones,
the same delay in every segment, so the shifted decode timestamps still increase across the joins.
"""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

import av

from ..errors import UnsupportedMedia
from .provenance import VIDEO_SYNTHETIC_TAGS
from .video_audio import AudioMode, AudioTrack
from .video_writer import CONTAINER_BY_EXTENSION


@dataclass(frozen=True)
class SegmentPart:
    """One encoded segment and where its first frame goes on the output's timeline."""

    path: Path
    offset_pts: int
    """Output pts (in the join's ``time_base``) of the segment's first frame."""


@dataclass(frozen=True)
class JoinedVideo:
    """What :func:`join_segments` wrote."""

    frames: int
    audio_packets: int


def _rescale(value: int, source: Fraction, target: Fraction) -> int:
    return round(value * source / target)


def join_segments(
    parts: Sequence[SegmentPart],
    output: Path,
    time_base: Fraction,
    audio: tuple[Path, float, float | None, float] | None = None,
    audio_mode: AudioMode = "auto",
) -> JoinedVideo:
    """Write ``parts`` one after the other into ``output`` (its container from the extension).

    ``audio`` is (source, start, end, origin) in the source's seconds, as :class:`~.video_writer.VideoWriter`
    takes it: the audio of [start, end) with ``origin`` at time 0. Raises :class:`UnsupportedMedia` when the
    segments were not encoded alike (their codec headers differ), which a remux cannot join.
    """
    if not parts:
        raise ValueError("no segment to join")
    container = CONTAINER_BY_EXTENSION.get(output.suffix.lower())
    if container is None:
        raise UnsupportedMedia(f"cannot join segments into {output.name}: unknown container")
    options = {"movflags": "use_metadata_tags"} if container in ("mp4", "mov") else {}
    frames, track = 0, None
    with (
        av.open(str(output), mode="w", format=container, options=options) as out,
        contextlib.ExitStack() as inputs,
    ):
        opened = [inputs.enter_context(av.open(str(part.path))) for part in parts]
        template = opened[0].streams.video[0]
        for number, source in enumerate(opened[1:], start=2):
            if bytes(source.streams.video[0].codec_context.extradata or b"") != bytes(
                template.codec_context.extradata or b""
            ):
                raise UnsupportedMedia(f"segment {number} was encoded differently from segment 1")
        out.metadata.update(VIDEO_SYNTHETIC_TAGS)
        stream: Any = out.add_stream_from_template(template)
        stream.time_base = time_base
        stream.metadata.update(VIDEO_SYNTHETIC_TAGS)
        if audio is not None and audio_mode != "none":
            source_path, start, end, origin = audio
            track = AudioTrack(source_path, out, container, start, end, origin, audio_mode)
        origin_seconds = audio[3] if audio is not None else 0.0
        try:
            for part, source in zip(parts, opened, strict=True):
                in_stream = source.streams.video[0]
                for packet in source.demux(in_stream):
                    if packet.pts is None and packet.dts is None:
                        continue  # the demuxer's end-of-stream marker
                    pts = _rescale(packet.pts, in_stream.time_base, time_base) + part.offset_pts
                    dts = pts if packet.dts is None else _rescale(packet.dts, in_stream.time_base, time_base)
                    if packet.dts is not None:
                        dts += part.offset_pts
                    packet.stream = stream
                    packet.pts, packet.dts = pts, dts
                    packet.time_base = time_base
                    if track is not None:
                        track.mux_until(origin_seconds + float(pts * time_base))
                    out.mux(packet)
                    frames += 1
            if track is not None:
                track.finish()
        except BaseException:
            if track is not None:
                track.close()
            raise
    return JoinedVideo(frames, track.packets_written if track is not None else 0)
