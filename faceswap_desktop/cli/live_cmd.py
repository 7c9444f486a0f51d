"""``faceswap-desktop live``: swap a camera's frames in real time, record them, send them to a virtual
camera. A video file can stand in for the camera (tests, demos)."""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from ..core.errors import FaceswapError

if TYPE_CHECKING:
    from ..app.live.runner import LiveEnd, LiveRunner

STATUS_EVERY_S = 2.0


def add_live_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``live`` to the main CLI's subparsers."""
    from ..core.settings import SETTING_SPECS
    from . import _add_setting_option  # the one definition of the blend options

    live = commands.add_parser(
        "live",
        help="swap a camera's frames in real time (Ctrl-C stops; a recording is finalised)",
        description="Real-time swap from a camera. A video file can stand in for the camera.",
    )
    live.add_argument(
        "--camera", required=True, metavar="N|FILE", help="camera number (0: the first) or a video file"
    )
    live.add_argument("--source", action="append", type=Path, required=True, help="source photo (repeatable)")
    live.add_argument(
        "--record", type=Path, default=None, metavar="OUT.mp4", help="record the swapped stream"
    )
    live.add_argument(
        "--virtual-camera",
        action="store_true",
        help='send the stream to a virtual camera, always labelled "AI-altered" (extra: virtualcam)',
    )
    live.add_argument("--frames", type=int, default=None, metavar="N", help="stop after N frames")
    live.add_argument("--size", default=None, metavar="WxH", help="camera resolution, e.g. 1280x720")
    live.add_argument("--fps", type=float, default=None, help="camera frame rate to ask for")
    live.add_argument("--mirror", action="store_true", help="flip left-right, like a mirror")
    live.add_argument(
        "--every-frame",
        action="store_true",
        help="with a video file: process every frame instead of playing it in real time",
    )
    live.add_argument("--snapshot", type=Path, default=None, help="save the last frame as a labelled photo")
    live.add_argument("--engine", default="mesh", help="swap engine (default mesh: real time on a CPU)")
    live.add_argument("--judge", default="dlib", help="identity model of the similarity score (about 1/s)")
    live.add_argument("--no-score", action="store_true", help="skip the similarity score")
    live.add_argument("--provider", default="auto", help="ONNX Runtime execution provider")
    live.add_argument("--overwrite", action="store_true", help="replace --record/--snapshot if it exists")
    live.add_argument(
        "--watermark", action="store_true", help='draw the "AI-generated" mark in the recording'
    )
    live.add_argument(
        "--no-content-credentials", action="store_true", help="no C2PA manifest in the recording"
    )
    live.add_argument("--json", action="store_true", help="print the summary as JSON")
    blend = live.add_argument_group("blend settings")
    for spec in SETTING_SPECS.values():
        _add_setting_option(blend, spec)
    live.set_defaults(handler=run_live_command)


def run_live_command(args: argparse.Namespace) -> int:
    """Run live until the camera or file ends, ``--frames`` are done, or Ctrl-C."""
    from ..app.context import create_context
    from ..app.live.recorder import RecordingOptions, check_recording
    from ..app.live.runner import LiveOptions, LiveRunner
    from ..app.live.setup import camera_source, live_pipeline, parse_size, prepare_live_source
    from . import settings_from_args

    if args.frames is not None and args.frames < 1:
        raise FaceswapError("--frames must be at least 1")
    recording = None
    if args.record is not None:
        recording = RecordingOptions(
            args.record, args.overwrite, args.watermark, not args.no_content_credentials, tuple(args.source)
        )
        check_recording(recording)
    source = camera_source(args.camera, parse_size(args.size), args.fps, args.every_frame)
    context = create_context(args.provider)
    pipeline = live_pipeline(context.build_pipeline, args.engine, None if args.no_score else args.judge)
    prepared = prepare_live_source(pipeline, args.source)
    scores: list[float] = []
    runner = LiveRunner(
        source,
        pipeline,
        context.detector("mediapipe"),  # type: ignore[arg-type]
        prepared,
        LiveOptions(settings_from_args(args), args.mirror),
        on_score=lambda face: scores.append(face.similarity.percent) if face.similarity else None,
        frame_limit=args.frames,
    )
    fmt = runner.start()
    print(f"live: {source.name} {fmt.width}x{fmt.height} at {fmt.fps:.0f} fps; Ctrl-C stops", file=sys.stderr)
    try:
        _attach_outputs(runner, recording, args.virtual_camera, fmt.width, fmt.height, fmt.fps)
        end = _wait(runner)
    except KeyboardInterrupt:
        end = runner.stop()
    except BaseException:
        runner.stop()
        raise
    if end is None:
        raise FaceswapError("live did not stop in time")
    return _report(args, runner, end, scores)


def _attach_outputs(
    runner: LiveRunner, recording: Any, virtual: bool, width: int, height: int, fps: float
) -> None:
    from ..app.live.virtual_camera import open_virtual_camera

    if recording is not None:
        runner.start_recording(recording)
    if virtual:
        runner.attach_virtual_camera(open_virtual_camera(width, height, fps))


def _wait(runner: LiveRunner) -> LiveEnd | None:
    last = time.perf_counter()
    while runner.running:
        runner.wait(0.2)
        if sys.stderr.isatty() and time.perf_counter() - last >= STATUS_EVERY_S:
            last = time.perf_counter()
            stats = runner.stats
            print(
                f"  {stats.processed} frames, {stats.fps:.1f} fps, {stats.dropped} dropped", file=sys.stderr
            )
    return runner.end


def _report(args: argparse.Namespace, runner: LiveRunner, end: LiveEnd, scores: list[float]) -> int:
    from ..app.live.recorder import save_snapshot

    stats = runner.stats
    latencies = np.array(stats.latencies_ms) if stats.latencies_ms else np.zeros(1)
    summary: dict[str, Any] = {
        "camera": runner.source.name,
        "ended": end.reason,
        "message": end.message,
        "frames": stats.processed,
        "captured": stats.captured,
        "dropped": stats.dropped,
        "frames_with_face": stats.with_face,
        "fps": round(stats.fps, 2),
        "latency_ms": {"p50": round(float(np.percentile(latencies, 50)), 1),
                       "p95": round(float(np.percentile(latencies, 95)), 1)},
        "similarity_percent": round(scores[-1], 1) if scores else None,
        "recording": None,
    }  # fmt: skip
    if end.recording is not None:
        summary["recording"] = {
            "output": str(end.recording.output),
            "frames": end.recording.frames,
            "content_credentials": end.recording.content_credentials,
        }
    if args.snapshot is not None and runner.latest is not None:
        inputs = tuple(args.source)
        provenance = save_snapshot(runner.latest.image, args.snapshot, inputs, overwrite=args.overwrite)
        summary["snapshot"] = {"output": str(args.snapshot), **provenance}
    if args.json:
        print(json.dumps(summary, indent=2))
    else:
        latency = summary["latency_ms"]
        print(
            f"{stats.processed} frames ({stats.with_face} with a face) at {stats.fps:.1f} fps, "
            f"{stats.dropped} dropped; latency p50 {latency['p50']} ms, p95 {latency['p95']} ms"
        )
        if summary["similarity_percent"] is not None:
            print(f"  similarity to the source: {summary['similarity_percent']}%")
        if end.recording is not None:
            print(f"  recorded {end.recording.output} ({end.recording.frames} frames, "
                  f"content credentials: {end.recording.content_credentials})")  # fmt: skip
        if "snapshot" in summary:
            print(f"  snapshot {args.snapshot}")
    if end.error is not None:
        print(f"error: {end.message}", file=sys.stderr)
        return end.error.exit_code
    return 0
