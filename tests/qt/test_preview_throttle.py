"""The live preview's throttle: the first request of a quiet period is rendered at once (no added delay
for a click on the timeline or one slider step); a burst that follows inside the window merges into one
render of its latest request."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import numpy as np

from faceswap_desktop.app.preview import PreviewRequest, PreviewResult
from faceswap_desktop.core.settings import SwapSettings
from faceswap_desktop.qt.workers import PreviewController, SerialExecutor

WINDOW_MS = 60_000
"""A throttle window far longer than any test: whatever renders before it ends was sent on the leading
edge, and nothing of a burst can reach the worker until the test ends the window itself."""


class RecordingEngine:
    """Renders a tiny frame per request and records which strengths were rendered."""

    def __init__(self) -> None:
        self.rendered: list[int] = []
        self.lock = threading.Lock()

    def render(self, request: PreviewRequest, generation: int, is_stale: Any = None) -> PreviewResult:
        with self.lock:
            self.rendered.append(request.settings.strength)
        frame = np.zeros((4, 4, 3), np.uint8)
        return PreviewResult(request, generation, frame, frame, (), (), 1.0)


def request_with(strength: int) -> PreviewRequest:
    return PreviewRequest((Path("source.jpg"),), Path("target.jpg"), SwapSettings(strength=strength))


def test_first_request_renders_at_once_and_a_burst_merges(qtbot) -> None:  # type: ignore[no-untyped-def]
    engine = RecordingEngine()
    executor = SerialExecutor("throttle-test")
    controller = PreviewController(engine, executor)  # type: ignore[arg-type]
    controller._timer.setInterval(WINDOW_MS)
    shown: list[int] = []
    controller.preview_ready.connect(lambda result, _image: shown.append(result.request.settings.strength))
    try:
        controller.request(request_with(90))
        qtbot.waitUntil(lambda: shown == [90], timeout=5_000)  # long before the window ends

        for strength in (70, 50, 30):  # the rest of the drag, inside the window
            controller.request(request_with(strength))
        qtbot.wait(200)
        assert engine.rendered == [90] and controller.running  # merged, waiting for the window's end

        controller._timer.stop()
        controller._on_throttle_elapsed()  # the window ends: only the latest of the burst goes
        qtbot.waitUntil(lambda: shown == [90, 30], timeout=5_000)
        assert engine.rendered == [90, 30]

        controller._timer.stop()
        controller._on_throttle_elapsed()  # a window with nothing new in it sends nothing
        qtbot.wait(100)
        assert engine.rendered == [90, 30]
        qtbot.waitUntil(lambda: not controller.running, timeout=5_000)
    finally:
        executor.shutdown()


def test_clearing_drops_a_merged_request(qtbot) -> None:  # type: ignore[no-untyped-def]
    engine = RecordingEngine()
    executor = SerialExecutor("throttle-test")
    controller = PreviewController(engine, executor)  # type: ignore[arg-type]
    controller._timer.setInterval(WINDOW_MS)
    try:
        controller.request(request_with(90))
        qtbot.waitUntil(lambda: engine.rendered == [90], timeout=5_000)
        controller.request(request_with(40))
        controller.request(None)  # e.g. the target was removed
        controller._on_throttle_elapsed()
        qtbot.wait(100)
        assert engine.rendered == [90]
    finally:
        executor.shutdown()
