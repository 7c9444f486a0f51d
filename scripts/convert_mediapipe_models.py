"""Convert MediaPipe's embedded face models (mediapipe 0.10.21 wheel, Apache-2.0) to ONNX, once.

    python scripts/convert_mediapipe_models.py [--venv DIR] [--mediapipe DIR] [--out DIR]

Run it with a Python that has ``mediapipe==0.10.21``, ``onnxruntime`` and ``opencv`` (the project's
current venv): the source ``.tflite`` files are taken from that mediapipe wheel, and MediaPipe's own
graph is the reference of the landmark parity check. The conversion itself (tf2onnx, TensorFlow) runs in
a throw-away venv that this script creates (``--venv``, pinned versions below); none of it is a runtime
dependency of the app, and nothing converts at run time.

Models (written to ``--out``, default ``faceswap_desktop/resources/models``):

* ``face_detection_short_range.onnx``: BlazeFace short range, 128 px (tf2onnx --tflite). Not widened to
  NCHWc channel widths: zero channels made it faster on x86 (1.34 -> 1.02 ms a run) but slower where
  ONNX Runtime has no NCHWc kernels, as on ARM (2.24 -> 2.76 ms), and Apple-silicon Macs are many users.
* ``face_detection_full_range.onnx``: BlazeFace full range, 192 px. The wheel's file stores sparse fp16
  weights (DENSIFY ops) that tf2onnx cannot read: they are decoded to dense buffers first.
* ``face_landmark_with_attention.onnx``: the 478-point FaceMesh with attention, 192 px. tf2onnx leaves its
  11 MediaPipe custom nodes; they are rewritten with standard ONNX ops (opset 16, GridSample). Its 73
  PRelu activations, 9 channel Pads and 3 masked crops are then written in ops that ONNX Runtime's CPU
  provider runs in its blocked NCHWc layout on x86 (``mediapipe_onnx_nchwc.py``): 3.4 -> 2.6 ms per run.

Parity printed: raw outputs of both detectors against the TFLite interpreter on the same input tensors
(from the shared photos), and the attention model's 478 landmarks against MediaPipe's own
``FaceLandmarkCpu`` graph on the same 192x192 face crops. The sha256 of every file is printed and written
to ``<file>.sha256`` beside each; pin them in ``faceswap_desktop/inference/embedded.py`` (the app
verifies them before loading). Licence and attribution: ``resources/models/NOTICE.md``. The graphs are
written in a canonical form (``canonical_graph``), so a rerun gives byte-identical files.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
DEFAULT_OUT = REPO / "faceswap_desktop" / "resources" / "models"
DEFAULT_VENV = Path.home() / ".cache" / "faceswap-desktop" / "mediapipe-convert-venv"
DEFAULT_IMAGES = Path("/work/shared/media/images")
CONVERTER_REQUIREMENTS = [
    "tensorflow-cpu==2.21.0",
    "tf2onnx==1.17.0",
    "onnx==1.23.2",
    "onnxruntime==1.32.0",
    "flatbuffers==25.12.19",
]
OPSET = 16

SOURCES = {
    "face_detection_short_range.onnx": "face_detection/face_detection_short_range.tflite",
    "face_detection_full_range.onnx": "face_detection/face_detection_full_range_sparse.tflite",
    "face_landmark_with_attention.onnx": "face_landmark/face_landmark_with_attention.tflite",
}


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


# ---------------------------------------------------------------------------------------------------
# Worker: runs inside the converter venv (TensorFlow, tf2onnx, onnx, onnxruntime; no mediapipe, no cv2)


def _stable_env() -> dict[str, str]:
    """The environment with a fixed hash seed (tf2onnx walks sets of names)."""
    return {**os.environ, "PYTHONHASHSEED": "0"}


def _tf2onnx(tflite: Path, output: Path) -> None:
    command = [sys.executable, "-m", "tf2onnx.convert", "--tflite", str(tflite), "--output", str(output)]
    command += ["--opset", str(OPSET)]
    result = subprocess.run(command, capture_output=True, text=True, check=False, env=_stable_env())
    if result.returncode != 0 or not output.is_file():
        raise SystemExit(f"tf2onnx failed on {tflite.name}:\n{result.stderr[-3000:]}")


def _tflite_outputs(path: Path, tensor: np.ndarray) -> list[np.ndarray]:
    import tensorflow as tf

    interpreter = tf.lite.Interpreter(model_path=str(path))
    interpreter.allocate_tensors()
    interpreter.set_tensor(interpreter.get_input_details()[0]["index"], tensor)
    interpreter.invoke()
    details = sorted(interpreter.get_output_details(), key=lambda d: d["name"])
    return [interpreter.get_tensor(d["index"]).copy() for d in details]


def worker(mediapipe_dir: Path, work: Path, inputs: Path) -> None:
    """Convert the three models into ``work``; print detector parity against TFLite as JSON."""
    import onnx
    import onnxruntime as ort

    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from mediapipe_onnx_nchwc import replace_channel_pad, replace_prelu
    from mediapipe_onnx_ops import canonical_graph, densify_tflite, replace_custom_ops

    short = mediapipe_dir / SOURCES["face_detection_short_range.onnx"]
    _tf2onnx(short, work / "face_detection_short_range.onnx")

    sparse = mediapipe_dir / SOURCES["face_detection_full_range.onnx"]
    dense_bytes, removed = densify_tflite(sparse.read_bytes())
    dense = work / "face_detection_full_range_dense.tflite"
    dense.write_bytes(dense_bytes)
    print(f"full range: {removed} DENSIFY ops decoded to dense buffers", file=sys.stderr)
    _tf2onnx(dense, work / "face_detection_full_range.onnx")

    raw = work / "face_landmark_with_attention.raw.onnx"
    _tf2onnx(mediapipe_dir / SOURCES["face_landmark_with_attention.onnx"], raw)
    model, replaced = replace_custom_ops(onnx.load(str(raw)))
    model, prelus = replace_prelu(model)
    model, pads = replace_channel_pad(model)
    onnx.checker.check_model(model)
    onnx.save(canonical_graph(model), str(work / "face_landmark_with_attention.onnx"))
    raw.unlink()
    for name in ("face_detection_short_range.onnx", "face_detection_full_range.onnx"):
        onnx.save(canonical_graph(onnx.load(str(work / name))), str(work / name))
    print(
        f"attention landmarks: {replaced} custom nodes, {prelus} PRelu, {pads} channel Pads rewritten",
        file=sys.stderr,
    )

    report: dict[str, list[float]] = {}
    tensors = np.load(inputs)
    for name, source, key in (
        ("face_detection_short_range.onnx", short, "short"),
        ("face_detection_full_range.onnx", sparse, "full"),
    ):
        session = ort.InferenceSession(str(work / name), providers=["CPUExecutionProvider"])
        input_name = session.get_inputs()[0].name
        names = sorted(o.name for o in session.get_outputs())
        worst = [0.0, 0.0, 0.0, 0.0]  # max abs diff of regressors, scores; max abs value of each
        for tensor in tensors[key]:
            reference = _tflite_outputs(source, tensor[None])
            ours = session.run(names, {input_name: tensor[None]})
            # Sorted by name on both sides: TFLite "Identity"/"Identity_1" or "classificators"/"regressors".
            # Regressors (16 values per anchor) first, then scores (1 per anchor), on both sides.
            pairs = zip(
                sorted(reference, key=lambda r: -r.shape[-1]),
                sorted(ours, key=lambda r: -r.shape[-1]),
                strict=True,
            )
            for i, (a, b) in enumerate(pairs):
                worst[i] = max(worst[i], float(np.abs(a - b).max()))
                worst[i + 2] = max(worst[i + 2], float(np.abs(a).max()))
        report[name] = worst
    print(json.dumps(report))


# ---------------------------------------------------------------------------------------------------
# Driver: runs with mediapipe + onnxruntime + cv2


def ensure_venv(venv: Path) -> Path:
    python = venv / ("Scripts/python.exe" if os.name == "nt" else "bin/python")
    marker = venv / ".faceswap-converter"
    if python.is_file() and marker.is_file() and marker.read_text() == "\n".join(CONVERTER_REQUIREMENTS):
        return python
    print(f"creating the converter venv in {venv} (TensorFlow, ~1.7 GB)...", flush=True)
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    subprocess.run([str(python), "-m", "pip", "install", "--quiet", *CONVERTER_REQUIREMENTS], check=True)
    marker.write_text("\n".join(CONVERTER_REQUIREMENTS))
    return python


def _images(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.suffix.lower() in {".jpg", ".jpeg", ".png"})


def detector_inputs(images: list[Path]) -> dict[str, np.ndarray]:
    """Letterboxed [-1, 1] NHWC tensors, as MediaPipe's detector graphs feed them."""
    import cv2

    out: dict[str, list[np.ndarray]] = {"short": [], "full": []}
    for path in images:
        bgr = cv2.imread(str(path))
        if bgr is None:
            continue
        rgb = cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)
        height, width = rgb.shape[:2]
        side = max(height, width)
        square = np.zeros((side, side, 3), np.uint8)
        y0, x0 = (side - height) // 2, (side - width) // 2
        square[y0 : y0 + height, x0 : x0 + width] = rgb
        for key, size in (("short", 128), ("full", 192)):
            tensor = cv2.resize(square, (size, size), interpolation=cv2.INTER_LINEAR).astype(np.float32)
            out[key].append(tensor / 127.5 - 1.0)
    return {key: np.stack(values) for key, values in out.items()}


def landmark_parity(model: Path, images: list[Path]) -> dict[str, float]:
    """478 landmarks of the ONNX model against MediaPipe's ``FaceLandmarkCpu`` graph (with attention) on
    the same 192x192 crops (the ROI is the whole crop, so both see the same input tensor)."""
    import cv2
    import mediapipe as mp
    import onnxruntime as ort
    from mediapipe.framework.formats import rect_pb2
    from mediapipe.python import packet_creator, packet_getter

    sys.path.insert(0, str(REPO))
    from faceswap_desktop.inference.mesh_model import assemble_landmarks

    config = """
        input_stream: "image"
        input_stream: "roi"
        output_stream: "landmarks"
        node {
          calculator: "FaceLandmarkCpu"
          input_stream: "IMAGE:image"
          input_stream: "ROI:roi"
          output_stream: "LANDMARKS:landmarks"
          input_side_packet: "WITH_ATTENTION:with_attention"
        }
    """
    session = ort.InferenceSession(str(model), providers=["CPUExecutionProvider"])
    names = [o.name for o in session.get_outputs()]
    mesh = mp.solutions.face_mesh.FaceMesh(static_image_mode=True, max_num_faces=1, refine_landmarks=True)
    errors: list[float] = []
    faces = 0
    for index, path in enumerate(images):
        bgr = cv2.imread(str(path))
        if bgr is None:
            continue
        rgb = cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)
        result = mesh.process(rgb)
        if not result.multi_face_landmarks:
            continue
        height, width = rgb.shape[:2]
        points = np.array([(p.x * width, p.y * height) for p in result.multi_face_landmarks[0].landmark])
        centre = (points.min(0) + points.max(0)) / 2
        side = float((points.max(0) - points.min(0)).max() * 1.5)
        scale = 192.0 / side
        matrix = np.array([[scale, 0, 96 - scale * centre[0]], [0, scale, 96 - scale * centre[1]]])
        crop = cv2.warpAffine(rgb, matrix, (192, 192), flags=cv2.INTER_AREA, borderMode=cv2.BORDER_REPLICATE)
        graph = mp.CalculatorGraph(graph_config=config)
        collected: list[np.ndarray] = []
        graph.observe_output_stream(
            "landmarks",
            lambda _stream, packet, collected=collected: collected.append(
                np.array([(p.x, p.y, p.z) for p in packet_getter.get_proto(packet).landmark], np.float32)
            ),
        )
        graph.start_run({"with_attention": packet_creator.create_bool(True)})
        roi = rect_pb2.NormalizedRect(x_center=0.5, y_center=0.5, width=1.0, height=1.0, rotation=0.0)
        frame = packet_creator.create_image_frame(
            data=np.ascontiguousarray(crop), image_format=mp.ImageFormat.SRGB
        )
        graph.add_packet_to_input_stream("image", frame.at(index))
        graph.add_packet_to_input_stream("roi", packet_creator.create_proto(roi).at(index))
        graph.close()
        if not collected:
            continue
        reference = collected[0] * 192.0
        outputs = dict(
            zip(
                names,
                session.run(names, {session.get_inputs()[0].name: crop[None].astype(np.float32) / 255.0}),
                strict=True,
            )
        )
        ours, _presence = assemble_landmarks(outputs)
        errors.append(float(np.abs(ours[:, :2] - reference[:, :2]).max()))
        faces += 1
    mesh.close()
    return {"crops": faces, "max_abs_px_of_192": max(errors) if errors else float("nan")}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--venv", type=Path, default=DEFAULT_VENV, help="converter venv (created if missing)")
    parser.add_argument("--mediapipe", type=Path, help="mediapipe/modules of the 0.10.21 wheel")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    parser.add_argument("--images", type=Path, default=DEFAULT_IMAGES, help="photos for the parity checks")
    parser.add_argument("--worker", nargs=3, metavar=("MEDIAPIPE", "WORK", "INPUTS"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        worker(Path(args.worker[0]), Path(args.worker[1]), Path(args.worker[2]))
        return 0

    mediapipe_dir = args.mediapipe
    if mediapipe_dir is None:
        import mediapipe

        mediapipe_dir = Path(mediapipe.__file__).parent / "modules"
    python = ensure_venv(args.venv)
    images = _images(args.images)
    with tempfile.TemporaryDirectory() as temp:
        work = Path(temp)
        inputs = work / "inputs.npz"
        np.savez(inputs, **detector_inputs(images))
        result = subprocess.run(
            [
                str(python),
                str(Path(__file__).resolve()),
                "--worker",
                str(mediapipe_dir),
                str(work),
                str(inputs),
            ],
            capture_output=True,
            text=True,
            check=False,
            env=_stable_env(),
        )
        if result.returncode != 0:
            print(result.stderr[-4000:], file=sys.stderr)
            return 1
        detector_parity = json.loads(result.stdout.strip().splitlines()[-1])
        for name, (regressors, scores, regressors_max, scores_max) in detector_parity.items():
            print(
                f"{name}: max abs diff vs TFLite on {len(images)} photos: "
                f"regressors {regressors:.2e} (values up to {regressors_max:.0f}), "
                f"scores {scores:.2e} (logits up to {scores_max:.0f})"
            )
        mesh = landmark_parity(work / "face_landmark_with_attention.onnx", images)
        print(
            "face_landmark_with_attention.onnx: 478 landmarks vs MediaPipe's FaceLandmarkCpu on "
            f"{mesh['crops']} "
            f"crops: max abs diff {mesh['max_abs_px_of_192']:.2e} px of 192"
        )
        args.out.mkdir(parents=True, exist_ok=True)
        for name in SOURCES:
            shutil.copyfile(work / name, args.out / name)
            digest = sha256(args.out / name)
            (args.out / f"{name}.sha256").write_text(f"{digest}  {name}\n")
            print(f"{digest}  {name}  ({(args.out / name).stat().st_size} bytes)")
        print("pin these sha256s in faceswap_desktop/inference/embedded.py")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
