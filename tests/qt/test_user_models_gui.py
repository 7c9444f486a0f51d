"""User models in the GUI: the model manager lists them as "user model (source not verified)" with
Verify and Remove (no Download/Import), and the engine picker offers a user swapper."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PySide6.QtWidgets import QComboBox
from qt_helpers import add_window

from faceswap_desktop.app.context import create_context
from faceswap_desktop.inference.registry import load_registry
from faceswap_desktop.inference.store import ModelStatus, ModelStore
from faceswap_desktop.inference.user_models import USER_LICENCE, add_user_model
from faceswap_desktop.qt.main_window import MainWindow
from faceswap_desktop.qt.model_manager import ModelManagerDialog
from tests.inference.zoo_fakes import inswapper_graph

TIMEOUT_MS = 15_000
EMAP = np.random.default_rng(2).normal(size=(512, 512)).astype(np.float32)


@pytest.fixture
def user_store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> ModelStore:
    monkeypatch.setenv("FACESWAP_DATA_DIR", str(tmp_path / "data"))
    store = ModelStore(load_registry())
    add_user_model(store, inswapper_graph(tmp_path / "mine.onnx", EMAP, "constant"), "swapper", "my_swapper")
    return store


def test_the_model_manager_lists_and_removes_a_user_model(qtbot, user_store: ModelStore) -> None:  # type: ignore[no-untyped-def]
    dialog = ModelManagerDialog(user_store, ask_licence=lambda _parent, _spec: True)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitUntil(lambda: dialog.status_text("my_swapper") == "ok", timeout=TIMEOUT_MS)
    row = dialog.rows["my_swapper"]
    assert dialog.table.item(row, 3).text() == USER_LICENCE
    assert dialog.table.item(row, 1).text() == "Swapper"
    actions = dialog.actions_by_id["my_swapper"]
    assert actions.download_button.isHidden() and actions.import_button.isHidden()
    assert not actions.remove_button.isHidden() and not actions.verify_button.isHidden()
    assert dialog.actions_by_id["inswapper_128"].remove_button.isHidden()  # pinned models stay
    stored = user_store.path("my_swapper")
    assert stored.is_file()
    count = dialog.table.rowCount()
    actions.remove_button.click()
    qtbot.waitUntil(lambda: "my_swapper" not in dialog.rows, timeout=TIMEOUT_MS)
    assert dialog.table.rowCount() == count - 1 and not stored.exists()
    assert "my_swapper" not in ModelStore(load_registry(), root=user_store.root).registry.models
    last = dialog.table.rowCount() - 1
    assert dialog.rows[dialog.table.item(last, 0).text()] == last  # rows still index the table
    assert dialog.shutdown(10_000)
    assert user_store.status("inswapper_128") is ModelStatus.MISSING


def test_the_engine_picker_offers_the_user_swapper(qtbot, user_store: ModelStore, store) -> None:  # type: ignore[no-untyped-def]
    window = MainWindow(create_context("cpu"), store, isolate_judge=False)
    add_window(qtbot, window)
    window.show()
    combo: QComboBox = window.engine_panel.combos["engine"]
    index = combo.findData("my_swapper")
    assert index >= 0 and combo.itemText(index) == "my_swapper (user model)"
    combo.setCurrentIndex(index)
    combo.activated.emit(index)
    assert window.session.components.engine == "my_swapper"
