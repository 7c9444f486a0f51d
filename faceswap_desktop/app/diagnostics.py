"""Logging and crash capture: a rotating log file, a crash log, and hooks for every uncaught error.

:func:`setup_logging` (called once at start-up by the GUI and by ``queue run``):

- writes ``faceswap-desktop.log`` (rotating) under the user log folder (``FACESWAP_LOG_DIR`` overrides
  it), starting each session with a header of the app, Python, Qt, ONNX Runtime and OpenCV versions;
- keeps media paths out of the log: any path or file name of an image or video, and any other absolute
  path outside the Python installation, is written as ``<path:1a2b3c4d.jpg>`` (a short hash, so two
  lines about one file can still be matched). ``FACESWAP_LOG_PATHS=1`` keeps paths, for debugging;
- enables :mod:`faulthandler` into ``crash.log`` (a hard crash in native code leaves its Python stacks
  there); a crash log left by the previous session is kept as ``crash-previous.log`` and reported;
- installs ``sys.excepthook`` and ``threading.excepthook``: an uncaught error (in a Qt slot, which
  PySide6 hands to ``sys.excepthook``, or in a worker thread) is logged with its traceback and passed to
  the error listeners, which the GUI uses to show a notification.
"""

from __future__ import annotations

import faulthandler
import hashlib
import logging
import logging.handlers
import os
import platform
import re
import sys
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from types import TracebackType
from typing import IO, Any

import platformdirs

from .. import __version__

log = logging.getLogger(__name__)

APP_NAME = "faceswap-desktop"
LOG_DIR_ENV = "FACESWAP_LOG_DIR"
LOG_PATHS_ENV = "FACESWAP_LOG_PATHS"
LOG_FILE = "faceswap-desktop.log"
CRASH_FILE = "crash.log"
PREVIOUS_CRASH_FILE = "crash-previous.log"
LOG_MAX_BYTES = 2 * 1024 * 1024
LOG_BACKUPS = 3

ErrorListener = Callable[[str], None]
"""Called with a one-line description of an uncaught error, from the thread that raised it."""

MEDIA_EXTENSIONS = (
    "jpg", "jpeg", "png", "webp", "bmp", "tif", "tiff", "heic", "heif", "avif", "gif",
    "mp4", "mov", "mkv", "webm", "avi", "m4v", "wmv", "mpg", "mpeg", "flv",
)  # fmt: skip
_MEDIA = "|".join(MEDIA_EXTENSIONS)
# A path or bare file name ending in a media extension (spaces allowed inside a path with separators).
_MEDIA_PATH = re.compile(
    rf"(?:[A-Za-z]:)?(?:[\\/~.]?[^\s'\"<>:|*?\\/]*[\\/])*[^\s'\"<>:|*?\\/]*\.(?:{_MEDIA})\b",
    re.IGNORECASE,
)
# Any other absolute path: POSIX (/a/b) or Windows (C:\a). Paths into the Python installation and
# the app's own code stay readable: tracebacks need them and they say nothing about the user's media.
_ABSOLUTE_PATH = re.compile(r"(?:(?<![\w/.:])/[^\s'\"<>:|*?]+|\b[A-Za-z]:\\[^\s'\"<>|*?]+)")
_KEEP_SUFFIXES = (".py", ".pyc", ".pyd", ".so", ".dll", ".dylib")


def log_dir() -> Path:
    """The log folder (``FACESWAP_LOG_DIR`` wins over the platform's per-user log folder)."""
    override = os.environ.get(LOG_DIR_ENV, "").strip()
    return Path(override) if override else Path(platformdirs.user_log_dir(APP_NAME))


def _hash_path(text: str) -> str:
    digest = hashlib.sha1(text.encode("utf-8", "surrogateescape")).hexdigest()[:8]
    suffix = Path(text).suffix.lower()
    return f"<path:{digest}{suffix if len(suffix) <= 6 else ''}>"


def _code_roots() -> tuple[str, ...]:
    roots = {sys.prefix, sys.base_prefix, str(Path(__file__).resolve().parents[1])}
    return tuple(sorted(root for root in roots if root))


def redact_paths(text: str) -> str:
    """``text`` with media paths and user file-system paths replaced by short hashes."""
    text = _MEDIA_PATH.sub(lambda match: _hash_path(match.group(0)), text)
    roots = _code_roots()

    def absolute(match: re.Match[str]) -> str:
        path = match.group(0).rstrip(".,;)]}")
        tail = match.group(0)[len(path) :]
        if path.lower().endswith(_KEEP_SUFFIXES) or path.startswith(roots):
            return match.group(0)
        return _hash_path(path) + tail

    return _ABSOLUTE_PATH.sub(absolute, text)


class RedactingFormatter(logging.Formatter):
    """A formatter whose whole output (message, exception and traceback) has paths redacted."""

    def __init__(self, fmt: str, keep_paths: bool = False) -> None:
        super().__init__(fmt)
        self.keep_paths = keep_paths

    def format(self, record: logging.LogRecord) -> str:
        text = super().format(record)
        return text if self.keep_paths else redact_paths(text)


def _distribution_version(*names: str) -> str:
    for name in names:
        try:
            return f"{metadata.version(name)}" + ("" if name == names[0] else f" ({name})")
        except metadata.PackageNotFoundError:
            continue
    return "not installed"


def version_info(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """Versions worth knowing when reading a bug report (read from package metadata, nothing imported)."""
    versions = {
        "faceswap-desktop": __version__,
        "python": f"{platform.python_version()} ({platform.python_implementation()})",
        "platform": platform.platform(),
        "onnxruntime": _distribution_version(
            "onnxruntime", "onnxruntime-gpu", "onnxruntime-directml", "onnxruntime-silicon"
        ),
        "opencv": _distribution_version(
            "opencv-python-headless",
            "opencv-python",
            "opencv-contrib-python",
            "opencv-contrib-python-headless",
        ),
        "numpy": _distribution_version("numpy"),
        "av": _distribution_version("av"),
    }
    versions.update(extra or {})
    return versions


@dataclass
class Diagnostics:
    """What :func:`setup_logging` installed; :meth:`close` undoes it (tests, a second set-up)."""

    log_file: Path
    crash_file: Path
    previous_crash: Path | None = None
    """The crash log the last session left (it ended in a hard crash), if any."""
    keep_paths: bool = False
    _listeners: list[ErrorListener] = field(default_factory=list)
    _handlers: list[logging.Handler] = field(default_factory=list)
    _crash_stream: IO[str] | None = None
    _previous_hooks: tuple[Any, Any] | None = None
    _previous_level: int | None = None
    _faulthandler_was_enabled: bool = False

    def add_error_listener(self, listener: ErrorListener) -> Callable[[], None]:
        """Call ``listener`` on every uncaught error; returns a function that removes it."""
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener) if listener in self._listeners else None

    def report(self, summary: str) -> None:
        for listener in list(self._listeners):
            try:
                listener(summary)
            except Exception:  # a broken listener must not hide the original error
                log.exception("error listener failed")

    def _excepthook(
        self, kind: type[BaseException], error: BaseException, trace: TracebackType | None
    ) -> None:
        if issubclass(kind, KeyboardInterrupt) and self._previous_hooks is not None:
            self._previous_hooks[0](kind, error, trace)
            return
        log.critical("uncaught error", exc_info=(kind, error, trace))
        self.report(describe_error(error))

    def _thread_excepthook(self, args: threading.ExceptHookArgs) -> None:
        if args.exc_value is None or issubclass(args.exc_type, SystemExit):
            return
        name = args.thread.name if args.thread is not None else "?"
        log.critical(
            "uncaught error in thread %s", name, exc_info=(args.exc_type, args.exc_value, args.exc_traceback)
        )
        self.report(describe_error(args.exc_value))

    def close(self) -> None:
        """Remove the handlers and hooks and stop the fault handler (idempotent)."""
        root = logging.getLogger()
        for handler in self._handlers:
            root.removeHandler(handler)
            handler.close()
        self._handlers.clear()
        if self._previous_level is not None:
            root.setLevel(self._previous_level)
            self._previous_level = None
        if self._previous_hooks is not None:
            if sys.excepthook == self._excepthook:
                sys.excepthook = self._previous_hooks[0]
            if threading.excepthook == self._thread_excepthook:
                threading.excepthook = self._previous_hooks[1]
            self._previous_hooks = None
        if self._crash_stream is not None:
            faulthandler.disable()
            if self._faulthandler_was_enabled:  # e.g. pytest's, which wrote to stderr
                faulthandler.enable(file=sys.__stderr__ or sys.stderr, all_threads=True)
            self._crash_stream.close()
            self._crash_stream = None
        self._listeners.clear()


def describe_error(error: BaseException) -> str:
    """The one line a user sees for an unexpected error."""
    text = str(error).strip().splitlines()[0] if str(error).strip() else ""
    return f"{type(error).__name__}: {text}" if text else type(error).__name__


def setup_logging(
    folder: Path | None = None,
    level: int = logging.INFO,
    console: bool = True,
    keep_paths: bool | None = None,
    extra_versions: Mapping[str, str] | None = None,
) -> Diagnostics:
    """Install the log file, crash log and exception hooks; returns what to :meth:`~Diagnostics.close`.

    ``keep_paths`` (default: ``FACESWAP_LOG_PATHS=1``) writes paths as they are. ``extra_versions``
    adds to the header (the GUI passes Qt's). ``console`` also logs to stderr, redacted the same way
    (a console log ends up pasted into bug reports too).
    """
    folder = folder if folder is not None else log_dir()
    folder.mkdir(parents=True, exist_ok=True)
    if keep_paths is None:
        keep_paths = os.environ.get(LOG_PATHS_ENV, "").strip() in ("1", "true", "yes")
    diagnostics = Diagnostics(folder / LOG_FILE, folder / CRASH_FILE, keep_paths=keep_paths)
    formatter = RedactingFormatter(
        "%(asctime)s %(levelname)s %(threadName)s %(name)s: %(message)s", keep_paths
    )

    file_handler = logging.handlers.RotatingFileHandler(
        diagnostics.log_file, maxBytes=LOG_MAX_BYTES, backupCount=LOG_BACKUPS, encoding="utf-8"
    )
    file_handler.setFormatter(formatter)
    file_handler.setLevel(level)
    root = logging.getLogger()
    diagnostics._previous_level = root.level
    if root.level > level or root.level == logging.NOTSET:
        # Handlers set up before us (the CLI's stderr handler) keep showing what they showed.
        for handler in root.handlers:
            if handler.level == logging.NOTSET:
                handler.setLevel(root.level if root.level != logging.NOTSET else logging.WARNING)
        root.setLevel(level)
    root.addHandler(file_handler)
    diagnostics._handlers.append(file_handler)
    if console:
        stream = logging.StreamHandler()
        stream.setFormatter(RedactingFormatter("%(levelname)s %(name)s: %(message)s", keep_paths))
        stream.setLevel(level)
        root.addHandler(stream)
        diagnostics._handlers.append(stream)

    diagnostics.previous_crash = _keep_previous_crash(diagnostics.crash_file)
    diagnostics._faulthandler_was_enabled = faulthandler.is_enabled()
    diagnostics._crash_stream = open(diagnostics.crash_file, "w", encoding="utf-8")  # noqa: SIM115
    faulthandler.enable(file=diagnostics._crash_stream, all_threads=True)

    diagnostics._previous_hooks = (sys.excepthook, threading.excepthook)
    sys.excepthook = diagnostics._excepthook
    threading.excepthook = diagnostics._thread_excepthook

    versions = version_info(extra_versions)
    log.info("session start: %s", ", ".join(f"{name} {value}" for name, value in versions.items()))
    if diagnostics.previous_crash is not None:
        log.warning("the previous session crashed; its crash log is %s", diagnostics.previous_crash.name)
    return diagnostics


def _keep_previous_crash(crash_file: Path) -> Path | None:
    """Move a non-empty crash log aside (the last session died hard); None when there was none."""
    try:
        if crash_file.stat().st_size == 0:
            return None
    except OSError:
        return None
    previous = crash_file.with_name(PREVIOUS_CRASH_FILE)
    try:
        os.replace(crash_file, previous)
    except OSError as error:
        log.warning("could not keep the previous crash log: %s", error)
        return None
    return previous
