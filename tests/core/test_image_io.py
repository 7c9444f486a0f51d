import struct
import zlib
from pathlib import Path

import cv2
import numpy as np
import pytest

from faceswap_desktop.core.errors import ImageTooLarge, OutputConflict, UnreadableFile, UnsupportedMedia
from faceswap_desktop.core.media.image_io import (
    check_output_path,
    image_size_from_header,
    read_image,
    write_image,
)


def _png_header(width: int, height: int) -> bytes:
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    chunk = struct.pack(">I", len(ihdr)) + b"IHDR" + ihdr + struct.pack(">I", zlib.crc32(b"IHDR" + ihdr))
    return b"\x89PNG\r\n\x1a\n" + chunk


def test_header_sizes_match_decoded_sizes(media: Path) -> None:
    for path in [
        media / "identity/obama/obama.jpg",
        media / "misc/rotate_rot_90.jpg",
        media / "identity/deepface_p03/img47.jpg",
    ]:
        data = path.read_bytes()
        fmt, width, height = image_size_from_header(data)
        image = read_image(path)
        assert (height, width) == image.shape[:2], fmt


def test_huge_dimensions_are_refused_from_the_header_alone(tmp_path: Path) -> None:
    path = tmp_path / "bomb.png"
    path.write_bytes(_png_header(20_000, 20_000))  # no pixel data at all: decoding never starts
    with pytest.raises(ImageTooLarge, match="20000x20000"):
        read_image(path)
    path.write_bytes(_png_header(10_000, 9_000))  # 90 M pixels, each side under the limit
    with pytest.raises(ImageTooLarge):
        read_image(path)


def test_unknown_truncated_and_missing_files_give_typed_errors(tmp_path: Path, media: Path) -> None:
    text = tmp_path / "notes.jpg"
    text.write_text("not an image")
    with pytest.raises(UnsupportedMedia):
        read_image(text)
    truncated = tmp_path / "cut.jpg"
    truncated.write_bytes((media / "identity/obama/obama.jpg").read_bytes()[:300])
    with pytest.raises(UnreadableFile):
        read_image(truncated)
    with pytest.raises(UnreadableFile, match="not found"):
        read_image(tmp_path / "missing.png")
    with pytest.raises(UnreadableFile):
        read_image(tmp_path)


def test_paths_in_any_script_are_read(tmp_path: Path, media: Path) -> None:
    odd = tmp_path / "Ünïcödé 写真 😀 -leading.jpg"
    odd.write_bytes((media / "identity/obama/obama.jpg").read_bytes())
    assert read_image(odd).shape == (1137, 910, 3)


def _with_exif_orientation(jpeg: bytes, orientation: int) -> bytes:
    # A minimal little-endian TIFF IFD with one Orientation (0x0112) entry in an APP1 Exif segment.
    ifd = (
        struct.pack("<2sHI", b"II", 42, 8)
        + struct.pack("<H", 1)
        + struct.pack("<HHIHH", 0x0112, 3, 1, orientation, 0)
    )
    ifd += struct.pack("<I", 0)
    payload = b"Exif\x00\x00" + ifd
    app1 = b"\xff\xe1" + struct.pack(">H", len(payload) + 2) + payload
    return jpeg[:2] + app1 + jpeg[2:]


def test_exif_orientation_is_applied(tmp_path: Path) -> None:
    image = np.zeros((40, 100, 3), np.uint8)
    image[:, :10] = 255  # a white bar on the left edge
    ok, buffer = cv2.imencode(".jpg", image)
    assert ok
    path = tmp_path / "rotated.jpg"
    path.write_bytes(_with_exif_orientation(buffer.tobytes(), 6))  # 6: rotate 90 degrees clockwise
    decoded = read_image(path)
    assert decoded.shape[:2] == (100, 40)
    assert decoded[:10].mean() > 200 and decoded[-10:].mean() < 50  # the bar is now on top


def test_write_is_atomic_and_outputs_never_replace_inputs(tmp_path: Path, media: Path) -> None:
    out = tmp_path / "result.png"
    write_image(out, np.full((8, 8, 3), 7, np.uint8))
    assert read_image(out)[0, 0, 0] == 7
    assert [p.name for p in tmp_path.iterdir()] == ["result.png"]  # no temp file left behind
    source = tmp_path / "in.jpg"
    source.write_bytes((media / "identity/obama/obama.jpg").read_bytes())
    with pytest.raises(OutputConflict, match="overwrite an input"):
        check_output_path(tmp_path / "." / "in.jpg", [source])
    with pytest.raises(OutputConflict, match="must end in"):
        check_output_path(tmp_path / "out.gif", [source])
    with pytest.raises(OutputConflict, match="folder does not exist"):
        check_output_path(tmp_path / "nope" / "out.png", [source])


def test_failed_encode_leaves_no_file(tmp_path: Path) -> None:
    with pytest.raises(OutputConflict):
        write_image(tmp_path / "x.tiff", np.zeros((4, 4, 3), np.uint8))
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("extension", [".png", ".jpg", ".webp"])
def test_exports_are_labelled_synthetic_and_still_decode(tmp_path: Path, extension: str) -> None:
    from faceswap_desktop.core.media.provenance import DIGITAL_SOURCE_TYPE, read_digital_source_type

    image = np.random.default_rng(5).integers(0, 255, (64, 96, 3), dtype=np.uint8)
    path = tmp_path / f"labelled{extension}"
    write_image(path, image)
    data = path.read_bytes()
    assert read_digital_source_type(data) == DIGITAL_SOURCE_TYPE
    decoded = read_image(path)
    assert decoded.shape == image.shape
    if extension == ".png":
        assert np.array_equal(decoded, image)  # lossless container edit
    # OpenCV's strict decoders accept the edited container, and so does a second, independent parser.
    assert cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_UNCHANGED) is not None
    import av

    with av.open(str(path)) as container:
        frame = next(container.decode(video=0))
        assert (frame.width, frame.height) == (96, 64)


@pytest.mark.parametrize(("width", "height"), [(16_385, 64), (64, 16_385)])
def test_one_side_over_the_limit_is_refused_though_the_pixel_count_is_small(
    tmp_path: Path, width: int, height: int
) -> None:
    # 1 M pixels, far under the pixel limit: only the per-side check (either side) can refuse it.
    path = tmp_path / "strip.png"
    path.write_bytes(_png_header(width, height))
    with pytest.raises(ImageTooLarge, match=f"{width}x{height}"):
        read_image(path)
