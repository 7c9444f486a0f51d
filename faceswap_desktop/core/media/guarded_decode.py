"""Decoding untrusted files in a helper process, so a native crash or a hang fails one file, not the app.

OpenCV's image decoders and FFmpeg's demuxers and decoders are C and C++. The header checks in
:mod:`.image_io` and :mod:`.video_io` refuse what we can recognise as bad, but a decoder bug reached by a
crafted or damaged file would take the whole process down (segfault, abort) or spin for ever. Every
decode of *user input* in the app therefore goes through this module:

- :func:`load_image` / :func:`load_image_with_alpha` decode a photo in a helper process and return the
  pixels;
- :class:`GuardedVideoReader` is a :class:`~.video_io.VideoSource` whose demuxing, indexing and frame
  decoding run in a helper process: the frame index comes back once, frames on request;
- :func:`check_audio` decodes a video's audio track in a helper process before an export copies or
  re-encodes it in-process.

A helper that dies mid-request becomes :class:`~.errors.DecoderCrashed`; one that takes longer than its
limit is killed and becomes :class:`~.errors.DecoderHung`. Both are :class:`~.errors.UnreadableFile`
(a :class:`~.errors.BadInput`), so every caller already shows them as a bad-input message. The typed
errors the helper raises itself (``ImageTooLarge``, ``UnsupportedMedia``...) are raised again here with
their own type and message.

Helpers are fresh interpreters (``sys.executable -c``), never forks (a process running Qt threads must not
fork) and never ``multiprocessing``'s spawn (it re-imports the caller's ``__main__``). They talk over a
:mod:`multiprocessing.connection` listener (a Unix socket, or a named pipe on Windows) guarded by a random
key. Pixels come back through a shared-memory file in /dev/shm where there is one (Linux), else through
that connection. Idle image helpers are kept in a small pool; each open video owns one helper. A helper
exits when its connection closes or (POSIX) when the app process is gone, even in the middle of a decode.

Cost (``benchmarks/bench_guarded_decode.py``, 2 busy cores): a helper starts in ~0.35 s (once per pool
or per opened video); a photo costs ~5 ms more than in-process; sequential 1080p frames are not slower
(the helper decodes the next batch meanwhile) and a random seek costs the same.
"""

from __future__ import annotations

import atexit
import contextlib
import logging
import mmap
import os
import secrets
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from fractions import Fraction
from multiprocessing.connection import Client, Connection, Listener
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any, NamedTuple

from .. import errors
from ..errors import DecoderCrashed, DecoderHung, FaceswapError, UnreadableFile
from .frame_memory import plan_for_frame

if TYPE_CHECKING:
    import numpy as np

    from ..types import Image
    from .video_io import FrameIndex, VideoInfo

# numpy and PyAV (video_io) are imported where they are used, not here: ``python -m faceswap_desktop
# swap`` imports this module first to start its decoding helper (prestart_helper), and importing them
# first put ~0.15 s in front of the helper's start, on the path to the first swapped frame.

log = logging.getLogger(__name__)

IMAGE_TIMEOUT_S = 10.0
"""Longest a photo may take to decode (an 89 M-pixel PNG takes ~2 s on a laptop)."""

FRAME_TIMEOUT_S = 10.0
"""Longest one frame request may take (a seek decodes forward from the keyframe before it)."""

OPEN_TIMEOUT_S = 10.0
OPEN_BYTES_PER_SECOND = 20e6
"""Opening a video reads every packet once to index it: allow 10 s plus 1 s per 20 MB of file."""

START_TIMEOUT_S = 60.0
"""A helper imports numpy, OpenCV and PyAV (~0.3 s idle; much longer on a loaded machine)."""

FRAMES_PER_REQUEST = 4
"""Sequential frames sent per reply: fewer round trips, bounded memory (4 8K frames are ~400 MB)."""

MAX_IDLE_HELPERS = 2

MIN_SHARED_BYTES = 256 * 1024
"""Arrays at least this big travel through shared memory (where there is /dev/shm), smaller ones inline."""

HELPER_MALLOC: dict[str, str] = {
    "MALLOC_MMAP_THRESHOLD_": str(32 * 2**20),
    "MALLOC_TRIM_THRESHOLD_": str(64 * 2**20),
}
"""glibc's allocator settings for a helper (other C libraries ignore them). A helper allocates and frees
the same few frame-sized arrays per batch; with glibc's defaults those went back to the kernel after each
batch and came back as fresh zeroed pages: ~550 page faults and ~2 ms of the helper's CPU per 720p frame
of an export. Here allocations up to 32 MiB (a 4K frame is 25 MiB) come from the heap, and up to 64 MiB of
free heap is kept between batches; a helper gives it all back when its video closes
(:func:`_release_memory`), before it waits idle in the pool."""

CHILD_CODE = "from faceswap_desktop.core.media.guarded_decode import serve; serve()"
"""What a helper runs; tests pass their own (e.g. a handler that crashes) to :class:`DecodeHelper`."""


# --- the helper process ---------------------------------------------------------------------------

_video_readers: dict[str, Any] = {}


def _image(path: str, with_alpha: bool) -> Any:
    from .image_io import read_image, read_image_with_alpha

    return read_image_with_alpha(path) if with_alpha else (read_image(path), None)


def _video_open(path: str) -> tuple[VideoInfo, FrameIndex]:
    from .video_io import VideoReader

    _video_close()
    reader = VideoReader(path)
    _video_readers["current"] = reader
    return reader.info, reader.index


def _video_frames(start: int, stop: int) -> list[tuple[int, Image]]:
    reader = _video_readers.get("current")
    if reader is None:
        raise UnreadableFile("no video is open in the decoding process")
    if start == stop - 1:
        return [(start, reader.frame_at(start))]  # raises IndexError outside the video, as frame_at
    return list(reader.frames(start, stop))


def _video_close() -> None:
    reader = _video_readers.pop("current", None)
    if reader is not None:
        reader.close()
        _release_memory()


def _release_memory() -> None:
    """Return the free heap to the kernel (glibc's ``malloc_trim``; nothing elsewhere): a helper keeps
    up to :data:`HELPER_MALLOC`'s trim threshold of freed frames while decoding, not while idle."""
    if not sys.platform.startswith("linux"):
        return
    import ctypes

    # The process's own symbols (libc among them): no library search, which would start ldconfig.
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None).malloc_trim(0)


def _audio_check(path: str) -> int:
    """Decode every packet of the first audio stream; the number of audio frames decoded."""
    import av

    from .video_io import open_for_reading

    name = Path(path).name
    try:
        with open_for_reading(path) as container:
            if not container.streams.audio:
                return 0
            count = 0
            for packet in container.demux(container.streams.audio[0]):
                count += len(packet.decode())
            return count
    except av.FFmpegError as error:
        raise UnreadableFile(f"the audio of {name} is corrupt: {error}") from None


HANDLERS: dict[str, Callable[..., Any]] = {
    "image": _image,
    "video_open": _video_open,
    "video_frames": _video_frames,
    "video_close": _video_close,
    "audio_check": _audio_check,
}
"""Request kind -> handler, in the helper process."""


def _die_with_parent() -> None:  # pragma: no cover - runs in the helper process
    """Exit when the app has gone, even in the middle of a decode that hangs.

    Between requests a helper notices on its own (the connection closes); during one, this watchdog
    thread sees the helper re-parented. (Not prctl's PDEATHSIG: that fires when the *thread* that
    started the helper ends, and helpers outlive the worker threads that start them.)
    """
    if os.name != "posix":
        return
    parent = os.getppid()

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(1.0)
        os._exit(1)

    threading.Thread(target=watch, name="parent-watchdog", daemon=True).start()


class SharedArray(NamedTuple):
    """Stands for an array that travels through the shared arena instead of the socket."""

    offset: int
    shape: tuple[int, ...]
    dtype: str


def _arrays_in(value: Any) -> Iterator[np.ndarray[Any, Any]]:
    import numpy as np

    if isinstance(value, np.ndarray):
        yield value
    elif isinstance(value, (tuple, list)):
        for item in value:
            yield from _arrays_in(item)


def _replace_arrays(value: Any, replace: Callable[[Any], Any]) -> Any:
    import numpy as np

    if isinstance(value, (np.ndarray, SharedArray)):
        return replace(value)
    if isinstance(value, tuple) and not hasattr(value, "_fields"):
        return tuple(_replace_arrays(item, replace) for item in value)
    if isinstance(value, list):
        return [_replace_arrays(item, replace) for item in value]
    return value


class _ArenaWriter:  # pragma: no cover - runs in the helper process
    """The helper's side of the arena: a file in /dev/shm per size, written between requests only.

    Pixels through a socket cost ~8 ms per 1080p frame (pickling, many small reads, unpickling); through
    shared memory one copy on each side. Each growth makes a new file (``base.N``), so a file the app
    has mapped is never truncated under it; space is reserved with ``posix_fallocate`` so a full
    /dev/shm gives an error here (and the socket is used) rather than a SIGBUS on first write.
    """

    def __init__(self, base: str | None) -> None:
        self.base, self.generation, self.size = base, 0, 0
        self.map: mmap.mmap | None = None

    def pack(self, value: Any) -> tuple[Any, tuple[int, int] | None]:
        arrays = [a for a in _arrays_in(value) if a.nbytes >= MIN_SHARED_BYTES]
        needed = sum(a.nbytes for a in arrays)
        if self.base is None or not arrays:
            return value, None
        try:
            self._reserve(needed)
        except OSError as error:
            log.warning("shared memory unavailable (%s); frames go through the socket", error)
            self.base = None
            return value, None
        import numpy as np

        offset = 0
        shared = self.map

        def place(array: Any) -> Any:
            nonlocal offset
            if not isinstance(array, np.ndarray) or array.nbytes < MIN_SHARED_BYTES:
                return array
            view: np.ndarray[Any, Any] = np.ndarray(array.shape, array.dtype, buffer=shared, offset=offset)
            view[...] = array
            marker = SharedArray(offset, tuple(array.shape), array.dtype.str)
            offset += -(-array.nbytes // 64) * 64  # keep every array 64-byte aligned
            return marker

        return _replace_arrays(value, place), (self.generation, self.size)

    def _reserve(self, needed: int) -> None:
        needed += 64 * 8  # alignment padding for a handful of arrays
        if needed <= self.size:
            return
        size = max(needed, self.size * 3 // 2, 1 << 20)
        fd = os.open(f"{self.base}.{self.generation + 1}", os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            os.posix_fallocate(fd, 0, size)
            mapping = mmap.mmap(fd, size)
        finally:
            os.close(fd)
        if self.map is not None:
            self.map.close()
        self.map, self.size, self.generation = mapping, size, self.generation + 1


def serve() -> None:  # pragma: no cover - runs in the helper process
    """Helper loop: read the address and key from stdin, connect, answer requests until told to stop.

    Then the helper ends at once, without the interpreter's teardown (freeing numpy's, OpenCV's and
    PyAV's modules took ~40 ms, and the app waits for its helpers when it exits): it holds nothing that
    needs it, its shared-memory files are the app's to remove.
    """
    _serve_requests()
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError):
            stream.flush()
    os._exit(0)


def _serve_requests() -> None:  # pragma: no cover - runs in the helper process
    # What the requests need, imported before the app sees the helper as started (as when this module
    # imported them itself): the first request does not pay for them.
    import numpy  # noqa: F401

    from . import image_io, video_io  # noqa: F401

    _die_with_parent()
    address, key, arena_base = sys.stdin.readline().split()
    connection = Client(address, authkey=bytes.fromhex(key))
    arena = _ArenaWriter(None if arena_base == "-" else arena_base)
    while True:
        try:
            request = connection.recv()
        except (EOFError, OSError):
            return
        if request is None:
            return
        kind, *args = request
        try:
            reply: tuple[Any, ...] = ("ok", *arena.pack(HANDLERS[kind](*args)))
        except FaceswapError as error:
            reply = ("error", type(error).__name__, str(error))
        except IndexError as error:
            reply = ("error", "IndexError", str(error))
        except MemoryError:
            reply = ("error", "ImageTooLarge", "not enough memory to decode this file")
        except Exception as error:  # any other failure is about the file: report it, stay alive
            reply = ("error", "UnreadableFile", f"could not be decoded: {type(error).__name__}: {error}")
        try:
            connection.send(reply)
        except (OSError, ValueError):
            return


# --- the app side ---------------------------------------------------------------------------------


def _typed_error(name: str, message: str) -> Exception:
    if name == "IndexError":
        return IndexError(message)
    kind = getattr(errors, name, None)
    if isinstance(kind, type) and issubclass(kind, FaceswapError):
        return kind(message)
    return UnreadableFile(message)


def _describe_exit(code: int | None) -> str:
    if code is None:
        return "it stopped answering"
    if code < 0:
        import signal

        with contextlib.suppress(ValueError):
            return f"it died of {signal.Signals(-code).name}"
    return f"it exited with status {code}"


class DecodeHelper:
    """One helper process; requests are serialised (one caller at a time, guarded by a lock).

    It starts on the first request and again after a crash or a hang; :meth:`close` stops it.
    """

    def __init__(self, child_code: str | None = None) -> None:
        """``child_code``: the Python the helper runs (default :data:`CHILD_CODE`, read now)."""
        self.child_code = child_code or CHILD_CODE
        self._lock = threading.RLock()
        self._process: subprocess.Popen[bytes] | None = None
        self._connection: Connection | None = None
        self._pending = 0
        self._arena_base: str | None = None
        self._arena: mmap.mmap | None = None
        self._arena_generation = 0
        self.crashes = 0
        """Helpers that died or hung while this object owned them (for tests and logs)."""

    @property
    def pid(self) -> int | None:
        """The running helper's process id, or None."""
        return self._process.pid if self._process is not None else None

    def request(self, name: str, timeout_s: float, kind: str, *args: Any) -> Any:
        """Send one request and wait for its reply; ``name`` (the file) is used in error messages."""
        with self._lock:
            self.send(kind, *args)
            return self.receive(name, timeout_s)

    def send(self, kind: str, *args: Any) -> None:
        """Send a request without waiting (pair with :meth:`receive`; used to decode ahead)."""
        with self._lock:
            if self._pending:  # the helper would overwrite the shared arena before that reply is read
                raise RuntimeError("receive the outstanding reply before sending another request")
            connection = self._ensure_started()
            try:
                connection.send((kind, *args))
            except (OSError, ValueError) as error:
                self._stop_locked(kill=True)
                raise DecoderCrashed(f"the decoding process stopped: {error}") from None
            self._pending += 1

    def receive(self, name: str, timeout_s: float) -> Any:
        """Wait for the oldest outstanding reply; typed errors for failures, crashes and hangs."""
        with self._lock:
            connection = self._connection
            if connection is None or self._pending == 0:
                raise DecoderCrashed(f"{name}: no reply is outstanding (the decoding process restarted)")
            try:
                ready = connection.poll(timeout_s)
                reply = connection.recv() if ready else None
            except (EOFError, OSError):
                ready, reply = True, None
            self._pending -= 1
            if reply is None:
                self.crashes += 1
                process = self._process
                if ready and process is not None:  # it closed the connection: let it finish dying
                    with contextlib.suppress(subprocess.TimeoutExpired):
                        process.wait(2)
                self._stop_locked(kill=True)
                code = process.returncode if process is not None else None
                if not ready:
                    log.warning("decoding %s took over %.0f s; helper killed", name, timeout_s)
                    raise DecoderHung(
                        f"{name}: decoding took longer than {timeout_s:.0f} s and was stopped "
                        "(the file is probably damaged)"
                    )
                log.warning("the decoder crashed on %s (%s)", name, _describe_exit(code))
                raise DecoderCrashed(
                    f"{name} crashed the decoder ({_describe_exit(code)}); the file is probably damaged. "
                    "Nothing else was affected: decoding runs in a separate process"
                )
            if reply[0] == "ok":
                return self._unpack(reply[1], reply[2])
            message = reply[2] if name in reply[2] else f"{name}: {reply[2]}"
            raise _typed_error(reply[1], message)

    def _unpack(self, value: Any, arena: tuple[int, int] | None) -> Any:
        """Copy the arrays a reply left in the shared arena into ordinary (writable) arrays."""
        if arena is None:
            return value
        generation, size = arena
        if generation != self._arena_generation:
            if self._arena is not None:
                self._arena.close()
                self._arena = None
            path = f"{self._arena_base}.{generation}"
            fd = os.open(path, os.O_RDONLY)
            try:
                self._arena = mmap.mmap(fd, size, prot=mmap.PROT_READ)
            finally:
                os.close(fd)
            with contextlib.suppress(OSError):
                os.unlink(path)  # mapped by both processes; the memory goes when both let go
            self._arena_generation = generation
        shared = self._arena
        import numpy as np

        def copy(marker: Any) -> Any:
            if not isinstance(marker, SharedArray):
                return marker
            view: np.ndarray[Any, Any] = np.ndarray(
                marker.shape, np.dtype(marker.dtype), buffer=shared, offset=marker.offset
            )
            return view.copy()

        return _replace_arrays(value, copy)

    def drain(self, timeout_s: float = FRAME_TIMEOUT_S) -> None:
        """Discard replies still outstanding (a caller stopped reading ahead); restart on failure."""
        with self._lock:
            while self._pending:
                try:
                    self.receive("(discarded)", timeout_s)
                except (FaceswapError, IndexError):
                    continue

    def close(self) -> None:
        """Stop the helper (a later request starts a new one)."""
        with self._lock:
            self._stop_locked(kill=False)

    def _ensure_started(self) -> Connection:
        if self._connection is not None and self._process is not None and self._process.poll() is None:
            return self._connection
        self._stop_locked(kill=True)
        key = secrets.token_bytes(32)
        listener = Listener(authkey=key)  # a Unix socket (a named pipe on Windows) only we can use
        self._arena_base = _arena_base()
        try:
            process = subprocess.Popen(
                [sys.executable, "-c", self.child_code], stdin=subprocess.PIPE, env=_child_environment()
            )
            assert process.stdin is not None
            arena = self._arena_base or "-"
            process.stdin.write(f"{listener.address} {key.hex()} {arena}\n".encode())
            process.stdin.close()
            connection = _accept(listener, process)
        finally:
            listener.close()
        self._process, self._connection, self._pending = process, connection, 0
        return connection

    def _stop_locked(self, kill: bool) -> None:
        if self._connection is not None:
            if not kill:
                with contextlib.suppress(OSError, ValueError):
                    self._connection.send(None)
            self._connection.close()
        if self._process is not None:
            if kill:
                self._process.kill()
            try:
                self._process.wait(5)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait(5)
        self._process, self._connection, self._pending = None, None, 0
        if self._arena is not None:
            self._arena.close()
        self._arena, self._arena_generation = None, 0
        if self._arena_base is not None:  # files the helper made that we never mapped (and unlinked)
            folder, prefix = os.path.split(self._arena_base)
            for leftover in Path(folder).glob(f"{prefix}.*"):
                with contextlib.suppress(OSError):
                    leftover.unlink()


def _arena_base() -> str | None:
    """Where a new helper may create its shared arena files: /dev/shm on Linux, else none (socket)."""
    folder = "/dev/shm"
    if not hasattr(os, "posix_fallocate") or not os.path.isdir(folder) or not os.access(folder, os.W_OK):
        return None
    return os.path.join(folder, f"faceswap-decode-{os.getpid()}-{secrets.token_hex(6)}")


def _child_environment() -> dict[str, str]:
    # The package sets OpenCV's limits on import; pass them on explicitly too in case the parent's
    # environment was changed after that.
    from ... import OPENCV_LIMITS

    environment = dict(os.environ)
    for name, value in {**OPENCV_LIMITS, **HELPER_MALLOC}.items():
        environment.setdefault(name, value)
    return environment


def _accept(listener: Listener, process: subprocess.Popen[bytes]) -> Connection:
    """The helper's connection; raises when it exits or does not connect within the start limit."""
    accepted: list[Connection] = []
    failures: list[BaseException] = []

    def accept() -> None:
        try:
            accepted.append(listener.accept())
        except BaseException as error:  # reported to the waiting thread
            failures.append(error)

    thread = threading.Thread(target=accept, name="decode-helper-accept", daemon=True)
    thread.start()
    waited = 0.0
    while thread.is_alive() and waited < START_TIMEOUT_S and process.poll() is None:
        thread.join(0.05)
        waited += 0.05
    if not accepted:
        process.kill()
        process.wait(5)
        # Unblock accept() by connecting ourselves with a wrong key: it fails and the thread ends.
        with contextlib.suppress(Exception):
            Client(listener.address, authkey=b"-").close()
        thread.join(5)
        raise DecoderCrashed(f"the decoding process did not start ({failures[0] if failures else 'timeout'})")
    return accepted[0]


class _HelperPool:
    """Idle helpers for photo decoding, shared by every thread (one request per helper at a time)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._idle: list[DecodeHelper] = []

    def acquire(self) -> DecodeHelper:
        with self._lock:
            if self._idle:
                return self._idle.pop()
        return DecodeHelper()

    def release(self, helper: DecodeHelper) -> None:
        with self._lock:
            if len(self._idle) < MAX_IDLE_HELPERS:
                self._idle.append(helper)
                return
        helper.close()

    def close(self) -> None:
        """Stop every idle helper (at exit; helpers in use are stopped by their users)."""
        with self._lock:
            idle, self._idle = self._idle, []
        for helper in idle:
            helper.close()


_pool = _HelperPool()
close_helpers = _pool.close
"""Stop the idle helper processes now (they are also stopped at interpreter exit)."""


def acquire_helper() -> DecodeHelper:
    """An idle helper from the pool (already started: no ~0.35 s interpreter start), else a new one.

    For a caller that needs one helper for several files in turn (the video export: its source photos,
    then its video); hand it back with :func:`release_helper`. The pool's helpers already serve one
    photo after another, so a video opened and closed in one is no new exposure.
    """
    return _pool.acquire()


def prestart_helper() -> threading.Thread:
    """Start one helper now, on a background thread, and put it in the idle pool.

    A helper is a fresh interpreter (~0.35 s of CPU before it answers). A command that is about to
    decode a user's file calls this first thing, so the start runs on the other core while the command
    imports its modules and loads its models, instead of in front of its first decode. A request that
    gets this helper before it is up waits for it (the helper's lock); a failed start is retried by the
    first request, which then reports it as usual. Returns the thread (tests join it)."""
    helper = DecodeHelper()
    locked = threading.Event()

    def start() -> None:
        with helper._lock:
            locked.set()
            with contextlib.suppress(FaceswapError, OSError):
                helper._ensure_started()

    thread = threading.Thread(target=start, name="decode-helper-prestart", daemon=True)
    thread.start()
    # The helper is offered only once the thread holds its lock: whoever gets it waits for the start
    # to finish rather than starting a second interpreter beside it.
    locked.wait(5.0)
    _pool.release(helper)
    return thread


def release_helper(helper: DecodeHelper) -> None:
    """Give a helper from :func:`acquire_helper` back (kept idle, or stopped when enough are idle);
    close any video opened in it first."""
    _pool.release(helper)


def _shutdown() -> None:  # pragma: no cover - at interpreter exit
    _pool.close()


atexit.register(_shutdown)


def load_image_with_alpha(
    path: str | os.PathLike[str], timeout_s: float = IMAGE_TIMEOUT_S
) -> tuple[Image, Image | None]:
    """:func:`.image_io.read_image_with_alpha`, decoded in a helper process.

    Raises the same typed errors, plus :class:`~.errors.DecoderCrashed` / :class:`~.errors.DecoderHung`.
    """
    helper = _pool.acquire()
    try:
        image, alpha = helper.request(Path(path).name, timeout_s, "image", os.fspath(path), True)
    finally:
        _pool.release(helper)
    return image, alpha


def load_image(
    path: str | os.PathLike[str], timeout_s: float = IMAGE_TIMEOUT_S, helper: DecodeHelper | None = None
) -> Image:
    """:func:`.image_io.read_image` (BGR uint8, EXIF-rotated), decoded in a helper process.

    ``helper``: decode in this helper (e.g. the one about to open a video, which saves starting a
    second interpreter); by default an idle helper from the pool.
    """
    if helper is not None:
        image, _alpha = helper.request(Path(path).name, timeout_s, "image", os.fspath(path), False)
        return image
    helper = _pool.acquire()
    try:
        image, _alpha = helper.request(Path(path).name, timeout_s, "image", os.fspath(path), False)
    finally:
        _pool.release(helper)
    result: Image = image
    return result


def check_audio(path: str | os.PathLike[str]) -> int:
    """Decode a video's first audio track in a helper process; the number of audio frames (0: none).

    Run before an export copies or re-encodes that audio in-process.
    """
    file_path = Path(path)
    timeout = _open_timeout(file_path)
    helper = _pool.acquire()
    try:
        count: int = helper.request(file_path.name, timeout, "audio_check", os.fspath(path))
    finally:
        _pool.release(helper)
    return count


def _open_timeout(path: Path) -> float:
    try:
        size = path.stat().st_size
    except OSError:
        size = 0
    return OPEN_TIMEOUT_S + size / OPEN_BYTES_PER_SECOND


class GuardedVideoReader:
    """A :class:`~.video_io.VideoSource` that demuxes and decodes in its own helper process.

    Opening indexes the file in the helper (typed errors as :class:`~.video_io.VideoReader`); timing
    questions are answered here from the index; frames are decoded there and copied back. Like
    :class:`~.video_io.VideoReader` it is meant for one thread at a time.
    """

    def __init__(self, path: str | os.PathLike[str], helper: DecodeHelper | None = None) -> None:
        """``helper``: a running helper to reuse (it is left running by :meth:`close`); by default the
        reader starts its own and stops it on close."""
        self.path = Path(path)
        self._owns_helper = helper is None
        self._helper = helper or DecodeHelper()
        self.info: VideoInfo
        self.index: FrameIndex
        try:
            self.info, self.index = self._helper.request(
                self.path.name, _open_timeout(self.path), "video_open", os.fspath(self.path)
            )
        except BaseException:
            if self._owns_helper:
                self._helper.close()
            raise

    @property
    def time_base(self) -> Fraction:
        """The video stream's time base (seconds per pts unit)."""
        return self.index.time_base

    def pts_of(self, index: int) -> int:
        """Presentation timestamp of frame ``index`` in :attr:`time_base` units."""
        return self.index.pts[index]

    def time_of(self, index: int) -> float:
        """Seconds from the first frame to frame ``index``."""
        return self.index.time_of(index)

    def index_at_time(self, seconds: float) -> int:
        """The first frame shown at or after ``seconds`` from the first frame (clamped to the video)."""
        return self.index.index_at_time(seconds)

    def frame_at(self, index: int) -> Image:
        """The exact frame ``index`` (BGR, upright)."""
        if not 0 <= index < len(self.index.pts):
            raise IndexError(f"frame {index} is outside 0..{len(self.index.pts) - 1}")
        self._helper.drain()
        frames: list[tuple[int, Image]] = self._helper.request(
            self.path.name, FRAME_TIMEOUT_S, "video_frames", index, index + 1
        )
        return frames[0][1]

    def frames(self, start: int = 0, stop: int | None = None) -> Iterator[tuple[int, Image]]:
        """(index, BGR image) for ``start`` <= index < ``stop``; the helper decodes one batch ahead."""
        stop = len(self.index.pts) if stop is None else min(stop, len(self.index.pts))
        helper = self._helper
        helper.drain()
        size = min(FRAMES_PER_REQUEST, plan_for_frame(self.info.width, self.info.height).decode_batch)
        batches = iter(range(start, stop, size))
        first = next(batches, None)
        if first is None:
            return
        helper.send("video_frames", first, min(first + size, stop))
        try:
            while True:
                following = next(batches, None)
                batch: list[tuple[int, Image]] = helper.receive(self.path.name, FRAME_TIMEOUT_S)
                if following is not None:  # decoded while the caller works on this batch
                    helper.send("video_frames", following, min(following + size, stop))
                yield from batch
                if following is None:
                    return
        finally:
            helper.drain()  # a caller that stops early leaves one batch in flight

    def close(self) -> None:
        """Release the file: stop the helper process, or close the video in a helper given to us."""
        if self._owns_helper:
            self._helper.close()
            return
        with contextlib.suppress(FaceswapError):
            self._helper.drain()
            self._helper.request(self.path.name, FRAME_TIMEOUT_S, "video_close")

    def __enter__(self) -> GuardedVideoReader:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.close()
