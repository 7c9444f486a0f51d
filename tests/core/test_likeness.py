"""'Maximise likeness' on a real pair: bounded, never worse than the start, realism bound respected."""

import pytest

from faceswap_desktop.core.errors import BadInput, Cancelled
from faceswap_desktop.core.likeness import SEARCH_AXES, Evaluation, maximize_likeness, planned_evaluations
from faceswap_desktop.core.mesh.quality import COLOUR_STEP_LIMIT, SEAM_LIMIT
from faceswap_desktop.core.pipeline import FaceSelection
from faceswap_desktop.core.settings import SwapSettings


def test_search_improves_the_judged_likeness_within_bounds(context, analysed) -> None:
    pipeline = context.build_pipeline(judge="dlib")
    source_image, _ = analysed("identity/deepface_p05/img16.jpg")
    target_image, target_faces = analysed("identity/deepface_p07/img29.jpg")
    prepared = pipeline.prepare_source([source_image])
    search = maximize_likeness(
        pipeline,
        target_image,
        prepared,
        SwapSettings(),
        FaceSelection(),
        faces=target_faces,
        max_evaluations=8,
    )
    assert 1 < len(search.evaluations) <= 8
    assert search.best.cosine >= search.start.cosine
    assert search.best.seam <= SEAM_LIMIT and search.best.colour_step <= COLOUR_STEP_LIMIT
    searched = dict(SEARCH_AXES)
    for name, value in search.best.settings.to_dict().items():
        if name in searched:
            assert value in searched[name] or value == getattr(SwapSettings(), name)
        else:
            assert value == getattr(SwapSettings(), name), "settings outside the search are kept"


def test_search_needs_a_judge(context, analysed) -> None:
    pipeline = context.build_pipeline(judge=None)
    image, faces = analysed("identity/obama/obama.jpg")
    prepared = pipeline.prepare_source([image])
    with pytest.raises(BadInput, match="judge"):
        maximize_likeness(pipeline, image, prepared, SwapSettings(), FaceSelection(), faces=faces)


def test_progress_is_reported_per_swap_and_can_stop_the_search(context, analysed) -> None:
    pipeline = context.build_pipeline(judge="dlib")
    source_image, _ = analysed("identity/deepface_p05/img16.jpg")
    target_image, target_faces = analysed("identity/deepface_p07/img29.jpg")
    prepared = pipeline.prepare_source([source_image])
    reports: list[tuple[int, int, float]] = []

    def record(done: int, planned: int, best: Evaluation) -> None:
        reports.append((done, planned, best.cosine))

    search = maximize_likeness(
        pipeline,
        target_image,
        prepared,
        SwapSettings(),
        FaceSelection(),
        faces=target_faces,
        max_evaluations=5,
        on_evaluation=record,
    )
    assert [done for done, _, _ in reports] == list(range(1, len(search.evaluations) + 1))
    assert all(planned == planned_evaluations(5) == 5 for _, planned, _ in reports)
    assert reports[-1][2] == search.best.cosine
    if search.start.acceptable:  # the best so far only ever improves
        assert [best for _, _, best in reports] == sorted(best for _, _, best in reports)

    def stop_after_two(done: int, planned: int, best: Evaluation) -> None:
        if done >= 2:
            raise Cancelled("stopped")

    with pytest.raises(Cancelled):
        maximize_likeness(
            pipeline,
            target_image,
            prepared,
            SwapSettings(),
            FaceSelection(),
            faces=target_faces,
            on_evaluation=stop_after_two,
        )
