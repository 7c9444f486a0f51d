"""Encoding videos with PyAV: codec choices and their quality/preset ranges, and the frame writer.

Codecs: H.264 (libx264, default), H.265 (libx265), VP9 (libvpx-vp9) and ProRes (prores_ks). Whether an
encoder exists depends on the FFmpeg inside the installed PyAV wheel: :func:`check_encoder` raises
:class:`EncoderUnavailable` naming what is missing. Every written file carries the synthetic-media tags
of :mod:`.provenance` in its container metadata.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any, Literal, get_args

import av
import numpy as np

from ..errors import BadInput, OutputConflict, UnsupportedMedia
from ..types import Image
from .frame_memory import encoder_memory_options
from .provenance import VIDEO_SYNTHETIC_TAGS
from .safe_files import check_free_space, disk_full_error, is_disk_full
from .video_audio import AudioMode, AudioTrack
from .video_io import VideoInfo

log = logging.getLogger(__name__)

VideoCodec = Literal["h264", "h265", "vp9", "prores"]
VIDEO_CODEC_CHOICES: tuple[str, ...] = get_args(VideoCodec)

CONTAINER_BY_EXTENSION: dict[str, str] = {".mp4": "mp4", ".mov": "mov", ".mkv": "matroska", ".webm": "webm"}

X26X_PRESETS = (
    "ultrafast", "superfast", "veryfast", "faster", "fast", "medium", "slow", "slower", "veryslow",
)  # fmt: skip


@dataclass(frozen=True)
class CodecSpec:
    """One output codec: its FFmpeg encoder, pixel format, quality range, presets and containers."""

    encoder: str
    pix_fmt: str
    crf_range: tuple[int, int] | None
    default_crf: int | None
    presets: tuple[str, ...]
    default_preset: str
    containers: tuple[str, ...]


CODECS: dict[str, CodecSpec] = {
    "h264": CodecSpec("libx264", "yuv420p", (0, 51), 18, X26X_PRESETS, "medium", ("mp4", "mov", "matroska")),
    "h265": CodecSpec("libx265", "yuv420p", (0, 51), 22, X26X_PRESETS, "medium", ("mp4", "mov", "matroska")),
    "vp9": CodecSpec(
        "libvpx-vp9",
        "yuv420p",
        (0, 63),
        31,
        ("realtime", "good", "best"),
        "good",
        ("webm", "matroska", "mp4"),
    ),
    "prores": CodecSpec(
        "prores_ks", "yuv422p10le", None, None, ("proxy", "lt", "standard", "hq"), "hq", ("mov", "matroska")
    ),
}
"""CRF: lower is better quality and bigger files. ProRes has no CRF; its 'preset' is the profile."""


BITS_PER_PIXEL: dict[str, float] = {"h264": 0.2, "h265": 0.12, "vp9": 0.12, "prores": 3.6}
"""Generous bits per pixel per frame at the default quality (ProRes HQ is ~220 Mb/s at 1080p30)."""


def estimate_video_bytes(
    width: int, height: int, fps: float, seconds: float, codec: str, input_bytes_per_second: float = 0.0
) -> int:
    """An upper-end estimate of an export's size, to check free space before a job starts.

    The larger of a bits-per-pixel estimate for the codec and 1.5x the input's own data rate (a
    re-encode at high quality is rarely much bigger than its source), plus audio at 192 kb/s.
    """
    by_pixels = BITS_PER_PIXEL.get(codec, 0.5) * width * height * fps * seconds / 8
    by_input = 1.5 * input_bytes_per_second * seconds
    return int(max(by_pixels, by_input) + 192_000 / 8 * seconds)


def check_video_space(output: Path, info: VideoInfo, seconds: float, codec: str) -> None:
    """Raise :class:`~.errors.DiskFull` before an export of ``seconds`` of ``info`` that would not fit."""
    try:
        rate = info.path.stat().st_size / max(info.duration, 1e-3)
    except OSError:
        rate = 0.0
    needed = estimate_video_bytes(info.width, info.height, float(info.fps), seconds, codec, rate)
    check_free_space(output.parent, needed, output.name)


class EncoderUnavailable(UnsupportedMedia):
    """The FFmpeg build inside PyAV lacks the encoder a codec needs."""


@dataclass(frozen=True)
class EncodeOptions:
    """Codec, quality and audio handling of one export; ``None`` picks the codec's default."""

    codec: str = "h264"
    crf: int | None = None
    preset: str | None = None
    audio: AudioMode = "auto"

    def spec(self) -> CodecSpec:
        """The codec's spec after validating crf and preset against it."""
        spec = CODECS.get(self.codec)
        if spec is None:
            raise BadInput(f"unknown codec {self.codec!r} (choose {', '.join(VIDEO_CODEC_CHOICES)})")
        if self.crf is not None:
            if spec.crf_range is None:
                raise BadInput(
                    f"{self.codec} has no CRF; choose a profile with --preset {'|'.join(spec.presets)}"
                )
            low, high = spec.crf_range
            if not low <= self.crf <= high:
                raise BadInput(f"crf {self.crf} is outside {low}..{high} for {self.codec}")
        if self.preset is not None and self.preset not in spec.presets:
            raise BadInput(f"preset {self.preset!r} is not one of {', '.join(spec.presets)} for {self.codec}")
        return spec


def available_codecs() -> list[str]:
    """The codecs whose encoders this PyAV build has."""
    return [name for name, spec in CODECS.items() if _has_encoder(spec.encoder)]


def _has_encoder(encoder: str) -> bool:
    try:
        av.codec.Codec(encoder, "w")
    except (ValueError, av.FFmpegError):
        return False
    return True


def check_encoder(options: EncodeOptions) -> CodecSpec:
    """The validated spec, or :class:`EncoderUnavailable` when this PyAV build lacks the encoder."""
    spec = options.spec()
    if not _has_encoder(spec.encoder):
        raise EncoderUnavailable(
            f"this installation's FFmpeg (PyAV {av.__version__}) has no {spec.encoder} encoder for "
            f"{options.codec}; available: {', '.join(available_codecs()) or 'none'}"
        )
    return spec


def container_for(path: Path, codec: str) -> str:
    """The output container by extension; raises when the extension or the codec/container pair is bad."""
    container = CONTAINER_BY_EXTENSION.get(path.suffix.lower())
    if container is None:
        raise OutputConflict(f"video output must end in {', '.join(CONTAINER_BY_EXTENSION)}: {path.name}")
    spec = CODECS.get(codec)
    if spec is not None and container not in spec.containers:
        allowed = [ext for ext, name in CONTAINER_BY_EXTENSION.items() if name in spec.containers]
        raise OutputConflict(f"{codec} cannot be written to {path.suffix}; use {', '.join(allowed)}")
    return container


def _encoder_options(spec: CodecSpec, options: EncodeOptions, width: int, height: int) -> dict[str, str]:
    """The codec's options, with the frame-size dependent caps on its memory merged in."""
    merged = _codec_options(spec, options)
    for name, value in encoder_memory_options(spec.encoder, width, height).items():
        merged[name] = f"{merged[name]}:{value}" if name in merged else value  # x265-params joins
    return merged


def _codec_options(spec: CodecSpec, options: EncodeOptions) -> dict[str, str]:
    preset = options.preset or spec.default_preset
    crf = options.crf if options.crf is not None else spec.default_crf
    if spec.encoder == "libx264":
        return {"crf": str(crf), "preset": preset}
    if spec.encoder == "libx265":
        return {"crf": str(crf), "preset": preset, "x265-params": "log-level=error"}
    if spec.encoder == "libvpx-vp9":
        speed = {"realtime": "8", "good": "4", "best": "0"}[preset]
        deadline = "best" if preset == "best" else preset
        return {"crf": str(crf), "b": "0", "deadline": deadline, "cpu-used": speed, "row-mt": "1"}
    return {"profile": str(spec.presets.index(preset)), "vendor": "apl0"}


@contextlib.contextmanager
def _disk_full_is_typed(path: Path) -> Iterator[None]:
    """Turn ENOSPC/EDQUOT from FFmpeg or the OS into :class:`~.errors.DiskFull`."""
    try:
        yield
    except OSError as error:
        if is_disk_full(error):
            raise disk_full_error(path, error) from None
        raise


class VideoWriter:
    """Writes BGR frames (with their own timestamps) and, optionally, a trimmed audio track.

    Frames are cropped to even sizes (4:2:0 chroma needs them). Call :meth:`close` to finish the file
    or :meth:`abort` to stop without finishing it (the caller deletes it).
    """

    def __init__(
        self,
        path: Path,
        width: int,
        height: int,
        fps: Fraction,
        time_base: Fraction,
        options: EncodeOptions,
        audio_source: tuple[Path, float, float | None, float] | None = None,
    ) -> None:
        spec = check_encoder(options)
        container = container_for(path, options.codec)
        self.width, self.height = width - width % 2, height - height % 2
        self.path = path
        container_options = {"movflags": "use_metadata_tags"} if container in ("mp4", "mov") else {}
        self._output = av.open(str(path), mode="w", format=container, options=container_options)
        try:
            self._output.metadata.update(VIDEO_SYNTHETIC_TAGS)
            stream: Any = self._output.add_stream(
                spec.encoder, rate=fps, options=_encoder_options(spec, options, self.width, self.height)
            )
            stream.width, stream.height, stream.pix_fmt = self.width, self.height, spec.pix_fmt
            stream.time_base = time_base
            stream.codec_context.time_base = time_base
            if spec.encoder == "libx265" and container in ("mp4", "mov"):
                stream.codec_tag = "hvc1"  # plays in Apple players; hev1 does not
            stream.metadata.update(VIDEO_SYNTHETIC_TAGS)
            self._stream: Any = stream
            self.audio: AudioTrack | None = None
            if audio_source is not None and options.audio != "none":
                source, start, end, origin = audio_source
                self.audio = AudioTrack(source, self._output, container, start, end, origin, options.audio)
        except BaseException:
            self._output.close()
            raise
        self.frames_written = 0
        self.video_packets = 0
        """Packets the encoder has given back: 0 while it fills its look-ahead (x264: 40 frames)."""

    def write(self, image: Image, pts: int, input_seconds: float) -> None:
        """Encode one frame at ``pts`` (time-base units from 0); audio up to ``input_seconds`` is muxed."""
        if image.shape[0] != self.height or image.shape[1] != self.width:
            image = image[: self.height, : self.width]
        if image.dtype == np.uint8 and image.strides[1:] == (3, 1):
            # A frame over the array's own memory, not a copy of it (2.7 MB per 720p frame): the
            # conversion to the codec's pixel format reads it during encode(), and a frame passed on
            # as it is would be copied by FFmpeg (its data is not reference-counted).
            frame = av.VideoFrame.from_numpy_buffer(image, format="bgr24")
        else:
            frame = av.VideoFrame.from_ndarray(image, format="bgr24")
        frame.pts = pts
        with _disk_full_is_typed(self.path):
            for packet in self._stream.encode(frame):
                self._mux(packet)
            self.frames_written += 1
            if self.audio is not None:
                self.audio.mux_until(input_seconds)

    def close(self) -> None:
        """Flush the encoder, write the remaining audio of the range, and finish the container."""
        try:
            with _disk_full_is_typed(self.path):
                for packet in self._stream.encode(None):
                    self._mux(packet)
                if self.audio is not None:
                    self.audio.finish()
        finally:
            with _disk_full_is_typed(self.path):
                self._output.close()

    def _mux(self, packet: Any) -> None:
        self._output.mux(packet)
        self.video_packets += 1

    def abort(self) -> None:
        """Stop without flushing; the file is incomplete and should be deleted by the caller."""
        if self.audio is not None:
            self.audio.close()
        self._output.close()
