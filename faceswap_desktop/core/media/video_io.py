"""Reading videos with PyAV: metadata, exact frame access by index, and sequential decoding.

Frames are numbered 0.. in presentation order. When a file is opened its video packets are demuxed once
(no decoding) to build an index of presentation timestamps and keyframes; that gives an exact frame
count even where the header is wrong, tells constant from variable frame rate, and makes random access
exact: seek to the keyframe at or before the wanted frame, then decode forward to it.
"""

from __future__ import annotations

import bisect
import logging
import os
from collections.abc import Iterator
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from types import TracebackType
from typing import Any, Protocol

import av
import cv2
import numpy as np

from ..errors import FrameSizeChanged, ImageTooLarge, UnreadableFile, UnsupportedMedia
from ..types import Image
from .frame_memory import plan_for_frame
from .input_files import NotARegularFile, check_regular_file, read_head

log = logging.getLogger(__name__)

MAX_FRAME_WIDTH, MAX_FRAME_HEIGHT = 7680, 4320
"""8K UHD: larger frames are refused before decoding (either orientation)."""

VFR_TOLERANCE = 0.02
"""Frame durations may differ by this fraction of the median and still count as constant frame rate."""

VIDEO_EXTENSIONS = (".mp4", ".mov", ".m4v", ".mkv", ".webm", ".avi")


def check_frame_size(width: int, height: int, name: str) -> None:
    """Raise :class:`~.errors.ImageTooLarge` for frames above the 8K limit (either orientation)."""
    if max(width, height) > MAX_FRAME_WIDTH or min(width, height) > MAX_FRAME_HEIGHT:
        raise ImageTooLarge(
            f"{name} has {width}x{height} frames; the limit is {MAX_FRAME_WIDTH}x{MAX_FRAME_HEIGHT}"
        )


@dataclass(frozen=True)
class AudioStreamInfo:
    """One audio stream of a video file."""

    index: int
    codec: str
    sample_rate: int
    channels: int
    start_time: float
    """Seconds on the file's timeline (the same timeline as :attr:`VideoInfo.start_time`)."""


@dataclass(frozen=True)
class VideoInfo:
    """What the UI and the export need to know about a video (sizes are as displayed, after rotation)."""

    path: Path
    width: int
    height: int
    fps: Fraction
    frame_count: int
    duration: float
    rotation: int
    """Counter-clockwise degrees the display matrix asks for; frames are returned already upright."""
    variable_frame_rate: bool
    codec: str
    start_time: float
    """Seconds of the first frame on the file's timeline (audio may start earlier)."""
    audio: tuple[AudioStreamInfo, ...]
    metadata: dict[str, str]
    declared_frame_count: int = 0
    """Frames the container's index declares (0: it declares none). More than :attr:`frame_count`
    when the file is damaged and only part of it can be read (see :attr:`partial`)."""

    @property
    def has_audio(self) -> bool:
        return bool(self.audio)

    @property
    def partial(self) -> bool:
        """Fewer frames can be read than the container declares (a damaged index or a cut file)."""
        return self.declared_frame_count > self.frame_count

    def partial_message(self) -> str:
        """One line for the user: how many frames can be read of how many declared."""
        return (
            f"{self.path.name}: only {self.frame_count} of the {self.declared_frame_count} frames its "
            "container declares can be read (the file is damaged or cut short)"
        )


@dataclass(frozen=True)
class FrameIndex:
    """Presentation timestamps of every frame and which are keyframes: the timing half of a reader.

    Plain data (it crosses process boundaries: :class:`~.guarded_decode.GuardedVideoReader` gets it from
    its decoding process and answers timing questions without asking that process).
    """

    pts: list[int]
    keyframes: list[int]
    """Frame indices of keyframes, ascending."""
    time_base: Fraction
    """Seconds per pts unit."""

    def keyframe_at_or_before(self, index: int) -> int:
        position = bisect.bisect_right(self.keyframes, index) - 1
        return self.keyframes[max(position, 0)]

    def time_of(self, index: int) -> float:
        """Seconds from the first frame to frame ``index``."""
        return float((self.pts[index] - self.pts[0]) * self.time_base)

    def index_at_time(self, seconds: float) -> int:
        """The first frame shown at or after ``seconds`` from the first frame (clamped to the video)."""
        target = self.pts[0] + seconds / self.time_base
        position = bisect.bisect_left(self.pts, int(np.ceil(float(target) - 1e-6)))
        return min(max(position, 0), len(self.pts) - 1)


class VideoSource(Protocol):
    """What the video session and export need from an open video: :class:`VideoReader` decodes in this
    process, :class:`~.guarded_decode.GuardedVideoReader` in a helper process."""

    path: Path
    info: VideoInfo

    @property
    def time_base(self) -> Fraction: ...

    def pts_of(self, index: int) -> int: ...

    def time_of(self, index: int) -> float: ...

    def index_at_time(self, seconds: float) -> int: ...

    def frame_at(self, index: int) -> Image: ...

    def frames(self, start: int = 0, stop: int | None = None) -> Iterator[tuple[int, Image]]: ...

    def close(self) -> None: ...


IMAGE_FTYP_BRANDS = frozenset({b"heic", b"heix", b"hevc", b"mif1", b"msf1", b"avif", b"avis"})
"""ISO-BMFF brands of still images (HEIF/AVIF): not accepted as videos."""

ALLOWED_DEMUXERS = frozenset({"mov", "mp4", "m4a", "3gp", "3g2", "mj2", "matroska", "webm", "avi"})
"""FFmpeg demuxer names (of ``container.format.name``) the app accepts: MP4/MOV, MKV/WebM, AVI."""


def sniff_video_format(head: bytes) -> str | None:
    """The container from magic bytes: 'mp4' (MP4/MOV), 'matroska' (MKV/WebM), 'avi', or None."""
    if head[4:8] == b"ftyp":
        return None if head[8:12] in IMAGE_FTYP_BRANDS else "mp4"
    if head[4:8] in (b"moov", b"mdat", b"wide", b"free", b"skip"):
        return "mp4"  # QuickTime files without ftyp
    if head.startswith(b"\x1a\x45\xdf\xa3"):
        return "matroska"
    if head[:4] == b"RIFF" and head[8:12] == b"AVI ":
        return "avi"
    return None


def looks_like_video(path: str | os.PathLike[str]) -> bool:
    """True for a file whose content starts like a video container (MP4/MOV, Matroska/WebM, AVI)."""
    try:
        head = read_head(path)
    except NotARegularFile:
        return False  # never opened: whoever loads it next refuses it with the reason
    except (OSError, UnreadableFile):
        return Path(path).suffix.lower() in VIDEO_EXTENSIONS
    return sniff_video_format(head) is not None


def _check_video_content(path: Path) -> None:
    """Refuse files whose content is not an accepted container, whatever their extension says."""
    try:
        head = read_head(path)  # refuses FIFOs, devices and folders without blocking on them
    except PermissionError:
        raise UnreadableFile(f"permission denied: {path}") from None
    except OSError as error:
        raise UnreadableFile(f"cannot read {path.name}: {error.strerror or error}") from None
    if sniff_video_format(head) is None:
        raise UnsupportedMedia(f"{path.name} is not a supported video (MP4, MOV, MKV, WebM or AVI expected)")


def open_for_reading(path: str | os.PathLike[str]) -> Any:
    """``av.open`` for reading, tolerant of metadata that is not UTF-8, on every PyAV we support.

    PyAV up to 18 raises ``UnicodeDecodeError`` on such metadata unless asked to replace bad bytes;
    PyAV 19 removed that keyword (and no longer raises), so it is passed only where it exists.
    """
    try:
        return av.open(str(path), mode="r", metadata_errors="replace")
    except TypeError as error:
        if "metadata_errors" not in str(error):
            raise
        return av.open(str(path), mode="r")


def _open_container(path: Path) -> Any:
    check_regular_file(path)
    _check_video_content(path)
    try:
        # Metadata in a damaged or hostile file need not be UTF-8: replace bad bytes, do not raise.
        container = open_for_reading(path)
    except PermissionError:
        raise UnreadableFile(f"permission denied: {path}") from None
    except av.FFmpegError as error:
        raise UnreadableFile(f"{path.name} is not a readable video (corrupt or truncated): {error}") from None
    demuxers = set(str(container.format.name).split(","))
    if not demuxers & ALLOWED_DEMUXERS:
        container.close()
        raise UnsupportedMedia(f"{path.name}: {container.format.name} is not an accepted video container")
    return container


def _build_index(container: Any, stream: Any, name: str) -> tuple[FrameIndex, int]:
    """The frame index, and how many packets were demuxed (discarded ones too: an edit list's lead-in
    is counted by the container's frame count but shown by no frame)."""
    entries: list[tuple[int, bool]] = []
    demuxed = 0
    try:
        for packet in container.demux(stream):
            timestamp = packet.pts if packet.pts is not None else packet.dts
            if timestamp is None:
                continue
            demuxed += 1
            if packet.is_discard:
                continue
            entries.append((timestamp, packet.is_keyframe))
    except av.FFmpegError as error:
        raise UnreadableFile(f"{name} is truncated or corrupt: {error}") from None
    if not entries:
        raise UnreadableFile(f"{name} has a video stream but no frames (truncated?)")
    entries.sort()
    keyframes = [i for i, (_, key) in enumerate(entries) if key] or [0]
    if keyframes[0] != 0:
        keyframes.insert(0, 0)
    index = FrameIndex(pts=[p for p, _ in entries], keyframes=keyframes, time_base=Fraction(stream.time_base))
    return index, demuxed


COMMON_RATES = tuple(
    Fraction(n, d)
    for n, d in ((24000, 1001), (24, 1), (25, 1), (30000, 1001), (30, 1), (50, 1), (60000, 1001), (60, 1))
)


def _is_variable(pts: list[int]) -> bool:
    """Frame durations differ by more than the tolerance (and more than timestamp rounding, 1.5 ticks)."""
    if len(pts) < 3:
        return False
    deltas = np.diff(np.asarray(pts, dtype=np.int64)).astype(np.float64)
    median = float(np.median(deltas))
    allowed = max(VFR_TOLERANCE * median, 1.5)
    return median <= 0 or bool(np.any(np.abs(deltas - median) > allowed))


def _snap_rate(rate: Fraction) -> Fraction:
    """The nearest standard rate within 0.02% (millisecond clocks blur 29.97 into 34500/1151)."""
    nearest = min(COMMON_RATES, key=lambda common: abs(float(rate / common) - 1.0))
    if abs(float(rate / nearest) - 1.0) < 2e-4:
        return nearest
    return rate.limit_denominator(1001 * 1000)


def upright(image: Image, rotation: int) -> Image:
    """The frame turned as the display matrix asks (``rotation`` counter-clockwise degrees)."""
    turn = rotation % 360
    if turn == 90:
        return cv2.rotate(image, cv2.ROTATE_90_COUNTERCLOCKWISE)
    if turn == 180:
        return cv2.rotate(image, cv2.ROTATE_180)
    if turn == 270:
        return cv2.rotate(image, cv2.ROTATE_90_CLOCKWISE)
    return image


class VideoReader:
    """An open video: :attr:`info`, exact :meth:`frame_at`, sequential :meth:`frames`.

    Not thread-safe: give each thread its own reader (opening is cheap next to decoding).
    """

    def __init__(self, path: str | os.PathLike[str], threads: bool = True) -> None:
        self.path = Path(path)
        self._container = _open_container(self.path)
        try:
            self._stream = self._video_stream()
            if threads:
                # Frame threads hold a frame each: beyond 1440p, slice threads (see frame_memory).
                width, height = self._declared_size
                self._stream.thread_type = plan_for_frame(width, height).decoder_threads
            self._index, self._demuxed = _build_index(self._container, self._stream, self.path.name)
            self._by_pts = {pts: i for i, pts in enumerate(self._index.pts)}
            self._frames: Iterator[tuple[int, Any]] | None = None
            self._next = -1
            self._target = -1
            first = self._decode_at(0)
            self.info = self._describe(first)
        except BaseException:
            self._container.close()
            raise

    def _video_stream(self) -> Any:
        if not self._container.streams.video:
            raise UnsupportedMedia(f"{self.path.name} has no video stream")
        stream = self._container.streams.video[0]
        width, height = stream.codec_context.width, stream.codec_context.height
        check_frame_size(width, height, self.path.name)
        if width <= 0 or height <= 0:
            raise UnsupportedMedia(f"{self.path.name}: the video stream declares no frame size")
        self._declared_size = (width, height)
        return stream

    def _describe(self, first: Any) -> VideoInfo:
        stream, index = self._stream, self._index
        time_base = stream.time_base
        count = len(index.pts)
        span = (index.pts[-1] - index.pts[0]) * time_base if count > 1 else Fraction(0)
        fps = stream.average_rate or stream.guessed_rate or Fraction(30)
        variable = _is_variable(index.pts)
        if count > 1 and span > 0:
            frame_time = span / (count - 1)
            duration = float(span + frame_time)
            fps = Fraction(count - 1) / span if variable else _snap_rate(Fraction(fps))
        else:
            duration = float(1 / fps)
        declared = int(stream.frames or 0)
        rotation = int(first.rotation)
        width, height = first.width, first.height
        if rotation % 180:
            width, height = height, width
        audio = tuple(
            AudioStreamInfo(
                index=s.index,
                codec=s.codec_context.name,
                sample_rate=int(s.codec_context.sample_rate or 0),
                channels=int(s.codec_context.channels or 0),
                start_time=float((s.start_time or 0) * s.time_base) if s.time_base else 0.0,
            )
            for s in self._container.streams.audio
        )
        return VideoInfo(
            path=self.path,
            width=width,
            height=height,
            fps=Fraction(fps).limit_denominator(1001 * 1000),
            frame_count=count,
            duration=duration,
            rotation=rotation,
            variable_frame_rate=variable,
            codec=stream.codec_context.name,
            start_time=float(index.pts[0] * time_base),
            audio=audio,
            metadata={str(k): str(v) for k, v in self._container.metadata.items()},
            # The container's count, when the demuxer found fewer packets than that (a damaged index);
            # otherwise the frames found (packets an edit list discards are no missing frames).
            declared_frame_count=declared if self._demuxed < declared else count,
        )

    @property
    def index(self) -> FrameIndex:
        """Every frame's timestamp and the keyframes (built when the file was opened)."""
        return self._index

    @property
    def time_base(self) -> Fraction:
        """The video stream's time base (seconds per pts unit)."""
        return self._index.time_base

    def pts_of(self, index: int) -> int:
        """Presentation timestamp of frame ``index`` in :attr:`time_base` units."""
        return self._index.pts[index]

    def time_of(self, index: int) -> float:
        """Seconds from the first frame to frame ``index``."""
        return self._index.time_of(index)

    def index_at_time(self, seconds: float) -> int:
        """The first frame shown at or after ``seconds`` from the first frame (clamped to the video)."""
        return self._index.index_at_time(seconds)

    def frame_at(self, index: int) -> Image:
        """The exact frame ``index`` (BGR, upright); decodes forward when that is cheaper than a seek."""
        if not 0 <= index < len(self._index.pts):
            raise IndexError(f"frame {index} is outside 0..{len(self._index.pts) - 1}")
        return self._to_image(self._decode_at(index))

    def frames(self, start: int = 0, stop: int | None = None) -> Iterator[tuple[int, Image]]:
        """(index, BGR image) for frames ``start`` <= index < ``stop``, decoded sequentially."""
        stop = len(self._index.pts) if stop is None else min(stop, len(self._index.pts))
        for index in range(start, stop):
            yield index, self.frame_at(index)

    def _to_image(self, frame: Any) -> Image:
        image = np.ascontiguousarray(frame.to_ndarray(format="bgr24"))
        return upright(image, self.info.rotation) if self.info.rotation else image

    def _decode_at(self, index: int) -> Any:
        self._target = index
        keyframe = self._index.keyframe_at_or_before(index)
        if self._frames is None or index < self._next or keyframe > self._next:
            self._seek_to(keyframe)
        assert self._frames is not None
        for found, frame in self._frames:
            self._next = found + 1
            if found == index:
                return frame
            if found > index:
                break
        self._frames = None
        raise UnreadableFile(f"{self.path.name}: frame {index} could not be decoded (truncated or corrupt?)")

    def _seek_to(self, keyframe: int) -> None:
        self._container.seek(self._index.pts[keyframe], stream=self._stream, backward=True)
        self._stream.codec_context.flush_buffers()
        self._frames = self._decode_frames()
        self._next = keyframe

    def _decode_frames(self) -> Iterator[tuple[int, Any]]:
        context = self._stream.codec_context
        try:
            for packet in self._container.demux(self._stream):
                # On the way to a later frame, let the decoder drop frames nothing else refers to (most
                # B-frames): a seek decodes ~40% fewer frames and every frame still decodes exactly.
                # Skipped frames are never returned; asking for one later seeks again.
                passing = self._by_pts.get(packet.pts, self._target) < self._target
                mode = "NONREF" if passing else "DEFAULT"
                if context.skip_frame != mode:
                    context.skip_frame = mode
                for frame in packet.decode():
                    timestamp = frame.pts if frame.pts is not None else frame.best_effort_timestamp
                    found = self._by_pts.get(timestamp)
                    if found is not None:
                        self._check_decoded_size(frame, found)
                        yield found, frame
        except av.FFmpegError as error:
            raise UnreadableFile(f"{self.path.name} is truncated or corrupt: {error}") from None

    def _check_decoded_size(self, frame: Any, index: int) -> None:
        """Every decoded frame has the size the header declared: a stream that changes size mid-way
        (a header saying 512x388, then 8192x8192 frames) stops here, before the frame is converted or
        handed on, so the frame-size limit holds for every frame and nothing is rescaled silently."""
        if (frame.width, frame.height) == self._declared_size:
            return
        width, height = self._declared_size
        raise FrameSizeChanged(
            f"{self.path.name}: frame {index} is {frame.width}x{frame.height} but the video declares "
            f"{width}x{height}; videos whose frame size changes are not supported"
        )

    def close(self) -> None:
        """Release the file and decoder."""
        self._frames = None
        self._container.close()

    def __enter__(self) -> VideoReader:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.close()


def probe_video(path: str | os.PathLike[str]) -> VideoInfo:
    """Open, index and check a video (decodes its first frame); raises typed errors for bad files."""
    with VideoReader(path, threads=False) as reader:
        return reader.info
