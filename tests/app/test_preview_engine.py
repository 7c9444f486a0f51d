"""Latest-wins hand-off and the preview engine on real media."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from faceswap_desktop.app.context import AppContext
from faceswap_desktop.app.preview import (
    LatestWins,
    PreviewEngine,
    PreviewRequest,
    face_crop,
    upright_quarter_turns,
)
from faceswap_desktop.core.errors import NoFaceFound
from faceswap_desktop.core.pipeline import FaceSelection
from faceswap_desktop.core.settings import SwapSettings


def test_latest_wins_keeps_only_the_newest() -> None:
    slot: LatestWins[str] = LatestWins()
    first = slot.submit("a")
    second = slot.submit("b")
    assert not slot.is_current(first) and slot.is_current(second)
    assert slot.take() == (second, "b")
    assert slot.take() is None
    slot.invalidate()
    assert not slot.is_current(second)


def test_request_is_immutable() -> None:
    request = PreviewRequest(sources=(Path("a.jpg"),), target=Path("b.jpg"))
    with pytest.raises(AttributeError):
        request.target = Path("c.jpg")  # type: ignore[misc]


@pytest.fixture(scope="module")
def engine(context: AppContext) -> PreviewEngine:
    return PreviewEngine(context)


def test_render_swaps_only_selected_face(engine: PreviewEngine, media: Path) -> None:
    target = media / "multi_face/two_people.jpg"
    analysis = engine.analyse_target(target)
    assert len(analysis.faces) >= 2
    request = PreviewRequest(
        (media / "identity/obama/obama.jpg",), target, SwapSettings(), FaceSelection((1,))
    )
    result = engine.render(request, generation=1)
    assert result is not None
    changed = np.any(result.frame != result.original, axis=2)
    _ys, xs = np.nonzero(changed)
    assert len(xs) > 100
    x0, _y0, x1, _y1 = analysis.faces[1].box
    pad = 0.5 * (x1 - x0)
    assert xs.min() >= x0 - pad and xs.max() <= x1 + pad
    assert [s.index for s in result.swapped] == [1]
    assert result.swapped[0].similarity is not None


def test_stale_request_is_dropped(engine: PreviewEngine, media: Path) -> None:
    request = PreviewRequest((media / "identity/obama/obama.jpg",), media / "identity/biden/biden2.jpg")
    assert engine.render(request, generation=1, is_stale=lambda: True) is None


def test_sources_without_faces_are_reported(engine: PreviewEngine, tmp_path: Path, media: Path) -> None:
    import cv2

    blank = tmp_path / "blank.png"
    cv2.imwrite(str(blank), np.full((200, 200, 3), 127, np.uint8))
    assert engine.analyse_source(blank).face is None
    with pytest.raises(NoFaceFound):
        engine.prepare(PreviewRequest((blank,), media / "identity/biden/biden2.jpg"))


def test_face_crop_is_square(engine: PreviewEngine, media: Path) -> None:
    source = engine.analyse_source(media / "identity/obama/obama.jpg")
    assert source.face is not None
    assert face_crop(source.image, source.face, 64).shape == (64, 64, 3)


def test_restorer_and_masker_choices_reach_the_pipeline(media: Path) -> None:
    from faceswap_desktop.app.context import create_context
    from tests.component_fakes import HideEverythingMasker, RecordingEnhancer

    context = create_context()
    enhancer, masker = RecordingEnhancer(), HideEverythingMasker()
    context.enhancers.register("fake", lambda: enhancer)
    context.maskers.register("fake", lambda: masker)
    engine = PreviewEngine(context)
    base = PreviewRequest(
        (media / "identity/obama/obama.jpg",), media / "identity/biden/biden2.jpg", judge=None
    )
    plain = engine.render(base, 1)
    restored = engine.render(replace(base, restorer="fake", restorer_amount=0.3), 2)
    assert plain is not None and restored is not None
    assert enhancer.amounts == [0.3] and not np.array_equal(plain.frame, restored.frame)
    masked = engine.render(replace(base, masker="fake"), 3)
    assert masked is not None and masker.calls == 1
    assert np.array_equal(masked.frame, masked.original)  # everything "occluded": the original is kept


def test_judge_note_when_the_judge_would_flatter_the_engine(engine: PreviewEngine) -> None:
    request = PreviewRequest((Path("a.jpg"),), Path("b.jpg"), engine="inswapper", judge="arcface")
    assert "dlib" in engine.judge_note(request) and "flatter" in engine.judge_note(request)
    assert engine.judge_note(replace(request, judge="dlib")) == ""


def test_maximize_likeness_reuses_the_request_and_names_its_judge(engine: PreviewEngine, media: Path) -> None:
    request = PreviewRequest(
        (media / "identity/deepface_p05/img16.jpg",),
        media / "identity/deepface_p07/img29.jpg",
        SwapSettings(),
    )
    seen: list[int] = []
    outcome = engine.maximize_likeness(request, on_evaluation=lambda done, _p, _b: seen.append(done))
    search = outcome.search
    assert seen == list(range(1, len(search.evaluations) + 1))
    assert outcome.judge == "dlib ResNet-34 (128-d)"
    calibration = engine.context.calibrations.get(outcome.judge)
    assert outcome.start_percent == calibration.percent(search.start.cosine)
    assert outcome.best_percent == calibration.percent(search.best.cosine)
    before, after = SwapSettings().to_dict(), search.best.settings.to_dict()
    assert outcome.changed == {k: (before[k], after[k]) for k in after if before[k] != after[k]}
    # The search started from the preview's own swap: its start is the preview's score.
    preview = engine.render(request, 1)
    assert preview is not None
    assert preview.swapped[0].similarity is not None
    assert search.start.cosine == pytest.approx(preview.swapped[0].similarity.cosine, abs=1e-6)


def test_a_face_on_its_side_gets_an_upright_chip(engine: PreviewEngine, media: Path, tmp_path: Path) -> None:
    """A photo taken with the camera turned: its chip shows the face upright, like the same photo's."""
    import cv2

    upright_path = media / "identity/obama/obama.jpg"
    upright = engine.analyse_source(upright_path)
    assert upright.face is not None
    expected = face_crop(upright.image, upright.face, 64).astype(np.float32)
    for turns in (1, 2, 3):
        turned_path = tmp_path / f"turned{turns}.png"
        cv2.imwrite(str(turned_path), np.rot90(upright.image, turns))
        turned = engine.analyse_source(turned_path)
        assert turned.face is not None
        chip = face_crop(turned.image, turned.face, 64).astype(np.float32)
        assert upright_quarter_turns(turned.face) == (4 - turns) % 4
        # The detector frames an upside-down face a little differently, so the chips are not equal; but
        # the chip is nearer the upright photo's than any other quarter turn of it (the face on its side).
        distance = np.abs(chip - expected).mean()
        for other in (1, 2, 3):
            assert np.abs(np.rot90(chip, other) - expected).mean() > 1.5 * distance, (turns, other)
