"""The engine and judge pickers apply to the video timeline and its exports, not only to photos."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from qt_helpers import BIDEN, PREVIEW_TIMEOUT_MS, add_window
from test_engine_panel import pick
from test_video_timeline import OBAMA_CLIP, wait_for_frame

from faceswap_desktop.app.context import create_context
from faceswap_desktop.app.jobs import JobState
from faceswap_desktop.app.user_settings import UserSettingsStore
from faceswap_desktop.core.media.video_io import VideoReader
from faceswap_desktop.core.media.video_writer import EncodeOptions
from faceswap_desktop.core.types import Face, Image
from faceswap_desktop.inference.registry import load_registry
from faceswap_desktop.inference.store import ModelStore
from faceswap_desktop.qt.main_window import MainWindow
from faceswap_desktop.qt.video_export_dialog import VideoExportChoice
from tests.component_fakes import PaintingSwapper


@pytest.fixture
def painter_window(qtbot, store: UserSettingsStore) -> Iterator[MainWindow]:  # type: ignore[no-untyped-def]
    """A window whose context also offers the fake "painter" engine."""
    context = create_context()
    context.swappers.register("painter", PaintingSwapper)
    window = MainWindow(context, store)
    add_window(qtbot, window)
    window.show()
    yield window
    window.shutdown()


def green_share(image: Image, face: Face) -> float:
    """Share of the face box's pixels that are (nearly) pure green."""
    x0, y0, x1, y1 = (int(v) for v in face.box)
    region = image[max(y0, 0) : y1, max(x0, 0) : x1].astype(np.int16)
    green = (region[..., 1] > 200) & (region[..., 0] < 60) & (region[..., 2] < 60)
    return float(green.mean())


def open_obama(qtbot, window: MainWindow) -> None:  # type: ignore[no-untyped-def]
    window.session.add_sources([BIDEN])
    qtbot.waitUntil(lambda: len(window.session.sources) == 1, timeout=PREVIEW_TIMEOUT_MS)
    window.session.set_target(OBAMA_CLIP)
    qtbot.waitUntil(lambda: window.video.active, timeout=PREVIEW_TIMEOUT_MS)


def test_engine_and_judge_choice_reach_video_preview_and_export(  # type: ignore[no-untyped-def]
    qtbot, painter_window: MainWindow, tmp_path: Path
) -> None:
    window = painter_window
    open_obama(qtbot, window)
    mesh = wait_for_frame(qtbot, window, 0)
    assert mesh.request.engine == "mesh" and mesh.chosen is not None
    face = mesh.faces[mesh.chosen]
    assert green_share(mesh.frame, face) < 0.05
    assert mesh.similarity_percent is not None  # the default judge scores

    pick(window.engine_panel.combos["engine"], "painter")
    pick(window.engine_panel.combos["judge"], "")  # no judge: no score
    painted = wait_for_frame(qtbot, window, 0)
    assert painted.request.engine == "painter" and painted.request.judge is None
    assert green_share(painted.frame, face) > 0.9
    assert painted.similarity_percent is None

    output = tmp_path / "painted.mp4"
    info = window.video.queue_export(VideoExportChoice(output, EncodeOptions(preset="ultrafast"), 0, 0))
    assert info is not None
    qtbot.waitUntil(lambda: window.runner.queue.get(info.job_id).state.is_final, timeout=60_000)
    done = window.runner.queue.get(info.job_id)
    assert done.state is JobState.DONE, done.error
    with VideoReader(output) as reader:
        assert green_share(reader.frame_at(0), face) > 0.8  # lossy, but unmistakably painted

    pick(window.engine_panel.combos["engine"], "mesh")
    assert green_share(wait_for_frame(qtbot, window, 0).frame, face) < 0.05


def test_missing_model_for_the_video_engine_shows_the_banner(  # type: ignore[no-untyped-def]
    qtbot, window: MainWindow, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    empty = ModelStore(load_registry(), root=tmp_path / "models")  # nothing installed
    monkeypatch.setattr(window.context.models, "_store", empty)
    open_obama(qtbot, window)
    wait_for_frame(qtbot, window, 0)
    panel = window.engine_panel
    pick(panel.combos["engine"], "inswapper")
    qtbot.waitUntil(lambda: panel.banner_message() != "", timeout=PREVIEW_TIMEOUT_MS)
    assert "inswapper_128" in panel.banner_message() or "w600k_r50" in panel.banner_message()
    pick(panel.combos["engine"], "mesh")
    assert wait_for_frame(qtbot, window, 0).swapped
    assert panel.banner_message() == ""
