"""Render the real main window offscreen with shared media and save documentation screenshots.

Usage: ``QT_QPA_PLATFORM=offscreen python scripts/screenshots.py [--out docs/screenshots]``. Uses a
throw-away config folder (consent pre-accepted) and writes exports to a temporary folder.
"""

from __future__ import annotations

import argparse
import dataclasses
import logging
import os
import shutil
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QEvent, Qt
from PySide6.QtWidgets import QApplication

from faceswap_desktop.app.context import create_context
from faceswap_desktop.app.user_settings import CONFIG_DIR_ENV, UserSettings, UserSettingsStore
from faceswap_desktop.inference.download import DownloadPolicy
from faceswap_desktop.inference.registry import ModelRegistry, load_registry
from faceswap_desktop.inference.store import ModelStore
from faceswap_desktop.qt.main_window import MainWindow
from faceswap_desktop.qt.model_manager import ModelManagerDialog
from faceswap_desktop.qt.theme import apply_theme
from faceswap_desktop.qt.video_workers import VideoFrameResult

ROOT = Path(__file__).resolve().parents[1]
MEDIA = ROOT.parent / "shared" / "media" / "images"
SCRFD = ROOT.parent / "shared" / "models" / "detection" / "scrfd_2.5g_bnkps.onnx"
DEMO_DOWNLOAD = "inswapper_128"
DEMO_FRACTION = 0.41
VIDEO = ROOT.parent / "shared" / "media" / "videos" / "Obama_speaking.mp4"
GROUP_VIDEO = ROOT.parent / "shared" / "media" / "videos" / "short_hamilton_clip.mp4"
GROUP_FRAME, GROUP_PICK = 230, 1  # four faces on stage; the second from the left is picked
log = logging.getLogger("screenshots")


def open_window(
    work: Path, settings: UserSettings, size: tuple[int, int], theme: str = "dark"
) -> tuple[QApplication, MainWindow]:
    """The app in ``theme`` with a throw-away config folder under ``work`` holding ``settings`` (give
    consent in them), and its main window shown at the screen's top-left at ``size``: the set-up of the
    Xvfb screenshot scripts, which then grab that corner of the X screen."""
    os.environ[CONFIG_DIR_ENV] = str(work / "config")
    store = UserSettingsStore()
    store.save(settings)
    app = QApplication(sys.argv)
    apply_theme(app, theme)
    window = MainWindow(create_context(), store)
    window.move(0, 0)
    window.resize(*size)
    window.show()
    return app, window


def wait_until(app: QApplication, condition: Callable[[], bool], timeout_s: float = 60.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError("the window did not reach the expected state")
        app.processEvents()
        time.sleep(0.01)


def settle(app: QApplication, seconds: float = 0.4) -> None:
    """Let queued events and repaints run for a moment."""
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        app.processEvents()
        app.sendPostedEvents(None, QEvent.Type.DeferredDelete)  # processEvents alone never runs these
        time.sleep(0.01)


def preview_current(window: MainWindow) -> bool:
    result = window.last_result
    return result is not None and result.request == window.session.preview_request()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    args.out.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="faceswap-shots-"))
    os.environ[CONFIG_DIR_ENV] = str(work / "config")
    store = UserSettingsStore()
    store.save(UserSettings(consent_accepted=True))
    store.save_preset("Soft edges", store.load().blend_settings().replace(mask_feather=16))

    app = QApplication(sys.argv)
    apply_theme(app, "dark")
    window = MainWindow(create_context(), store)
    window.resize(1440, 900)
    window.show()
    try:
        window.session.add_sources([MEDIA / "identity/obama/obama.jpg"])
        window.session.set_target(MEDIA / "identity/biden/biden2.jpg")
        wait_until(app, lambda: preview_current(window))
        settle(app)
        save(window, args.out / "main_window.png")

        window.session.set_target(MEDIA / "multi_face/insightface_t1.jpg")
        wait_until(
            app,
            lambda: window.session.target is not None and "insightface" in window.session.target.path.name,
        )
        count = len(window.session.target.faces)  # type: ignore[union-attr]
        window.session.set_selection(tuple(i for i in range(count) if i % 2 == 0))
        wait_until(app, lambda: preview_current(window))
        window.preview_panel.set_mode("split")
        window.preview_panel.split_slider.setValue(380)
        settle(app)
        save(window, args.out / "multi_face.png")

        window.preview_panel.set_mode("after")
        for number in range(2):
            window.queue_export(work / f"export_{number + 1}.png")
        cancelled = window.queue_export(work / "export_cancelled.png")
        if cancelled is not None:
            window.runner.cancel(cancelled.job_id)
        wait_until(app, lambda: window.runner.queue.jobs()[1].state.is_final)
        window.queue_export(work / "export_latest.png")
        wait_until(app, lambda: any(job.fraction > 0.3 for job in window.runner.queue.jobs()[-1:]))
        window.resizeDocks([window.docks[4]], [300], Qt.Orientation.Vertical)
        settle(app, 0.2)
        save(window, args.out / "job_queue.png")
        wait_until(app, lambda: window.runner.queue.pending_count() == 0)
        window.runner.queue.clear_finished()
        window.runner.jobs_changed.emit(window.runner.queue.jobs())
        window.resizeDocks([window.docks[4]], [130], Qt.Orientation.Vertical)
        shoot_video_timeline(app, window, args.out / "video_timeline.png")
        shoot_video_person(app, window, args.out / "video_person.png")
    finally:
        window.shutdown()
        window.close()
    model_manager_screenshot(app, work / "models", args.out / "model_manager.png")
    shutil.rmtree(work, ignore_errors=True)
    return 0


class _StallingHandler(BaseHTTPRequestHandler):
    """Announces the model's full size, sends the first part of it, then waits (a download in flight)."""

    size = 0
    stop = threading.Event()

    def log_message(self, format: str, *args: object) -> None:
        pass

    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("Content-Length", str(self.size))
        self.end_headers()
        chunk, sent = bytes(1024 * 1024), 0
        try:
            while sent < self.size * DEMO_FRACTION:
                self.wfile.write(chunk)
                sent += len(chunk)
            self.wfile.flush()
        except OSError:
            return
        self.stop.wait(30)


@contextmanager
def stalling_mirror(size: int) -> Iterator[str]:
    """A local mirror on 127.0.0.1 that serves part of a ``size``-byte file; yields its URL."""
    _StallingHandler.size = size
    _StallingHandler.stop.clear()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _StallingHandler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/{DEMO_DOWNLOAD}.onnx"
    finally:
        _StallingHandler.stop.set()
        server.shutdown()
        server.server_close()


def model_manager_screenshot(app: QApplication, root: Path, path: Path) -> None:
    """The model manager with one model installed (imported from ../shared), one corrupt file, and a
    download in progress from a local mirror (nothing leaves this machine)."""
    registry = load_registry()
    spec = registry.get(DEMO_DOWNLOAD)
    assert spec.size is not None
    with stalling_mirror(spec.size) as url:
        models = dict(registry.models)
        models[DEMO_DOWNLOAD] = dataclasses.replace(spec, urls=(url,))
        store = ModelStore(ModelRegistry(models), root=root, policy=DownloadPolicy(stall_timeout=2.0))
        store.import_file("scrfd_2.5g_bnkps", SCRFD)
        store.path("xseg").write_bytes(b"not the XSeg model")
        dialog = ModelManagerDialog(store)
        dialog.resize(1220, 650)
        dialog.show()
        try:
            wait_until(app, lambda: all(dialog.status_text(m) != "checking…" for m in dialog.rows))
            dialog.download(DEMO_DOWNLOAD)
            wait_until(app, lambda: dialog.actions_by_id[DEMO_DOWNLOAD].progress.value() > 300)
            settle(app, 1.0)  # let the last throttled report arrive
            dialog.show_model()
            dialog.table.setCurrentItem(None)
            dialog.message.setText("scrfd_2.5g_bnkps is installed and verified.")
            settle(app)
            image = dialog.grab()
            if not image.save(str(path)):
                raise OSError(f"could not write {path}")
            log.info("wrote %s (%dx%d)", path, image.width(), image.height())
        finally:
            dialog.shutdown()
            dialog.close()


def shoot_video_timeline(app: QApplication, window: MainWindow, path: Path) -> None:
    """A video target with a swapped frame, an identity plot filled by previews and in/out markers."""
    video = window.video
    window.session.remove_source(0)
    window.session.add_sources([MEDIA / "identity/biden/biden2.jpg"])
    wait_until(app, lambda: len(window.session.usable_sources) == 1)
    window.session.set_target(VIDEO)
    wait_until(app, lambda: video.active and len(video.model.thumbnails) > 0)
    model = video.model
    window.session.set_settings(window.session.settings.replace(strength=85))
    video.set_keyframe()
    for frame in range(0, 150, 3):  # scrub: each checked frame adds its similarity to the plot
        model.set_position(frame)
        wait_until(app, lambda f=frame: checked(video.last_result, f))
    model.set_in(24)
    model.set_out(210)
    model.set_position(150)
    window.session.set_settings(window.session.settings.replace(strength=100, mask_feather=10))
    video.set_keyframe()
    model.set_position(96)
    wait_until(
        app,
        lambda: (
            checked(video.last_result, 96)
            and video.last_result is not None
            and video.last_result.request == video.preview_request()
        ),
    )
    settle(app)
    save(window, path)


def shoot_video_person(app: QApplication, window: MainWindow, path: Path) -> None:
    """A group video: the faces of the frame on screen in the target panel, one picked as the person."""
    video = window.video

    def shown(frame: int) -> bool:
        result = video.last_result
        current = result is not None and result.request == video.preview_request()
        return current and checked(result, frame)

    window.session.set_target(GROUP_VIDEO)
    wait_until(app, lambda: video.path == GROUP_VIDEO and len(video.model.thumbnails) > 0)
    video.model.set_position(GROUP_FRAME)
    wait_until(app, lambda: shown(GROUP_FRAME), 120)
    video.choose_person(GROUP_PICK)
    wait_until(app, lambda: shown(GROUP_FRAME), 120)
    settle(app)
    save(window, path)


def checked(result: VideoFrameResult | None, frame: int) -> bool:
    """``frame`` is on screen and its identity check is done (the first result may show a guess)."""
    return result is not None and result.request.index == frame and not result.needs_confirmation


def save(window: MainWindow, path: Path) -> None:
    image = window.grab()
    if not image.save(str(path)):
        raise OSError(f"could not write {path}")
    log.info("wrote %s (%dx%d)", path, image.width(), image.height())


if __name__ == "__main__":
    sys.exit(main())
