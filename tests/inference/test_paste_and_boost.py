"""The learned swappers' paste-back against InsightFace's own formula, and pixel boost, on synthetic
inswapper graphs with the real signature, driven by real SCRFD keypoints on obama.jpg."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import onnxruntime as ort
import pytest

from faceswap_desktop.core.geometry import align_face
from faceswap_desktop.core.roles import SourcePhoto
from faceswap_desktop.core.settings import SwapSettings
from faceswap_desktop.core.types import Face, FloatArray, Image
from faceswap_desktop.inference.inswapper import InswapperSwapper
from faceswap_desktop.inference.pixel_boost import boost_size, explode, implode

from .zoo_fakes import inswapper_graph

RNG = np.random.default_rng(11)
EMAP = RNG.normal(size=(512, 512)).astype(np.float32)


class _Recognizer:
    name = "fixed"

    def embed(self, image: Image, face: Face) -> FloatArray:
        return np.ones(512, np.float32)


def _swapper(tmp_path: Path, mode: str) -> InswapperSwapper:
    path = inswapper_graph(tmp_path / f"{mode}.onnx", EMAP, mode, colour_rgb=(1.0, 1.0, 1.0))
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    return InswapperSwapper.from_model_file(path, session, _Recognizer())  # type: ignore[arg-type]


def insightface_reference_mask(frame_shape: tuple[int, ...], matrix: FloatArray) -> FloatArray:
    """InsightFace's inswapper.py paste-back mask, line for line (whole frame, warp by the inverse)."""
    inverse = cv2.invertAffineTransform(matrix)
    img_white = np.full((128, 128), 255, dtype=np.float32)
    img_white = cv2.warpAffine(img_white, inverse, (frame_shape[1], frame_shape[0]), borderValue=0.0)
    img_white[img_white > 20] = 255
    img_mask = img_white
    mask_h_inds, mask_w_inds = np.where(img_mask == 255)
    mask_h = np.max(mask_h_inds) - np.min(mask_h_inds)
    mask_w = np.max(mask_w_inds) - np.min(mask_w_inds)
    mask_size = int(np.sqrt(mask_h * mask_w))
    k = max(mask_size // 10, 10)
    img_mask = cv2.erode(img_mask, np.ones((k, k), np.uint8), iterations=1)
    k = max(mask_size // 20, 5)
    blur_size = (2 * k + 1, 2 * k + 1)
    img_mask = cv2.GaussianBlur(img_mask, blur_size, 0)
    return np.asarray(img_mask / 255, np.float32)


@pytest.mark.parametrize("which", ["obama", "obama_small"])
def test_constant_swapper_pastes_exactly_insightfaces_area(
    tmp_path: Path, which: str, request: pytest.FixtureRequest
) -> None:
    frame, face = request.getfixturevalue(which)
    swapper = _swapper(tmp_path, "constant")
    prepared = swapper.prepare_source([SourcePhoto(frame, face)])
    out = swapper.swap(frame, face, prepared, SwapSettings())
    _, matrix = align_face(frame, face.keypoints_5, 128)
    reference = insightface_reference_mask(frame.shape, matrix)
    # The old mask (a rectangle inset by 10% of the crop per side) pasted 0.78x this area.
    assert out.mask.sum() == pytest.approx(reference.sum(), rel=0.01)
    assert float(np.abs(out.mask - reference).mean()) < 1e-3
    # The pasted pixels follow the mask: white where it is 1, the frame where it is 0.
    core = out.mask > 0.999
    assert core.sum() > 0 and int(out.frame[core].min()) >= 254
    np.testing.assert_array_equal(out.frame[out.mask == 0], frame[out.mask == 0])


def test_padding_and_feather_act_relative_to_the_reference(
    tmp_path: Path, obama_small: tuple[Image, Face]
) -> None:
    frame, face = obama_small
    swapper = _swapper(tmp_path, "constant")
    prepared = swapper.prepare_source([SourcePhoto(frame, face)])
    area = {
        p: float(swapper.swap(frame, face, prepared, SwapSettings(mask_padding=p)).mask.sum())
        for p in (-10, 0, 5)
    }
    assert area[-10] < area[0] < area[5]
    partial = lambda m: int(((m > 0.1) & (m < 0.9)).sum())  # noqa: E731
    masks = {f: swapper.swap(frame, face, prepared, SwapSettings(mask_feather=f)).mask for f in (0, 5, 20)}
    assert partial(masks[0]) == 0  # no blur at feather 0 (only the reference's <=20/255 warp fringe)
    assert partial(masks[5]) < partial(masks[20])


def test_tiles_are_sub_pixel_shifted_samples_and_interleave_back() -> None:
    crop = RNG.integers(0, 256, size=(384, 384, 3), dtype=np.uint8)
    tiles = implode(crop)
    assert tiles.shape == (9, 128, 128, 3)
    np.testing.assert_array_equal(tiles[1 * 3 + 2], crop[1::3, 2::3])
    np.testing.assert_array_equal(explode(tiles), crop)


@pytest.mark.parametrize("boost", ["128", "256", "384", "512"])
def test_identity_swapper_with_pixel_boost_returns_the_aligned_crop_exactly(
    tmp_path: Path, obama: tuple[Image, Face], boost: str
) -> None:
    frame, face = obama
    swapper = _swapper(tmp_path, "identity")
    prepared = swapper.prepare_source([SourcePhoto(frame, face)])
    size = swapper.crop_size(face, SwapSettings(pixel_boost=boost))
    assert size == int(boost)
    crop, _ = align_face(frame, face.keypoints_5, size)
    swapped = swapper.swap_crop(crop, prepared.latent)
    assert swapped.shape == crop.shape
    np.testing.assert_array_equal(np.rint(swapped).astype(np.uint8), crop)


def test_pixel_boost_keeps_the_detail_that_128_px_loses(tmp_path: Path, obama: tuple[Image, Face]) -> None:
    frame, face = obama  # a ~260 px face: the native 128 px crop halves its resolution
    swapper = _swapper(tmp_path, "identity")
    prepared = swapper.prepare_source([SourcePhoto(frame, face)])

    def error(boost: str) -> float:
        out = swapper.swap(frame, face, prepared, SwapSettings(pixel_boost=boost))
        inside = out.mask > 0.99
        return float(np.abs(out.frame.astype(np.int16) - frame.astype(np.int16))[inside].mean())

    assert error("512") < 0.5 * error("128")


def test_auto_picks_the_boost_from_the_face_size(
    obama: tuple[Image, Face], obama_small: tuple[Image, Face]
) -> None:
    assert boost_size("auto", 90.0) == 128
    assert boost_size("auto", 200.0) == 256
    assert boost_size("auto", 2000.0) == 512
    big = InswapperSwapper.crop_size(obama[1], SwapSettings(pixel_boost="auto"))
    small = InswapperSwapper.crop_size(obama_small[1], SwapSettings(pixel_boost="auto"))
    assert big > small
