"""The GUI side of the saved queue: exports are saved, and a crash's leftovers are offered back."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtWidgets import QApplication
from qt_helpers import BIDEN, OBAMA, PREVIEW_TIMEOUT_MS, add_window, load_inputs

from faceswap_desktop.app.context import AppContext
from faceswap_desktop.app.job_specs import photo_spec
from faceswap_desktop.app.job_store import JobStore, read_queue
from faceswap_desktop.app.jobs import JobState
from faceswap_desktop.app.photo import PhotoSwapRequest
from faceswap_desktop.app.user_settings import UserSettingsStore
from faceswap_desktop.core.media.image_io import read_image
from faceswap_desktop.core.settings import SwapSettings
from faceswap_desktop.qt.main_window import MainWindow
from faceswap_desktop.qt.recovery import RecoveryDialog, offer_recovery


@pytest.fixture
def queue_file(tmp_path: Path) -> Path:
    return tmp_path / "data" / "queue.json"


def make_window(qtbot, context: AppContext, store: UserSettingsStore, job_store: JobStore) -> MainWindow:  # type: ignore[no-untyped-def]
    window = MainWindow(context, store, job_store=job_store)
    add_window(qtbot, window)
    window.show()
    return window


@pytest.fixture
def open_windows() -> Iterator[list[MainWindow]]:
    windows: list[MainWindow] = []
    yield windows
    for window in windows:
        window.shutdown()


def leave_unfinished_jobs(queue_file: Path, tmp_path: Path) -> tuple[list[str], Path]:
    """What a killed session leaves: one job saved as running (with a partial file), one queued."""
    store = JobStore(queue_file)
    store.open()
    keys = []
    for name, strength in (("was_running.png", 60), ("was_queued.png", 30)):
        spec = photo_spec(
            PhotoSwapRequest(
                sources=(OBAMA,),
                target=BIDEN,
                output=tmp_path / name,
                settings=SwapSettings(strength=strength),
                judge=None,
            )
        )
        keys.append(store.add(spec).key)
    store.mark(keys[0], JobState.RUNNING, "swapped; writing")
    store.close()
    partial = tmp_path / ".was_running.png.abc123.part"
    partial.write_bytes(b"\x89PNG half")
    return keys, partial


def test_an_export_from_the_window_is_saved_with_its_settings(
    qtbot, context: AppContext, store: UserSettingsStore, queue_file: Path, tmp_path: Path, open_windows
) -> None:
    job_store = JobStore(queue_file)
    job_store.open()
    window = make_window(qtbot, context, store, job_store)
    open_windows.append(window)
    load_inputs(qtbot, window, [OBAMA], BIDEN)
    window.settings_panel.editors["strength"].setValue(45)  # type: ignore[attr-defined]
    info = window.queue_export(tmp_path / "saved.png")
    assert info is not None
    qtbot.waitUntil(lambda: window.runner.queue.get(info.job_id).state.is_final, timeout=PREVIEW_TIMEOUT_MS)
    window.shutdown()
    (record,) = list(read_queue(queue_file))
    assert record.key == info.key and record.state is JobState.DONE
    assert record.spec.settings.strength == 45 and record.spec.output == tmp_path / "saved.png"


def test_recover_all_requeues_and_finishes_the_interrupted_exports(
    qtbot, context: AppContext, store: UserSettingsStore, queue_file: Path, tmp_path: Path, open_windows
) -> None:
    keys, partial = leave_unfinished_jobs(queue_file, tmp_path)
    job_store = JobStore(queue_file)
    report = job_store.open()
    assert [r.key for r in report.recoverable] == keys
    window = make_window(qtbot, context, store, job_store)
    open_windows.append(window)
    dialog = offer_recovery(window, report)
    assert isinstance(dialog, RecoveryDialog)
    assert dialog.isVisible() and not dialog.isModal()  # the window stays usable meanwhile
    assert QApplication.activeModalWidget() is None
    assert dialog.list.count() == 2 and "restarts from the beginning" in dialog.list.item(0).text()
    dialog.recover_button.click()
    assert not partial.exists()
    assert not dialog.isVisible()
    qtbot.waitUntil(lambda: window.runner.queue.pending_count() == 0, timeout=2 * PREVIEW_TIMEOUT_MS)
    jobs = window.runner.queue.jobs()
    assert [job.key for job in jobs] == keys
    assert [job.state for job in jobs] == [JobState.DONE, JobState.DONE], [job.error for job in jobs]
    assert [job.settings.strength for job in jobs] == [60, 30]
    for name in ("was_running.png", "was_queued.png"):
        assert read_image(tmp_path / name).shape == read_image(BIDEN).shape
    qtbot.waitUntil(lambda: all(job.job_id in window.jobs_panel.rows for job in jobs))
    window.shutdown()
    assert [record.state for record in read_queue(queue_file)] == [JobState.DONE, JobState.DONE]


def test_discard_forgets_the_interrupted_exports(
    qtbot, context: AppContext, store: UserSettingsStore, queue_file: Path, tmp_path: Path, open_windows
) -> None:
    leave_unfinished_jobs(queue_file, tmp_path)
    job_store = JobStore(queue_file)
    report = job_store.open()
    window = make_window(qtbot, context, store, job_store)
    open_windows.append(window)
    dialog = offer_recovery(window, report)
    assert dialog is not None
    dialog.discard_button.click()
    assert window.runner.queue.jobs() == []
    window.shutdown()
    assert list(read_queue(queue_file)) == []
    assert not (tmp_path / "was_running.png").exists()


def test_deciding_later_keeps_them_for_the_next_start(
    qtbot, context: AppContext, store: UserSettingsStore, queue_file: Path, tmp_path: Path, open_windows
) -> None:
    keys, _ = leave_unfinished_jobs(queue_file, tmp_path)
    job_store = JobStore(queue_file)
    window = make_window(qtbot, context, store, job_store)
    open_windows.append(window)
    dialog = offer_recovery(window, job_store.open())
    assert dialog is not None
    dialog.reject()
    window.shutdown()
    again = JobStore(queue_file)
    assert [r.key for r in again.open().recoverable] == keys
    again.close()


def test_a_corrupt_queue_file_is_reported_in_the_window(
    qtbot, context: AppContext, store: UserSettingsStore, queue_file: Path, open_windows
) -> None:
    queue_file.parent.mkdir(parents=True)
    queue_file.write_text('{"version": 1, "jobs": [')
    job_store = JobStore(queue_file)
    report = job_store.open()
    window = make_window(qtbot, context, store, job_store)
    open_windows.append(window)
    assert offer_recovery(window, report) is None
    assert "could not be read" in window.toast.text() and "corrupt-" in window.toast.text()
    assert report.set_aside is not None and report.set_aside.read_text() == '{"version": 1, "jobs": ['
    window.shutdown()
    assert json.loads(queue_file.read_text()) == {"version": 1, "jobs": []}


def test_the_jobs_panel_says_when_the_queue_cannot_be_saved(
    qtbot,
    context: AppContext,
    store: UserSettingsStore,
    queue_file: Path,
    tmp_path: Path,
    open_windows,
    monkeypatch,
) -> None:
    import errno

    from faceswap_desktop.app import job_store as job_store_module

    def full(path: object, data: bytes) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    job_store = JobStore(queue_file)
    job_store.open()
    window = make_window(qtbot, context, store, job_store)
    open_windows.append(window)
    load_inputs(qtbot, window, [OBAMA], BIDEN)
    assert not window.jobs_panel.save_warning.isVisibleTo(window.jobs_panel)
    monkeypatch.setattr(job_store_module, "write_bytes_atomic", full)
    info = window.queue_export(tmp_path / "unsaved.png")
    assert info is not None
    qtbot.waitUntil(lambda: window.runner.queue.get(info.job_id).state.is_final, timeout=PREVIEW_TIMEOUT_MS)
    assert window.runner.queue.get(info.job_id).state is JobState.DONE  # the export itself went on
    qtbot.waitUntil(lambda: window.jobs_panel.save_warning.isVisibleTo(window.jobs_panel), timeout=5000)
    assert "No space left" in window.jobs_panel.save_warning.text()

    # Space comes back while no job changes (the runner has stopped polling): the store's next write
    # succeeds, and the panel hears it from the store itself.
    monkeypatch.undo()
    job_store.mark(info.key, JobState.DONE, window.runner.queue.get(info.job_id).message)
    qtbot.waitUntil(lambda: not window.jobs_panel.save_warning.isVisibleTo(window.jobs_panel), timeout=5000)


def test_start_up_sets_up_logging_and_offers_to_recover(
    qtbot, context: AppContext, private_config: Path, tmp_path: Path, monkeypatch
) -> None:
    import faulthandler

    from faceswap_desktop.app.user_settings import UserSettings
    from faceswap_desktop.qt import main as gui_main

    data, logs = tmp_path / "data", tmp_path / "logs"
    monkeypatch.setenv("FACESWAP_DATA_DIR", str(data))
    monkeypatch.setenv("FACESWAP_LOG_DIR", str(logs))
    monkeypatch.setattr(gui_main, "create_context", lambda: context)  # the session's, already loaded
    UserSettingsStore(private_config).save(UserSettings(consent_accepted=True))
    keys, _ = leave_unfinished_jobs(data / "queue.json", tmp_path)
    # start_gui is run_gui without app.exec(): a quit event loop would starve the later tests' waits.
    session = gui_main.start_gui([])
    assert session is not None
    try:
        qtbot.addWidget(session.window)
        assert session.window.isVisible() and session.window.job_store is not None
        dialog = session.recovery
        assert dialog is not None and dialog.isVisible() and not dialog.isModal()
        assert [r.key for r in dialog.records] == keys
        assert faulthandler.is_enabled()
    finally:
        session.close()
    header = (logs / "faceswap-desktop.log").read_text().splitlines()[0]
    assert "session start" in header and "qt 6." in header and "onnxruntime" in header
    assert (logs / "crash.log").exists()
    # Nothing was decided: the jobs are still there for the next start; the queue lock was released.
    again = JobStore(data / "queue.json")
    assert [r.key for r in again.open().recoverable] == keys
    again.close()
