"""Layout rewrites for scripts/convert_mediapipe_models.py: the attention landmark model in ops that ONNX
Runtime's CPU provider keeps in its blocked NCHWc layout.

ONNX Runtime runs a Conv whose channels are a multiple of the SIMD width (16 on AVX-512, 8 on AVX2) in
NCHWc and converts tensors in and out of that layout (``ReorderInput`` / ``ReorderOutput`` nodes) around
every op it cannot run there. An Add stays NCHWc only when both of its inputs are, so one such op in a
residual chain pushes every later block of the chain out of the layout. The attention model had three:

* its 73 PRelu (ONNX Runtime's PRelu with a per-channel slope, and Min/Mul, are not NCHWc ops);
* its 9 channel Pads (the residual of each down-sampling block: MaxPool, then zero channels appended);
* the masked GridSample output of its 3 attention crops (Mul by a [1, 1, H, W] in-bounds mask).

Each is rewritten in ops with NCHWc forms (BatchNormalization, Relu, Conv), the same function within
float rounding; the optimised graph went from 89 ReorderOutput + 76 ReorderInput nodes to 9 + 3 (the
output heads and the crops' inputs), and the run from 3.4-3.6 to 2.5-2.7 ms (one thread, x86; without
NCHWc kernels, as on ARM, 6.5 -> 6.7 ms: docs/embedded_models.md). Check a rewrite's effect with
``SessionOptions.optimized_model_filepath`` and count the ``Reorder*`` nodes of the saved graph.
"""

from __future__ import annotations

from typing import Any

import numpy as np


def replace_prelu(model: Any) -> tuple[Any, int]:
    """PRelu(x, a) rewritten as x + (1 - a) * Relu(-x); (model, PRelus rewritten).

    The two per-channel scalings are BatchNormalizations with mean 0, variance 1, bias 0 and epsilon 0
    (so exactly ``x * scale``): ONNX Runtime turns a BatchNormalization on an NCHWc tensor into a
    depthwise 1x1 NchwcConv, fusing the Relu into the first and the Add (as its sum) into the second,
    and runs it as one cheap per-channel pass where it has no NCHWc kernels (ARM): depthwise 1x1 Convs
    instead measured 2.7 ms with NCHWc but 8.1 ms without (6.5 for the former Min/Mul/Add).
    For x >= 0 the result is x exactly; for x < 0 it is x + (1 - a) * (-x), which rounds like the former
    x + (a - 1) * min(x, 0) (within one float rounding of a * x).
    """
    from onnx import helper, numpy_helper

    graph = model.graph
    initializers = {i.name: i for i in graph.initializer}

    def constant(name: str, value: np.ndarray) -> str:
        if name not in initializers:
            initializers[name] = numpy_helper.from_array(value.astype(np.float32), name)
            graph.initializer.append(initializers[name])
        return name

    nodes: list[Any] = []
    replaced = 0
    for node in graph.node:
        if node.op_type != "PRelu" or node.input[1] not in initializers:
            nodes.append(node)
            continue
        x, slope_name = node.input
        y = node.output[0]
        slope = numpy_helper.to_array(initializers[slope_name]).astype(np.float32).reshape(-1)
        channels = slope.size
        zeros = constant(f"prelu_rewrite/zeros_{channels}", np.zeros(channels))
        ones = constant(f"prelu_rewrite/ones_{channels}", np.ones(channels))
        minus_one = constant(f"prelu_rewrite/minus_one_{channels}", -np.ones(channels))
        # -(a - 1) rather than 1 - a: the same float (rounding is symmetric), as the former rewrite.
        one_minus = constant(f"{slope_name}/one_minus", -(slope - np.float32(1.0)))
        nodes += [
            helper.make_node(
                "BatchNormalization",
                [x, minus_one, zeros, zeros, ones],
                [f"{y}/negated"],
                name=f"{y}/negate",
                epsilon=0.0,
            ),
            helper.make_node("Relu", [f"{y}/negated"], [f"{y}/negative"], name=f"{y}/relu"),
            helper.make_node(
                "BatchNormalization",
                [f"{y}/negative", one_minus, zeros, zeros, ones],
                [f"{y}/scaled"],
                name=f"{y}/scale",
                epsilon=0.0,
            ),
            helper.make_node("Add", [f"{y}/scaled", x], [y], name=f"{y}/add"),
        ]
        replaced += 1
    del graph.node[:]
    graph.node.extend(nodes)
    _drop_unused_initializers(graph)
    return model, replaced


def replace_channel_pad(model: Any) -> tuple[Any, int]:
    """Zero Pads of the channel axis (NCHW, appended channels only) rewritten as 1x1 Convs by an identity
    matrix padded with zero rows; (model, Pads rewritten). The same values (1 * x plus zeros is exact)."""
    from onnx import helper, numpy_helper, shape_inference

    graph = model.graph
    initializers = {i.name: numpy_helper.to_array(i) for i in graph.initializer}
    inferred = shape_inference.infer_shapes(model).graph
    shapes = {
        v.name: [d.dim_value for d in v.type.tensor_type.shape.dim]
        for v in list(inferred.value_info) + list(inferred.input)
    }
    nodes: list[Any] = []
    replaced = 0
    for node in graph.node:
        added = _appended_channels(node, initializers)
        if added is None:
            nodes.append(node)
            continue
        channels = shapes[node.input[0]][1]
        eye = np.zeros((channels + added, channels, 1, 1), np.float32)
        eye[np.arange(channels), np.arange(channels)] = 1.0
        name = f"channel_pad_rewrite/eye_{channels}_{channels + added}"
        if name not in initializers:
            initializers[name] = eye
            graph.initializer.append(numpy_helper.from_array(eye, name))
        nodes.append(
            helper.make_node(
                "Conv", [node.input[0], name], list(node.output), name=node.name, kernel_shape=[1, 1]
            )
        )
        replaced += 1
    del graph.node[:]
    graph.node.extend(nodes)
    _drop_unused_initializers(graph)
    return model, replaced


def _appended_channels(node: Any, initializers: dict[str, np.ndarray]) -> int | None:
    """How many zero channels a 4-D constant-mode Pad appends (and pads nothing else), else None."""
    from onnx import helper

    if node.op_type != "Pad" or len(node.input) < 2 or node.input[1] not in initializers:
        return None
    attrs = {a.name: helper.get_attribute_value(a) for a in node.attribute}
    if attrs.get("mode", b"constant") not in (b"constant", "constant"):
        return None
    if len(node.input) > 2 and node.input[2]:
        value = initializers.get(node.input[2])
        if value is None or np.any(value != 0):
            return None
    pads = initializers[node.input[1]].astype(np.int64).tolist()
    if len(pads) != 8 or pads[5] <= 0 or any(p != 0 for i, p in enumerate(pads) if i != 5):
        return None
    return int(pads[5])


def _drop_unused_initializers(graph: Any) -> None:
    used = {name for node in graph.node for name in node.input}
    kept = [i for i in graph.initializer if i.name in used]
    del graph.initializer[:]
    graph.initializer.extend(kept)
