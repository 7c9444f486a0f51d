"""A generated corpus of damaged and lying files through the app's guarded decoding entry points.

From shared photos and a shared clip, each run builds (seeded, in a temporary folder) over 300 mutated
images (bit flips, truncations, header lies about size and lengths, spliced and shortened bodies, wrong
extensions) and over 30 mutated videos (truncated, no moov atom, corrupt packets, lying headers). Every
file goes through :func:`load_image` / :class:`GuardedVideoReader`, which the photo, preview and video
jobs use. Each must give a correct result or a typed :class:`BadInput` that names the file. Decoding runs
in helper processes, so a native crash is one :class:`DecoderCrashed` item (counted and printed) and a
hang is stopped at the helper's limit (:class:`DecoderHung`): the test process itself never decodes.
"""

from __future__ import annotations

import struct
import threading
import time
import zlib
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import av
import cv2
import numpy as np
import pytest

from faceswap_desktop.core.errors import BadInput, DecoderCrashed, FaceswapError, ImageTooLarge
from faceswap_desktop.core.media.guarded_decode import (
    DecodeHelper,
    GuardedVideoReader,
    check_audio,
    load_image,
)
from faceswap_desktop.core.media.image_io import image_size_from_header, read_image
from faceswap_desktop.core.media.video_io import VideoReader

from .conftest import MEDIA, SHARED

pytestmark = pytest.mark.slow  # helper processes, a few hundred decodes

OBAMA_CLIP = SHARED / "media" / "videos" / "Obama_speaking.mp4"
PHOTOS = ("identity/biden/biden2.jpg", "misc/single_Tom_Hanks_54745.png", "misc/pose_right_face.png")


@dataclass
class Item:
    """One corpus file and what is known about the right answer."""

    path: Path
    kind: str
    expect_exact: Path | None = None
    """A valid original: the result must equal the in-process decode of this file."""
    expect_error: type[FaceswapError] | None = None
    """The error the app must give (the header check's job, not luck)."""


@dataclass
class Outcome:
    item: Item
    shape: tuple[int, ...] | None = None
    image: np.ndarray | None = None
    error: FaceswapError | None = None
    seconds: float = 0.0


# --- images ------------------------------------------------------------------------------------------


def _exif_orientation(jpeg: bytes, orientation: int) -> bytes:
    ifd = struct.pack("<2sHIH", b"II", 42, 8, 1) + struct.pack("<HHIHHI", 0x0112, 3, 1, orientation, 0, 0)
    payload = b"Exif\x00\x00" + ifd
    return jpeg[:2] + b"\xff\xe1" + struct.pack(">H", len(payload) + 2) + payload + jpeg[2:]


def _encode(extension: str, image: np.ndarray, *params: int) -> bytes:
    ok, buffer = cv2.imencode(extension, image, list(params))
    assert ok, extension
    return buffer.tobytes()


def _image_bases() -> dict[str, tuple[str, bytes]]:
    """name -> (extension, bytes): every accepted format and the pixel kinds handled on purpose."""
    photos = [cv2.imread(str(MEDIA / name), cv2.IMREAD_COLOR) for name in PHOTOS]
    small = [cv2.resize(p, (72, 56), interpolation=cv2.INTER_AREA) for p in photos]
    grey = cv2.cvtColor(small[1], cv2.COLOR_BGR2GRAY)
    alpha = np.tile(np.linspace(0, 255, 72, dtype=np.uint8), (56, 1))
    return {
        "jpeg": (".jpg", _encode(".jpg", small[0], cv2.IMWRITE_JPEG_QUALITY, 90)),
        "jpeg_progressive": (".jpg", _encode(".jpg", small[1], cv2.IMWRITE_JPEG_PROGRESSIVE, 1)),
        "jpeg_exif_rotated": (".jpg", _exif_orientation(_encode(".jpg", small[2]), 6)),
        "jpeg_grey": (".jpeg", _encode(".jpg", grey)),
        "png": (".png", _encode(".png", small[0])),
        "png_alpha": (".png", _encode(".png", np.dstack([small[1], alpha]))),
        "png_16bit": (".png", _encode(".png", small[2].astype(np.uint16) * 257)),
        "png_grey": (".png", _encode(".png", grey)),
        "webp_lossy": (".webp", _encode(".webp", small[0], cv2.IMWRITE_WEBP_QUALITY, 80)),
        "webp_lossless": (".webp", _encode(".webp", small[1], cv2.IMWRITE_WEBP_QUALITY, 101)),
        "bmp": (".bmp", _encode(".bmp", small[2])),
        "bmp_grey": (".bmp", _encode(".bmp", grey)),
    }


def _set_size(data: bytes, width: int, height: int) -> bytes:
    """The same file with its header declaring ``width`` x ``height`` (PNG CRC fixed: a believable lie)."""
    out = bytearray(data)
    if data.startswith(b"\x89PNG"):
        out[16:24] = struct.pack(">II", width, height)
        out[29:33] = struct.pack(">I", zlib.crc32(bytes(out[12:29])))
    elif data.startswith(b"\xff\xd8"):
        pos = 2
        while pos + 9 < len(out):
            marker = out[pos + 1]
            if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
                out[pos + 5 : pos + 9] = struct.pack(">HH", min(height, 0xFFFF), min(width, 0xFFFF))
                break
            pos += 2 + struct.unpack(">H", out[pos + 2 : pos + 4])[0]
    elif data.startswith(b"RIFF"):
        chunk = bytes(out[12:16])
        if chunk == b"VP8 ":
            out[26:30] = struct.pack("<HH", width & 0x3FFF, height & 0x3FFF)
        elif chunk == b"VP8L":
            bits = int.from_bytes(out[21:25], "little") & ~((1 << 28) - 1)
            bits |= ((width - 1) & 0x3FFF) | (((height - 1) & 0x3FFF) << 14)
            out[21:25] = bits.to_bytes(4, "little")
    elif data.startswith(b"BM"):
        out[18:26] = struct.pack("<ii", width, height)
    return bytes(out)


def _lie_about_lengths(data: bytes) -> bytes:
    out = bytearray(data)
    if data.startswith(b"\x89PNG"):
        idat = data.find(b"IDAT")
        out[idat - 4 : idat] = struct.pack(">I", 0xFFFFFFF0)
    elif data.startswith(b"\xff\xd8"):
        out[4:6] = b"\xff\xff"  # the first segment's length
    elif data.startswith(b"RIFF"):
        out[4:8] = struct.pack("<I", 0xFFFFFFF0)
        out[16:20] = struct.pack("<I", 0xFFFFFFF0)
    elif data.startswith(b"BM"):
        out[10:14] = struct.pack("<I", 0x7FFFFFF0)  # pixel data offset far past the end
    return bytes(out)


def _mutations(data: bytes, rng: np.random.Generator) -> list[tuple[str, bytes]]:
    """24 damaged versions of one file."""

    def flip(count: int, limit: int) -> bytes:
        out = bytearray(data)
        for position in rng.integers(0, min(limit, len(out)), count):
            out[position] ^= 1 << int(rng.integers(0, 8))
        return bytes(out)

    size = len(data)
    width, height = image_size_from_header(data)[1:]
    start = int(rng.integers(size // 4, size // 2))
    variants = [(f"flip{n}", flip(n, size)) for n in (1, 1, 3, 8, 32, 128)]
    variants += [(f"header_flip{n}", flip(n, 64)) for n in (1, 2, 4)]
    cuts = (int(rng.integers(1, 24)), int(rng.integers(24, 100)), size // 4, size // 2, size * 9 // 10)
    variants += [(f"cut{n}", data[:n]) for n in (*cuts, size - 1)]
    variants += [
        ("lie_zero_size", _set_size(data, 0, height)),
        ("lie_double_size", _set_size(data, width * 2, height * 2)),
        ("lie_one_pixel", _set_size(data, 1, 1)),
        ("lie_lengths", _lie_about_lengths(data)),
        (
            "overwrite_run",
            data[:start] + rng.integers(0, 256, 16, dtype=np.uint8).tobytes() + data[start + 16 :],
        ),
        ("repeat_span", data[:start] + data[start - 40 : start] + data[start:]),
        ("drop_span", data[:start] + data[start + 40 :]),
        ("magic_then_noise", data[:12] + rng.integers(0, 256, 200, dtype=np.uint8).tobytes()),
        ("zeros_after_header", data[:40] + bytes(size - 40)),
    ]
    return variants


def image_corpus(folder: Path) -> list[Item]:
    items: list[Item] = []
    rng = np.random.default_rng(20240611)
    other_extension = {".jpg": ".png", ".jpeg": ".webp", ".png": ".jpg", ".webp": ".bmp", ".bmp": ".png"}
    for name, (extension, data) in _image_bases().items():
        original = folder / f"{name}{extension}"
        original.write_bytes(data)
        items.append(Item(original, "image", expect_exact=original))
        renamed = folder / f"{name} named wrongly{other_extension[extension]}"
        renamed.write_bytes(data)  # content decides, not the extension
        items.append(Item(renamed, "image", expect_exact=original))
        huge = folder / f"{name} lie_huge{extension}"
        side = 0x3FFF if extension == ".webp" else 40_000  # WebP's header holds 14 bits a side
        huge.write_bytes(_set_size(data, side, side))
        items.append(Item(huge, "image", expect_error=ImageTooLarge))
        for mutation, mutated in _mutations(data, rng):
            path = folder / f"{name} {mutation}{extension}"
            path.write_bytes(mutated)
            items.append(Item(path, "image"))
    specials = {
        "empty.jpg": b"",
        "text.png": b"just some text, not a picture\n" * 20,
        "gif disguised.jpg": b"GIF89a" + bytes(100),
        "tiff disguised.png": b"II*\x00" + bytes(100),
        "-leading dash 😀 日本.jpg": (folder / "jpeg.jpg").read_bytes()[:300],
    }
    for file_name, data in specials.items():
        (folder / file_name).write_bytes(data)
        items.append(Item(folder / file_name, "image"))
    items.append(Item(folder / "missing.png", "image"))
    return items


# --- videos ------------------------------------------------------------------------------------------


def _clip_frames(count: int = 10) -> list[np.ndarray]:
    with VideoReader(OBAMA_CLIP, threads=False) as reader:
        return [cv2.resize(reader.frame_at(i), (96, 72), interpolation=cv2.INTER_AREA) for i in range(count)]


def _write_clip(
    path: Path, frames: list[np.ndarray], codec: str, audio: bool = False, **options: str
) -> Path:
    container_options = {"movflags": "faststart"} if options.pop("faststart", "") else {}
    with av.open(str(path), "w", options=container_options) as output:
        stream = output.add_stream(codec, rate=10, options=options)
        stream.width, stream.height = 96, 72
        stream.pix_fmt = "yuvj420p" if codec == "mjpeg" else "yuv420p"
        sound = output.add_stream("aac", rate=16000) if audio else None
        for i, image in enumerate(frames):
            frame = av.VideoFrame.from_ndarray(image, format="bgr24")
            frame.pts = i
            frame.time_base = Fraction(1, 10)
            output.mux(stream.encode(frame))
        output.mux(stream.encode(None))
        if sound is not None:
            tone = (0.2 * np.sin(np.arange(16000) * 2 * np.pi * 440 / 16000)).astype(np.float32)
            chunk = av.AudioFrame.from_ndarray(tone[None, :], format="fltp", layout="mono")
            chunk.sample_rate, chunk.pts = 16000, 0
            output.mux(sound.encode(chunk))
            output.mux(sound.encode(None))
    return path


def _video_mutations(data: bytes, rng: np.random.Generator) -> list[tuple[str, bytes]]:
    size = len(data)

    def overwrite(count: int) -> bytes:
        out = bytearray(data)
        for position in rng.integers(size * 3 // 10, size * 19 // 20, count):
            out[position] = int(rng.integers(0, 256))
        return bytes(out)

    header = bytearray(data)
    moov = data.find(b"moov")
    region = (moov, min(size, moov + 600)) if moov > 0 else (0, min(size, 600))
    for position in rng.integers(region[0], region[1], 8):
        header[position] ^= 1 << int(rng.integers(0, 8))
    no_index = data
    for marker, replacement in (
        (b"moov", b"free"),
        (b"\x16\x54\xae\x6b", b"\xec\x00\x00\x00"),
        (b"hdrl", b"JUNK"),
    ):
        no_index = no_index.replace(marker, replacement, 1)  # MP4 moov / Matroska Tracks / AVI header
    lie = bytearray(data)
    for entry in (b"avc1", b"avih"):
        where = data.find(entry)
        if where > 0 and entry == b"avc1":
            lie[where + 28 : where + 32] = struct.pack(">HH", 30000, 30000)
        elif where > 0:
            lie[where + 40 : where + 48] = struct.pack("<II", 30000, 30000)
    return [
        ("cut_half", data[: size // 2]),
        ("cut_tail", data[: size * 9 // 10]),
        ("cut_head", data[:200]),
        ("no_index", no_index),
        ("corrupt_packets", overwrite(24)),
        ("corrupt_packets_many", overwrite(400)),
        ("header_flips", bytes(header)),
        ("size_lie", bytes(lie)),
    ]


def video_corpus(folder: Path) -> list[Item]:
    frames = _clip_frames()
    fast = {"preset": "ultrafast"}
    bases = [
        _write_clip(folder / "h264 faststart.mp4", frames, "libx264", faststart="1", **fast),
        _write_clip(folder / "h264 audio.mp4", frames, "libx264", audio=True, **fast),
        _write_clip(folder / "h264.mov", frames, "libx264", **fast),
        _write_clip(folder / "h264.mkv", frames, "libx264", **fast),
        _write_clip(folder / "vp9.webm", frames, "libvpx-vp9", deadline="realtime", **{"cpu-used": "8"}),
        _write_clip(folder / "mjpeg.avi", frames, "mjpeg"),
    ]
    items = [Item(path, "video", expect_exact=path) for path in bases]
    rng = np.random.default_rng(611)
    for base in bases:
        for mutation, data in _video_mutations(base.read_bytes(), rng):
            path = base.with_name(f"{base.stem} {mutation}{base.suffix}")
            path.write_bytes(data)
            items.append(Item(path, "video"))
    (folder / "photo named.mp4").write_bytes((MEDIA / PHOTOS[0]).read_bytes())
    (folder / "noise.mkv").write_bytes(rng.integers(0, 256, 5000, dtype=np.uint8).tobytes())
    (folder / "empty.mov").write_bytes(b"")
    items += [Item(folder / name, "video") for name in ("photo named.mp4", "noise.mkv", "empty.mov")]
    return items


# --- running the corpus ------------------------------------------------------------------------------

_local = threading.local()
_video_helpers: list[DecodeHelper] = []
"""One helper per corpus thread for videos (a crashed helper restarts on its next request)."""


def _decode(item: Item) -> Outcome:
    """What the app's entry points give for ``item`` (video: open, every frame, the audio track)."""
    try:
        if item.kind == "image":
            image = load_image(item.path)
            return Outcome(item, image.shape, image)
        helper = getattr(_local, "helper", None)
        if helper is None:
            helper = _local.helper = DecodeHelper()
            _video_helpers.append(helper)
        with GuardedVideoReader(item.path, helper) as reader:
            frames = list(reader.frames())
            if reader.info.has_audio:
                check_audio(item.path)
            shape = (len(frames), reader.info.height, reader.info.width, 3)
            for _index, frame in frames:
                assert frame.shape == shape[1:] and frame.dtype == np.uint8, item.path.name
            return Outcome(item, shape, np.stack([f for _, f in frames]))
    except FaceswapError as error:
        return Outcome(item, error=error)


def _timed(item: Item) -> Outcome:
    started = time.perf_counter()
    outcome = _decode(item)
    outcome.seconds = time.perf_counter() - started
    return outcome


def _run(items: list[Item]) -> list[Outcome]:
    with ThreadPoolExecutor(2) as pool:
        outcomes = list(pool.map(_timed, items))
    return outcomes


def _summary(outcomes: list[Outcome]) -> Counter[str]:
    """Outcome counts by result type; printed with the slowest item and any contained crash."""
    summary = Counter("ok" if o.error is None else type(o.error).__name__ for o in outcomes)
    slowest = max(outcomes, key=lambda o: o.seconds)
    crashed = [o.item.path.name for o in outcomes if isinstance(o.error, DecoderCrashed)]
    print(f"\n{len(outcomes)} {outcomes[0].item.kind}s: {dict(summary)}")
    print(f"slowest: {slowest.item.path.name} {slowest.seconds:.2f} s; crashes/hangs in helpers: {crashed}")
    return summary


def _check(outcome: Outcome, reference: Callable[[Path], np.ndarray]) -> None:
    item, error = outcome.item, outcome.error
    name = item.path.name
    if error is not None:
        assert isinstance(error, BadInput), f"{name}: {error!r} is not a bad-input error"
        assert name in str(error) or str(item.path) in str(error), f"{name}: message {error} omits the file"
    if item.expect_error is not None:
        assert isinstance(error, item.expect_error), f"{name}: expected {item.expect_error}, got {error!r}"
    if item.expect_exact is not None:
        assert error is None, f"{name}: a valid file failed: {error}"
        assert outcome.image is not None and np.array_equal(outcome.image, reference(item.expect_exact)), name


def _header_shape_matches(outcome: Outcome) -> None:
    """A decoded image has the size its header declared (either way round: EXIF may turn it)."""
    assert outcome.image is not None and outcome.image.dtype == np.uint8 and outcome.image.shape[2] == 3
    _fmt, width, height = image_size_from_header(outcome.item.path.read_bytes())
    assert outcome.image.shape[:2] in ((height, width), (width, height)), outcome.item.path.name


def test_mutated_images_give_a_correct_result_or_a_typed_error(tmp_path: Path) -> None:
    items = image_corpus(tmp_path)
    assert len(items) >= 300 and sum(item.expect_exact is None for item in items) >= 300
    outcomes = _run(items)
    for outcome in outcomes:
        _check(outcome, read_image)
        if outcome.error is None:
            _header_shape_matches(outcome)
    summary = _summary(outcomes)
    assert summary["ok"] >= 2 * 12  # the originals and their renamed copies at least
    assert summary["ImageTooLarge"] >= 12  # each format's size lie was caught from the header


def test_mutated_videos_give_a_correct_result_or_a_typed_error(tmp_path: Path) -> None:
    items = video_corpus(tmp_path)
    assert sum(item.expect_exact is None for item in items) >= 30

    def in_process(path: Path) -> np.ndarray:
        with VideoReader(path) as reader:
            return np.stack([image for _, image in reader.frames()])

    try:
        outcomes = _run(items)
    finally:
        for helper in _video_helpers:
            helper.close()
        _video_helpers.clear()
    for outcome in outcomes:
        _check(outcome, in_process)
    summary = _summary(outcomes)
    assert summary["ok"] >= 6 and len(summary) >= 2  # the originals decode; damaged files do fail
