"""ONNX Runtime's optimised graphs of the CPU sessions, kept per machine so that later processes skip
the optimisation.

Creating a session optimises its graph (constant folding, fusions, the NCHWc layout transform); for the
detector's three small models that is most of their creation: 58 ms as shipped against 25 ms loading
the optimised graph saved by an earlier process with optimisation off (this 2-core machine, ONNX Runtime
1.32, ``/work/notes/start8_tools/ortcache.py``; the same outputs, bit for bit). ONNX Runtime warns that
such a graph "may contain hardware specific optimizations, and should only be used in the same
environment the model was optimized in", so a saved graph is keyed by everything that environment is
here: the ONNX Runtime version, the model's bytes (SHA-256), the session's optimisation level and this
CPU (its model name and instruction-set flags); a process on another CPU or another ONNX Runtime saves
its own. A graph that cannot be loaded (corrupt, truncated) is deleted and the model is optimised again,
never an error. CPU sessions only: other providers' graphs are placed on their devices.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import platform
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ..core.file_digest import file_sha256
from .providers import CPU

log = logging.getLogger(__name__)

SessionFactory = Any
"""(model path, SessionOptions, providers) -> InferenceSession (see :mod:`.sessions`)."""


def machine_identity() -> str:
    """What makes an optimised graph this CPU's: on Linux the first processor's model name and flags
    from ``/proc/cpuinfo``, elsewhere what :mod:`platform` says of the processor and machine."""
    with contextlib.suppress(OSError):
        wanted = ("model name", "flags", "features", "cpu model", "isa")
        lines = Path("/proc/cpuinfo").read_text(errors="replace").split("\n\n", 1)[0].splitlines()
        picked = [line.strip() for line in lines if line.split(":", 1)[0].strip().lower() in wanted]
        if picked:
            return "|".join([platform.machine(), *picked])
    return "|".join([platform.machine(), platform.processor(), platform.platform()])


LARGEST_MODEL_BYTES = 32 * 2**20
"""Graphs of larger models are not saved: the embedded models (0.4-22 MB) are under it; a downloaded
swapper or restorer (hundreds of MB) would double its size on disk for a small share of its load."""


def _small(model_path: Path) -> bool:
    try:
        return model_path.stat().st_size <= LARGEST_MODEL_BYTES
    except OSError:
        return False


class OptimizedGraphs:
    """A session factory wrapper that loads a saved optimised graph when there is one for this model,
    ONNX Runtime and CPU, and otherwise creates the session as usual, saving its optimised graph."""

    def __init__(self, folder: Path, factory: SessionFactory, ort: Any) -> None:
        self.folder, self._factory, self._ort = folder, factory, ort
        self._machine: str | None = None

    def __call__(self, model_path: str, options: Any, providers: Sequence[str]) -> Any:
        if list(providers) != [CPU] or not _small(Path(model_path)):
            return self._factory(model_path, options, providers)
        try:
            saved = self.folder / f"{self.key(Path(model_path), options)}.onnx"
        except OSError:  # the model unreadable: ONNX Runtime says why
            return self._factory(model_path, options, providers)
        level = options.graph_optimization_level
        if saved.is_file():
            options.graph_optimization_level = self._ort.GraphOptimizationLevel.ORT_DISABLE_ALL
            try:
                return self._factory(str(saved), options, providers)
            except Exception as error:  # ORT's pybind errors share no base class below Exception
                log.warning("ignoring the unreadable optimised graph %s: %s", saved.name, error)
                with contextlib.suppress(OSError):
                    saved.unlink()
            options.graph_optimization_level = level
        return self._create_and_save(model_path, options, providers, saved)

    def key(self, model_path: Path, options: Any) -> str:
        """The saved graph's name: a hash of the ONNX Runtime version, the model's bytes, the session's
        optimisation level and :func:`machine_identity`."""
        if self._machine is None:
            self._machine = machine_identity()
        content = file_sha256(model_path)  # read once per process: the embedded models are verified too
        level = int(options.graph_optimization_level)
        text = f"{self._ort.__version__}\n{content}\n{level}\n{self._machine}"
        return hashlib.sha256(text.encode()).hexdigest()[:32]

    def _create_and_save(self, model_path: str, options: Any, providers: Sequence[str], saved: Path) -> Any:
        """The session as usual; its optimised graph written under a temporary name, then renamed (a
        reader never sees half a file)."""
        temporary = saved.with_name(f".{saved.stem}.{os.getpid()}.partial.onnx")
        try:
            saved.parent.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            log.warning("not saving optimised graphs in %s: %s", saved.parent, error)
            return self._factory(model_path, options, providers)
        options.optimized_model_filepath = str(temporary)
        try:
            session = self._factory(model_path, options, providers)
        except BaseException:
            with contextlib.suppress(OSError):
                temporary.unlink()
            raise
        try:
            os.replace(temporary, saved)
        except OSError as error:
            log.warning("could not save the optimised graph of %s: %s", Path(model_path).name, error)
            with contextlib.suppress(OSError):
                temporary.unlink()
        return session
