"""Typed errors raised by the core and the layers above it.

Every user-facing failure is one of these. The CLI maps ``exit_code`` to its process exit status and
prints ``str(error)`` as a one-line message; the GUI shows the same message in a notification.
"""

from __future__ import annotations


class FaceswapError(Exception):
    """Base class of every expected, user-explainable failure."""

    exit_code: int = 1


class BadInput(FaceswapError):
    """The user gave an input that cannot be used (exit code 2)."""

    exit_code = 2


class UnreadableFile(BadInput):
    """A file is missing, unreadable, or its content is not a decodable image/video."""


class UnsupportedMedia(BadInput):
    """The file's content is of a format the app does not accept."""


class NotARegularFile(UnreadableFile):
    """An input is a folder, a named pipe, a device or a socket: refused before it is opened."""


class FrameSizeChanged(UnsupportedMedia):
    """A decoded video frame's size differs from the size the video's header declares."""


class PartialVideo(UnreadableFile):
    """A video yields fewer frames than its container declares and a partial export was not asked for
    (exit code 6: scripts can tell it from other bad input and retry with ``--allow-partial``)."""

    exit_code = 6


class ImageTooLarge(BadInput):
    """The image's header declares dimensions above the safety limits."""


class OutputConflict(BadInput):
    """The output path would overwrite an input, or has an unsupported extension."""


class DiskFull(FaceswapError):
    """Not enough free space for an output, or the disk filled up while writing (exit code 5).

    The partial output is removed; inputs and earlier outputs are untouched.
    """

    exit_code = 5


class DecoderCrashed(UnreadableFile):
    """A decoder died (native crash) on a file; it ran in a helper process, so only this file failed."""


class DecoderHung(DecoderCrashed):
    """A decoder took longer than its time limit on a file and was stopped (it ran in a helper
    process)."""


class NoFaceFound(FaceswapError):
    """No usable face in a source or target image (exit code 3)."""

    exit_code = 3


class FaceIndexOutOfRange(NoFaceFound):
    """The requested face index does not exist in the target."""


class UnknownComponent(FaceswapError):
    """A detector/swapper/recognizer id that is not registered."""

    exit_code = 2


class ModelIntegrityError(FaceswapError):
    """A model file failed size/hash verification; it is never loaded."""

    exit_code = 4


class ModelMissing(FaceswapError):
    """A model the user selected is not installed; the message names what to download."""

    exit_code = 4


class CameraUnavailable(FaceswapError):
    """A camera (or a virtual camera) is missing, busy, or stopped delivering frames (exit code 7)."""

    exit_code = 7


class CameraLost(CameraUnavailable):
    """A camera that was streaming disappeared (unplugged, taken by another program)."""


class Cancelled(FaceswapError):
    """A job was cancelled by the user."""

    exit_code = 130
