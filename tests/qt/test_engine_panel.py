"""Engine and component pickers in the real window: missing models, restorer/mask choices, provider,
the judge note, and persistence."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtWidgets import QComboBox
from qt_helpers import BIDEN, OBAMA, PREVIEW_TIMEOUT_MS, add_window, load_inputs, wait_for_preview

from faceswap_desktop.app.components import ComponentChoice
from faceswap_desktop.app.context import AppContext, create_context
from faceswap_desktop.app.models import CONDITIONING_JUDGE
from faceswap_desktop.app.user_settings import UserSettingsStore
from faceswap_desktop.inference.registry import load_registry
from faceswap_desktop.inference.store import ModelStore
from faceswap_desktop.qt.main_window import MainWindow
from tests.component_fakes import HideEverythingMasker, RecordingEnhancer


def pick(combo: QComboBox, data: str) -> None:
    """Choose an entry as a user would (``activated`` is the user-only signal)."""
    index = combo.findData(data)
    assert index >= 0, f"{data!r} not offered by {combo.objectName()}"
    combo.setCurrentIndex(index)
    combo.activated.emit(index)


@pytest.fixture
def own_window(qtbot, store: UserSettingsStore) -> Iterator[Callable[[AppContext], MainWindow]]:  # type: ignore[no-untyped-def]
    """A window on a test's own context (judge in-process), for contexts with fake components."""
    windows: list[MainWindow] = []

    def make(context: AppContext) -> MainWindow:
        window = MainWindow(context, store, isolate_judge=False)
        add_window(qtbot, window)
        window.show()
        windows.append(window)
        return window

    yield make
    for window in windows:
        window.shutdown()


def test_missing_model_names_it_and_mesh_keeps_working(
    qtbot, window: MainWindow, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    empty = ModelStore(load_registry(), root=tmp_path / "models")  # nothing installed
    monkeypatch.setattr(window.context.models, "_store", empty)
    first = load_inputs(qtbot, window, [OBAMA], BIDEN)
    panel = window.engine_panel
    pick(panel.combos["engine"], "inswapper")
    assert window.session.preview_request().engine == "inswapper"  # type: ignore[union-attr]
    qtbot.waitUntil(lambda: panel.banner_message() != "", timeout=PREVIEW_TIMEOUT_MS)
    message = panel.banner_message()
    assert "InSwapper 128" in message and "w600k_r50" in message and "not installed" in message
    assert panel.banner_button.isVisible() and "w600k_r50" in window.toast.text()
    assert window.last_result is first  # the old preview stays; nothing was built on the GUI thread
    panel.banner_button.click()
    manager = window.model_manager
    assert manager is not None and manager.isVisible()
    assert manager.table.currentRow() == manager.rows["w600k_r50"]
    qtbot.waitUntil(lambda: manager.status_text("w600k_r50") == "missing", timeout=PREVIEW_TIMEOUT_MS)
    manager.hide()
    pick(panel.combos["engine"], "mesh")
    assert panel.banner_message() == ""
    result = wait_for_preview(qtbot, window)
    assert result.request.engine == "mesh" and np.array_equal(result.frame, first.frame)


def test_simswap_is_offered_and_a_missing_download_is_named(
    qtbot, window: MainWindow, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    empty = ModelStore(load_registry(), root=tmp_path / "models")  # nothing installed
    monkeypatch.setattr(window.context.models, "_store", empty)
    load_inputs(qtbot, window, [OBAMA], BIDEN)
    panel = window.engine_panel
    combo = panel.combos["engine"]
    assert combo.itemText(combo.findData("simswap")) == "SimSwap 512"
    pick(combo, "simswap")
    qtbot.waitUntil(lambda: panel.banner_message() != "", timeout=PREVIEW_TIMEOUT_MS)
    message = panel.banner_message()
    assert "SimSwap 512" in message and "simswap_512_unoff" in message and "not installed" in message
    assert panel.missing_model == "simswap_512_unoff"


def test_restorer_mask_and_provider_pickers_build_the_right_pipeline(qtbot, own_window) -> None:  # type: ignore[no-untyped-def]
    context = create_context()
    enhancer, masker = RecordingEnhancer(), HideEverythingMasker()
    context.enhancers.register("fake_restorer", lambda: enhancer)
    context.maskers.register("fake_mask", lambda: masker)
    window = own_window(context)
    panel = window.engine_panel
    assert panel.combos["provider"].findData("cpu") >= 0
    assert not panel.amount.isEnabled()
    pick(panel.combos["judge"], "")  # no score: faster
    plain = load_inputs(qtbot, window, [OBAMA], BIDEN)
    assert plain.request.judge is None and not enhancer.amounts

    pick(panel.combos["restorer"], "fake_restorer")
    assert panel.amount.isEnabled()
    restored = wait_for_preview(qtbot, window)
    assert enhancer.amounts == [0.8] and not np.array_equal(restored.frame, plain.frame)
    panel.amount.setValue(30)
    wait_for_preview(qtbot, window)
    assert enhancer.amounts[-1] == pytest.approx(0.3)

    pick(panel.combos["restorer"], "")
    pick(panel.combos["masker"], "fake_mask")
    masked = wait_for_preview(qtbot, window)
    assert masker.calls >= 1 and np.array_equal(masked.frame, masked.original)

    pick(panel.combos["provider"], "cpu")
    on_cpu = wait_for_preview(qtbot, window)
    assert on_cpu.request.provider == "cpu"
    assert context.models.provider_setting == "cpu"  # type: ignore[attr-defined]
    assert context.models.sessions.provider == "CPUExecutionProvider"  # type: ignore[attr-defined]


def test_judge_note_when_the_judge_would_flatter_the_engine(
    qtbot, own_window, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setitem(CONDITIONING_JUDGE, "mesh", "mobilefacenet")  # pretend mesh is conditioned by it
    window = own_window(create_context())
    pick(window.engine_panel.combos["judge"], "mobilefacenet")
    result = load_inputs(qtbot, window, [OBAMA], BIDEN)
    assert result.request.judge == "mobilefacenet"
    assert result.swapped[0].similarity is not None and "dlib" in result.swapped[0].similarity.model.lower()
    note = window.similarity_panel.note
    assert note.isVisible() and "flatter" in note.text() and "dlib" in note.text()


def test_choices_are_persisted_and_restored(qtbot, own_window, store: UserSettingsStore) -> None:  # type: ignore[no-untyped-def]
    context = create_context()
    window = own_window(context)
    choice = ComponentChoice(judge=None, restorer="gfpgan", restorer_amount=35, masker="xseg", provider="cpu")
    window.session.set_components(choice)
    assert window.engine_panel.combos["masker"].currentData() == "xseg"
    window.shutdown()
    assert store.load().component_choice() == choice
    again = own_window(context)
    assert again.session.components == choice
    assert again.engine_panel.amount.value() == 35 and again.engine_panel.amount.isEnabled()
    assert again.engine_panel.combos["judge"].currentText() == "None (no score)"
