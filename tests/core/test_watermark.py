"""The visible "AI-generated" mark: only its corner box changes, it scales with the image, it reads."""

from __future__ import annotations

import numpy as np
import pytest

from faceswap_desktop.core.media.watermark import BOX_DARKEN, add_watermark, watermark_box


def noise(height: int, width: int, seed: int = 3) -> np.ndarray:
    return np.random.default_rng(seed).integers(1, 256, (height, width, 3), dtype=np.uint8)


@pytest.mark.parametrize("size", [(480, 640), (1080, 1920), (900, 700), (240, 320)])
def test_only_the_pixels_of_the_corner_box_change(size: tuple[int, int]) -> None:
    height, width = size
    image = noise(height, width)
    original = image.copy()
    marked = add_watermark(image)
    assert np.array_equal(image, original)  # the input is left alone
    x0, y0, x1, y1 = watermark_box(width, height)
    changed = np.any(marked != image, axis=2)
    inside = np.zeros_like(changed)
    inside[y0:y1, x0:x1] = True
    assert not changed[~inside].any()
    assert changed[inside].mean() > 0.95  # the whole box is darkened, not just the glyphs
    # The bottom-right corner, a small part of the picture.
    assert x1 > 0.9 * width and y1 > 0.9 * height and x0 > width / 3 and y0 > height / 2
    assert (x1 - x0) * (y1 - y0) < 0.06 * width * height


def test_the_box_scales_with_the_image() -> None:
    small, large = watermark_box(640, 360), watermark_box(1920, 1080)
    small_w, small_h = small[2] - small[0], small[3] - small[1]
    large_w, large_h = large[2] - large[0], large[3] - large[1]
    assert large_w / small_w == pytest.approx(3, rel=0.15) and large_h / small_h == pytest.approx(3, rel=0.15)


@pytest.mark.parametrize("value", [0, 128, 255])
def test_white_text_on_a_darkened_box_reads_on_any_background(value: int) -> None:
    image = np.full((720, 1280, 3), value, np.uint8)
    x0, y0, x1, y1 = watermark_box(1280, 720)
    box = add_watermark(image)[y0:y1, x0:x1].astype(int)
    background = int(value * BOX_DARKEN)
    text = (box >= 230).all(axis=2).mean()
    assert 0.03 < text < 0.5  # glyph strokes are there, and they do not fill the box
    assert (np.abs(box - background) <= 1).all(axis=2).mean() > 0.4  # the rest is the darkened picture
    assert 255 - background >= 150  # the contrast between text and box, on white too


@pytest.mark.parametrize("size", [(1, 1), (20, 20), (48, 64), (400, 100)])
def test_tiny_and_narrow_images_keep_the_box_inside(size: tuple[int, int]) -> None:
    height, width = size
    x0, y0, x1, y1 = watermark_box(width, height)
    assert 0 <= x0 < x1 <= width and 0 <= y0 < y1 <= height
    assert add_watermark(noise(height, width)).shape == (height, width, 3)
