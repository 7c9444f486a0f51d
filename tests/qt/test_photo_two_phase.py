"""The photo live preview in two phases: the swapped frame is shown as soon as it is rendered, the judge
scores its faces afterwards on the same worker, and a score measured for settings the user has left never
reaches the gauges.

The worker is held inside the second phase (``PreviewEngine.before_measure``) to prove the order of
events; nothing here depends on timing.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pytest
from PySide6.QtGui import QImage
from qt_helpers import BIDEN, OBAMA, PREVIEW_TIMEOUT_MS, WorkerHolds, load_inputs, wait_for_preview

from faceswap_desktop.app.preview import PreviewResult
from faceswap_desktop.core.settings import SwapSettings
from faceswap_desktop.qt.main_window import MainWindow


@pytest.fixture
def held(window: MainWindow) -> Iterator[WorkerHolds]:
    """Holds by strength inside the second phase; released at the end whatever the test did."""
    holds = WorkerHolds()
    window.engine.before_measure = lambda request: holds.wait_at(request.settings.strength)
    yield holds
    holds.release_all()


def record(window: MainWindow) -> tuple[list[tuple[PreviewResult, QImage]], list[PreviewResult]]:
    shown: list[tuple[PreviewResult, QImage]] = []
    scored: list[PreviewResult] = []
    window.controller.preview_ready.connect(lambda result, image: shown.append((result, image)))
    window.controller.scores_ready.connect(scored.append)
    return shown, scored


def test_frame_is_shown_before_its_score_is_measured(  # type: ignore[no-untyped-def]
    qtbot, window: MainWindow, held: WorkerHolds
) -> None:
    load_inputs(qtbot, window, [OBAMA], BIDEN)
    first_text = window.similarity_panel.gauges[0].text()
    assert "cosine" in first_text
    hold = held.add(40)
    shown, scored = record(window)
    scored_before = len(window.engine.scored)
    window.session.set_settings(SwapSettings(strength=40))
    qtbot.waitUntil(hold.entered.is_set, timeout=PREVIEW_TIMEOUT_MS)
    # The worker is inside the second phase: the new frame is on screen already, without a score.
    qtbot.waitUntil(lambda: len(shown) == 1, timeout=PREVIEW_TIMEOUT_MS)
    result, image = shown[0]
    assert result.request == window.session.preview_request() and result.score_pending
    assert window.last_result is result and window.preview.after is not None
    assert window.preview.after.cacheKey() == image.cacheKey()
    assert [face.similarity for face in result.swapped] == [None]
    # The gauge says the score is being measured, not the previous value.
    assert [g.text() for g in window.similarity_panel.gauges] == ["Face 1: measuring"]
    assert "measuring" in window.status_label.text()
    assert window.engine.scored[scored_before:] == [] and scored == []
    hold.release.set()
    final = wait_for_preview(qtbot, window)
    assert len(scored) == 1 and final is scored[0]
    assert final.generation == result.generation and final.frame is result.frame  # same frame, no repaint
    assert len(shown) == 1
    similarity = final.swapped[0].similarity
    assert similarity is not None
    text = window.similarity_panel.gauges[0].text()
    assert f"{similarity.percent:.0f}%" in text and "cosine" in text
    assert "measuring" not in window.status_label.text()
    assert window.engine.scored[scored_before:] == [final.generation]


def test_a_stale_score_is_not_shown(  # type: ignore[no-untyped-def]
    qtbot, window: MainWindow, held: WorkerHolds
) -> None:
    load_inputs(qtbot, window, [OBAMA], BIDEN)
    hold = held.add(40)
    shown, scored = record(window)
    window.session.set_settings(SwapSettings(strength=40))
    qtbot.waitUntil(hold.entered.is_set, timeout=PREVIEW_TIMEOUT_MS)
    old = window.last_result
    assert old is not None and old.score_pending
    window.session.set_settings(SwapSettings(strength=60))  # the slider moves on while the worker measures
    hold.release.set()
    final = wait_for_preview(qtbot, window)
    assert final.request.settings.strength == 60 and final.generation > old.generation
    # The score measured for strength 40 never reached the screen.
    assert all(result.request.settings.strength == 60 for result in scored)
    assert [result.request.settings.strength for result, _image in shown] == [40, 60]
    assert window.last_result is final and not final.score_pending
    similarity = final.swapped[0].similarity
    assert similarity is not None and f"{similarity.percent:.0f}%" in window.similarity_panel.gauges[0].text()
    assert np.any(final.frame != old.frame)


def test_export_still_scores(qtbot, window: MainWindow, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """The deferred score is the live preview's only: an export scores in its own path."""
    load_inputs(qtbot, window, [OBAMA], BIDEN)
    info = window.queue_export(tmp_path / "out.png")
    assert info is not None
    qtbot.waitUntil(lambda: window.runner.queue.pending_count() == 0, timeout=PREVIEW_TIMEOUT_MS)
    qtbot.waitUntil(lambda: not window.runner.executor.busy(), timeout=PREVIEW_TIMEOUT_MS)
    done = [job for job in window.runner.queue.jobs() if job.job_id == info.job_id]
    assert done and done[0].outcome is not None, done
    assert (tmp_path / "out.png").is_file()
    assert "similarity" in done[0].outcome.summary["faces"][0]
