"""ONNX Runtime sessions: creation with CPU fallback, one cached session per (model, provider).

The :class:`SessionCache` is built once (in the app's context object) and passed to whoever loads
models; there is no module-level session state.
"""

from __future__ import annotations

import logging
import sys
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import onnxruntime as ort

from .optimized_graphs import OptimizedGraphs
from .providers import AUTO, CPU, DIRECTML, available_providers, choose_provider

log = logging.getLogger(__name__)


class InferenceRunner(Protocol):
    """The part of ``onnxruntime.InferenceSession`` the model wrappers use (also met by fakes)."""

    def get_inputs(self) -> Sequence[Any]: ...

    def get_outputs(self) -> Sequence[Any]: ...

    def run(self, output_names: Sequence[str] | None, input_feed: Mapping[str, Any]) -> list[Any]: ...


SessionFactory = Callable[[str, Any, list[str]], Any]
"""(model path, SessionOptions, providers) -> InferenceSession; injectable for tests."""


def _ort_factory(path: str, options: Any, providers: list[str]) -> Any:
    return ort.InferenceSession(path, sess_options=options, providers=providers)


@dataclass(frozen=True)
class SessionInfo:
    """Which provider a model really runs on, and why it is not the requested one if it fell back."""

    model_path: Path
    requested: str
    provider: str
    fell_back: bool = False
    reason: str = ""


class SerializedSession:
    """Runs one session's ``run`` calls one at a time (DirectML sessions are not re-entrant)."""

    def __init__(self, session: Any) -> None:
        self._session = session
        self._lock = threading.Lock()

    def get_inputs(self) -> Sequence[Any]:
        return list(self._session.get_inputs())

    def get_outputs(self) -> Sequence[Any]:
        return list(self._session.get_outputs())

    def get_providers(self) -> list[str]:
        return list(self._session.get_providers())

    def run(self, output_names: Sequence[str] | None, input_feed: Mapping[str, Any]) -> list[Any]:
        with self._lock:
            return list(self._session.run(output_names, input_feed))


@dataclass(frozen=True)
class LoadedSession:
    """A ready session and how it was placed."""

    session: InferenceRunner
    info: SessionInfo


def _options(provider: str, intra_op_threads: int) -> Any:
    options = ort.SessionOptions()
    options.log_severity_level = 3  # errors only: ORT's warnings about node placement are noise here
    if intra_op_threads > 0:
        options.intra_op_num_threads = intra_op_threads
    if provider == DIRECTML:
        # Required by the DirectML provider (ORT docs): no memory patterns, sequential execution.
        options.enable_mem_pattern = False
        options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    return options


def create_session(
    model_path: Path,
    provider: str,
    available: Sequence[str],
    factory: SessionFactory = _ort_factory,
    intra_op_threads: int = 0,
) -> LoadedSession:
    """A session on ``provider``, or on CPU with the reason logged and reported in the info."""
    if provider != CPU and provider not in available:
        reason = f"{provider} is not available in this ONNX Runtime (available: {', '.join(available)})"
        return _cpu_fallback(model_path, provider, reason, factory, intra_op_threads)
    try:
        session = factory(str(model_path), _options(provider, intra_op_threads), _with_cpu(provider))
    except Exception as error:  # ORT's pybind errors share no base class below Exception
        reason = f"{provider} could not create a session: {error}"
        return _cpu_fallback(model_path, provider, reason, factory, intra_op_threads)
    actual = str(session.get_providers()[0])
    info = SessionInfo(model_path, provider, actual)
    if actual != provider:
        info = SessionInfo(model_path, provider, actual, True, f"ONNX Runtime placed the model on {actual}")
        log.warning("%s: %s requested, running on %s", model_path.name, provider, actual)
    runner: InferenceRunner = SerializedSession(session) if actual == DIRECTML else session
    return LoadedSession(runner, info)


def _with_cpu(provider: str) -> list[str]:
    return [provider] if provider == CPU else [provider, CPU]


def _cpu_fallback(
    model_path: Path, requested: str, reason: str, factory: SessionFactory, intra_op_threads: int
) -> LoadedSession:
    log.warning("%s: %s; falling back to CPU", model_path.name, reason)
    session = factory(str(model_path), _options(CPU, intra_op_threads), [CPU])
    return LoadedSession(session, SessionInfo(model_path, requested, CPU, True, reason))


class SessionCache:
    """One session per (model path, provider), created on first use and shared afterwards."""

    def __init__(
        self,
        provider_setting: str = AUTO,
        *,
        available: Sequence[str] | None = None,
        platform: str = sys.platform,
        factory: SessionFactory = _ort_factory,
        intra_op_threads: int = 0,
        optimized_folder: Path | None = None,
    ) -> None:
        """``optimized_folder``: where CPU sessions keep their optimised graphs for later processes
        (see :mod:`.optimized_graphs`); None optimises every model at every creation."""
        self.available = list(available) if available is not None else available_providers()
        self.provider = choose_provider(provider_setting, self.available, platform)
        self._factory = factory
        if optimized_folder is not None:
            self._factory = OptimizedGraphs(optimized_folder, factory, ort)
        self._intra_op_threads = intra_op_threads
        self._sessions: dict[tuple[str, str, int], LoadedSession] = {}
        self._lock = threading.Lock()

    def get(
        self, model_path: Path, provider: str | None = None, intra_op_threads: int | None = None
    ) -> LoadedSession:
        """The cached session of ``model_path`` (created now if needed) on ``provider`` or the default.

        ``intra_op_threads`` overrides the cache's thread count for this model (small models run
        faster on one thread than split across cores busy with other work)."""
        wanted = provider or self.provider
        threads = self._intra_op_threads if intra_op_threads is None else intra_op_threads
        key = (str(model_path.resolve()), wanted, threads)
        with self._lock:  # creation under the lock: two threads never build the same session twice
            loaded = self._sessions.get(key)
            if loaded is None:
                loaded = create_session(model_path, wanted, self.available, self._factory, threads)
                self._sessions[key] = loaded
            return loaded

    def session(
        self, model_path: Path, provider: str | None = None, intra_op_threads: int | None = None
    ) -> InferenceRunner:
        """Shorthand for ``get(...).session``."""
        return self.get(model_path, provider, intra_op_threads).session

    def infos(self) -> list[SessionInfo]:
        """Placement of every session created so far (for the status bar / ``--verbose``)."""
        with self._lock:
            return [loaded.info for loaded in self._sessions.values()]

    def clear(self) -> None:
        """Drop every session (e.g. after the provider setting changed)."""
        with self._lock:
            self._sessions.clear()
