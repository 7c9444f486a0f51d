"""The identity judge in a helper process, so its GIL-holding native code never stalls the GUI thread.

dlib's ``compute_face_descriptor`` keeps the Python GIL for ~150 ms per face; run on a worker thread it
still freezes the event loop for that long. :class:`IsolatedRecognizer` implements the Recognizer role by
sending ``(image, face)`` to a child process that owns the real recognizer; the calling thread waits on a
pipe with the GIL released. The pipeline is unchanged: :func:`isolated_pipeline_factory` builds the same
:class:`FacePipeline` with this recognizer as its judge.
"""

from __future__ import annotations

import contextlib
import logging
import socket
import subprocess
import sys
import threading
from multiprocessing.connection import Connection
from typing import Protocol

from ..core.errors import FaceswapError, ModelMissing
from ..core.pipeline import FacePipeline
from ..core.types import Face, FloatArray, Image
from .context import DEFAULT_DETECTOR, DEFAULT_JUDGE, AppContext

log = logging.getLogger(__name__)


class PipelineFactory(Protocol):
    """``factory(engine, judge, detector=..., restorer=..., masker=...)`` -> a pipeline;
    ``AppContext.build_pipeline`` is one."""

    def __call__(
        self,
        engine: str,
        judge: str | None,
        detector: str = DEFAULT_DETECTOR,
        restorer: str | None = None,
        masker: str | None = None,
    ) -> FacePipeline: ...


START_TIMEOUT_S = 60.0


def serve(fd: int, judge_id: str) -> None:  # pragma: no cover - runs in the child
    """Child process loop: embed every request arriving on socket ``fd`` until it closes."""
    from .context import create_context

    connection = Connection(fd)

    try:
        recognizer = create_context().recognizer(judge_id)
        connection.send(("ready", recognizer.name))
    except FaceswapError as error:
        connection.send(("error", str(error)))
        return
    while True:
        try:
            message = connection.recv()
        except (EOFError, OSError):
            return
        if message is None:
            return
        image, face = message
        try:
            connection.send(("ok", recognizer.embed(image, face)))
        except Exception as error:  # report any failure to the parent rather than dying silently
            connection.send(("error", f"identity judge failed: {error}"))


class IsolatedRecognizer:
    """A Recognizer whose ``embed`` runs in a child process; thread-safe (calls are serialised)."""

    def __init__(self, judge_id: str = DEFAULT_JUDGE, name: str = "") -> None:
        """``name``: the judge's model name when it is known before the child starts (the embedded
        judge's calibration names it), so that a tracker can read its thresholds without starting it;
        the child's own name must then match it."""
        self.judge_id = judge_id
        self._lock = threading.Lock()
        self._process: subprocess.Popen[bytes] | None = None
        self._connection: Connection | None = None
        self._expected_name = name
        self.name = name
        """The judge's model name: given, or known once the child has started (see :meth:`start`)."""

    @property
    def started(self) -> bool:
        """Whether the child process is running."""
        return self._process is not None and self._process.poll() is None

    def start(self) -> None:
        """Start the child now (it takes a second or two) instead of on the first embed."""
        with self._lock:
            self._ensure_started()

    def embed(self, image: Image, face: Face) -> FloatArray:
        """The judge's embedding of ``face`` in ``image``, computed in the child process."""
        with self._lock:
            connection = self._ensure_started()
            try:
                connection.send((image, face))
                status, value = connection.recv()
            except (EOFError, OSError) as error:
                self._stop_locked()
                raise FaceswapError(f"the identity judge process stopped: {error}") from None
        if status != "ok":
            raise FaceswapError(str(value))
        result: FloatArray = value
        return result

    def close(self) -> None:
        """Stop the child process (it is started again on the next call)."""
        with self._lock:
            self._stop_locked()

    def _ensure_started(self) -> Connection:
        if self._connection is not None and self._process is not None and self._process.poll() is None:
            return self._connection
        self._stop_locked()
        # A fresh interpreter rather than fork (never fork a process that runs Qt threads) and rather than
        # multiprocessing's spawn, which re-imports the caller's __main__ module.
        parent_socket, child_socket = socket.socketpair()
        code = f"from {__name__} import serve; serve({child_socket.fileno()}, {self.judge_id!r})"
        process = subprocess.Popen(
            [sys.executable, "-c", code], pass_fds=(child_socket.fileno(),), stdin=subprocess.DEVNULL
        )
        child_socket.close()
        parent = Connection(parent_socket.detach())
        try:
            if not parent.poll(START_TIMEOUT_S):
                raise FaceswapError("the identity judge process did not start in time")
            status, value = parent.recv()
        except (EOFError, OSError, FaceswapError) as error:
            process.kill()
            process.wait(5)
            parent.close()
            raise FaceswapError(f"the identity judge process failed to start: {error}") from None
        if status != "ready":
            process.wait(5)
            parent.close()
            raise ModelMissing(str(value))
        if self._expected_name and str(value) != self._expected_name:
            parent.close()
            process.wait(5)
            raise FaceswapError(f"judge {self.judge_id} is {value!r}, not {self._expected_name!r}")
        self._process, self._connection, self.name = process, parent, str(value)
        log.info("identity judge %s runs in process %s", self.name, process.pid)
        return parent

    def _stop_locked(self) -> None:
        if self._connection is not None:
            with contextlib.suppress(OSError, ValueError):
                self._connection.send(None)
            self._connection.close()
        if self._process is not None:
            try:
                self._process.wait(5)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait(5)
        self._process, self._connection = None, None


class IsolatedJudges:
    """The GUI process's identity judges: one child process per judge id, created on demand.

    Every identity embedding of the window goes through here, the export's tracker and the timeline's
    person checks included: dlib's bindings crashed the whole app (segfault in ``compute_face_descriptor``)
    or hung it when they embedded on an export's pool thread while Qt ran (issue #17; reproduced by
    ``tests/qt/test_export_stress.py`` on the old code). Calls to one judge are serialised by its
    :class:`IsolatedRecognizer`; the calling thread waits on a pipe with the GIL released.
    """

    def __init__(self, names: dict[str, str] | None = None) -> None:
        """``names``: model names known before a child starts, by judge id (see IsolatedRecognizer)."""
        self._names = dict(names or {})
        self._judges: dict[str, IsolatedRecognizer] = {}
        self._lock = threading.Lock()

    def recognizer(self, judge_id: str) -> IsolatedRecognizer:
        """The judge ``judge_id``; its process starts on its first embedding (or :meth:`start`)."""
        with self._lock:
            judge = self._judges.get(judge_id)
            if judge is None:
                judge = self._judges[judge_id] = IsolatedRecognizer(judge_id, self._names.get(judge_id, ""))
            return judge

    def values(self) -> list[IsolatedRecognizer]:
        """The judges created so far."""
        with self._lock:
            return list(self._judges.values())

    def close(self) -> None:
        """Stop every judge's process."""
        for judge in self.values():
            judge.close()


def isolated_pipeline_factory(context: AppContext, judges: IsolatedJudges) -> PipelineFactory:
    """A pipeline factory whose judges run in child processes (one per judge id, created on demand)."""

    def build(
        engine: str,
        judge: str | None,
        detector: str = DEFAULT_DETECTOR,
        restorer: str | None = None,
        masker: str | None = None,
    ) -> FacePipeline:
        # Components first: a missing model is reported before a judge process is started.
        swapper = context.swapper(engine)
        face_detector = context.detector(detector)
        enhancer = context.enhancer(restorer) if restorer else None
        face_masker = context.masker(masker) if masker else None
        judge = context.independent_judge(engine, judge)
        recognizer = None
        if judge:
            recognizer = judges.recognizer(judge)
            recognizer.start()  # the pipeline reads the judge's name; a no-op once running
        return FacePipeline(
            detector=face_detector,
            swapper=swapper,
            judge=recognizer,
            calibrations=context.calibrations,
            enhancer=enhancer,
            masker=face_masker,
        )

    return build
