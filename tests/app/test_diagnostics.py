"""Logging set-up: versions in the header, no media paths, crash log, uncaught errors logged and reported."""

from __future__ import annotations

import faulthandler
import logging
import subprocess
import sys
import threading
from collections.abc import Iterator
from importlib import metadata
from pathlib import Path

import pytest

from faceswap_desktop import __version__
from faceswap_desktop.app import diagnostics as diagnostics_module
from faceswap_desktop.app.diagnostics import (
    CRASH_FILE,
    LOG_FILE,
    PREVIOUS_CRASH_FILE,
    Diagnostics,
    redact_paths,
    setup_logging,
)

MEDIA_PATH = "/home/someone/Pictures/holiday 2023/anna_beach.jpg"


@pytest.fixture
def diagnostics(tmp_path: Path) -> Iterator[Diagnostics]:
    installed = setup_logging(tmp_path / "logs", console=False, keep_paths=False)
    yield installed
    installed.close()


def log_text(diagnostics: Diagnostics) -> str:
    for handler in logging.getLogger().handlers:
        handler.flush()
    return diagnostics.log_file.read_text(encoding="utf-8")


def test_the_log_starts_with_the_versions(diagnostics: Diagnostics) -> None:
    header = log_text(diagnostics).splitlines()[0]
    assert f"faceswap-desktop {__version__}" in header
    assert f"python {sys.version.split()[0]}" in header
    for distribution, label in (("onnxruntime", "onnxruntime"), ("opencv-python-headless", "opencv")):
        assert f"{label} {metadata.version(distribution)}" in header


def test_media_paths_stay_out_of_the_log(diagnostics: Diagnostics) -> None:
    log = logging.getLogger("faceswap_desktop.test")
    log.warning("could not read %s", Path(MEDIA_PATH))
    log.error("export of clip.mp4 into /srv/private/exports failed")
    try:
        raise OSError(f"disk trouble writing {MEDIA_PATH}")
    except OSError:
        log.exception("export failed")
    text = log_text(diagnostics)
    for secret in ("anna_beach", "holiday", "Pictures", "clip.mp4", "/srv/private"):
        assert secret not in text
    # The same file gets the same token, so lines about it can still be matched up.
    token = redact_paths(MEDIA_PATH)
    assert "<path:" in token and text.count(token.split()[-1]) >= 2
    assert "test_diagnostics.py" in text  # the traceback keeps the code's own paths


def test_paths_are_kept_when_the_user_asks(tmp_path: Path) -> None:
    installed = setup_logging(tmp_path, console=False, keep_paths=True)
    try:
        logging.getLogger("faceswap_desktop.test").warning("reading %s", MEDIA_PATH)
        assert MEDIA_PATH in log_text(installed)
    finally:
        installed.close()


@pytest.mark.parametrize(
    ("text", "hidden"),
    [
        ("wrote out.png (1 face)", "out.png"),
        (r"C:\Users\me\Videos\party.MOV failed", "party"),
        ("output folder does not exist: /home/me/secret", "/home/me"),
        ("['/tmp/abc/beach.webp']", "beach"),
    ],
)
def test_redaction_hides_names_and_folders(text: str, hidden: str) -> None:
    assert hidden not in redact_paths(text)


@pytest.mark.parametrize(
    "text",
    [
        "frame 3/10 at 25.0 fps",
        "download https://example.org/models/x.onnx failed",
        f'File "{diagnostics_module.__file__}", line 10, in setup',
    ],
)
def test_redaction_leaves_ordinary_text_alone(text: str) -> None:
    assert redact_paths(text) == text


def test_uncaught_errors_are_logged_and_reported(diagnostics: Diagnostics) -> None:
    reports: list[str] = []
    diagnostics.add_error_listener(reports.append)

    def fail_in_thread() -> None:
        raise ValueError("worker broke on photo.jpg")

    thread = threading.Thread(target=fail_in_thread, name="export-worker")
    thread.start()
    thread.join()
    try:
        raise KeyError("slot broke")
    except KeyError:
        sys.excepthook(*sys.exc_info())  # what Python (or PySide6, for a slot) calls for an uncaught error
    text = log_text(diagnostics)
    assert "uncaught error in thread export-worker" in text and "fail_in_thread" in text
    assert "uncaught error" in text and "KeyError: 'slot broke'" in text
    assert "photo.jpg" not in text
    assert reports == ["ValueError: worker broke on photo.jpg", "KeyError: 'slot broke'"]


def test_close_restores_the_hooks(tmp_path: Path) -> None:
    before = (sys.excepthook, threading.excepthook)
    installed = setup_logging(tmp_path, console=False)
    assert sys.excepthook != before[0] and threading.excepthook != before[1]
    assert faulthandler.is_enabled()
    installed.close()
    assert (sys.excepthook, threading.excepthook) == before


CRASHING = """
import faulthandler, sys
from pathlib import Path
from faceswap_desktop.app.diagnostics import setup_logging
setup_logging(Path(sys.argv[1]), console=False)
faulthandler._sigsegv()
"""


def test_a_hard_crash_leaves_a_crash_log_that_the_next_start_reports(tmp_path: Path) -> None:
    folder = tmp_path / "logs"
    crashed = subprocess.run([sys.executable, "-c", CRASHING, str(folder)], capture_output=True, timeout=120)
    assert crashed.returncode != 0
    crash_text = (folder / CRASH_FILE).read_text()
    assert "Fatal Python error" in crash_text and "Segmentation fault" in crash_text
    assert "session start" in (folder / LOG_FILE).read_text()
    installed = setup_logging(folder, console=False)
    try:
        assert installed.previous_crash == folder / PREVIOUS_CRASH_FILE
        assert installed.previous_crash.read_text() == crash_text
        assert (folder / CRASH_FILE).read_text() == ""  # this session's crash log starts empty
        assert "the previous session crashed" in log_text(installed)
    finally:
        installed.close()
