"""Convert dlib's face-recognition ResNet (``dlib_face_recognition_resnet_model_v1.dat``) to ONNX.

Run once by a developer, never at run time:

    python scripts/convert_dlib_judge.py [path/to/dlib_face_recognition_resnet_model_v1.dat]

Without a path the file comes from the installed ``face_recognition_models`` distribution (PyPI
``face-recognition-models`` 0.3.0). Needs numpy and onnx only (no dlib): the ``.dat`` file is dlib's
serialisation of its ``anet_type`` network, read here directly. Writes
``faceswap_desktop/resources/models/dlib_resnet_v1.onnx`` and prints its sha256, which must then be copied
into ``faceswap_desktop/inference/embedded.py`` and ``resources/models/dlib_resnet_v1.onnx.sha256``.

The network (dlib's ``dnn_face_recognition_ex.cpp``; weights public domain, Davis King, dlib-models):
input 150x150 RGB, ``(pixel - channel mean) / 256``; conv 7x7/2 (32) + affine + relu, max-pool 3x3/2;
14 residual blocks (3 x 32, 4 x 64, 3 x 128, 4 x 256, the first block of each wider stage strided with
an average-pooled shortcut); global average pool; a 256 -> 128 fully connected layer without bias.
dlib's strided convolutions and pools have no padding, and its residual add zero-pads the smaller
operand (channels, and bottom/right rows and columns: 4x4 + 3x3 at the 256-channel stage), so the ONNX
graph pads explicitly where the shapes differ. Every ``affine`` (batch norm folded by dlib) directly
follows a convolution and is folded into it here.
"""

from __future__ import annotations

import argparse
import hashlib
import importlib.util
import sys
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

ROOT = Path(__file__).resolve().parents[1]
OUTPUT = ROOT / "faceswap_desktop" / "resources" / "models" / "dlib_resnet_v1.onnx"
DAT_NAME = "dlib_face_recognition_resnet_model_v1.dat"
OPSET = 17
IR_VERSION = 8  # onnxruntime >= 1.17 (the project's floor) reads IR 8 with opset 17
INPUT_SIZE = 150

# (filters, strided first block) per residual block, input side first: dlib's alevel4 .. alevel0.
BLOCKS: tuple[tuple[int, bool], ...] = (
    (32, False), (32, False), (32, False),
    (64, True), (64, False), (64, False), (64, False),
    (128, True), (128, False), (128, False),
    (256, True), (256, False), (256, False),
    (256, True),
)  # fmt: skip


class DatError(ValueError):
    """The file is not the network this converter knows."""


# ---------------------------------------------------------------------------------------------------
# dlib's serialisation: integers as a length byte (0x80 = negative) plus little-endian bytes; strings as
# an integer length plus bytes; doubles as (mantissa, exponent) integers; bools as '0'/'1'; tensors as
# version 2, four integer dimensions and raw little-endian float32 values.


@dataclass
class Reader:
    data: bytes
    pos: int = 0

    def integer(self) -> int:
        head = self.data[self.pos]
        size = head & 0x0F
        value = int.from_bytes(self.data[self.pos + 1 : self.pos + 1 + size], "little")
        self.pos += 1 + size
        return -value if head & 0x80 else value

    def string(self) -> str:
        size = self.integer()
        text = self.data[self.pos : self.pos + size].decode("ascii")
        self.pos += size
        return text

    def double(self) -> float:
        mantissa = self.integer()
        exponent = self.integer()
        return float(mantissa) * 2.0**exponent

    def boolean(self) -> bool:
        value = self.data[self.pos : self.pos + 1]
        self.pos += 1
        if value not in (b"0", b"1"):
            raise DatError(f"expected a bool at byte {self.pos - 1}, found {value!r}")
        return value == b"1"

    def tensor(self) -> np.ndarray:
        self.expect(self.integer(), 2, "tensor version")
        shape = [self.integer() for _ in range(4)]
        count = int(np.prod(shape))
        values = np.frombuffer(self.data, dtype="<f4", count=count, offset=self.pos)
        self.pos += 4 * count
        return values.astype(np.float32).reshape(shape)

    def alias(self) -> tuple[int, ...]:
        self.expect(self.integer(), 1, "alias_tensor version")
        return tuple(self.integer() for _ in range(4))

    @staticmethod
    def expect(found: object, wanted: object, what: str) -> None:
        if found != wanted:
            raise DatError(f"{what}: expected {wanted!r}, found {found!r}")


@dataclass
class Layer:
    kind: str
    weights: np.ndarray | None = None
    bias: np.ndarray | None = None
    ints: tuple[int, ...] = ()


@dataclass
class DlibNet:
    channel_means: tuple[float, float, float]
    layers: list[Layer] = field(default_factory=list)


def expected_versions() -> list[int]:
    """The add_layer (2), tag/skip (1) and input add_layer (3) versions, output side first."""
    versions = [2, 2]  # fc, avg_pool_everything
    for _, strided in reversed(BLOCKS):
        # relu, add_prev, [avg_pool, skip1, tag2], affine, con, relu, affine, con, tag1
        versions += [2, 2] + ([2, 1, 1] if strided else []) + [2, 2, 2, 2, 2, 1]
    return versions + [2, 2, 2, 3]  # max_pool, relu, affine, con (whose input is the input layer)


def expected_kinds() -> list[str]:
    """The layer details in file order (input side first)."""
    kinds = ["con_4", "affine_", "relu_", "max_pool_2"]
    for _, strided in BLOCKS:
        kinds += ["con_4", "affine_", "relu_", "con_4", "affine_"]
        kinds += (["avg_pool_2"] if strided else []) + ["add_prev_", "relu_"]
    return kinds + ["avg_pool_2", "fc_2"]


def read_dat(data: bytes) -> DlibNet:
    """Parse the whole file; any difference from the known network is a :class:`DatError`."""
    reader = Reader(data)
    reader.expect(reader.integer(), 1, "loss layer version")
    reader.expect(reader.string(), "loss_metric_2", "loss layer")
    reader.double(), reader.double()  # margin and distance threshold: training only
    versions = [reader.integer() for _ in range(len(expected_versions()))]
    reader.expect(versions, expected_versions(), "network structure")
    reader.expect(reader.string(), "input_rgb_image_sized", "input layer")
    means = (reader.double(), reader.double(), reader.double())
    reader.expect((reader.integer(), reader.integer()), (INPUT_SIZE, INPUT_SIZE), "input size")
    net = DlibNet(channel_means=means)
    for index, kind in enumerate(expected_kinds()):
        reader.expect(reader.string(), kind, f"layer {index}")
        net.layers.append(_read_layer(reader, kind))
        # add_layer's own state: three flags and three (empty) gradient/cache tensors
        for _ in range(3):
            reader.boolean()
        for _ in range(3):
            reader.expect(reader.tensor().size, 0, "cached tensor size")
        if index == 0:
            reader.integer()  # the input add_layer's sample expansion factor
    reader.expect(reader.pos, len(data), "end of file")
    return net


def _read_layer(reader: Reader, kind: str) -> Layer:
    if kind == "con_4":
        params = reader.tensor().reshape(-1)
        filters, rows, cols, stride_y, stride_x, pad_y, pad_x = (reader.integer() for _ in range(7))
        shape, bias_shape = reader.alias(), reader.alias()
        for _ in range(4):
            reader.double()  # learning-rate and weight-decay multipliers
        count = int(np.prod(shape))
        reader.expect(shape[0], filters, "filters")
        reader.expect(params.size, count + filters, "conv parameter count")
        reader.expect(bias_shape, (1, filters, 1, 1), "conv bias shape")
        reader.expect((rows, cols, stride_y, stride_x), (rows, rows, stride_y, stride_y), "square conv")
        return Layer(kind, params[:count].reshape(shape), params[count:], (rows, stride_y, pad_y, pad_x))
    if kind == "affine_":
        params = reader.tensor().reshape(-1)
        gamma, beta = reader.alias(), reader.alias()
        reader.expect(reader.integer(), 0, "affine mode (conv)")
        channels = gamma[1]
        reader.expect((gamma, beta, params.size), ((1, channels, 1, 1),) * 2 + (2 * channels,), "affine")
        return Layer(kind, params[:channels], params[channels:])
    if kind in ("max_pool_2", "avg_pool_2"):
        return Layer(kind, ints=tuple(reader.integer() for _ in range(6)))
    if kind == "fc_2":
        outputs, inputs = reader.integer(), reader.integer()
        params = reader.tensor().reshape(-1)
        reader.expect(reader.alias(), (inputs, outputs, 1, 1), "fc weights")
        reader.expect(reader.alias(), (0, 0, 0, 0), "fc biases")
        reader.expect(reader.integer(), 1, "fc bias mode (no bias)")
        for _ in range(4):
            reader.double()
        return Layer(kind, params.reshape(inputs, outputs))
    return Layer(kind)  # relu_, add_prev_: no parameters


# ---------------------------------------------------------------------------------------------------
# ONNX graph


class GraphBuilder:
    """Nodes and initializers, tracking each value's static (C, H, W) to place the zero pads."""

    def __init__(self) -> None:
        self.nodes: list[onnx.NodeProto] = []
        self.initializers: list[onnx.TensorProto] = []
        self.shapes: dict[str, tuple[int, int, int]] = {}
        self._count = 0

    def name(self, prefix: str) -> str:
        self._count += 1
        return f"{prefix}_{self._count}"

    def const(self, prefix: str, value: np.ndarray) -> str:
        name = self.name(prefix)
        self.initializers.append(numpy_helper.from_array(np.ascontiguousarray(value), name))
        return name

    def node(self, op: str, inputs: list[str], shape: tuple[int, int, int], **attrs: object) -> str:
        out = self.name(op.lower())
        self.nodes.append(helper.make_node(op, inputs, [out], name=out, **attrs))
        self.shapes[out] = shape
        return out

    def conv(self, x: str, con: Layer, affine: Layer) -> str:
        assert con.weights is not None and con.bias is not None
        assert affine.weights is not None and affine.bias is not None
        size, stride, pad_y, pad_x = con.ints
        gamma, beta = affine.weights, affine.bias
        # affine(conv(x)) = gamma * (W * x + b) + beta, folded into one convolution (float64 products).
        weights = (con.weights.astype(np.float64) * gamma[:, None, None, None]).astype(np.float32)
        bias = (con.bias.astype(np.float64) * gamma + beta).astype(np.float32)
        _, height, width = self.shapes[x]
        out_shape = (
            con.weights.shape[0],
            (height + 2 * pad_y - size) // stride + 1,
            (width + 2 * pad_x - size) // stride + 1,
        )
        return self.node(
            "Conv",
            [x, self.const("w", weights), self.const("b", bias)],
            out_shape,
            kernel_shape=[size, size],
            strides=[stride, stride],
            pads=[pad_y, pad_x, pad_y, pad_x],
        )

    def pool(self, op: str, x: str, layer: Layer) -> str:
        size, _, stride, _, pad_y, pad_x = layer.ints
        channels, height, width = self.shapes[x]
        out_shape = (
            channels,
            (height + 2 * pad_y - size) // stride + 1,
            (width + 2 * pad_x - size) // stride + 1,
        )
        return self.node(
            op,
            [x],
            out_shape,
            kernel_shape=[size, size],
            strides=[stride, stride],
            pads=[pad_y, pad_x, pad_y, pad_x],
        )

    def pad_to(self, x: str, shape: tuple[int, int, int]) -> str:
        """Zero-pad channels at the end and rows/columns at the bottom/right, as dlib's add does."""
        if self.shapes[x] == shape:
            return x
        extra = [target - have for target, have in zip(shape, self.shapes[x], strict=True)]
        pads = np.array([0, 0, 0, 0, 0, *extra], dtype=np.int64)  # N, C, H, W begins then ends
        return self.node("Pad", [x, self.const("pads", pads)], shape, mode="constant")

    def add(self, a: str, b: str) -> str:
        shape = tuple(max(p, q) for p, q in zip(self.shapes[a], self.shapes[b], strict=True))
        full = (shape[0], shape[1], shape[2])
        return self.node("Add", [self.pad_to(a, full), self.pad_to(b, full)], full)


def build_onnx(net: DlibNet) -> onnx.ModelProto:
    """The ONNX graph: ``image`` [N,3,150,150] RGB 0-255 -> ``descriptor`` [N,128] (dlib's raw output)."""
    graph = GraphBuilder()
    layers = iter(net.layers)

    def take(kind: str) -> Layer:
        layer = next(layers)
        Reader.expect(layer.kind, kind, "layer order")
        return layer

    def relu(value: str) -> str:
        take("relu_")
        return graph.node("Relu", [value], graph.shapes[value])

    graph.shapes["image"] = (3, INPUT_SIZE, INPUT_SIZE)
    means = np.array(net.channel_means, dtype=np.float32).reshape(1, 3, 1, 1)
    x = graph.node("Sub", ["image", graph.const("means", means)], graph.shapes["image"])
    # dlib divides by 256: a power of two, so multiplying by 1/256 is exact.
    x = graph.node("Mul", [x, graph.const("scale", np.array(1 / 256, np.float32))], graph.shapes[x])
    x = graph.conv(x, take("con_4"), take("affine_"))
    x = relu(x)
    x = graph.pool("MaxPool", x, take("max_pool_2"))
    for _, strided in BLOCKS:
        shortcut = x
        y = graph.conv(x, take("con_4"), take("affine_"))
        y = relu(y)
        y = graph.conv(y, take("con_4"), take("affine_"))
        if strided:
            shortcut = graph.pool("AveragePool", shortcut, take("avg_pool_2"))
        take("add_prev_")
        x = graph.add(shortcut, y)
        x = relu(x)
    pool = take("avg_pool_2")
    Reader.expect(pool.ints, (0, 0, 1, 1, 0, 0), "avg_pool_everything")
    channels = graph.shapes[x][0]
    x = graph.node("GlobalAveragePool", [x], (channels, 1, 1))
    flat = graph.node("Flatten", [x], (channels, 1, 1), axis=1)
    fc = take("fc_2")
    assert fc.weights is not None
    graph.nodes.append(
        helper.make_node("MatMul", [flat, graph.const("fc", fc.weights)], ["descriptor"], name="descriptor")
    )
    model = helper.make_model(
        helper.make_graph(
            graph.nodes,
            "dlib_face_recognition_resnet_model_v1",
            [helper.make_tensor_value_info("image", TensorProto.FLOAT, ["N", 3, INPUT_SIZE, INPUT_SIZE])],
            [helper.make_tensor_value_info("descriptor", TensorProto.FLOAT, ["N", 128])],
            graph.initializers,
        ),
        opset_imports=[helper.make_opsetid("", OPSET)],
        producer_name="faceswap-desktop scripts/convert_dlib_judge.py",
        doc_string=(
            "dlib_face_recognition_resnet_model_v1 (Davis King, dlib-models; public domain), converted "
            "from the .dat file. Input: 150x150 face chip, RGB 0-255, NCHW. Output: dlib's 128-d "
            "descriptor (not normalised)."
        ),
    )
    model.ir_version = IR_VERSION
    onnx.checker.check_model(model, full_check=True)
    return model


def installed_dat() -> Path:
    """The .dat file of the installed face_recognition_models (found without importing it)."""
    spec = importlib.util.find_spec("face_recognition_models")
    for folder in list(spec.submodule_search_locations or []) if spec is not None else []:
        candidate = Path(folder) / "models" / DAT_NAME
        if candidate.is_file():
            return candidate
    raise SystemExit(f"{DAT_NAME} not found: pass its path, or install face-recognition-models")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("dat", nargs="?", type=Path, help=f"path of {DAT_NAME}")
    parser.add_argument("--output", type=Path, default=OUTPUT)
    args = parser.parse_args(argv)
    source = args.dat or installed_dat()
    data = source.read_bytes()
    print(f"source {source} ({len(data):,} bytes, sha256 {hashlib.sha256(data).hexdigest()})")
    net = read_dat(data)
    model = build_onnx(net)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    partial = args.output.with_suffix(".partial")
    partial.write_bytes(model.SerializeToString())
    partial.replace(args.output)  # never a half-written file under the final name
    digest = hashlib.sha256(args.output.read_bytes()).hexdigest()
    convs = sum(layer.kind == "con_4" for layer in net.layers)
    affines = sum(layer.kind == "affine_" for layer in net.layers)
    fcs = sum(layer.kind == "fc_2" for layer in net.layers)
    print(f"read {convs} conv, {affines} affine, {fcs} fc; channel means {net.channel_means}")
    print(f"wrote {args.output} ({args.output.stat().st_size:,} bytes)")
    print(f"sha256 {digest}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
