"""inswapper_128 contract tests on synthetic graphs with the real tensor names and shapes, driven by real
SCRFD keypoints on obama.jpg."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnxruntime as ort
import pytest

from faceswap_desktop.core.errors import BadInput, ModelIntegrityError
from faceswap_desktop.core.roles import SourcePhoto, Swapper
from faceswap_desktop.core.settings import SwapSettings
from faceswap_desktop.core.types import Face, Image
from faceswap_desktop.inference.inswapper import InswapperSource, InswapperSwapper, read_emap

from .swapper_contract import (
    FixedRecognizer,
    check_constant_colour_only_inside_the_mask,
    check_identity_model_gives_back_the_frame,
)
from .zoo_fakes import RecordingSession, image_graph, inswapper_graph

RNG = np.random.default_rng(7)
EMAP = RNG.normal(size=(512, 512)).astype(np.float32)


def _swapper(
    tmp_path: Path, mode: str, recognizer: object | None = None, **kwargs: object
) -> InswapperSwapper:
    path = inswapper_graph(tmp_path / f"inswapper_{mode}.onnx", EMAP, mode, **kwargs)  # type: ignore[arg-type]
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    rec = recognizer or FixedRecognizer([RNG.normal(size=512)])
    return InswapperSwapper.from_model_file(path, session, rec)  # type: ignore[arg-type]


def _prepared(swapper: InswapperSwapper, frame: Image, face: Face) -> InswapperSource:
    return swapper.prepare_source([SourcePhoto(frame, face)])


def test_is_a_swapper(tmp_path: Path) -> None:
    assert isinstance(_swapper(tmp_path, "identity"), Swapper)


def test_identity_model_gives_back_the_target_frame(tmp_path: Path, obama_small: tuple[Image, Face]) -> None:
    frame, face = obama_small
    swapper = _swapper(tmp_path, "identity")
    # align -> 128 crop -> inverse warp loses little
    check_identity_model_gives_back_the_frame(swapper, _prepared(swapper, frame, face), frame, face, 4.0)


def test_identity_round_trip_on_the_full_size_photo(tmp_path: Path, obama: tuple[Image, Face]) -> None:
    frame, face = obama
    swapper = _swapper(tmp_path, "identity")
    out = swapper.swap(frame, face, _prepared(swapper, frame, face), SwapSettings())
    diff = np.abs(out.frame.astype(np.int16) - frame.astype(np.int16))
    # A 260 px face squeezed through 128 px loses fine detail (blur), not content.
    assert float(diff[out.mask > 0.5].mean()) < 8.0


def test_constant_colour_changes_only_pixels_inside_the_mask(
    tmp_path: Path, obama_small: tuple[Image, Face]
) -> None:
    frame, face = obama_small
    swapper = _swapper(tmp_path, "constant", colour_rgb=(1.0, 0.5, 0.0))
    check_constant_colour_only_inside_the_mask(swapper, _prepared(swapper, frame, face), frame, face)


def test_strength_scales_the_blend_and_zero_leaves_the_frame(
    tmp_path: Path, obama_small: tuple[Image, Face]
) -> None:
    frame, face = obama_small
    swapper = _swapper(tmp_path, "constant")
    prepared = _prepared(swapper, frame, face)
    full = swapper.swap(frame, face, prepared, SwapSettings())
    half = swapper.swap(frame, face, prepared, SwapSettings(strength=50))
    none = swapper.swap(frame, face, prepared, SwapSettings(strength=0))
    np.testing.assert_allclose(half.mask, full.mask * 0.5, atol=1e-6)
    np.testing.assert_array_equal(none.frame, frame)


def test_padding_grows_and_feather_softens_the_mask(tmp_path: Path, obama_small: tuple[Image, Face]) -> None:
    frame, face = obama_small
    swapper = _swapper(tmp_path, "constant")
    prepared = _prepared(swapper, frame, face)

    def area(**settings: int) -> float:
        return float(swapper.swap(frame, face, prepared, SwapSettings(**settings)).mask.sum())

    assert area(mask_padding=-15) < area() < area(mask_padding=10)
    hard = swapper.swap(frame, face, prepared, SwapSettings(mask_feather=0)).mask
    soft = swapper.swap(frame, face, prepared, SwapSettings(mask_feather=20)).mask
    partial = lambda m: int(((m > 0.05) & (m < 0.95)).sum())  # noqa: E731
    assert partial(soft) > 3 * partial(hard)


def test_emap_is_the_last_initializer_and_shapes_the_latent(
    tmp_path: Path, obama_small: tuple[Image, Face]
) -> None:
    frame, face = obama_small
    decoy = RNG.normal(size=(512, 512)).astype(np.float32)
    path = inswapper_graph(tmp_path / "decoyed.onnx", EMAP, "identity", decoy=decoy)
    np.testing.assert_array_equal(read_emap(path), EMAP)
    session = RecordingSession(ort.InferenceSession(str(path), providers=["CPUExecutionProvider"]))
    embedding = RNG.normal(size=512) * 3.0
    swapper = InswapperSwapper.from_model_file(path, session, FixedRecognizer([embedding]))
    swapper.swap(frame, face, _prepared(swapper, frame, face), SwapSettings())
    fed = session.feeds[-1]["source"]
    unit = embedding / np.linalg.norm(embedding)
    expected = unit @ EMAP
    expected /= np.linalg.norm(expected)
    assert fed.shape == (1, 512) and fed.dtype == np.float32
    np.testing.assert_allclose(fed[0], expected, atol=1e-5)
    wrong = unit @ decoy
    assert abs(float(fed[0] @ (wrong / np.linalg.norm(wrong)))) < 0.3
    target = session.feeds[-1]["target"]
    assert target.shape == (1, 3, 128, 128) and target.min() >= 0.0 and target.max() <= 1.0
    # RGB order: the crop's red channel is plane 0 (the frame is BGR).
    assert target[0, 0].mean() > target[0, 2].mean()  # skin is redder than it is blue


def test_source_photos_are_averaged_on_the_unit_sphere(
    tmp_path: Path, obama_small: tuple[Image, Face]
) -> None:
    frame, face = obama_small
    a, b = RNG.normal(size=512), RNG.normal(size=512)
    swapper = _swapper(tmp_path, "identity", FixedRecognizer([a * 10.0, b * 0.1]))
    prepared = swapper.prepare_source([SourcePhoto(frame, face), SourcePhoto(frame, face)])
    mean = a / np.linalg.norm(a) + b / np.linalg.norm(b)
    np.testing.assert_allclose(prepared.embedding, mean / np.linalg.norm(mean), atol=1e-5)
    assert prepared.photo_count == 2
    with pytest.raises(BadInput):
        swapper.prepare_source([])


def test_a_model_whose_last_initializer_is_not_an_emap_is_refused(tmp_path: Path) -> None:
    ones = np.ones((1, 3, 4, 4))
    path = image_graph(tmp_path / "x.onnx", "x", "y", [1, 3, 4, 4], [1, 3, 4, 4], constant=ones)
    with pytest.raises(ModelIntegrityError, match="512x512"):
        read_emap(path)
