"""The model manager dialog against a local HTTP server on 127.0.0.1 (never the network)."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from faceswap_desktop.inference.download import DownloadPolicy, DownloadProgress
from faceswap_desktop.inference.registry import ModelRegistry, ModelSpec, load_registry
from faceswap_desktop.inference.store import ModelStatus, ModelStore
from faceswap_desktop.qt.model_manager import ModelManagerDialog, licence_question
from faceswap_desktop.qt.model_tasks import ProgressThrottle
from tests.inference.zoo_fakes import LocalServer, Script

CONTENT = np.random.default_rng(5).bytes(600_000)
FAST = DownloadPolicy(
    connect_timeout=2.0, stall_timeout=0.5, retries=1, backoff_initial=0.01, chunk_size=8192
)
TIMEOUT_MS = 15_000


def toy_spec(url: str, content: bytes = CONTENT, model_id: str = "toy") -> ModelSpec:
    return ModelSpec(
        id=model_id,
        role="restorer",
        file=f"{model_id}.onnx",
        urls=(url,),
        sha256=hashlib.sha256(content).hexdigest(),
        licence="test licence",
        input_size=8,
        mean=(0.0, 0.0, 0.0),
        std=(1.0, 1.0, 1.0),
        color_order="RGB",
        layout="",
        size=len(content),
    )


@pytest.fixture
def make_dialog(qtbot, tmp_path: Path) -> Iterator:  # type: ignore[no-untyped-def]
    dialogs: list[ModelManagerDialog] = []

    def make(
        specs: list[ModelSpec] | None = None, registry: ModelRegistry | None = None
    ) -> ModelManagerDialog:
        registry = registry or ModelRegistry({spec.id: spec for spec in specs or []})
        store = ModelStore(registry, root=tmp_path / "models", policy=FAST)
        dialog = ModelManagerDialog(store, ask_licence=lambda _parent, _spec: True)
        qtbot.addWidget(dialog)
        dialog.show()
        dialogs.append(dialog)
        qtbot.waitUntil(
            lambda: all(dialog.status_text(m) != "checking…" for m in dialog.rows), timeout=TIMEOUT_MS
        )
        return dialog

    yield make
    for dialog in dialogs:
        assert dialog.shutdown(10_000)


def test_lists_every_registry_model_with_its_status(make_dialog) -> None:  # type: ignore[no-untyped-def]
    registry = load_registry()
    dialog = make_dialog(registry=registry)
    listed = [dialog.table.item(row, 0).text() for row in range(dialog.table.rowCount())]
    assert listed == registry.ids()
    assert [dialog.status_text(model_id) for model_id in registry.ids()] == ["missing"] * len(registry)
    row = dialog.rows["inswapper_128"]
    assert dialog.table.item(row, 2).text() == "528.6 MB"
    assert "non-commercial" in dialog.table.item(row, 3).text()
    actions = dialog.actions_by_id["inswapper_128"]
    assert not actions.download_button.isHidden() and actions.verify_button.isHidden()


def test_download_shows_progress_and_ends_ok(qtbot, make_dialog) -> None:  # type: ignore[no-untyped-def]
    with LocalServer(Script(CONTENT)) as server:
        dialog = make_dialog([toy_spec(server.url)])
        reports: list[tuple[int, int | None]] = []
        dialog.runner.progress.connect(lambda _m, received, total: reports.append((received, total)))
        with qtbot.waitSignal(dialog.model_installed, timeout=TIMEOUT_MS) as installed:
            dialog.actions_by_id["toy"].download_button.click()
            assert dialog.actions_by_id["toy"].pages.currentIndex() == 1  # progress bar + Cancel
    assert installed.args == ["toy"]
    assert reports and reports[-1] == (len(CONTENT), len(CONTENT))
    assert dialog.status_text("toy") == "ok"
    assert dialog.actions_by_id["toy"].pages.currentIndex() == 0
    assert dialog.store.path("toy").read_bytes() == CONTENT
    assert "installed" in dialog.toast.text()


def test_cancelled_download_leaves_no_final_file(qtbot, make_dialog) -> None:  # type: ignore[no-untyped-def]
    script = Script(CONTENT, default="stall:100000")  # sends 100 kB, then hangs until released
    with LocalServer(script) as server:
        dialog = make_dialog([toy_spec(server.url)])
        dialog.download("toy")
        qtbot.waitUntil(lambda: dialog.status_text("toy").startswith("downloading "), timeout=TIMEOUT_MS)
        with qtbot.waitSignal(dialog.runner.failed, timeout=TIMEOUT_MS) as failed:
            dialog.actions_by_id["toy"].cancel_button.click()
        assert failed.args[1] == "cancelled"
    assert not dialog.store.path("toy").exists()
    assert dialog.status_text("toy") == "missing"
    assert dialog.actions_by_id["toy"].download_button.isEnabled()
    assert not dialog.actions_by_id["toy"].download_button.isHidden()


def test_corrupt_download_is_quarantined(qtbot, make_dialog) -> None:  # type: ignore[no-untyped-def]
    wrong = bytes(len(CONTENT))  # right size, wrong bytes
    with LocalServer(Script(wrong)) as server:
        dialog = make_dialog([toy_spec(server.url)])
        with qtbot.waitSignal(dialog.runner.failed, timeout=TIMEOUT_MS):
            dialog.download("toy")
    assert dialog.status_text("toy") == "corrupt (quarantined)"
    assert not dialog.store.path("toy").exists()
    assert len(list(dialog.store.quarantine_dir.iterdir())) == 1
    assert "failed verification" in dialog.message.text() and dialog.toast.level == "error"


def test_network_error_is_reported(qtbot, make_dialog) -> None:  # type: ignore[no-untyped-def]
    dialog = make_dialog([toy_spec("http://127.0.0.1:9/model.onnx")])  # discard port: refused
    with qtbot.waitSignal(dialog.runner.failed, timeout=TIMEOUT_MS) as failed:
        dialog.download("toy")
    assert failed.args[1] == "network"
    assert dialog.status_text("toy") == "download failed"
    assert "could not download" in dialog.toast.text()


def test_import_good_and_bad_files_then_verify(qtbot, make_dialog, tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    dialog = make_dialog([toy_spec("http://127.0.0.1:9/model.onnx")])
    bad, good = tmp_path / "bad.onnx", tmp_path / "good.onnx"
    bad.write_bytes(CONTENT[:-1] + b"x")
    good.write_bytes(CONTENT)
    dialog.choose_file = lambda _parent, _model: bad
    with qtbot.waitSignal(dialog.runner.failed, timeout=TIMEOUT_MS):
        dialog.actions_by_id["toy"].import_button.click()
    assert dialog.status_text("toy") == "corrupt (quarantined)"
    assert bad.exists()  # the user's own file is never moved
    with qtbot.waitSignal(dialog.model_installed, timeout=TIMEOUT_MS):
        dialog.import_file("toy", good)
    actions = dialog.actions_by_id["toy"]
    assert dialog.status_text("toy") == "ok"
    assert not actions.verify_button.isHidden() and actions.download_button.isHidden()
    dialog.store.path("toy").write_bytes(bytes(len(CONTENT)))  # damaged on disk later
    with qtbot.waitSignal(dialog.runner.failed, timeout=TIMEOUT_MS):
        dialog.actions_by_id["toy"].verify_button.click()
    assert dialog.status_text("toy") == "corrupt (quarantined)"
    assert dialog.store.status("toy") is ModelStatus.MISSING


def test_progress_throttle_bounds_the_rate() -> None:
    passed: list[DownloadProgress] = []
    throttle = ProgressThrottle(passed.append, interval_s=60.0)
    for received in range(0, 1001, 10):
        throttle(DownloadProgress("toy", received, 1000, "u"))
    assert [p.received for p in passed] == [0, 1000]  # the first and the final report only


def test_failed_download_gives_the_reason_and_points_to_import(qtbot, make_dialog) -> None:  # type: ignore[no-untyped-def]
    dialog = make_dialog([toy_spec("http://127.0.0.1:9/model.onnx")])  # nothing listens: refused
    with qtbot.waitSignal(dialog.runner.failed, timeout=TIMEOUT_MS):
        dialog.actions_by_id["toy"].download_button.click()
    reason = "cannot connect to 127.0.0.1"
    assert reason in dialog.message.text() and "Import…" in dialog.message.text()
    assert reason in dialog.table.item(dialog.rows["toy"], 4).toolTip()
    assert not dialog.actions_by_id["toy"].import_button.isHidden()


def test_the_licence_is_shown_before_a_download_starts(qtbot, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    asked: list[str] = []

    def refuse(_parent, spec: ModelSpec) -> bool:  # type: ignore[no-untyped-def]
        asked.append(licence_question(spec))
        return False

    store = ModelStore(ModelRegistry({"toy": toy_spec("http://127.0.0.1:9/m.onnx")}), tmp_path / "m", FAST)
    dialog = ModelManagerDialog(store, ask_licence=refuse)
    qtbot.addWidget(dialog)
    qtbot.waitUntil(lambda: dialog.status_text("toy") != "checking…", timeout=TIMEOUT_MS)
    dialog.actions_by_id["toy"].download_button.click()
    assert asked and "test licence" in asked[0] and "toy (0.6 MB)" in asked[0]
    assert "toy" not in dialog.busy and dialog.actions_by_id["toy"].pages.currentIndex() == 0
    assert "licence was not accepted" in dialog.message.text()
    assert dialog.shutdown(10_000)
