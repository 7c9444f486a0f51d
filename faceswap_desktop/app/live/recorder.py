"""Recording the live stream to a video file, labelled like an export and never left half-written.

Frames are encoded on the recorder's own thread (a bounded queue: memory does not grow, and a slow disk
slows the live stream a little rather than losing frames). Timestamps come from the camera frames'
arrival times (milliseconds), so a stream that dropped frames plays back at its real speed. The file is
written under a temporary name beside the output, carries the container's synthetic-media tags, and is
signed (C2PA) and renamed by :func:`~..content_credentials.finish_video` when the recording stops, also
when it stops because the camera disappeared. A recording that fails is deleted, never published.
"""

from __future__ import annotations

import contextlib
import logging
import queue
import secrets
import threading
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

from ...core.errors import BadInput, OutputConflict
from ...core.media.safe_files import check_not_an_input
from ...core.media.video_writer import EncodeOptions, VideoWriter, check_encoder, container_for
from ...core.media.watermark import add_watermark
from ...core.types import Image
from ..content_credentials import finish_video, write_export_image

log = logging.getLogger(__name__)

QUEUE_FRAMES = 12
"""Frames waiting for the encoder (12 x 2.7 MB at 720p)."""

RECORD_ENCODE = EncodeOptions(codec="h264", crf=20, preset="veryfast", audio="none")
"""x264 'veryfast' keeps up with 720p30 on one core with room to spare; CRF 20 looks like the preview."""


@dataclass(frozen=True)
class RecordingOptions:
    """Where and how to record; ``inputs`` are files the output must not replace (the source photos)."""

    output: Path
    overwrite: bool = False
    watermark: bool = False
    """Draw the visible "AI-generated" corner mark, as exports can (the tags are always written)."""
    content_credentials: bool = True
    inputs: tuple[Path, ...] = ()
    encode: EncodeOptions = RECORD_ENCODE


@dataclass(frozen=True)
class RecordingResult:
    """A finished recording."""

    output: Path
    frames: int
    content_credentials: str
    """"signed", "off", or why there is no manifest."""


def check_recording(options: RecordingOptions) -> None:
    """Checks before the camera starts: container, folder, not an input, no silent overwrite."""
    check_encoder(options.encode)
    container_for(options.output, options.encode.codec)
    if not options.output.parent.resolve().is_dir():
        raise OutputConflict(f"recording folder does not exist: {options.output.parent}")
    check_not_an_input(options.output, options.inputs)
    if options.output.exists() and not options.overwrite:
        raise OutputConflict(f"output exists: {options.output} (pass --overwrite to replace it)")


class LiveRecorder:
    """Encodes frames given with :meth:`add` until :meth:`finish` publishes the file (or :meth:`abort`)."""

    def __init__(self, options: RecordingOptions, width: int, height: int) -> None:
        check_recording(options)
        self.options = options
        self.temporary = options.output.with_name(
            f".{options.output.stem}.{secrets.token_hex(4)}.partial{options.output.suffix}"
        )
        # Milliseconds: the camera's arrival times become the timestamps (variable frame rate).
        self._writer = VideoWriter(
            self.temporary, width, height, Fraction(30), Fraction(1, 1000), options.encode
        )
        self._queue: queue.Queue[tuple[Image, int] | None] = queue.Queue(QUEUE_FRAMES)
        self._error: BaseException | None = None
        self._first: float | None = None
        self._last_pts = -1
        self.frames = 0
        self._closed = False
        self._thread = threading.Thread(target=self._encode, name="live-record", daemon=True)
        self._thread.start()

    def add(self, image: Image, captured_at: float) -> None:
        """Queue one frame (waits while the encoder is behind); raises the encoder's error if it failed."""
        if self._error is not None:
            raise self._error
        if self._closed:
            raise BadInput("the recording has finished")
        if self._first is None:
            self._first = captured_at
        pts = max(self._last_pts + 1, round((captured_at - self._first) * 1000))
        self._last_pts = pts
        frame = add_watermark(image) if self.options.watermark else image
        while self._thread.is_alive():
            try:
                self._queue.put((frame, pts), timeout=0.2)
                self.frames += 1
                return
            except queue.Full:
                continue
        if self._error is not None:
            raise self._error

    def _encode(self) -> None:
        try:
            while True:
                item = self._queue.get()
                if item is None:
                    return
                image, pts = item
                self._writer.write(image, pts, 0.0)
        except BaseException as error:  # handed to the live thread by add()/finish()
            self._error = error
            log.error("recording %s failed: %s", self.options.output.name, error)

    def finish(self) -> RecordingResult:
        """Encode what is queued, close the file, label it and publish it under its final name."""
        if self._closed:
            raise BadInput("the recording has finished")
        self._closed = True
        published = False
        try:
            self._stop_thread()
            if self._error is not None:
                raise self._error
            self._writer.close()
            status = finish_video(
                self.temporary,
                self.options.output,
                self.options.content_credentials,
                overwrite=self.options.overwrite,
            )
            published = True
            return RecordingResult(self.options.output, self.frames, status)
        finally:
            if not published:
                self._discard()

    def abort(self) -> None:
        """Stop and delete the unfinished file (nothing is published)."""
        if self._closed:
            return
        self._closed = True
        self._stop_thread()
        self._discard()

    def _stop_thread(self) -> None:
        while self._thread.is_alive():
            try:
                self._queue.put(None, timeout=0.2)
                break
            except queue.Full:
                continue
        self._thread.join()

    def _discard(self) -> None:
        with contextlib.suppress(Exception):
            self._writer.abort()
        with contextlib.suppress(OSError):
            self.temporary.unlink()


def save_snapshot(
    image: Image,
    output: Path,
    inputs: tuple[Path, ...] = (),
    watermark: bool = False,
    content_credentials: bool = True,
    overwrite: bool = False,
) -> dict[str, object]:
    """Save one live frame as a photo export is saved: XMP label, C2PA manifest, atomic write."""
    check_not_an_input(output, inputs)
    if output.exists() and not overwrite:
        raise OutputConflict(f"output exists: {output} (not replaced)")
    return write_export_image(
        output, image, watermark=watermark, content_credentials=content_credentials, overwrite=overwrite
    )
