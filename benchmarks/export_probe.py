"""One cold video export in this fresh process, measured from outside the job; prints one JSON line.

Run from the root of the tree to measure: ``.venv/bin/python benchmarks/export_probe.py [--clip PATH]
[--hash]`` (the code imported is the current folder's, so one copy of this script measures any tree). The
clip defaults to ``bench_video.py``'s 720p, 90-frame clip (made on first use). Alternate runs of two
trees (e.g. a ``git archive`` copy of main and a branch) to compare them; print the load with each.

Reported: fps with set-up and in the loop; time to the first delivered frame; the process's CPU before
it (set-up) and per frame after it; the decoding helper's CPU and minor page faults (read from /proc
while it runs: it stays alive in the helper pool) and the process's own faults per frame; Python's
cyclic-collector time in the set-up (by generation) and per frame in the loop; the job's CPU per stage;
peak RSS; with ``--hash``, SHA-256 (16 hex digits) of every decoded frame of the output, which must not
change when a change is only about speed.
"""

from __future__ import annotations

import argparse
import gc
import hashlib
import json
import os
import resource
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

# The tree measured is the current folder's, so one copy of this script measures any tree (a copy of main
# too). Its package is imported first: bench_video puts its own tree first on sys.path.
sys.path.insert(0, os.getcwd())
from faceswap_desktop.app.context import create_context
from faceswap_desktop.app.video import VideoExportJob, VideoExportRequest

sys.path.insert(0, str(Path(__file__).resolve().parent))
import bench_video

_gc: dict[str, Any] = {"started": None, "by_generation": {}}


def _collections(phase: str, info: dict[str, int]) -> None:
    if phase == "start":
        _gc["started"] = time.thread_time()
    elif _gc["started"] is not None:
        count, ms = _gc["by_generation"].get(info["generation"], (0, 0.0))
        _gc["by_generation"][info["generation"]] = (
            count + 1,
            ms + (time.thread_time() - _gc["started"]) * 1000,
        )
        _gc["started"] = None


def _gc_ms() -> float:
    return float(sum(ms for _, ms in _gc["by_generation"].values()))


def _children() -> tuple[int, float]:
    """(minor faults, CPU seconds) of this process's living children (the decoding helper)."""
    faults, cpu, tick = 0, 0.0, os.sysconf("SC_CLK_TCK")
    for task in os.listdir("/proc/self/task"):
        try:
            pids = Path(f"/proc/self/task/{task}/children").read_text().split()
        except OSError:
            continue
        for pid in pids:
            try:
                stat = Path(f"/proc/{pid}/stat").read_text()
            except OSError:
                continue
            fields = stat[stat.rindex(")") + 2 :].split()
            faults += int(fields[7])
            cpu += (int(fields[11]) + int(fields[12])) / tick
    return faults, cpu


def _self() -> tuple[float, int]:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime, usage.ru_minflt


def frame_hash(path: Path) -> str:
    """SHA-256 of every decoded frame (BGR bytes) of a video, first 16 hex digits."""
    import av

    digest = hashlib.sha256()
    with av.open(str(path)) as container:
        for frame in container.decode(video=0):
            digest.update(frame.to_ndarray(format="bgr24").tobytes())
    return digest.hexdigest()[:16]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clip", type=Path, default=Path(tempfile.gettempdir()) / "export_probe_720p.mp4")
    parser.add_argument("--out", type=Path, default=Path(tempfile.gettempdir()) / "export_probe_out.mp4")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--hash", action="store_true", help="hash the output's decoded frames")
    args = parser.parse_args()
    if not args.clip.exists():
        bench_video.make_clip(args.clip, 90, 1)
    gc.callbacks.append(_collections)
    load = os.getloadavg()[0]
    request = VideoExportRequest(
        sources=(bench_video.SOURCE,), target=args.clip, output=args.out, overwrite=True,
        workers=args.workers, judge=None,
    )  # fmt: skip
    job = VideoExportJob(create_context(), request)
    cpu0, _ = _self()
    _gc["by_generation"].clear()
    started = time.perf_counter()
    first = cpu1 = faults1 = gc1 = 0.0
    children1: tuple[int, float] = (0, 0.0)
    setup_gc: dict[str, Any] = {}
    for number, _ in enumerate(job.run()):
        if number == 0:
            first = time.perf_counter() - started
            cpu1, faults1 = _self()
            children1, gc1 = _children(), _gc_ms()
            setup_gc = {str(g): [c, round(ms, 1)] for g, (c, ms) in _gc["by_generation"].items()}
    end = time.perf_counter()
    cpu2, faults2 = _self()
    children2, gc2 = _children(), _gc_ms()
    assert job.report is not None
    summary = job.report.to_dict(per_frame=False)
    frames = job.report.frames_done
    loop = max(frames - 1, 1)
    result: dict[str, Any] = {
        "tree": Path.cwd().name,
        "load": round(load, 2),
        "fps": round(frames / (end - started), 2),
        "loop_fps": summary["fps_processing"],
        "first_frame_s": round(first, 3),
        "setup_cpu_s": round(cpu1 - cpu0, 3),
        "loop_cpu_ms_per_frame": round((cpu2 - cpu1) * 1000 / loop, 1),
        "helper_loop_cpu_ms_per_frame": round((children2[1] - children1[1]) * 1000 / loop, 1),
        "helper_cpu_s_so_far": round(children2[1], 3),
        "minflt_per_frame": round((faults2 - faults1) / loop),
        "helper_minflt_per_frame": round((children2[0] - children1[0]) / loop),
        "gc_setup_ms_by_generation": setup_gc,
        "gc_loop_ms_per_frame": round((gc2 - gc1) / loop, 3),
        "stages_cpu_ms_per_frame": summary["cpu_ms_per_frame"],
        "peak_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
    }
    if args.hash:
        result["frames_sha256"] = frame_hash(args.out)
    print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
