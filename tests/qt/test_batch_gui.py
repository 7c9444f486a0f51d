"""Batches from the window: the dialog starts one, the Jobs panel lists each item's state, cancel, and the
Ray cluster address in the settings."""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialogButtonBox
from qt_helpers import BIDEN, MEDIA, OBAMA, PREVIEW_TIMEOUT_MS

from faceswap_desktop.app.jobs import JobState
from faceswap_desktop.app.user_settings import UserSettingsStore
from faceswap_desktop.core.media.image_io import read_image
from faceswap_desktop.qt import batch_dialog
from faceswap_desktop.qt.batch_ui import BatchItemsTable
from faceswap_desktop.qt.main_window import MainWindow

BATCH_TIMEOUT_MS = 120_000
"""A spawned worker process imports the app and loads its models before the first photo."""
SECOND = MEDIA / "misc/single_paul_rudd.jpg"
CLIP = MEDIA.parent / "videos/Obama_speaking.mp4"


def _with_source(qtbot, window: MainWindow) -> None:  # type: ignore[no-untyped-def]
    window.session.add_sources([OBAMA])
    qtbot.waitUntil(lambda: bool(window.session.usable_sources), timeout=PREVIEW_TIMEOUT_MS)


def _targets(folder: Path, photos: list[Path], broken: bool = True) -> Path:
    folder.mkdir()
    for photo in photos:
        shutil.copy(photo, folder / photo.name)
    if broken:  # a JPEG cut after its header: a bad file whose item fails with a reason
        (folder / "broken.jpg").write_bytes(BIDEN.read_bytes()[:400])
    return folder


def _table(window: MainWindow, job_id: int) -> BatchItemsTable:
    details = window.jobs_panel.rows[job_id].details
    assert isinstance(details, BatchItemsTable)
    return details


def test_a_batch_started_from_the_dialog_lists_each_items_state(
    qtbot, window: MainWindow, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    _with_source(qtbot, window)
    targets = _targets(tmp_path / "shots", [BIDEN, SECOND])
    out = tmp_path / "out"
    window.actions_by_name["batch"].trigger()
    dialog = window.batch.dialog
    assert dialog is not None and dialog.isVisible()
    assert dialog.sources == (OBAMA,)  # the window's source person by default
    start = dialog.start_button
    start.click()  # nothing to render yet: the dialog says so and stays open
    assert dialog.isVisible() and "target" in dialog.problem.text()
    qtbot.keyClicks(dialog.pattern, str(targets))
    qtbot.keyClick(dialog.pattern, Qt.Key.Key_Return)  # adds the entry; never starts the batch
    assert dialog.isVisible() and dialog.target_entries() == [str(targets)]
    dialog.output_dir.setText(str(out))
    dialog.workers.setValue(1)
    start.click()
    assert not dialog.isVisible()

    job = window.runner.queue.jobs()[-1]
    qtbot.waitUntil(lambda: job.job_id in window.jobs_panel.rows, timeout=5000)
    qtbot.waitUntil(lambda: window.runner.queue.get(job.job_id).state.is_final, timeout=BATCH_TIMEOUT_MS)
    info = window.runner.queue.get(job.job_id)
    assert info.state is JobState.DONE, info.error
    table = _table(window, job.job_id)
    qtbot.waitUntil(lambda: table.column(1).get("broken_swapped.jpg") == "failed", timeout=5000)
    assert table.column(1) == {
        "single_paul_rudd_swapped.jpg": "done",
        "biden2_swapped.jpg": "done",
        "broken_swapped.jpg": "failed",
    }
    scores = table.column(2)
    assert all(scores[name].endswith("%") for name in ("single_paul_rudd_swapped.jpg", "biden2_swapped.jpg"))
    assert 0 < float(scores["biden2_swapped.jpg"].rstrip("%")) <= 100
    assert "broken.jpg" in table.column(3)["broken_swapped.jpg"]
    assert "worker" in table.executor.text()
    assert read_image(out / "biden2_swapped.jpg").shape == read_image(BIDEN).shape
    assert not (out / "broken_swapped.jpg").exists()
    assert "2 done, 1 failed" in table.executor.text()
    assert "1 failed" in window.toast.text()


def test_cancel_stops_a_batch_at_once_without_partial_output(
    qtbot, window: MainWindow, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    _with_source(qtbot, window)
    folder = tmp_path / "shots"
    folder.mkdir()
    for number in range(3):
        shutil.copy(BIDEN, folder / f"b{number}.jpg")
    dialog = window.batch.open_dialog()
    # A glob (expanded by the job), then a 259-frame video: the cancel comes while it renders.
    dialog.add_targets([str(folder / "b*.jpg"), str(CLIP)])
    dialog.output_dir.setText(str(tmp_path / "out"))
    dialog.workers.setValue(1)
    dialog.start_button.click()
    job = window.runner.queue.jobs()[-1]
    qtbot.waitUntil(lambda: job.job_id in window.jobs_panel.rows, timeout=5000)
    table = _table(window, job.job_id)
    video = "Obama_speaking_swapped.mp4"
    qtbot.waitUntil(lambda: table.column(1).get(video) == "running", timeout=BATCH_TIMEOUT_MS)
    clicked = time.monotonic()
    window.jobs_panel.rows[job.job_id].cancel_button.click()
    qtbot.waitUntil(lambda: window.runner.queue.get(job.job_id).state.is_final, timeout=BATCH_TIMEOUT_MS)
    waited = time.monotonic() - clicked
    assert window.runner.queue.get(job.job_id).state is JobState.CANCELLED
    assert waited < 8.0  # the running video is stopped, not rendered to its end (~20 s or more here)
    qtbot.waitUntil(lambda: table.column(1).get(video) == "pending", timeout=5000)
    states = table.column(1)
    assert [states[f"b{n}_swapped.jpg"] for n in range(3)] == ["done"] * 3
    assert "cancelled" in table.column(3)[video]
    out = tmp_path / "out"
    assert sorted(p.name for p in out.iterdir() if not p.name.startswith(".")) == [
        f"b{n}_swapped.jpg" for n in range(3)
    ]  # no video, no partial file under any name
    assert not list((out / ".faceswap-batch").glob("run-*"))  # the staging folder is gone
    qtbot.waitUntil(lambda: not window.runner.executor.busy(), timeout=PREVIEW_TIMEOUT_MS)


def test_the_cluster_address_is_saved_with_the_settings(
    qtbot, window: MainWindow, store: UserSettingsStore
) -> None:  # type: ignore[no-untyped-def]
    settings_dialog = window.batch.open_cluster_settings()
    settings_dialog.address.setText("  10.0.0.5:6379 ")
    settings_dialog.findChild(QDialogButtonBox).button(QDialogButtonBox.StandardButton.Save).click()
    assert store.load().cluster_address == "10.0.0.5:6379"
    dialog = window.batch.open_dialog()
    assert "10.0.0.5:6379" in dialog.ray.text()
    if dialog.ray_available:
        dialog.ray.setChecked(True)
        dialog.add_targets(["x.jpg"])
        assert dialog.setup().cluster == "10.0.0.5:6379"
    dialog.reject()


def test_without_ray_the_cluster_choice_is_off_and_says_how_to_install_it(
    qtbot, window: MainWindow, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(batch_dialog, "ray_installed", lambda: False)
    dialog = window.batch.open_dialog()
    assert not dialog.ray.isEnabled() and dialog.local.isChecked()
    assert "pip install 'faceswap-desktop[cluster]'" in dialog.ray.toolTip()
    assert dialog.setup().cluster is None
    dialog.reject()


def test_a_video_export_sent_to_the_ray_cluster_renders_there(
    qtbot, window: MainWindow, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    ray = pytest.importorskip("ray")
    from test_video_timeline import OBAMA_CLIP, open_clip

    from faceswap_desktop.core.media.video_io import probe_video
    from faceswap_desktop.qt.video_export_dialog import VideoExportDialog

    monkeypatch.setenv("RAY_ADDRESS", "")  # "auto" finds no cluster here: a local Ray instance starts
    window.batch.set_cluster_address("auto")
    open_clip(qtbot, window)
    model = window.video.model
    model.set_in(30)
    model.set_out(59)
    dialog = VideoExportDialog(
        model, OBAMA_CLIP, has_audio=False, cluster_address=window.user_settings.cluster_address
    )
    qtbot.addWidget(dialog)
    assert dialog.cluster.isEnabled() and "auto" in dialog.cluster.text()
    dialog.output.setText(str(tmp_path / "range.mp4"))
    dialog.preset.setCurrentText("ultrafast")
    dialog.cluster.setChecked(True)
    try:
        info = window.video.queue_export(dialog.choice())
        assert info is not None and "(Ray)" in info.title
        qtbot.waitUntil(lambda: window.runner.queue.get(info.job_id).state.is_final, timeout=BATCH_TIMEOUT_MS)
    finally:
        qtbot.waitUntil(lambda: not window.runner.executor.busy(), timeout=BATCH_TIMEOUT_MS)
        ray.shutdown()
    done = window.runner.queue.get(info.job_id)
    assert done.state is JobState.DONE, done.error
    assert probe_video(tmp_path / "range.mp4").frame_count == 30
    table = _table(window, info.job_id)
    qtbot.waitUntil(lambda: table.column(1) == {"range.mp4": "done"}, timeout=5000)
    assert table.column(2)["range.mp4"].endswith("%") and "Ray" in table.executor.text()
