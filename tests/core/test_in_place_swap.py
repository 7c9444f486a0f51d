"""Swapping into the caller's frame (an export's decoded frames) instead of into a copy of it."""

from __future__ import annotations

import numpy as np

from faceswap_desktop.core.identity import CalibrationTable
from faceswap_desktop.core.mesh.mesh_engine import MeshSwapper
from faceswap_desktop.core.pipeline import FacePipeline, FaceSelection
from faceswap_desktop.core.settings import SwapSettings
from faceswap_desktop.core.types import Face, FloatArray, Image

SETTINGS = (
    SwapSettings(),
    SwapSettings(blend_mode="poisson", color_transfer="none"),
    SwapSettings(shape_transfer=0, skin_extension=0, strength=60),
)


class HalfMasker:
    """Says the left half of every frame is an occluder (pixels the swap must give back)."""

    name = "half"

    def face_mask(self, frame: Image, face: Face) -> FloatArray:
        mask = np.ones(frame.shape[:2], dtype=np.float32)
        mask[:, : frame.shape[1] // 2] = 0.0
        return mask


def _pipeline(analyser, masker=None) -> FacePipeline:  # type: ignore[no-untyped-def]
    return FacePipeline(analyser, MeshSwapper(), None, CalibrationTable([]), masker=masker)


def test_in_place_draws_into_the_frame_and_gives_the_copys_pixels(analysed, analyser) -> None:  # type: ignore[no-untyped-def]
    target, faces = analysed("identity/biden/biden2.jpg")
    image, _ = analysed("identity/obama/obama.jpg")
    pipeline = _pipeline(analyser)
    prepared = pipeline.prepare_source([image])
    for settings in SETTINGS:
        copied = pipeline.process_frame(target, prepared, settings, FaceSelection((0,)), faces=faces)
        frame = target.copy()
        drawn = pipeline.process_frame(
            frame, prepared, settings, FaceSelection((0,)), faces=faces, in_place=True
        )
        assert drawn.frame is frame and copied.frame is not target
        assert np.array_equal(drawn.frame, copied.frame)
        assert not np.array_equal(copied.frame, target)  # the swap did change pixels
    direct = target.copy()
    output = MeshSwapper().swap(direct, faces[0], prepared.swapper_data, SwapSettings(), in_place=True)
    assert output.frame is direct and not np.array_equal(direct, target)


def test_in_place_is_ignored_where_the_frame_as_it_was_is_still_needed(analysed, analyser) -> None:  # type: ignore[no-untyped-def]
    target, faces = analysed("identity/biden/biden2.jpg")
    image, _ = analysed("identity/obama/obama.jpg")
    pipeline = _pipeline(analyser, masker=HalfMasker())
    prepared = pipeline.prepare_source([image])
    frame = target.copy()
    result = pipeline.process_frame(
        frame, prepared, SwapSettings(), FaceSelection((0,)), faces=faces, in_place=True
    )
    assert np.array_equal(frame, target)  # the occlusion step read it after the swap
    expected = pipeline.process_frame(target, prepared, SwapSettings(), FaceSelection((0,)), faces=faces)
    assert np.array_equal(result.frame, expected.frame)


def test_a_swapper_that_cannot_is_called_as_before(analysed, analyser) -> None:  # type: ignore[no-untyped-def]
    target, faces = analysed("identity/biden/biden2.jpg")
    image, _ = analysed("identity/obama/obama.jpg")

    class Copying(MeshSwapper):
        swaps_in_place = False

        def swap(self, frame, target, prepared, settings):  # type: ignore[no-untyped-def,override]
            return super().swap(frame, target, prepared, settings)  # no in_place keyword at all

    pipeline = FacePipeline(analyser, Copying(), None, CalibrationTable([]))
    prepared = pipeline.prepare_source([image])
    frame = target.copy()
    result = pipeline.process_frame(
        frame, prepared, SwapSettings(), FaceSelection((0,)), faces=faces, in_place=True
    )
    assert np.array_equal(frame, target) and result.frame is not frame
