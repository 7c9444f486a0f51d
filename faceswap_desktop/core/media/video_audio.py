"""Carrying a video's audio into an export: stream copy when the output container accepts the codec,
otherwise a re-encode (AAC; Opus for WebM), trimmed to the exported range and kept in sync.

Sync rule: audio and video are rebased by the same origin (seconds on the input file's timeline), so
their relative offset in the output is the input's. The audio is read by its own demuxer and muxed
interleaved with the video as it is written (:meth:`AudioTrack.mux_until`), so the muxer never has to
buffer a whole stream.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from fractions import Fraction
from pathlib import Path
from typing import Any, Literal

import av

from ..errors import UnreadableFile
from .video_io import open_for_reading

log = logging.getLogger(__name__)

AudioMode = Literal["auto", "aac", "none"]
"""auto: copy the input's audio when the container accepts it, else re-encode; aac: always re-encode."""

COPYABLE: dict[str, frozenset[str]] = {
    "mp4": frozenset({"aac", "mp3", "alac", "ac3", "eac3", "opus", "flac"}),
    "mov": frozenset({"aac", "mp3", "alac", "ac3", "eac3", "pcm_s16le", "pcm_s24le", "pcm_f32le"}),
    "matroska": frozenset({"aac", "mp3", "alac", "ac3", "eac3", "opus", "vorbis", "flac", "pcm_s16le"}),
    "webm": frozenset({"opus", "vorbis"}),
}
"""Audio codecs each output container takes by stream copy (a conservative subset of FFmpeg's)."""

AUDIO_BITRATE = 192_000


class AudioTrack:
    """One input audio stream written into an output container for [start, end) seconds of the input.

    ``origin`` is the input time that becomes 0 in the output; ``end=None`` keeps audio to the end.
    """

    def __init__(
        self,
        source: Path,
        output: Any,
        container_format: str,
        start: float,
        end: float | None,
        origin: float,
        mode: AudioMode = "auto",
    ) -> None:
        self.start, self.end, self.origin = start, end, origin
        try:
            self._input = open_for_reading(source)
        except av.FFmpegError as error:
            raise UnreadableFile(f"cannot read the audio of {source.name}: {error}") from None
        self._in_stream: Any = self._input.streams.audio[0]
        codec = self._in_stream.codec_context.name
        self.copy = mode == "auto" and codec in COPYABLE.get(container_format, frozenset())
        if self.copy:
            self._out_stream = output.add_stream_from_template(self._in_stream)
        else:
            encoder = "libopus" if container_format == "webm" else "aac"
            rate = (
                48_000 if encoder == "libopus" else int(self._in_stream.codec_context.sample_rate or 48_000)
            )
            self._out_stream = output.add_stream(encoder, rate=rate)
            self._out_stream.bit_rate = AUDIO_BITRATE
            self._out_stream.layout = "stereo" if self._in_stream.codec_context.channels != 1 else "mono"
            self._resampler: Any = None
        self._output = output
        self._packets = self._read_packets()
        self._pending: Any = None
        self._next_pts = 0
        self.packets_written = 0
        log.info("audio: %s (%s)", "stream copy" if self.copy else f"re-encode to {encoder}", codec)

    def _read_packets(self) -> Iterator[Any]:
        time_base = self._in_stream.time_base or Fraction(1, 1000)
        if self.start > 0:
            self._input.seek(max(int(self.start / time_base) - 1, 0), stream=self._in_stream)
        try:
            for packet in self._input.demux(self._in_stream):
                if packet.pts is None:
                    continue
                seconds = float(packet.pts * packet.time_base)
                if self.end is not None and seconds >= self.end:
                    return
                if seconds >= self.start - 1e-6:
                    yield packet
        except av.FFmpegError as error:
            log.warning("audio stopped early: %s", error)

    def mux_until(self, seconds: float) -> None:
        """Write every audio packet that starts before ``seconds`` (input timeline)."""
        while True:
            if self._pending is None:
                self._pending = next(self._packets, None)
                if self._pending is None:
                    return
            if float(self._pending.pts * self._pending.time_base) >= seconds:
                return
            self._write(self._pending)
            self._pending = None

    def finish(self) -> None:
        """Write the rest of the range, flush the encoder and release the input."""
        self.mux_until(float("inf"))
        if not self.copy:
            self._encode(None)
        self._input.close()

    def close(self) -> None:
        """Release the input without writing more (used when an export is abandoned)."""
        self._input.close()

    def _write(self, packet: Any) -> None:
        offset = int(round(self.origin / packet.time_base))
        if self.copy:
            packet.pts -= offset
            if packet.dts is not None:
                packet.dts -= offset
            packet.stream = self._out_stream
            self._output.mux(packet)
            self.packets_written += 1
            return
        for frame in packet.decode():
            self._encode(frame)

    def _encode(self, frame: Any) -> None:
        context = self._out_stream.codec_context
        if self._resampler is None:
            self._resampler = av.AudioResampler(
                format=context.format,
                layout=context.layout,
                rate=context.sample_rate,
                frame_size=context.frame_size or None,
            )
        if frame is not None and self._next_pts == 0 and self.packets_written == 0:
            first = float(frame.pts * frame.time_base) - self.origin
            self._next_pts = max(int(round(first * context.sample_rate)), 0)
        frames = self._resampler.resample(frame)
        for out_frame in frames:
            out_frame.pts = self._next_pts
            out_frame.time_base = Fraction(1, context.sample_rate)
            self._next_pts += out_frame.samples
            self._mux_encoded(out_frame)
        if frame is None:
            self._mux_encoded(None)

    def _mux_encoded(self, frame: Any) -> None:
        for packet in self._out_stream.encode(frame):
            self._output.mux(packet)
            self.packets_written += 1
