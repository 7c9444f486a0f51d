"""Two-phase scrub previews on the shared Hamilton clip: the frame with the likeliest face swapped is
shown at once, the identity check runs afterwards on the worker and corrects the view only when the guess
was someone else, and a check for a frame the user has left never reaches the screen.

The worker is held inside the identity check (``VideoPreviewEngine.before_confirm``) to prove the order
of events; nothing here depends on timing.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator

import pytest
from PySide6.QtGui import QImage
from qt_helpers import Hold, WorkerHolds, hold_cast_scans
from test_video_person import HAMILTON, change_in, checked_chips, frame_of, open_video
from test_video_timeline import wait_for_frame

from faceswap_desktop.core.settings import SwapSettings
from faceswap_desktop.qt.main_window import MainWindow
from faceswap_desktop.qt.video_workers import VideoFrameResult

WRONG_GUESS_FRAME = 240
"""Two faces, after a scene cut. With the default person (the largest face of frame 0) checked only
there, the likeliest face (the larger) is swapped first, and the identity check finds that neither face
is that person: the corrected frame swaps nobody (dlib judge; checked when these tests were written)."""
SINGER_FRAME = 100
"""One face, the default person's, far from any checked view: guessed right, confirmed by the check."""


@pytest.fixture(autouse=True)
def provisional_default(monkeypatch: pytest.MonkeyPatch) -> None:
    """The default person here is the provisional one, the largest face of frame 0 (``hold_cast_scans``)."""
    hold_cast_scans(monkeypatch)


@pytest.fixture
def held(window: MainWindow) -> Iterator[WorkerHolds]:
    """Holds by frame inside the identity check; released at the end whatever the test did."""
    holds = WorkerHolds()
    window.video.engine.before_confirm = lambda request: holds.wait_at(request.index)
    yield holds
    holds.release_all()


def record_shown(window: MainWindow) -> list[tuple[VideoFrameResult, QImage]]:
    shown: list[tuple[VideoFrameResult, QImage]] = []
    window.video.controller.preview_ready.connect(lambda result, image: shown.append((result, image)))
    return shown


def scrub_to_held_check(  # type: ignore[no-untyped-def]
    qtbot, window: MainWindow, held: WorkerHolds, frame: int
) -> tuple[Hold, list[tuple[VideoFrameResult, QImage]]]:
    """Open the clip, show frame 0 (checked), then move to ``frame`` and wait until the worker is held
    inside its second phase; returns the hold and the list of results shown from the move on."""
    open_video(qtbot, window)
    wait_for_frame(qtbot, window, 0)
    hold = held.add(frame)
    shown = record_shown(window)
    window.video.model.set_position(frame)
    qtbot.waitUntil(hold.entered.is_set, timeout=30_000)
    return hold, shown


def test_a_scrub_shows_the_guess_first_and_the_check_corrects_it(  # type: ignore[no-untyped-def]
    qtbot, window: MainWindow, held: WorkerHolds
) -> None:
    hold, shown = scrub_to_held_check(qtbot, window, held, WRONG_GUESS_FRAME)
    video = window.video

    # The identity check is running (held) and the guess is already on screen.
    guess = video.last_result
    assert guess is not None and guess.request.index == WRONG_GUESS_FRAME
    assert guess.identity == "assumed" and guess.needs_confirmation and guess.swapped
    assert [(r.request.index, r.correction) for r, _ in shown] == [(WRONG_GUESS_FRAME, False)]
    assert video.view.after.cacheKey() == shown[0][1].cacheKey() and window.preview.selected == (
        guess.chosen,
    )
    assert checked_chips(window) == [guess.chosen]
    assert WRONG_GUESS_FRAME not in video.model.identity  # the plot waits for the check
    assert "checking" in window.status_label.text()
    assert video.engine.confirmed == []  # held before the check itself

    hold.release.set()
    corrected = wait_for_frame(qtbot, window, WRONG_GUESS_FRAME)
    assert corrected.correction and corrected.identity == "absent"
    assert corrected.generation == guess.generation and corrected.request == guess.request
    assert [(r.request.index, r.correction) for r, _ in shown] == [
        (WRONG_GUESS_FRAME, False),
        (WRONG_GUESS_FRAME, True),
    ]
    assert video.engine.confirmed == [WRONG_GUESS_FRAME]
    # The view, the face picker, the gauge and the plot all follow the check: nobody is replaced.
    assert not corrected.swapped and corrected.face_found is False and corrected.chosen is None
    assert video.view.after.cacheKey() == shown[1][1].cacheKey() and window.preview.selected == ()
    assert checked_chips(window) == [] and window.target_panel.person_chip_count() == len(guess.faces)
    assert window.similarity_panel.gauges == []  # no swapped face, no gauge
    assert video.model.identity[WRONG_GUESS_FRAME] is None  # plotted as "not in this frame"
    assert "not in this frame" in window.status_label.text()
    original = frame_of(HAMILTON, WRONG_GUESS_FRAME)
    assert guess.chosen is not None
    assert change_in(original, guess.frame, guess.faces[guess.chosen]) > 3.0  # the guess was swapped
    assert (corrected.frame == original).all()  # the correction is the untouched frame


def test_a_right_guess_is_confirmed_without_a_second_frame(  # type: ignore[no-untyped-def]
    qtbot, window: MainWindow, held: WorkerHolds
) -> None:
    hold, shown = scrub_to_held_check(qtbot, window, held, SINGER_FRAME)
    video = window.video
    scored_before = len(video.engine.scored)  # frame 0's; this frame's phase 2 is held before it scores
    guess = video.last_result
    assert guess is not None and guess.needs_confirmation and guess.swapped
    assert SINGER_FRAME not in video.model.identity
    # The judge's score comes with the check too: the gauge says it is being measured, not an old value.
    assert guess.score_pending and guess.similarity_percent is None
    assert guess.chosen is not None
    assert [g.text() for g in window.similarity_panel.gauges] == ["Person A: measuring"]
    assert video.engine.scored[scored_before:] == []
    hold.release.set()
    checked = wait_for_frame(qtbot, window, SINGER_FRAME)
    assert checked.identity == "embedded" and not checked.correction
    assert not checked.score_pending and checked.similarity_percent is not None
    assert video.engine.scored[scored_before:] == [SINGER_FRAME]
    gauge_text = window.similarity_panel.gauges[0].text()
    assert f"{checked.similarity_percent:.0f}%" in gauge_text and "dlib" in gauge_text
    assert len(shown) == 1 and checked.frame is guess.frame  # the same frame, no repaint
    assert video.view.after.cacheKey() == shown[0][1].cacheKey()
    assert SINGER_FRAME in video.model.identity and video.model.identity[SINGER_FRAME] is not None
    assert "checking" not in window.status_label.text()
    # Seen again (other settings): decided by the check, shown without a second phase.
    window.session.set_settings(SwapSettings(strength=50))
    again = wait_for_frame(qtbot, window, SINGER_FRAME, checked=False)
    assert again.identity == "embedded" and video.engine.confirmed == [SINGER_FRAME]
    # Only its score is measured afterwards, on the frame as shown.
    scored = wait_for_frame(qtbot, window, SINGER_FRAME)
    assert scored.frame is again.frame and scored.similarity_percent is not None
    assert video.engine.scored[scored_before:] == [SINGER_FRAME, SINGER_FRAME] and video.engine.confirmed == [
        SINGER_FRAME
    ]


def test_a_check_for_a_frame_the_user_left_is_not_shown(  # type: ignore[no-untyped-def]
    qtbot, window: MainWindow, held: WorkerHolds
) -> None:
    hold, shown = scrub_to_held_check(qtbot, window, held, WRONG_GUESS_FRAME)
    video = window.video
    guess = video.last_result
    assert guess is not None and guess.needs_confirmation
    video.model.set_position(SINGER_FRAME)  # the user drags on while frame 220 is being checked
    assert video.controller.newer_request_waiting(guess.generation)
    hold.release.set()
    result = wait_for_frame(qtbot, window, SINGER_FRAME)
    assert [(r.request.index, r.correction) for r, _ in shown] == [
        (WRONG_GUESS_FRAME, False),
        (SINGER_FRAME, False),
    ]
    assert result.swapped and WRONG_GUESS_FRAME not in video.model.identity  # never confirmed, never plotted
    # Even a correction that got through the worker is dropped once the playhead is elsewhere.
    late = dataclasses.replace(guess, identity="embedded", correction=True)
    video._on_frame_ready(late, QImage())
    assert video.last_result is result and WRONG_GUESS_FRAME not in video.model.identity
    # Back on frame 220 (no hold now): the right face, whether the dropped check had finished (then it
    # is remembered) or not (then it runs now and corrects the guess).
    del held[WRONG_GUESS_FRAME]
    video.model.set_position(WRONG_GUESS_FRAME)
    back = wait_for_frame(qtbot, window, WRONG_GUESS_FRAME)
    assert back.identity == "absent" and not back.swapped and back.chosen is None
    assert WRONG_GUESS_FRAME in video.model.identity
