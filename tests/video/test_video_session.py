"""The timeline's video session: exact frames, a swapped preview, and scoring with a judged pipeline."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pytest

from faceswap_desktop.app.video_session import (
    DeferredRecognizer,
    ReferenceChoice,
    VideoSession,
    tracker_embedder,
)
from faceswap_desktop.core.media.image_io import read_image
from faceswap_desktop.core.settings import SwapSettings

from .conftest import BIDEN, HAMILTON, OBAMA


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


class _Counting:
    """Wraps a detector or recognizer and counts calls per method."""

    def __init__(self, inner: object) -> None:
        self.inner, self.calls = inner, Counter()  # type: ignore[var-annotated]
        self.name = getattr(inner, "name", "")

    def __getattr__(self, method: str) -> object:
        function = getattr(self.inner, method)

        def counted(*args: object, **kwargs: object) -> object:
            self.calls[method] += 1
            return function(*args, **kwargs)

        return counted


def test_previews_remember_frames_and_identity_nearby(context, mobilefacenet) -> None:  # type: ignore[no-untyped-def]
    embedder = _Counting(mobilefacenet)
    session = VideoSession(context, OBAMA, embedder=embedder)  # type: ignore[arg-type]
    detector = session.detector = _Counting(session.detector)  # type: ignore[assignment]
    try:
        session.set_source([read_image(BIDEN)])
        assert session.choose_reference().frame_index == 0
        embedder.calls.clear()
        detector.calls.clear()
        # Near the reference frame, in the same shot: the face where the reference was, no embedding.
        near_reference = session.preview(20, SwapSettings())
        assert near_reference.identity == "remembered" and near_reference.swapped is not None
        assert (embedder.calls["embed"], detector.calls["detect_faces"]) == (0, 1)
        far = session.preview(100, SwapSettings())
        assert far.identity == "embedded" and far.swapped is not None and len(far.faces) == 1
        assert (embedder.calls["embed"], detector.calls["detect_faces"]) == (1, 2)
        near = session.preview(120, SwapSettings())
        assert near.identity == "remembered" and near.swapped is not None
        assert (embedder.calls["embed"], detector.calls["detect_faces"]) == (1, 3)
        # New settings on a frame already seen: no seek, detection or embedding, only the swap.
        again = session.preview(120, SwapSettings(shape_transfer=0))
        assert again.identity == "remembered" and again.timings_ms["seek"] < 5
        assert again.faces == near.faces
        assert (embedder.calls["embed"], detector.calls["detect_faces"]) == (1, 3)
        assert not np.array_equal(again.image, near.image)
        assert session.find_chosen(session.frame(120), near.faces, 120) is near.track.face
        # Too far from any checked view: checked again.
        assert session.preview(200, SwapSettings()).identity == "embedded"
        assert embedder.calls["embed"] == 2
    finally:
        session.close()


@pytest.mark.slow
def test_deferred_identity_shows_a_guess_then_corrects_it(context, mobilefacenet) -> None:  # type: ignore[no-untyped-def]
    embedder = _Counting(mobilefacenet)
    session = VideoSession(context, HAMILTON, embedder=embedder)  # type: ignore[arg-type]
    try:
        session.set_source([read_image(BIDEN)])
        session.choose_reference(ReferenceChoice(frame_index=195))  # the singer, before the cut at 211
        embedder.calls.clear()
        # The crowd shot: shown at once with the likeliest face swapped, nobody embedded yet...
        guess = session.preview(230, SwapSettings(), defer_identity=True)
        assert guess.identity == "assumed" and guess.swapped is not None
        assert embedder.calls["embed"] == 0
        # ...then the check finds the singer is not in it and the frame comes back unswapped.
        corrected = session.confirm(230, SwapSettings())
        assert corrected is not None and corrected.identity == "absent" and corrected.swapped is None
        assert np.array_equal(corrected.image, session.frame(230))
        assert embedder.calls["embed"] >= 1
        assert session.confirm(230, SwapSettings()) is None  # nothing left to check
        # In the singer's shot (82..210), too far from frame 195 to be remembered, the guess is right:
        # confirmed by one check, nothing to redo.
        guess = session.preview(150, SwapSettings(), defer_identity=True)
        assert guess.identity == "assumed" and guess.swapped is not None
        assert session.confirm(150, SwapSettings()) is None
        assert session.preview(150, SwapSettings()).identity == "embedded"
    finally:
        session.close()


def test_deferred_dlib_is_created_on_its_first_embedding_under_its_own_name(  # type: ignore[no-untyped-def]
    context, analyser, monkeypatch: pytest.MonkeyPatch
) -> None:
    from faceswap_desktop.inference.dlib_judge import DlibOnnxRecognizer

    created: list[str] = []
    recognizer = context.recognizer

    def counting(judge_id: str):  # type: ignore[no-untyped-def]
        created.append(judge_id)
        return recognizer(judge_id)

    monkeypatch.setattr(context, "recognizer", counting)
    deferred = tracker_embedder(context.recognizer, "dlib", defer=True)
    assert isinstance(deferred, DeferredRecognizer) and not deferred.loaded and created == []
    assert deferred.name == DlibOnnxRecognizer.name  # the calibration's name is the model's own
    image = read_image(BIDEN)
    face = analyser.detect_faces(image)[0]
    embedding = deferred.embed(image, face)
    assert deferred.loaded and created == ["dlib"]
    np.testing.assert_array_equal(embedding, recognizer("dlib").embed(image, face))
