"""Peak memory of a video export against frame size: the whole process tree (the CLI and its decoding
helper), for 720p, 1080p, 4K and 8K clips.

Run: ``.venv/bin/python benchmarks/bench_export_memory.py [--frames 30] [--sizes 720p,1080p,4k,8k]``.
Each clip is the shared ``Obama_speaking.mp4`` scaled to fit the frame size (reflect-padded), encoded
with x264 ultrafast (keyframe every 30 frames). The export is ``faceswap-desktop swap`` on it, run as a
user would (a fresh process); the resident set of that process and of every process under it is sampled
every 20 ms from /proc (Linux only) and the peak of their sum printed, next to the budget the export
plans with (``app.memory_budget``). Prints numbers; asserts nothing.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import av
import cv2
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from faceswap_desktop.core.media.frame_memory import plan_for_frame
from faceswap_desktop.core.media.video_io import VideoReader

SHARED = Path(os.environ.get("FACESWAP_SHARED_DIR", Path(__file__).resolve().parents[2] / "shared"))
CLIP = SHARED / "media" / "videos" / "Obama_speaking.mp4"
SOURCE = SHARED / "media" / "images" / "identity" / "biden" / "biden2.jpg"
SIZES = {"720p": (1280, 720), "1080p": (1920, 1080), "4k": (3840, 2160), "8k": (7680, 4320)}
PAGE = os.sysconf("SC_PAGE_SIZE")


def fit(image: np.ndarray, width: int, height: int) -> np.ndarray:
    h, w = image.shape[:2]
    scale = min(width / w, height / h)
    resized = cv2.resize(image, (round(w * scale), round(h * scale)), interpolation=cv2.INTER_LINEAR)
    pad_x, pad_y = width - resized.shape[1], height - resized.shape[0]
    return cv2.copyMakeBorder(
        resized, pad_y // 2, pad_y - pad_y // 2, pad_x // 2, pad_x - pad_x // 2, cv2.BORDER_REFLECT
    )


def make_clip(path: Path, width: int, height: int, frames: int) -> None:
    with VideoReader(CLIP) as reader:
        images = [image for _, image in reader.frames(0, frames)]
    with av.open(str(path), "w") as output:
        stream = output.add_stream("libx264", rate=25, options={"preset": "ultrafast", "g": "30"})
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        for image in images:
            frame = av.VideoFrame.from_ndarray(fit(image, width, height), format="bgr24")
            for packet in stream.encode(frame):
                output.mux(packet)
        for packet in stream.encode(None):
            output.mux(packet)


def tree_rss(root: int) -> int:
    """Resident bytes of ``root`` and every process below it (one pass over /proc)."""
    parents: dict[int, int] = {}
    rss: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as handle:
                fields = handle.read().rsplit(b")", 1)[1].split()
        except OSError:
            continue
        parents[int(entry)] = int(fields[1])
        rss[int(entry)] = int(fields[21]) * PAGE
    members, frontier = {root}, [root]
    while frontier:
        parent = frontier.pop()
        for pid, ppid in parents.items():
            if ppid == parent and pid not in members:
                members.add(pid)
                frontier.append(pid)
    return sum(rss.get(pid, 0) for pid in members)


def export_peak(clip: Path, output: Path) -> tuple[int, float, int, str]:
    """(peak tree RSS in bytes, seconds, exit code, last stderr line) of one CLI export."""
    command = [sys.executable, "-m", "faceswap_desktop", "swap", "--source", str(SOURCE)]
    command += ["--target", str(clip), "--output", str(output), "--no-score", "--overwrite"]
    started = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    peak = 0
    while process.poll() is None:
        peak = max(peak, tree_rss(process.pid))
        time.sleep(0.02)
    stderr = process.stderr.read().decode(errors="replace").strip().splitlines() if process.stderr else []
    return peak, time.perf_counter() - started, process.returncode, stderr[-1] if stderr else ""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--frames", type=int, default=30)
    parser.add_argument("--sizes", default=",".join(SIZES))
    args = parser.parse_args()
    if not os.path.isdir("/proc"):
        sys.exit("this benchmark reads /proc (Linux)")
    print(f"load average at start: {os.getloadavg()}")
    print(f"{'size':>6} {'frame':>10} {'frames':>6} {'peak tree RSS':>14} {'budget':>8} {'s':>6}  exit")
    with tempfile.TemporaryDirectory() as folder:
        for name in args.sizes.split(","):
            width, height = SIZES[name]
            clip = Path(folder) / f"clip_{name}.mp4"
            make_clip(clip, width, height, args.frames)
            peak, seconds, code, last = export_peak(clip, Path(folder) / f"out_{name}.mp4")
            plan = plan_for_frame(width, height)
            print(
                f"{name:>6} {width:>5}x{height:<4} {args.frames:>6} {peak / 2**20:>10.0f} MiB "
                f"{plan.estimate_bytes / 2**20:>5.0f} MiB {seconds:>6.1f}  {code}"
                + ("" if code == 0 else f" ({last})")
            )
            clip.unlink()
    print(f"load average at end: {os.getloadavg()}")


if __name__ == "__main__":
    main()
