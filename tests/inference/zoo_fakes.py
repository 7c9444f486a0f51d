"""Synthetic ONNX graphs with the exact tensor names/shapes of the real downloadable models, and a local
HTTP server with scripted faults for the model store's download tests."""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

OPSET = [helper.make_opsetid("", 13)]


def _save(graph: onnx.GraphProto, path: Path) -> Path:
    model = helper.make_model(graph, opset_imports=OPSET)
    model.ir_version = 8  # readable by every onnxruntime >= 1.17
    onnx.checker.check_model(model)
    onnx.save(model, str(path))
    return path


def _io(name: str, shape: list[int], dtype: int = TensorProto.FLOAT) -> onnx.ValueInfoProto:
    return helper.make_tensor_value_info(name, dtype, shape)


def inswapper_graph(
    path: Path,
    emap: np.ndarray,
    mode: str = "identity",
    colour_rgb=(0.0, 1.0, 0.0),
    decoy: np.ndarray | None = None,
) -> Path:
    """inputs target [1,3,128,128], source [1,512]; output [1,3,128,128]; the emap is the LAST initializer.

    mode "identity": output = target; "constant": output = colour_rgb everywhere. Both also add
    0 * sum(source @ emap) so the emap is a real, used initializer; ``decoy`` adds an earlier 512x512
    initializer (also used) that must NOT be taken for the emap.
    """
    inits = [numpy_helper.from_array(np.zeros((1, 1), np.float32), "zero")]
    nodes = [
        helper.make_node("MatMul", ["source", "emap"], ["projected"]),
        helper.make_node("ReduceSum", ["projected"], ["projected_sum"], keepdims=1),
        helper.make_node("Mul", ["projected_sum", "zero"], ["nothing"]),
    ]
    if decoy is not None:
        inits.append(numpy_helper.from_array(decoy.astype(np.float32), "decoy"))
        nodes += [
            helper.make_node("MatMul", ["source", "decoy"], ["decoyed"]),
            helper.make_node("ReduceSum", ["decoyed"], ["decoy_sum"], keepdims=1),
            helper.make_node("Mul", ["decoy_sum", "zero"], ["decoy_nothing"]),
            helper.make_node("Add", ["nothing", "decoy_nothing"], ["zero_total"]),
        ]
    else:
        nodes.append(helper.make_node("Identity", ["nothing"], ["zero_total"]))
    if mode == "identity":
        nodes.append(helper.make_node("Add", ["target", "zero_total"], ["output"]))
    else:
        colour = np.broadcast_to(np.array(colour_rgb, np.float32)[None, :, None, None], (1, 3, 128, 128))
        inits.append(numpy_helper.from_array(np.ascontiguousarray(colour), "colour"))
        nodes += [
            helper.make_node("Mul", ["target", "zero"], ["blank"]),
            helper.make_node("Add", ["blank", "colour"], ["coloured"]),
            helper.make_node("Add", ["coloured", "zero_total"], ["output"]),
        ]
    inits.append(numpy_helper.from_array(emap.astype(np.float32), "emap"))  # last, as in the real file
    graph = helper.make_graph(
        nodes,
        "inswapper",
        [_io("target", [1, 3, 128, 128]), _io("source", [1, 512])],
        [_io("output", [1, 3, 128, 128])],
        inits,
    )
    return _save(graph, path)


SIMSWAP_NAMES = ("input", "onnx::Gemm_1", "output")
"""simswap_512_unoff's tensor names as VisoMaster binds them (target image, identity vector, output)."""


def simswap_graph(
    path: Path,
    mode: str = "identity",
    colour_rgb=(0.0, 1.0, 0.0),
    names: tuple[str, str, str] = SIMSWAP_NAMES,
    size: int = 512,
) -> Path:
    """inputs target [1,3,S,S], identity [1,512]; output [1,3,S,S] (S = 512 for the real model).

    mode "identity": output = target; "constant": output = colour_rgb everywhere. Both add
    0 * sum(identity) so the identity input is used by the graph (as in the real generator).
    """
    target, source, output = names
    inits = [numpy_helper.from_array(np.zeros((1, 1), np.float32), "zero")]
    nodes = [
        helper.make_node("ReduceSum", [source], ["source_sum"], keepdims=1),
        helper.make_node("Mul", ["source_sum", "zero"], ["nothing"]),
    ]
    if mode == "identity":
        nodes.append(helper.make_node("Add", [target, "nothing"], [output]))
    else:
        colour = np.broadcast_to(np.array(colour_rgb, np.float32)[None, :, None, None], (1, 3, size, size))
        inits.append(numpy_helper.from_array(np.ascontiguousarray(colour), "colour"))
        nodes += [
            helper.make_node("Mul", [target, "zero"], ["blank"]),
            helper.make_node("Add", ["blank", "colour"], ["coloured"]),
            helper.make_node("Add", ["coloured", "nothing"], [output]),
        ]
    graph = helper.make_graph(
        nodes,
        "simswap",
        [_io(target, [1, 3, size, size]), _io(source, [1, 512])],
        [_io(output, [1, 3, size, size])],
        inits,
    )
    return _save(graph, path)


def channel_mean_encoder_graph(path: Path, tail: np.ndarray) -> Path:
    """A stand-in for simswap_arcface_model: input [1,3,112,112] -> output [1,512] whose first three
    values are the per-channel means of the (normalised) input and the other 509 are ``tail``."""
    assert tail.shape == (509,)
    nodes = [
        helper.make_node("ReduceMean", ["input"], ["channel_means"], axes=[2, 3], keepdims=0),
        helper.make_node("Concat", ["channel_means", "tail"], ["output"], axis=1),
    ]
    inits = [numpy_helper.from_array(tail.astype(np.float32)[None, :], "tail")]
    graph = helper.make_graph(
        nodes, "simswap_arcface", [_io("input", [1, 3, 112, 112])], [_io("output", [1, 512])], inits
    )
    return _save(graph, path)


def image_graph(
    path: Path,
    in_name: str,
    out_name: str,
    in_shape: list[int],
    out_shape: list[int],
    constant: np.ndarray | None = None,
) -> Path:
    """out = in (identity, same shapes) or out = constant + 0 * sum(in)."""
    if constant is None:
        graph = helper.make_graph(
            [helper.make_node("Identity", [in_name], [out_name])],
            "identity",
            [_io(in_name, in_shape)],
            [_io(out_name, out_shape)],
        )
        return _save(graph, path)
    nodes = [
        helper.make_node("ReduceSum", [in_name], ["total"], keepdims=0),
        helper.make_node("Mul", ["total", "zero"], ["nothing"]),
        helper.make_node("Add", ["constant", "nothing"], [out_name]),
    ]
    inits = [
        numpy_helper.from_array(np.zeros((), np.float32), "zero"),
        numpy_helper.from_array(constant.astype(np.float32), "constant"),
    ]
    graph = helper.make_graph(nodes, "constant", [_io(in_name, in_shape)], [_io(out_name, out_shape)], inits)
    return _save(graph, path)


class RecordingSession:
    """Wraps a session and keeps the feeds of every run (to check what a wrapper fed the model)."""

    def __init__(self, session: Any) -> None:
        self._session = session
        self.feeds: list[dict[str, np.ndarray]] = []

    def get_inputs(self) -> Any:
        return self._session.get_inputs()

    def get_outputs(self) -> Any:
        return self._session.get_outputs()

    def run(self, names: Any, feeds: dict[str, np.ndarray]) -> Any:
        self.feeds.append({k: np.array(v) for k, v in feeds.items()})
        return self._session.run(names, feeds)


# -- HTTP server with scripted faults ------------------------------------------------------------------


@dataclass
class Script:
    """What the server does. ``faults`` is consumed one per request: "ok", "drop:N" (send N bytes then
    close), "stall:N" (send N bytes then hang), "ignore_range" (answer 200 with the whole file)."""

    content: bytes
    faults: list[str] = field(default_factory=list)
    default: str = "ok"
    requests: list[str | None] = field(default_factory=list)
    release: threading.Event = field(default_factory=threading.Event)


class _Handler(BaseHTTPRequestHandler):
    script: Script

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        script = self.server.script  # type: ignore[attr-defined]
        range_header = self.headers.get("Range")
        script.requests.append(range_header)
        fault = script.faults.pop(0) if script.faults else script.default
        body, start = script.content, 0
        match = re.match(r"bytes=(\d+)-", range_header or "")
        if match and fault != "ignore_range":
            start = int(match.group(1))
            if start >= len(body):
                self.send_response(416)
                self.end_headers()
                return
            self.send_response(206)
            self.send_header("Content-Range", f"bytes {start}-{len(body) - 1}/{len(body)}")
        else:
            self.send_response(200)
        payload = body[start:]
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        try:
            if fault.startswith("drop:"):
                self.wfile.write(payload[: int(fault[5:])])
                self.wfile.flush()
                self.close_connection = True
                return
            if fault.startswith("stall:"):
                self.wfile.write(payload[: int(fault[6:])])
                self.wfile.flush()
                script.release.wait(10)
                return
            self.wfile.write(payload)
        except (BrokenPipeError, ConnectionResetError):
            pass


class LocalServer:
    """A ThreadingHTTPServer on 127.0.0.1 (ephemeral port) serving one file under /model.onnx."""

    def __init__(self, script: Script) -> None:
        self.script = script
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self.httpd.daemon_threads = True
        self.httpd.script = script  # type: ignore[attr-defined]
        self.thread = threading.Thread(target=self.httpd.serve_forever, args=(0.02,), daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}/model.onnx"

    def __enter__(self) -> LocalServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.script.release.set()
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(5)


def inswapper_fp16_graph(path: Path, emap: np.ndarray) -> Path:
    """Like the converted inswapper_128.fp16.onnx: float16 inputs, output and emap; output = target."""
    f16 = TensorProto.FLOAT16
    nodes = [
        helper.make_node("Cast", ["source"], ["source32"], to=TensorProto.FLOAT),
        helper.make_node("Cast", ["emap"], ["emap32"], to=TensorProto.FLOAT),
        helper.make_node("MatMul", ["source32", "emap32"], ["projected"]),
        helper.make_node("ReduceSum", ["projected"], ["projected_sum"], keepdims=1),
        helper.make_node("Mul", ["projected_sum", "zero"], ["nothing"]),
        helper.make_node("Cast", ["target"], ["target32"], to=TensorProto.FLOAT),
        helper.make_node("Add", ["target32", "nothing"], ["output32"]),
        helper.make_node("Cast", ["output32"], ["output"], to=f16),
    ]
    inits = [
        numpy_helper.from_array(np.zeros((1, 1), np.float32), "zero"),
        numpy_helper.from_array(emap.astype(np.float16), "emap"),
    ]
    graph = helper.make_graph(
        nodes, "inswapper_fp16", [_io("target", [1, 3, 128, 128], f16), _io("source", [1, 512], f16)],
        [_io("output", [1, 3, 128, 128], f16)], inits,
    )  # fmt: skip
    return _save(graph, path)
