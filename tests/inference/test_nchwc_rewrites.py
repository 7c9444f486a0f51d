"""scripts/mediapipe_onnx_nchwc.py: the attention mesh's layout rewrites compute the same function, and
keep ONNX Runtime's CPU graph in its NCHWc layout (few ``Reorder*`` nodes in the optimised graph).

Small synthetic graphs with the real model's patterns (a PRelu after a Conv, a down-sampling block whose
residual is MaxPool + channel Pad), and the shipped model's optimised graph.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import numpy as np
import pytest

onnx = pytest.importorskip("onnx")
ort = pytest.importorskip("onnxruntime")
from onnx import TensorProto, helper, numpy_helper  # noqa: E402

from faceswap_desktop.inference.embedded import (  # noqa: E402
    FACE_LANDMARKS_ATTENTION,
    embedded_model_path,
)

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "mediapipe_onnx_nchwc.py"


def _rewrites() -> ModuleType:
    spec = importlib.util.spec_from_file_location("mediapipe_onnx_nchwc", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def _block_model(rng: np.random.Generator) -> onnx.ModelProto:
    """x -> Conv 16 -> PRelu -> (Conv 3x3 stride 2 -> Conv 1x1 32) + Pad(MaxPool, +16 channels) -> PRelu."""

    def weight(name: str, shape: tuple[int, ...], scale: float = 0.3) -> onnx.TensorProto:
        return numpy_helper.from_array((rng.standard_normal(shape) * scale).astype(np.float32), name)

    def slope(name: str, channels: int) -> onnx.TensorProto:
        values = rng.uniform(-4.0, 6.0, (1, channels, 1, 1)).astype(np.float32)  # the model's range
        return numpy_helper.from_array(values, name)

    pads = numpy_helper.from_array(np.array([0, 0, 0, 0, 0, 16, 0, 0], np.int64), "pads")
    nodes = [
        helper.make_node("Conv", ["x", "w0", "b0"], ["c0"], kernel_shape=[3, 3], pads=[1, 1, 1, 1]),
        helper.make_node("PRelu", ["c0", "a0"], ["p0"]),
        helper.make_node(
            "Conv", ["p0", "w1"], ["c1"], kernel_shape=[3, 3], strides=[2, 2], pads=[0, 0, 1, 1]
        ),
        helper.make_node("Conv", ["c1", "w2", "b2"], ["c2"], kernel_shape=[1, 1]),
        helper.make_node("MaxPool", ["p0"], ["m"], kernel_shape=[2, 2], strides=[2, 2]),
        helper.make_node("Pad", ["m", "pads"], ["padded"]),
        helper.make_node("Add", ["padded", "c2"], ["sum"]),
        helper.make_node("PRelu", ["sum", "a1"], ["y"]),
    ]
    initializers = [
        weight("w0", (16, 16, 3, 3)),
        weight("b0", (16,)),
        slope("a0", 16),
        weight("w1", (16, 16, 3, 3)),
        weight("w2", (32, 16, 1, 1)),
        weight("b2", (32,)),
        pads,
        slope("a1", 32),
    ]
    graph = helper.make_graph(
        nodes,
        "block",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 16, 32, 32])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 32, 16, 16])],
        initializers,
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 16)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    return model


def _run_and_count(model: onnx.ModelProto, x: np.ndarray, tmp_path: Path) -> tuple[np.ndarray, int]:
    """The model's output on ``x`` (one thread) and the Reorder nodes of its optimised graph."""
    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    options.log_severity_level = 3
    optimised = tmp_path / f"optimised_{id(model)}.onnx"
    options.optimized_model_filepath = str(optimised)
    session = ort.InferenceSession(model.SerializeToString(), options, providers=["CPUExecutionProvider"])
    y = session.run(None, {session.get_inputs()[0].name: x})[0]
    reorders = sum(n.op_type.startswith("Reorder") for n in onnx.load(str(optimised)).graph.node)
    return y, reorders


def test_rewrites_compute_the_same_block_in_the_nchwc_layout(tmp_path: Path) -> None:
    rewrites = _rewrites()
    rng = np.random.default_rng(7)
    original = _block_model(rng)
    copy = onnx.ModelProto()
    copy.CopyFrom(original)
    rewritten, prelus = rewrites.replace_prelu(copy)
    rewritten, pads = rewrites.replace_channel_pad(rewritten)
    onnx.checker.check_model(rewritten)
    assert (prelus, pads) == (2, 1)
    assert not {"PRelu", "Pad"} & {n.op_type for n in rewritten.graph.node}

    x = rng.standard_normal((1, 16, 32, 32)).astype(np.float32) * 3
    expected, reorders_before = _run_and_count(original, x, tmp_path)
    got, reorders_after = _run_and_count(rewritten, x, tmp_path)
    # Float rounding only (x + (1 - a) * (-x) for a * x; the residual Add fused into a Conv's sum).
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-5 * float(np.abs(expected).max()))
    if reorders_before:  # an x86 build (NCHWc): only the graph input and output are reordered
        assert reorders_after == 2 < reorders_before


def test_channel_pad_rewrite_leaves_other_pads() -> None:
    rewrites = _rewrites()
    spatial = numpy_helper.from_array(np.array([0, 0, 1, 1, 0, 0, 1, 1], np.int64), "pads")
    node = helper.make_node("Pad", ["m", "pads"], ["out"])
    assert rewrites._appended_channels(node, {"pads": numpy_helper.to_array(spatial)}) is None
    reflect = helper.make_node("Pad", ["m", "pads"], ["out"], mode="reflect")
    channels = np.array([0, 0, 0, 0, 0, 8, 0, 0], np.int64)
    assert rewrites._appended_channels(reflect, {"pads": channels}) is None
    assert rewrites._appended_channels(node, {"pads": channels}) == 8


def test_shipped_attention_model_stays_in_the_nchwc_layout(tmp_path: Path) -> None:
    """89 ReorderOutput + 76 ReorderInput before the rewrites; now the 9 + 3 that the output heads and the
    GridSample crops need (none at all where ONNX Runtime has no NCHWc kernels)."""
    model = onnx.load(str(embedded_model_path(FACE_LANDMARKS_ATTENTION)))
    _y, reorders = _run_and_count(model, np.zeros((1, 192, 192, 3), np.float32), tmp_path)
    assert reorders <= 12
