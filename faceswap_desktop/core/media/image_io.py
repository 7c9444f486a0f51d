"""Reading and writing images safely.

Images are read from bytes (so paths in any script work on every OS, unlike ``cv2.imread``), their size
is checked from the header *before* decoding, formats are recognised by content, and EXIF orientation is
applied. Writes go to a temporary file in the destination folder and are renamed only when complete.

Inputs of every kind decode to 8-bit BGR: greyscale, palette, 16-bit and CMYK JPEG files are converted
by OpenCV's ``IMREAD_COLOR``. A PNG's alpha channel is kept only when asked for
(:func:`read_image_with_alpha`): the pipeline swaps on BGR and :func:`write_image` re-attaches the
original alpha to PNG outputs, so transparent areas outside the face stay transparent.
"""

from __future__ import annotations

import os
import struct
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from ..errors import ImageTooLarge, OutputConflict, UnreadableFile, UnsupportedMedia
from ..types import Image
from .input_files import check_regular_file
from .provenance import label_encoded_image
from .safe_files import check_not_an_input, write_bytes_atomic

__all__ = [
    "check_output_path",
    "decode_image",
    "read_image",
    "read_image_with_alpha",
    "with_alpha",
    "write_bytes_atomic",
    "write_image",
]

MAX_IMAGE_SIDE = 16_384
MAX_IMAGE_PIXELS = 89_500_000
MAX_IMAGE_FILE_BYTES = 512 * 1024 * 1024

WRITE_EXTENSIONS: dict[str, str] = {".png": ".png", ".jpg": ".jpg", ".jpeg": ".jpg", ".webp": ".webp"}


def sniff_image_format(head: bytes) -> str | None:
    """The image format from magic bytes: 'jpeg', 'png', 'webp', 'bmp', or None."""
    if head.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "webp"
    if head.startswith(b"BM"):
        return "bmp"
    return None


def _jpeg_size(data: bytes) -> tuple[int, int] | None:
    pos = 2
    while pos + 4 <= len(data):
        if data[pos] != 0xFF:
            pos += 1
            continue
        marker = data[pos + 1]
        if marker in (0xD8, 0x01) or 0xD0 <= marker <= 0xD7 or marker == 0xFF:
            pos += 1 if marker == 0xFF else 2
            continue
        (length,) = struct.unpack(">H", data[pos + 2 : pos + 4])
        # SOF0..SOF15 except DHT (C4), JPG (C8) and DAC (CC) carry the frame size.
        if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
            if pos + 9 > len(data):
                return None
            height, width = struct.unpack(">HH", data[pos + 5 : pos + 9])
            return width, height
        pos += 2 + length
    return None


def _webp_size(data: bytes) -> tuple[int, int] | None:
    chunk = data[12:16]
    if chunk == b"VP8 " and len(data) >= 30:
        width, height = struct.unpack("<HH", data[26:30])
        return width & 0x3FFF, height & 0x3FFF
    if chunk == b"VP8L" and len(data) >= 25:
        bits = int.from_bytes(data[21:25], "little")
        return (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1
    if chunk == b"VP8X" and len(data) >= 30:
        width = int.from_bytes(data[24:27], "little") + 1
        height = int.from_bytes(data[27:30], "little") + 1
        return width, height
    return None


def image_size_from_header(data: bytes, name: str = "image") -> tuple[str, int, int]:
    """(format, width, height) read from the header only; raises for unknown or unparsable headers."""
    fmt = sniff_image_format(data[:16])
    if fmt is None:
        raise UnsupportedMedia(f"{name} is not a supported image (JPEG, PNG, WebP or BMP expected)")
    size: tuple[int, int] | None = None
    if fmt == "png" and len(data) >= 24:
        size = struct.unpack(">II", data[16:24])
    elif fmt == "jpeg":
        size = _jpeg_size(data)
    elif fmt == "webp":
        size = _webp_size(data)
    elif fmt == "bmp" and len(data) >= 26:
        width, height = struct.unpack("<ii", data[18:26])
        size = (abs(width), abs(height))
    if size is None:
        raise UnreadableFile(f"{name}: the {fmt.upper()} header is truncated or corrupt")
    return fmt, int(size[0]), int(size[1])


def check_png_chunks(data: bytes, name: str = "image") -> None:
    """Refuse a PNG whose chunk lengths run past the end of the file, before decoding.

    OpenCV allocates a chunk's declared length before reading it: a 20 kB file claiming a 4 GB IDAT
    costs 4 GB of memory and seconds of copying before it fails. Walking the chunk list is cheap.
    """
    position = 8
    while position + 8 <= len(data):
        (length,) = struct.unpack(">I", data[position : position + 4])
        kind = data[position + 4 : position + 8]
        if length > 0x7FFFFFFF or position + 12 + length > len(data):
            label = kind.decode("ascii", "replace")
            raise UnreadableFile(
                f"{name}: the PNG chunk {label!r} claims {length} bytes but the file ends first "
                "(truncated or corrupt)"
            )
        if kind == b"IEND":
            return
        position += 12 + length


def check_image_dimensions(width: int, height: int, name: str = "image") -> None:
    """Raise :class:`ImageTooLarge` above the side or pixel-count limits (before any decoding)."""
    if width <= 0 or height <= 0:
        raise UnreadableFile(f"{name}: the header declares an empty image ({width}x{height})")
    if width > MAX_IMAGE_SIDE or height > MAX_IMAGE_SIDE or width * height > MAX_IMAGE_PIXELS:
        raise ImageTooLarge(
            f"{name} is {width}x{height}; the limit is {MAX_IMAGE_SIDE} px a side and "
            f"{MAX_IMAGE_PIXELS / 1e6:.1f} M pixels"
        )


def read_file_bytes(path: str | os.PathLike[str]) -> bytes:
    """The bytes of a file, with typed errors for missing, unreadable or oversized files."""
    file_path = Path(path)
    try:
        check_regular_file(file_path)  # a FIFO or a device would block or never end: refused first
        size = file_path.stat().st_size
        if size > MAX_IMAGE_FILE_BYTES:
            raise ImageTooLarge(f"{file_path.name} is {size / 2**20:.0f} MiB; the limit is 512 MiB")
        return file_path.read_bytes()
    except FileNotFoundError:
        raise UnreadableFile(f"file not found: {file_path}") from None
    except PermissionError:
        raise UnreadableFile(f"permission denied: {file_path}") from None
    except IsADirectoryError:
        raise UnreadableFile(f"not a file: {file_path}") from None
    except OSError as error:
        raise UnreadableFile(f"cannot read {file_path.name}: {error.strerror or error}") from None


def decode_image(data: bytes, name: str = "image") -> Image:
    """Decode image bytes to BGR uint8 after the header size check; EXIF orientation is applied."""
    fmt, width, height = image_size_from_header(data, name)
    check_image_dimensions(width, height, name)
    if fmt == "png":
        check_png_chunks(data, name)
    buffer = np.frombuffer(data, dtype=np.uint8)
    # IMREAD_COLOR converts greyscale/palette/16-bit to 8-bit BGR and applies EXIF orientation.
    try:
        image = cv2.imdecode(buffer, cv2.IMREAD_COLOR)
    except cv2.error:  # OpenCV's own size limits (see the package __init__) or a decoder exception
        image = None
    if image is None or image.size == 0:
        raise UnreadableFile(f"{name} could not be decoded (corrupt or truncated)")
    return np.ascontiguousarray(image)


def read_image(path: str | os.PathLike[str]) -> Image:
    """Read an image file as BGR uint8 (EXIF-rotated), with size checked before decoding."""
    return decode_image(read_file_bytes(path), Path(path).name)


def check_output_path(output: str | os.PathLike[str], inputs: Iterable[str | os.PathLike[str]]) -> Path:
    """Validate an output image path: supported extension, existing folder, not one of the inputs."""
    out = Path(output)
    if out.suffix.lower() not in WRITE_EXTENSIONS:
        raise OutputConflict(f"output must end in {', '.join(sorted(WRITE_EXTENSIONS))}: {out.name}")
    if not out.parent.resolve().is_dir():
        raise OutputConflict(f"output folder does not exist: {out.parent}")
    check_not_an_input(out, inputs)
    return out


def encode_image(image: Image, extension: str, jpeg_quality: int = 95) -> bytes:
    """Encode to PNG/JPEG/WebP bytes by extension."""
    ext = WRITE_EXTENSIONS.get(extension.lower())
    if ext is None:
        raise OutputConflict(f"unsupported output extension {extension!r}")
    params: list[int] = []
    if ext == ".jpg":
        params = [cv2.IMWRITE_JPEG_QUALITY, jpeg_quality]
    elif ext == ".webp":
        params = [cv2.IMWRITE_WEBP_QUALITY, jpeg_quality]
    ok, buffer = cv2.imencode(ext, image, params)
    if not ok:
        raise OutputConflict(f"could not encode the image as {ext}")
    return bytes(buffer.tobytes())


def _alpha_to_8bit(alpha: np.ndarray[Any, Any]) -> Image:
    if alpha.dtype == np.uint16:
        return (alpha >> 8).astype(np.uint8)
    if alpha.dtype != np.uint8:
        return np.clip(alpha, 0, 255).astype(np.uint8)
    return alpha


def decode_image_with_alpha(data: bytes, name: str = "image") -> tuple[Image, Image | None]:
    """BGR uint8 as :func:`decode_image`, plus the 8-bit alpha plane of a PNG that has one (else None)."""
    image = decode_image(data, name)
    if sniff_image_format(data[:16]) != "png":
        return image, None
    try:
        unchanged = cv2.imdecode(np.frombuffer(data, dtype=np.uint8), cv2.IMREAD_UNCHANGED)
    except cv2.error:  # the colour decode succeeded; without a readable alpha the image is opaque
        return image, None
    if unchanged is None or unchanged.ndim != 3 or unchanged.shape[2] != 4:
        return image, None
    alpha = _alpha_to_8bit(unchanged[:, :, 3])
    if alpha.shape != image.shape[:2]:  # an eXIf orientation turned the colour planes only
        return image, None
    return image, np.ascontiguousarray(alpha)


def read_image_with_alpha(path: str | os.PathLike[str]) -> tuple[Image, Image | None]:
    """Read BGR uint8 and, for a PNG with transparency, its alpha plane (H x W uint8) to re-attach."""
    return decode_image_with_alpha(read_file_bytes(path), Path(path).name)


def with_alpha(image: Image, alpha: Image | None, extension: str) -> Image:
    """``image`` with ``alpha`` as a 4th channel when the output format keeps it (PNG), else as is."""
    if alpha is None or WRITE_EXTENSIONS.get(extension.lower()) != ".png":
        return image
    if alpha.shape != image.shape[:2]:
        raise OutputConflict(f"alpha plane {alpha.shape} does not match the image {image.shape[:2]}")
    return np.dstack([image, alpha.astype(np.uint8)])


def write_image(
    path: str | os.PathLike[str],
    image: Image,
    label_synthetic: bool = True,
    alpha: Image | None = None,
    overwrite: bool = True,
) -> None:
    """Encode by the path's extension, label as synthetic media (XMP), and write atomically.

    ``alpha`` (H x W uint8) is attached to PNG outputs; JPEG and WebP outputs are written opaque.
    Without ``overwrite`` an existing file at ``path`` is never replaced (:class:`OutputConflict`).
    """
    extension = Path(path).suffix.lower()
    image = with_alpha(image, alpha, extension)
    data = encode_image(image, extension)
    if label_synthetic:
        data = label_encoded_image(data, WRITE_EXTENSIONS[extension], image.shape[1], image.shape[0])
    write_bytes_atomic(path, data, overwrite=overwrite)
