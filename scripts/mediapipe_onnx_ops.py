"""Conversion helpers for scripts/convert_mediapipe_models.py, run inside the converter's own venv.

Two jobs the off-the-shelf converters cannot do for MediaPipe's face models:

* :func:`densify_tflite`: the full-range BlazeFace file stores its fp16 convolution weights sparse
  (46 ``DENSIFY`` ops: dense dimensions plus one CSR dimension). tf2onnx cannot read them, so they are
  decoded here into dense buffers, the ``DENSIFY`` ops are dropped and the flatbuffer is re-packed with
  TensorFlow's bundled schema.
* :func:`replace_custom_ops`: tf2onnx keeps the attention landmark model's three MediaPipe custom ops as
  ``TFL_*`` nodes that ONNX Runtime refuses. They are rewritten with standard ONNX ops (opset 16),
  following the semantics of MediaPipe's Apache-2.0 kernels
  (``mediapipe/util/tflite/operations/{landmarks_to_transform_matrix,transform_tensor_bilinear,
  transform_landmarks}.cc``).

Not part of the package: imported only by the converter script, with tensorflow, tf2onnx and onnx.
"""

from __future__ import annotations

from typing import Any

import numpy as np

# --------------------------------------------------------------------------------------------------
# DENSIFY


def _decode_sparse(shape: list[int], sparsity: Any, values: np.ndarray) -> np.ndarray:
    """Dense array of a TFLite sparse tensor without block map (traversal order = dimension order)."""
    order = list(sparsity.traversalOrder)
    if order != list(range(len(shape))) or (sparsity.blockMap is not None and len(sparsity.blockMap)):
        raise ValueError(f"unsupported sparsity layout: traversal {order}, block map {sparsity.blockMap}")
    dense = np.zeros(shape, dtype=values.dtype)
    flat = dense.reshape(-1)
    strides = [int(np.prod(shape[i + 1 :])) for i in range(len(shape))]
    position = 0

    def walk(dim: int, parent: int, offset: int) -> None:
        # ``parent``: index of this dimension's segment (the flattened prefix position in sparse terms).
        nonlocal position
        meta = sparsity.dimMetadata[dim]
        if meta.format == 0:  # DENSE
            for i in range(meta.denseSize):
                child = parent * meta.denseSize + i
                if dim == len(shape) - 1:
                    flat[offset + i * strides[dim]] = values[position]
                    position += 1
                else:
                    walk(dim + 1, child, offset + i * strides[dim])
        else:  # SPARSE_CSR
            segments = np.asarray(meta.arraySegments.values)
            indices = np.asarray(meta.arrayIndices.values)
            for k in range(int(segments[parent]), int(segments[parent + 1])):
                i = int(indices[k])
                if dim == len(shape) - 1:
                    flat[offset + i * strides[dim]] = values[position]
                    position += 1
                else:
                    walk(dim + 1, k, offset + i * strides[dim])

    walk(0, 0, 0)
    if position != values.size:
        raise ValueError(f"sparse decode used {position} of {values.size} values")
    return dense


def densify_tflite(data: bytes) -> tuple[bytes, int]:
    """The model with every DENSIFY op replaced by a dense constant; (new flatbuffer, ops removed)."""
    import flatbuffers
    from tensorflow.lite.python import schema_py_generated as schema

    model = schema.ModelT.InitFromObj(schema.Model.GetRootAsModel(data, 0))
    codes = [max(code.builtinCode, code.deprecatedBuiltinCode) for code in model.operatorCodes]
    dtypes = {schema.TensorType.FLOAT16: np.float16, schema.TensorType.FLOAT32: np.float32}
    removed = 0
    for subgraph in model.subgraphs:
        kept = []
        for op in subgraph.operators:
            if codes[op.opcodeIndex] != schema.BuiltinOperator.DENSIFY:
                kept.append(op)
                continue
            source = subgraph.tensors[op.inputs[0]]
            target = subgraph.tensors[op.outputs[0]]
            dtype = dtypes[source.type]
            values = np.frombuffer(bytes(model.buffers[source.buffer].data), dtype=dtype)
            dense = _decode_sparse(list(source.shape), source.sparsity, values).astype(dtypes[target.type])
            # The DENSIFY output becomes a constant: give it a buffer of its own with the dense bytes.
            buffer = schema.BufferT()
            buffer.data = np.frombuffer(dense.tobytes(), dtype=np.uint8)
            model.buffers.append(buffer)
            target.buffer = len(model.buffers) - 1
            # The sparse tensor is left unused and empty: readers that walk every tensor with data
            # (tf2onnx does) would otherwise try to read its compressed values as a dense array.
            source.buffer, source.sparsity = 0, None
            removed += 1
        subgraph.operators = kept
    builder = flatbuffers.Builder(1024)
    builder.Finish(model.Pack(builder), file_identifier=b"TFL3")
    return bytes(builder.Output()), removed


# --------------------------------------------------------------------------------------------------
# MediaPipe custom ops -> standard ONNX


class _Builder:
    """Appends nodes and constants with unique names to a graph being rewritten."""

    def __init__(self, prefix: str) -> None:
        self.prefix = prefix
        self.nodes: list[Any] = []
        self.initializers: list[Any] = []
        self.cache: dict[tuple[str, str], Any] = {}
        """Values already computed for a tensor (a matrix's rows, features in NCHW): shared by the
        nodes that use the same input instead of recomputed (fewer tiny nodes, each with its cost)."""
        self._count = 0

    def name(self, hint: str) -> str:
        self._count += 1
        return f"{self.prefix}/{hint}_{self._count}"

    def const(self, value: Any, dtype: Any = np.float32, hint: str = "c") -> str:
        from onnx import numpy_helper

        name = self.name(hint)
        self.initializers.append(numpy_helper.from_array(np.asarray(value, dtype=dtype), name))
        return name

    def op(self, op_type: str, inputs: list[str], output: str | None = None, **attrs: Any) -> str:
        from onnx import helper

        out = output or self.name(op_type.lower())
        self.nodes.append(helper.make_node(op_type, inputs, [out], name=self.name(op_type), **attrs))
        return out

    def gather_last(self, tensor: str, index: int) -> str:
        """tensor[..., index:index+1] on the last axis."""
        return self.op("Gather", [tensor, self.const([index], np.int64)], axis=-1)


def _landmarks_to_matrices(b: _Builder, landmarks: str, nodes: list[tuple[str, dict[str, Any]]]) -> None:
    """Landmarks2TransformMatrix v2 for several nodes on the same [1, N, 3] landmarks, computed as one
    batch: each [1, 4, 4] output is the affine of its rotated subset box.

    rotation = target - atan2(dy, dx) of the right - left rotation landmarks; the subset is rotated by
    it, boxed, and the matrix maps the ``output_width x output_height`` grid onto ``scale`` x that box.
    cos/sin of the angle come from the normalised vector (no Atan2 needed). Subsets are padded to one
    length by repeating their first index (a repeated point changes no extent).
    """
    for _, attrs in nodes:
        if abs(float(attrs.get("target_rotation_radians", 0.0))) > 1e-9:
            raise ValueError("only target_rotation_radians = 0 is implemented")
    subsets = [sorted({int(i) for i in attrs["subset_idxs"]}) for _, attrs in nodes]
    width = max(len(subset) for subset in subsets)
    padded = [subset + [subset[0]] * (width - len(subset)) for subset in subsets]
    count = len(nodes)

    def per_node(key: str, transform: Any = float) -> Any:
        return np.array([transform(attrs[key]) for _, attrs in nodes], np.float32).reshape(1, count, 1)

    xy = b.op("Slice", [landmarks, b.const([0], np.int64), b.const([2], np.int64), b.const([2], np.int64)])
    points = b.op("Gather", [xy, b.const(padded, np.int64)], axis=1)  # [1, M, K, 2]
    left = b.op("Gather", [xy, b.const([int(a["left_rotation_idx"]) for _, a in nodes], np.int64)], axis=1)
    right = b.op("Gather", [xy, b.const([int(a["right_rotation_idx"]) for _, a in nodes], np.int64)], axis=1)
    delta = b.op("Sub", [right, left])  # [1, M, 2]
    norm = b.op(
        "Sqrt", [b.op("ReduceSum", [b.op("Mul", [delta, delta]), b.const([-1], np.int64)], keepdims=1)]
    )
    unit = b.op("Div", [delta, norm])
    cos, sin = b.gather_last(unit, 0), b.gather_last(unit, 1)  # [1, M, 1]: the angle of the line
    cos4 = b.op("Unsqueeze", [cos, b.const([-1], np.int64)])  # [1, M, 1, 1]
    sin4 = b.op("Unsqueeze", [sin, b.const([-1], np.int64)])
    px, py = b.gather_last(points, 0), b.gather_last(points, 1)  # [1, M, K, 1]
    # Points rotated by -angle (the kernel's ``t_rotation`` with r = -angle).
    rx = b.op("Add", [b.op("Mul", [px, cos4]), b.op("Mul", [py, sin4])])
    ry = b.op("Sub", [b.op("Mul", [py, cos4]), b.op("Mul", [px, sin4])])
    rotated = b.op("Concat", [rx, ry], axis=-1)  # [1, M, K, 2]
    low = b.op("ReduceMin", [rotated], axes=[2], keepdims=0)  # [1, M, 2]
    high = b.op("ReduceMax", [rotated], axes=[2], keepdims=0)
    middle = b.op("Mul", [b.op("Add", [low, high]), b.const(0.5)])
    size = b.op("Sub", [high, low])
    mx, my = b.gather_last(middle, 0), b.gather_last(middle, 1)  # [1, M, 1]
    # Centre rotated back by +angle.
    cx = b.op("Sub", [b.op("Mul", [mx, cos]), b.op("Mul", [my, sin])])
    cy = b.op("Add", [b.op("Mul", [mx, sin]), b.op("Mul", [my, cos])])
    scale_x = per_node("scale_x") / per_node("output_width")
    scale_y = per_node("scale_y") / per_node("output_height")
    sx = b.op("Mul", [b.gather_last(size, 0), b.const(scale_x)])
    sy = b.op("Mul", [b.gather_last(size, 1), b.const(scale_y)])
    # A = R(angle) diag(sx, sy); t = c + A (-out_w / 2, -out_h / 2).
    a00, a01 = b.op("Mul", [cos, sx]), b.op("Neg", [b.op("Mul", [sin, sy])])
    a10, a11 = b.op("Mul", [sin, sx]), b.op("Mul", [cos, sy])
    hw, hh = b.const(-per_node("output_width") / 2), b.const(-per_node("output_height") / 2)
    t0 = b.op("Add", [cx, b.op("Add", [b.op("Mul", [a00, hw]), b.op("Mul", [a01, hh])])])
    t1 = b.op("Add", [cy, b.op("Add", [b.op("Mul", [a10, hw]), b.op("Mul", [a11, hh])])])
    zero, one = b.const(np.zeros((1, count, 1))), b.const(np.ones((1, count, 1)))
    row = [a00, a01, zero, t0, a10, a11, zero, t1, zero, zero, one, zero, zero, zero, zero, one]
    flat = b.op("Concat", row, axis=2)  # [1, M, 16]
    for m, (output, _) in enumerate(nodes):
        one_matrix = b.op("Gather", [flat, b.const(m, np.int64)], axis=1)  # [1, 16]
        b.op("Reshape", [one_matrix, b.const([1, 4, 4], np.int64)], output=output)


def _affine_rows(b: _Builder, matrix: str) -> tuple[str, str]:
    """(A^T [1, 2, 2], t [1, 1, 2]) of the 4x4 matrix's first two rows."""
    cached = b.cache.get(("rows", matrix))
    if cached is not None:
        return cached  # type: ignore[no-any-return]
    top = b.op("Slice", [matrix, b.const([0], np.int64), b.const([2], np.int64), b.const([1], np.int64)])
    a = b.op("Slice", [top, b.const([0], np.int64), b.const([2], np.int64), b.const([2], np.int64)])
    a_t = b.op("Transpose", [a], perm=[0, 2, 1])
    t = b.op("Slice", [top, b.const([3], np.int64), b.const([4], np.int64), b.const([2], np.int64)])
    b.cache[("rows", matrix)] = (a_t, b.op("Transpose", [t], perm=[0, 2, 1]))
    return b.cache[("rows", matrix)]  # type: ignore[no-any-return]


def _transform_landmarks(b: _Builder, landmarks: str, matrix: str, output: str) -> None:
    """TransformLandmarks v2 on [1, N, 2]: p -> A p + t (no pixel-centre correction)."""
    a_t, t = _affine_rows(b, matrix)
    b.op("Add", [b.op("MatMul", [landmarks, a_t]), t], output=output)


def _transform_tensor(
    b: _Builder,
    features: str,
    matrix: str,
    output: str,
    in_hwc: tuple[int, int, int],
    out_hw: tuple[int, int],
) -> None:
    """TransformTensorBilinear v2: NHWC features resampled on the matrix's grid, 0 outside the input.

    Output pixel (u, v) samples input position A (u + 0.5, v + 0.5) + t - 0.5 bilinearly; positions
    outside [0, W-1] x [0, H-1] give 0 (not zero padding: the whole sample is dropped), so GridSample
    (align_corners=1, exact at those positions) is multiplied by an in-bounds mask.
    """
    in_h, in_w, channels = in_hwc
    out_h, out_w = out_hw
    a_t, t = _affine_rows(b, matrix)
    vs, us = np.meshgrid(
        np.arange(out_h, dtype=np.float32), np.arange(out_w, dtype=np.float32), indexing="ij"
    )
    grid = np.stack([us.ravel() + 0.5, vs.ravel() + 0.5], axis=-1)[None]  # [1, out_h*out_w, 2]
    coords = b.op("Add", [b.op("MatMul", [b.const(grid), a_t]), b.op("Sub", [t, b.const(0.5)])])
    limits = b.const(np.array([in_w - 1, in_h - 1], np.float32).reshape(1, 1, 2))
    inside_low = b.op("Not", [b.op("Less", [coords, b.const(0.0)])])
    inside_high = b.op("Not", [b.op("Greater", [coords, limits])])
    inside = b.op("Cast", [b.op("And", [inside_low, inside_high])], to=1)
    mask = b.op("ReduceProd", [inside], axes=[-1], keepdims=0)  # [1, out_h*out_w]
    mask = b.op("Reshape", [mask, b.const([1, 1, out_h, out_w], np.int64)])
    normalised = b.op(
        "Sub",
        [
            b.op("Mul", [coords, b.const(np.array([2 / (in_w - 1), 2 / (in_h - 1)], np.float32))]),
            b.const(1.0),
        ],
    )
    grid_4d = b.op("Reshape", [normalised, b.const([1, out_h, out_w, 2], np.int64)])
    nchw = b.cache.get(("nchw", features))
    if nchw is None:
        nchw = b.cache[("nchw", features)] = b.op("Transpose", [features], perm=[0, 3, 1, 2])
    sampled = b.op("GridSample", [nchw, grid_4d], align_corners=1, mode="bilinear", padding_mode="zeros")
    # The masked crop feeds a Conv and that block's residual Add: a depthwise 1x1 Conv by 1 (exact) hands
    # both the NCHWc tensor, so the Add and the blocks after it stay in ONNX Runtime's NCHWc layout
    # (mediapipe_onnx_nchwc.py).
    identity = b.const(np.ones((channels, 1, 1, 1), np.float32), hint="identity")
    masked = b.op("Conv", [b.op("Mul", [sampled, mask]), identity], group=channels, kernel_shape=[1, 1])
    b.op("Transpose", [masked], perm=[0, 2, 3, 1], output=output)


def replace_custom_ops(model: Any) -> tuple[Any, int]:
    """The model with its ``TFL_*`` MediaPipe nodes rewritten in standard ops; (model, nodes replaced)."""
    import onnx
    from onnx import helper, shape_inference

    graph = model.graph
    inferred = shape_inference.infer_shapes(model).graph
    shapes = {
        v.name: [d.dim_value for d in v.type.tensor_type.shape.dim]
        for v in list(inferred.value_info) + list(inferred.input) + list(inferred.output)
    }
    new_nodes: list[Any] = []
    replaced = 0
    b = _Builder("mediapipe_ops")
    # tf2onnx hands the custom ops NHWC features transposed from the convolutions' NCHW: sample those
    # NCHW tensors directly rather than transposing them back.
    for node in graph.node:
        perm = [a.ints for a in node.attribute if a.name == "perm"]
        if node.op_type == "Transpose" and perm and list(perm[0]) == [0, 2, 3, 1]:
            b.cache[("nchw", node.output[0])] = node.input[0]
    matrices: dict[str, list[tuple[str, dict[str, Any]]]] = {}
    for node in graph.node:
        if node.op_type == "TFL_Landmarks2TransformMatrix":
            attrs = {a.name: helper.get_attribute_value(a) for a in node.attribute}
            matrices.setdefault(node.input[0], []).append((node.output[0], attrs))
    for node in graph.node:
        if not node.op_type.startswith("TFL_"):
            new_nodes.append(node)
            continue
        attrs = {a.name: helper.get_attribute_value(a) for a in node.attribute}
        b.nodes = []
        if node.op_type == "TFL_Landmarks2TransformMatrix":
            # Every matrix of these landmarks at the first one's place (all inputs are ready there).
            if node.input[0] in matrices:
                _landmarks_to_matrices(b, node.input[0], matrices.pop(node.input[0]))
        elif node.op_type == "TFL_TransformLandmarks":
            _transform_landmarks(b, node.input[0], node.input[1], node.output[0])
        elif node.op_type == "TFL_TransformTensorBilinear":
            in_shape = shapes[node.input[0]]
            out_hw = (int(attrs["output_height"]), int(attrs["output_width"]))
            _transform_tensor(
                b,
                node.input[0],
                node.input[1],
                node.output[0],
                (in_shape[1], in_shape[2], in_shape[3]),
                out_hw,
            )
        else:
            raise ValueError(f"no rewrite for custom op {node.op_type}")
        new_nodes.extend(b.nodes)
        replaced += 1
    del graph.node[:]
    graph.node.extend(new_nodes)
    graph.initializer.extend(b.initializers)
    # Shapes tf2onnx could not infer for the custom nodes' outputs are recomputed below.
    del graph.value_info[:]
    for opset in model.opset_import:
        if opset.domain in ("", "ai.onnx") and opset.version < 16:
            opset.version = 16  # GridSample
    model = shape_inference.infer_shapes(model)
    onnx.checker.check_model(model)
    return model, replaced


def canonical_graph(model: Any) -> Any:
    """The same graph in a canonical form: nodes in a deterministic topological order, intermediate
    tensors, nodes and initializers named by that order, no cached shape info.

    tf2onnx numbers its nodes and constants from counters whose order changes from run to run, so the
    same graph came out with different names and node order (and sha256) each time; after this the file
    depends only on the graph. Graph inputs and outputs keep their names (the app reads outputs by name).
    """
    import hashlib

    graph = model.graph
    initializers = {init.name: init for init in graph.initializer}
    digests = {}
    for name, init in initializers.items():
        nameless = type(init)()
        nameless.CopyFrom(init)
        nameless.name = ""  # the names are what differs between runs
        digests[name] = hashlib.sha256(nameless.SerializeToString()).hexdigest()
    kept_names = {v.name for v in graph.input} | {v.name for v in graph.output}
    names: dict[str, str] = {name: name for name in kept_names}
    producers = {out: i for i, node in enumerate(graph.node) for out in node.output}
    waiting = [{name for name in node.input if name in producers} for node in graph.node]
    done: set[int] = set()
    order: list[int] = []
    available = {v.name for v in graph.input} | set(initializers) | {""}

    def key(i: int) -> tuple[str, ...]:
        node = graph.node[i]
        inputs = [names.get(n, f"init:{digests[n]}" if n in digests else n) for n in node.input]
        attrs = [a.SerializeToString().hex() for a in node.attribute]
        return (node.op_type, node.domain, *inputs, "|", *attrs)

    while len(order) < len(graph.node):
        ready = [i for i in range(len(graph.node)) if i not in done and waiting[i] <= available]
        best = min(ready, key=key)
        done.add(best)
        order.append(best)
        for j, out in enumerate(graph.node[best].output):
            if out and out not in names:
                names[out] = f"t{len(order)}_{j}"
            available.add(out)
    weights: dict[str, str] = {}
    nodes = []
    for k, i in enumerate(order):
        node = graph.node[i]
        for j, name in enumerate(node.input):
            if name in initializers:
                weights.setdefault(name, f"weight_{len(weights)}")
                node.input[j] = weights[name]
            elif name:
                node.input[j] = names[name]
        for j, name in enumerate(node.output):
            node.output[j] = names[name] if name else name
        node.name = f"node_{k}_{node.op_type}"
        nodes.append(node)
    ordered = []
    for old, new in weights.items():
        init = initializers[old]
        init.name = new
        ordered.append(init)
    del graph.node[:]
    graph.node.extend(nodes)
    del graph.initializer[:]
    graph.initializer.extend(ordered)
    del graph.value_info[:]
    graph.doc_string = ""  # tf2onnx writes the (temporary) source path here
    model.doc_string = ""
    return model
