"""Pixel boost: what each size costs per face, in process (align + k x k model runs + paste-back).

Without ``--model`` the swapper is a stand-in with inswapper_128's signature (target [1,3,128,128],
source [1,512], a 512x512 emap) and a conv stack for compute (6 convs of 3x3 at 128 px, 32 channels,
~0.6 GMAC a run); its absolute times are not inswapper's, the ratios to 128 are what carries over: a
boosted face runs the model k*k times (4, 9, 16) plus a fixed align/paste cost. Pass a real
``inswapper_128.onnx`` with ``--model`` to time the real thing. Usage:

    .venv/bin/python benchmarks/bench_pixel_boost.py [--model PATH] [--provider cpu|cuda|...]
        [--image PATH] [--repeats N]
"""

from __future__ import annotations

import argparse
import itertools
import statistics
import sys
import tempfile
import time
from pathlib import Path

import cv2
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from faceswap_desktop.core.roles import SourcePhoto
from faceswap_desktop.core.settings import SwapSettings
from faceswap_desktop.inference.inswapper import InswapperSwapper
from faceswap_desktop.inference.scrfd import ScrfdDetector
from faceswap_desktop.inference.sessions import SessionCache

SHARED = Path(__file__).resolve().parents[2] / "shared"


def stand_in(path: Path, convs: bool = True) -> Path:
    """A conv-stack graph with inswapper_128's inputs, output and emap (``convs=False``: the target
    passes through, which times everything but the model)."""
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    rng = np.random.default_rng(0)
    inits, nodes, current = [], [], "target"
    channels = [3, 32, 32, 32, 32, 32, 3] if convs else []
    for number, (cin, cout) in enumerate(itertools.pairwise(channels)):
        weight = (rng.normal(size=(cout, cin, 3, 3)) * (1.0 / np.sqrt(cin * 9))).astype(np.float32)
        inits.append(numpy_helper.from_array(weight, f"w{number}"))
        nodes.append(helper.make_node("Conv", [current, f"w{number}"], [f"c{number}"], pads=[1, 1, 1, 1]))
        nodes.append(helper.make_node("Relu", [f"c{number}"], [f"r{number}"]))
        current = f"r{number}"
    inits += [
        numpy_helper.from_array(np.zeros((1, 1), np.float32), "zero"),
        numpy_helper.from_array(rng.normal(size=(512, 512)).astype(np.float32), "emap"),
    ]
    nodes += [
        helper.make_node("MatMul", ["source", "emap"], ["projected"]),
        helper.make_node("ReduceSum", ["projected"], ["total"], keepdims=1),
        helper.make_node("Mul", ["total", "zero"], ["nothing"]),
        helper.make_node("Sigmoid", [current], ["squashed"]),
        helper.make_node("Add", ["squashed", "nothing"], ["output"]),
    ]
    io = helper.make_tensor_value_info
    graph = helper.make_graph(
        nodes,
        "inswapper_stand_in",
        [io("target", TensorProto.FLOAT, [1, 3, 128, 128]), io("source", TensorProto.FLOAT, [1, 512])],
        [io("output", TensorProto.FLOAT, [1, 3, 128, 128])],
        inits,
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 8
    onnx.save(model, str(path))
    return path


class _Recognizer:
    name = "fixed"

    def embed(self, image: object, face: object) -> np.ndarray:
        return np.ones(512, np.float32)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--model", type=Path, help="a real inswapper_128.onnx (default: the stand-in)")
    parser.add_argument("--provider", default="cpu")
    parser.add_argument("--image", type=Path, default=SHARED / "media/images/identity/biden/biden2.jpg")
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    sessions = SessionCache(args.provider)
    frame = cv2.imread(str(args.image))
    detector = ScrfdDetector(sessions.session(SHARED / "models/detection/scrfd_2.5g_bnkps.onnx"))
    face = detector.detect_faces(frame)[0]
    print(
        f"image: {args.image.name} {frame.shape[1]}x{frame.shape[0]}, face {face.size:.0f} px, "
        f"provider {sessions.provider}, median of {args.repeats}"
    )
    with tempfile.TemporaryDirectory() as folder:
        models = [
            ("pass-through graph (align + tiles + paste only)", stand_in(Path(folder) / "id.onnx", False))
        ]
        models.append(
            (args.model.name, args.model)
            if args.model
            else ("stand-in (inswapper signature, conv stack)", stand_in(Path(folder) / "convs.onnx"))
        )
        for title, model in models:
            swapper = InswapperSwapper.from_model_file(model, sessions.session(model), _Recognizer())  # type: ignore[arg-type]
            prepared = swapper.prepare_source([SourcePhoto(frame, face)])
            print(f"model: {title}")
            boosts = ("128", "256", "384", "512", "auto")
            samples: dict[str, list[float]] = {boost: [] for boost in boosts}
            for round_ in range(args.repeats + 1):  # sizes interleaved, so load drift hits them alike
                for boost in boosts:
                    start = time.perf_counter()
                    swapper.swap(frame, face, prepared, SwapSettings(pixel_boost=boost))
                    if round_:  # round 0 warms up
                        samples[boost].append((time.perf_counter() - start) * 1000)
            base = statistics.median(samples["128"])
            for boost in boosts:
                size = swapper.crop_size(face, SwapSettings(pixel_boost=boost))
                ms, best = statistics.median(samples[boost]), min(samples[boost])
                print(
                    f"  pixel boost {boost:>4} -> {size} px crop, {(size // 128) ** 2:2d} model runs: "
                    f"median {ms:7.1f} ms/face (min {best:7.1f}), {ms / base:4.1f}x native"
                )


if __name__ == "__main__":
    main()
