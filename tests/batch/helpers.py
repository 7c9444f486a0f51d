"""Helpers of the batch tests: the CLI as a subprocess and comparisons of two video exports."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import av
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))


def run_cli(*args: str | Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "faceswap_desktop", *map(str, args)],
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "PYTHONUNBUFFERED": "1", **(env or {})},
    )


def batch_json(proc: subprocess.CompletedProcess[str]) -> dict[str, Any]:
    assert proc.stdout.strip(), proc.stderr
    return json.loads(proc.stdout)


def by_name(report: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {item["name"]: item for item in report["items"]}


def decoded(path: Path) -> tuple[list[float], list[np.ndarray], float]:
    """Frame times (s), frames (BGR) and the audio's duration (first packet start to last packet end)."""
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        times, frames = [], []
        for frame in container.decode(stream):
            times.append(float(frame.pts * frame.time_base))
            frames.append(frame.to_ndarray(format="bgr24"))
    audio = 0.0
    with av.open(str(path)) as container:
        if container.streams.audio:
            spans = [
                (float(p.pts * p.time_base), float((p.pts + p.duration) * p.time_base))
                for p in container.demux(container.streams.audio[0])
                if p.pts is not None
            ]
            audio = spans[-1][1] - spans[0][0]
    return times, frames, audio


def psnr(a: np.ndarray, b: np.ndarray) -> float:
    mse = float(np.mean((a.astype(np.float64) - b.astype(np.float64)) ** 2))
    return float("inf") if mse == 0 else 10 * np.log10(255.0**2 / mse)


def loop_clip(source: Path, output: Path, loops: int) -> Path:
    """``source``'s video packets ``loops`` times one after the other (a remux: each loop starts on a
    keyframe, and the face stays in view across the loop's seam): the batch benchmark's clip maker."""
    from bench_batch import loop_clip as remux_loops

    remux_loops(source, output, loops)
    return output
