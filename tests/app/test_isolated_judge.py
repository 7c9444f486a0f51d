"""The identity judge in a helper process gives the same embedding as in-process, without holding the GIL."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import numpy as np

from faceswap_desktop.app.context import AppContext
from faceswap_desktop.app.isolated_judge import IsolatedRecognizer, isolated_pipeline_factory
from faceswap_desktop.core.image_io import read_image


def test_isolated_embedding_matches_in_process(context: AppContext, media: Path) -> None:
    image = read_image(media / "identity/biden/biden2.jpg")
    face = context.detector().detect_faces(image)[0]
    judges: dict[str, IsolatedRecognizer] = {}
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
        for judge in judges.values():
            judge.close()
