"""Inputs handled on purpose: alpha, 16-bit, greyscale, palette and CMYK images; OpenCV's own limits."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest

from faceswap_desktop.core.errors import UnreadableFile
from faceswap_desktop.core.media.image_io import read_image, read_image_with_alpha, write_image

RNG = np.random.default_rng(11)


def _pattern(height: int = 48, width: int = 64) -> np.ndarray:
    return RNG.integers(0, 255, (height, width, 3), dtype=np.uint8)


def test_png_alpha_is_returned_and_reattached_on_png_output(tmp_path: Path) -> None:
    colour = _pattern()
    alpha = np.zeros(colour.shape[:2], np.uint8)
    alpha[10:40, 20:50] = 255
    alpha[0, 0] = 77
    source = tmp_path / "with alpha.png"
    assert cv2.imwrite(str(source), np.dstack([colour, alpha]))
    image, read_alpha = read_image_with_alpha(source)
    assert image.shape == colour.shape and np.array_equal(image, colour)
    assert read_alpha is not None and np.array_equal(read_alpha, alpha)
    assert read_image(source).shape == colour.shape  # the plain reader stays BGR

    out = tmp_path / "out.png"
    write_image(out, image, alpha=read_alpha)
    written = cv2.imdecode(np.frombuffer(out.read_bytes(), np.uint8), cv2.IMREAD_UNCHANGED)
    assert written.shape == (48, 64, 4)
    assert np.array_equal(written[:, :, 3], alpha) and np.array_equal(written[:, :, :3], colour)
    jpeg = tmp_path / "out.jpg"
    write_image(jpeg, image, alpha=read_alpha)  # JPEG has no alpha: written opaque, no error
    assert read_image(jpeg).shape == colour.shape


def test_sixteen_bit_png_alpha_and_colour_become_8_bit(tmp_path: Path) -> None:
    deep = (RNG.integers(0, 65535, (20, 30, 4))).astype(np.uint16)
    path = tmp_path / "deep.png"
    assert cv2.imwrite(str(path), deep)
    image, alpha = read_image_with_alpha(path)
    assert image.dtype == np.uint8 and image.shape == (20, 30, 3)
    assert alpha is not None and alpha.dtype == np.uint8
    assert np.array_equal(alpha, (deep[:, :, 3] >> 8).astype(np.uint8))
    assert np.abs(image.astype(int) - (deep[:, :, :3] >> 8)).max() <= 1


def test_opaque_formats_report_no_alpha(tmp_path: Path) -> None:
    for name in ("a.jpg", "a.webp", "a.bmp", "a.png"):
        path = tmp_path / name
        assert cv2.imwrite(str(path), _pattern())
        image, alpha = read_image_with_alpha(path)
        assert alpha is None and image.shape == (48, 64, 3), name


def test_greyscale_palette_and_cmyk_images_decode_to_bgr(tmp_path: Path) -> None:
    pil = pytest.importorskip("PIL.Image")
    grey = tmp_path / "grey.png"
    assert cv2.imwrite(str(grey), RNG.integers(0, 255, (30, 40), dtype=np.uint8))
    grey16 = tmp_path / "grey16.png"
    assert cv2.imwrite(str(grey16), RNG.integers(0, 65535, (30, 40)).astype(np.uint16))
    rgb = pil.fromarray(_pattern(30, 40)[:, :, ::-1].copy())
    palette = tmp_path / "palette.png"
    rgb.convert("P", palette=pil.Palette.ADAPTIVE, colors=16).save(palette)
    palette_alpha = tmp_path / "palette_trns.png"
    indexed = rgb.convert("P", palette=pil.Palette.ADAPTIVE, colors=16)
    indexed.info["transparency"] = 0
    indexed.save(palette_alpha, transparency=0)
    cmyk = tmp_path / "cmyk.jpg"
    rgb.convert("CMYK").save(cmyk, quality=95)
    grey_jpeg = tmp_path / "grey.jpg"
    rgb.convert("L").save(grey_jpeg)
    for path in (grey, grey16, palette, palette_alpha, cmyk, grey_jpeg):
        image, _alpha = read_image_with_alpha(path)
        assert image.dtype == np.uint8 and image.shape == (30, 40, 3), path.name
    # CMYK is converted to colours close to the RGB original, not inverted or garbled.
    reference = np.asarray(rgb.convert("CMYK").convert("RGB"))[:, :, ::-1].astype(int)
    assert np.abs(read_image(cmyk).astype(int) - reference).mean() < 25


@pytest.mark.parametrize(
    "name", ["with space.png", "日本語の写真.png", "صورة.png", "emoji 😀🎭.png", "-leading dash.png"]
)
def test_odd_file_names_round_trip(tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    write_image(path, _pattern())
    assert read_image(path).shape == (48, 64, 3)


def test_opencv_limits_are_set_before_cv2_is_imported() -> None:
    """A fresh interpreter: importing the package sets the limits, and cv2 then enforces them itself."""
    code = (
        "import os, faceswap_desktop, cv2, numpy as np\n"
        "print(os.environ['OPENCV_IO_MAX_IMAGE_PIXELS'], os.environ['OPENCV_IO_MAX_IMAGE_WIDTH'])\n"
        "ok, buf = cv2.imencode('.png', np.zeros((1, 17000), np.uint8))\n"
        "try:\n"
        "    image = cv2.imdecode(buf, cv2.IMREAD_COLOR)\n"
        "except cv2.error:\n"
        "    image = None\n"
        "print('refused' if image is None else 'decoded')\n"
    )
    env = {key: value for key, value in __import__("os").environ.items() if not key.startswith("OPENCV_IO")}
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, env=env)
    assert proc.returncode == 0, proc.stderr
    limits, verdict = proc.stdout.split("\n")[:2]
    assert limits == "89500000 16384"
    assert verdict == "refused"  # OpenCV's own check, independent of our header parser


def test_a_png_chunk_longer_than_the_file_is_refused_before_decoding(tmp_path: Path) -> None:
    """OpenCV would allocate the declared length (4 GB here) before noticing the file is 1 kB."""
    ok, buffer = cv2.imencode(".png", _pattern())
    assert ok
    data = bytearray(buffer.tobytes())
    idat = data.find(b"IDAT")
    valid = tmp_path / "valid.png"
    valid.write_bytes(bytes(data))
    data[idat - 4 : idat] = (0xFFFFFFF0).to_bytes(4, "big")
    lying = tmp_path / "lying.png"
    lying.write_bytes(bytes(data))
    with pytest.raises(UnreadableFile, match=r"lying\.png: the PNG chunk 'IDAT' claims 4294967280 bytes"):
        read_image(lying)
    assert read_image(valid).shape == (48, 64, 3)  # the same file with honest lengths decodes
