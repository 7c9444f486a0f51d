"""ONNX Runtime's optimised graphs kept per machine (inference/optimized_graphs.py): saved by the first
session, loaded unoptimised by later ones with the same outputs; a corrupt graph is replaced, never an
error; another CPU or another provider gets none of them."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import onnxruntime as ort
import pytest

from faceswap_desktop.inference import optimized_graphs
from faceswap_desktop.inference.embedded import FACE_DETECTION_SHORT_RANGE, embedded_model_path
from faceswap_desktop.inference.sessions import SessionCache, _ort_factory

MODEL = embedded_model_path(FACE_DETECTION_SHORT_RANGE)


class Recording:
    """The real factory, noting which file each session came from and at which optimisation level."""

    def __init__(self) -> None:
        self.created: list[tuple[str, int]] = []

    def __call__(self, path: str, options: Any, providers: list[str]) -> Any:
        self.created.append((Path(path).name, int(options.graph_optimization_level)))
        return _ort_factory(path, options, providers)


def outputs(session: Any) -> list[np.ndarray]:
    entry = session.get_inputs()[0]
    shape = [d if isinstance(d, int) else 1 for d in entry.shape]
    image = np.random.default_rng(7).random(shape, dtype=np.float32)
    return list(session.run(None, {entry.name: image}))


def cache(folder: Path, factory: Recording) -> SessionCache:
    return SessionCache("cpu", available=["CPUExecutionProvider"], factory=factory, optimized_folder=folder)


def test_the_second_process_loads_the_saved_graph_unoptimised_with_the_same_outputs(tmp_path: Path) -> None:
    first, second = Recording(), Recording()
    fresh = cache(tmp_path, first).session(MODEL, intra_op_threads=1)
    saved = list(tmp_path.glob("*.onnx"))
    assert len(saved) == 1 and first.created == [(MODEL.name, 99)]  # optimised at load, as always
    assert not list(tmp_path.glob(".*partial*"))
    loaded = cache(tmp_path, second).session(MODEL, intra_op_threads=1)  # a later process
    disabled = int(ort.GraphOptimizationLevel.ORT_DISABLE_ALL)
    assert second.created == [(saved[0].name, disabled)]
    assert all(np.array_equal(a, b) for a, b in zip(outputs(fresh), outputs(loaded), strict=True))


def test_a_corrupt_graph_is_replaced(tmp_path: Path) -> None:
    cache(tmp_path, Recording()).session(MODEL)
    (saved,) = tmp_path.glob("*.onnx")
    saved.write_bytes(b"not a graph")
    again = Recording()
    session = cache(tmp_path, again).session(MODEL)
    assert [name for name, _level in again.created] == [saved.name, MODEL.name]  # tried, then rebuilt
    assert saved.stat().st_size > 1000 and outputs(session)


def test_another_cpu_gets_its_own_graph(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cache(tmp_path, Recording()).session(MODEL)
    monkeypatch.setattr(optimized_graphs, "machine_identity", lambda: "another cpu")
    other = Recording()
    cache(tmp_path, other).session(MODEL)
    assert other.created == [(MODEL.name, 99)] and len(list(tmp_path.glob("*.onnx"))) == 2


def test_other_providers_are_left_alone(tmp_path: Path) -> None:
    seen: list[list[str]] = []

    def factory(path: str, options: Any, providers: list[str]) -> Any:
        seen.append(providers)
        return _ort_factory(path, options, ["CPUExecutionProvider"])

    sessions = SessionCache(
        "cuda",
        available=["CUDAExecutionProvider", "CPUExecutionProvider"],
        factory=factory,
        optimized_folder=tmp_path,
    )
    sessions.session(MODEL)
    assert seen == [["CUDAExecutionProvider", "CPUExecutionProvider"]]
    assert not list(tmp_path.iterdir())
