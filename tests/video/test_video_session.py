"""The timeline's video session: exact frames, a swapped preview, and scoring with a judged pipeline."""

from __future__ import annotations

import numpy as np

from faceswap_desktop.app.video_session import VideoSession
from faceswap_desktop.core.image_io import read_image
from faceswap_desktop.core.settings import SwapSettings

from .conftest import BIDEN, OBAMA


def test_preview_swaps_and_scores_with_an_injected_pipeline(context) -> None:  # type: ignore[no-untyped-def]
    pipeline = context.build_pipeline(engine="mesh", judge="dlib")
    session = VideoSession(context, OBAMA, embedder=pipeline.judge, pipeline=pipeline)
    try:
        assert session.embedder is pipeline.judge
        session.set_source([read_image(BIDEN)])
        plain = session.preview(40, SwapSettings())
        scored = session.preview(40, SwapSettings(), score=True)
        assert plain.swapped is not None and plain.swapped.similarity is None
        assert scored.swapped is not None and scored.swapped.similarity is not None
        assert 0 <= scored.swapped.similarity.percent <= 100
        assert np.any(scored.image != session.frame(40))
    finally:
        session.close()
