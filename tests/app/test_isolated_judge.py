"""The identity judge in a helper process gives the same embedding as in-process, without holding the GIL."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import numpy as np
import pytest

from faceswap_desktop.app.context import AppContext
from faceswap_desktop.app.isolated_judge import IsolatedJudges, isolated_pipeline_factory
from faceswap_desktop.core.errors import FaceswapError
from faceswap_desktop.core.identity import DLIB_CALIBRATION
from faceswap_desktop.core.media.image_io import read_image


def test_isolated_embedding_matches_in_process(context: AppContext, media: Path) -> None:
    image = read_image(media / "identity/biden/biden2.jpg")
    face = context.detector().detect_faces(image)[0]
    judges = IsolatedJudges()
    pipeline = isolated_pipeline_factory(context, judges)("mesh", "dlib")
    try:
        assert pipeline.judge is not None and pipeline.judge.name == context.recognizer("dlib").name
        isolated = pipeline.judge.embed(image, face)
        local = context.recognizer("dlib").embed(image, face)
        assert np.allclose(isolated, local, atol=1e-5)

        # While the child computes, this process's other threads keep running.
        gaps: list[float] = []
        done = threading.Event()

        def embed_three() -> None:
            for _ in range(3):
                pipeline.judge.embed(image, face)  # type: ignore[union-attr]
            done.set()

        worker = threading.Thread(target=embed_three)
        last = time.perf_counter()
        worker.start()
        while not done.is_set():
            time.sleep(0.005)
            now = time.perf_counter()
            gaps.append(now - last)
            last = now
        worker.join()
        assert max(gaps) < 0.1
    finally:
        judges.close()


def test_a_judge_named_in_advance_is_not_started_until_it_embeds(context: AppContext, media: Path) -> None:
    """The export's tracker reads the judge's name for its thresholds; that must not start a process."""
    judges = IsolatedJudges({"dlib": DLIB_CALIBRATION.model})
    try:
        judge = judges.recognizer("dlib")
        assert judge.name == DLIB_CALIBRATION.model and not judge.started
        assert judges.recognizer("dlib") is judge  # one process per judge id
        image = read_image(media / "identity/biden/biden2.jpg")
        face = context.detector().detect_faces(image)[0]
        judge.embed(image, face)
        assert judge.started
    finally:
        judges.close()
    assert not judge.started


def test_a_judge_whose_process_reports_another_model_is_refused() -> None:
    judges = IsolatedJudges({"dlib": "not the model the child loads"})
    try:
        judge = judges.recognizer("dlib")
        with pytest.raises(FaceswapError, match="not the model the child loads"):
            judge.start()
        assert not judge.started
    finally:
        judges.close()
