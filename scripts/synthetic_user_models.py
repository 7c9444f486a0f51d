"""Write two synthetic ONNX models with real signatures, to try ``models add`` without real weights.

- ``tint_swapper.onnx``: the inswapper_128 signature (``target`` [1,3,128,128], ``source`` [1,512],
  output [1,3,128,128], a 512x512 emap as the last initializer). Its output is the target crop half
  blended with a colour taken from the identity latent, so the pasted area and the source's effect show.
- ``mean_encoder.onnx``: an ArcFace-style recognizer ([1,3,112,112] -> [1,512]): the channel means of
  the crop followed by fixed values.

Usage: python scripts/synthetic_user_models.py OUT_DIR   (needs the ``onnx`` dev dependency)
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper


def _save(graph: onnx.GraphProto, path: Path) -> Path:
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    onnx.save(model, str(path))
    return path


def _io(name: str, shape: list[int]) -> onnx.ValueInfoProto:
    return helper.make_tensor_value_info(name, TensorProto.FLOAT, shape)


def tint_swapper(path: Path, seed: int = 0) -> Path:
    emap = np.random.default_rng(seed).normal(size=(512, 512)).astype(np.float32)
    inits = [
        numpy_helper.from_array(np.array([0], np.int64), "start"),
        numpy_helper.from_array(np.array([3], np.int64), "end"),
        numpy_helper.from_array(np.array([1], np.int64), "axis"),
        numpy_helper.from_array(np.array([1, 3, 1, 1], np.int64), "shape"),
        numpy_helper.from_array(np.array(40.0, np.float32), "gain"),
        numpy_helper.from_array(np.array(0.5, np.float32), "half"),
        numpy_helper.from_array(np.zeros((1, 1), np.float32), "zero"),
        numpy_helper.from_array(emap, "emap"),  # last, as in the real file
    ]
    nodes = [
        helper.make_node("MatMul", ["source", "emap"], ["projected"]),
        helper.make_node("ReduceSum", ["projected"], ["projected_sum"], keepdims=1),
        helper.make_node("Mul", ["projected_sum", "zero"], ["nothing"]),
        helper.make_node("Slice", ["source", "start", "end", "axis"], ["first3"]),
        helper.make_node("Mul", ["first3", "gain"], ["scaled"]),
        helper.make_node("Sigmoid", ["scaled"], ["colour3"]),
        helper.make_node("Reshape", ["colour3", "shape"], ["colour"]),
        helper.make_node("Mul", ["target", "half"], ["half_target"]),
        helper.make_node("Mul", ["colour", "half"], ["half_colour"]),
        helper.make_node("Add", ["half_target", "half_colour"], ["blend"]),
        helper.make_node("Add", ["blend", "nothing"], ["output"]),
    ]
    graph = helper.make_graph(
        nodes,
        "tint_swapper",
        [_io("target", [1, 3, 128, 128]), _io("source", [1, 512])],
        [_io("output", [1, 3, 128, 128])],
        inits,
    )
    return _save(graph, path)


def mean_encoder(path: Path, seed: int = 1) -> Path:
    tail = np.random.default_rng(seed).normal(size=(1, 509)).astype(np.float32) * 0.01
    nodes = [
        helper.make_node("ReduceMean", ["input"], ["channel_means"], axes=[2, 3], keepdims=0),
        helper.make_node("Concat", ["channel_means", "tail"], ["output"], axis=1),
    ]
    graph = helper.make_graph(
        nodes,
        "mean_encoder",
        [_io("input", [1, 3, 112, 112])],
        [_io("output", [1, 512])],
        [numpy_helper.from_array(tail, "tail")],
    )
    return _save(graph, path)


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print(__doc__)
        return 2
    out = Path(argv[0])
    out.mkdir(parents=True, exist_ok=True)
    for path in (tint_swapper(out / "tint_swapper.onnx"), mean_encoder(out / "mean_encoder.onnx")):
        print(path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
