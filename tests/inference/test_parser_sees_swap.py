"""A face parser segments the swapped face (FaceFusion and VisoMaster parse the swapped crop); an
occluder looks at the target as it was before the swap."""

from __future__ import annotations

import numpy as np
import pytest

from faceswap_desktop.core.identity import CalibrationTable
from faceswap_desktop.core.pipeline import FacePipeline, FaceSelection, PreparedSource
from faceswap_desktop.core.settings import SwapSettings
from faceswap_desktop.core.types import Face, FloatArray, Image
from faceswap_desktop.inference.occlusion import FaceParserMasker, OccluderMasker, XSegMasker
from tests.component_fakes import PaintingSwapper, RecordingEnhancer

FACE = Face(
    box=(20.0, 20.0, 80.0, 80.0),
    score=1.0,
    keypoints_5=np.array([[35, 40], [65, 40], [50, 55], [38, 68], [62, 68]], np.float32),
)


class RecordingMasker:
    name = "recording"

    def __init__(self, parses_swap: bool) -> None:
        self.parses_swap = parses_swap
        self.seen: list[Image] = []

    def face_mask(self, frame: Image, face: Face) -> FloatArray:
        self.seen.append(frame.copy())
        return np.ones(frame.shape[:2], np.float32)


@pytest.mark.parametrize("parses_swap", [True, False])
def test_the_parser_sees_the_swapped_face_and_the_occluder_the_original(parses_swap: bool) -> None:
    frame = np.full((100, 100, 3), 90, np.uint8)
    masker = RecordingMasker(parses_swap)
    pipeline = FacePipeline(
        detector=None,  # type: ignore[arg-type]
        swapper=PaintingSwapper(),
        judge=None,
        calibrations=CalibrationTable([]),
        enhancer=RecordingEnhancer(),
        masker=masker,
    )
    prepared = PreparedSource((), None, "painted", "painter")
    pipeline.process_frame(
        frame, prepared, SwapSettings(), FaceSelection((0,)), faces=[FACE], score="none", enhance_amount=0.5
    )
    (seen,) = masker.seen
    green = np.array([0, 255, 0], np.uint8)
    if parses_swap:  # the swap (green), not yet the restorer's magenta: the parser judges the new face
        assert (seen[50, 50] == green).all()
    else:
        np.testing.assert_array_equal(seen, frame)


def test_only_the_face_parser_parses_the_swap() -> None:
    assert FaceParserMasker.parses_swap is True
    assert not getattr(OccluderMasker, "parses_swap", False)
    assert not getattr(XSegMasker, "parses_swap", False)
