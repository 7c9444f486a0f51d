"""Batch rendering benchmark: 1 against 2 local workers, on the process pool and on Ray.

Two batches: the one-face clip (``Obama_speaking.mp4``, 259 frames) looped 10x by a remux (2,590
frames, a keyframe every 259, so ``--segment-seconds 20`` gives 4 segments), and 30 single-face photos
(the shared identity and misc photos but Obama's, onto whom Obama is swapped). Each configuration runs
``faceswap-desktop batch`` as a subprocess: the whole process's wall time (start-up, models, Ray's
start) and the batch loop's own time (``elapsed_seconds`` of ``--json``) are both printed, with the
speed-up of 2 workers over 1 and Ray's time over the pool's.

Run: ``.venv/bin/python benchmarks/bench_batch.py [--loops 10] [--only photos|video] [--repeats 2]``.
Prints numbers; asserts nothing. On a shared machine the numbers are noisy: the photo configurations
run interleaved ``--repeats`` times and the fastest of each is compared; compare ratios of one run.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import av

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("FACESWAP_SHARED_DIR", ROOT.parent / "shared"))
CLIP = SHARED / "media/videos/Obama_speaking.mp4"
SOURCE = SHARED / "media/images/identity/obama/obama.jpg"


def loop_clip(source: Path, output: Path, loops: int) -> int:
    """``source``'s video packets ``loops`` times one after the other (no re-encode); returns frames."""
    with av.open(str(source)) as first:
        stream = first.streams.video[0]
        packets = [p for p in first.demux(stream) if p.pts is not None]
        span = max(p.pts + (p.duration or 0) for p in packets) - min(p.pts for p in packets)
    frames = 0
    with av.open(str(source)) as reader, av.open(str(output), "w") as writer:
        in_stream = reader.streams.video[0]
        out_stream = writer.add_stream_from_template(in_stream)
        for loop in range(loops):
            reader.seek(0)
            for packet in reader.demux(in_stream):
                if packet.pts is None:
                    continue
                packet.pts += loop * span
                packet.dts = None if packet.dts is None else packet.dts + loop * span
                packet.stream = out_stream
                writer.mux(packet)
                frames += 1
    return frames


def photo_targets(folder: Path) -> list[Path]:
    """30 single-face photos (file names made unique by their folder)."""
    images = SHARED / "media/images"
    chosen = [p for p in sorted((images / "identity").glob("*/*.jpg")) if p.parent.name != "obama"]
    singles = (
        "kate_siegel.jpg",
        "paul_rudd.jpg",
        "shea_whigham.jpg",
        "angelina_jolie.jpg",
        "Tom_Hanks_54745.png",
    )
    chosen += [images / "misc" / f"single_{name}" for name in singles]
    folder.mkdir(parents=True, exist_ok=True)
    for path in chosen[:30]:
        shutil.copy(path, folder / f"{path.parent.name}_{path.name}")
    return sorted(folder.iterdir())


def run(target: Path, out: Path, workers: int, ray: bool, extra: list[str]) -> dict[str, float]:
    """One batch as a subprocess; wall time, the loop's time, done/failed counts."""
    shutil.rmtree(out, ignore_errors=True)
    command = [sys.executable, "-m", "faceswap_desktop", "batch", "--source", str(SOURCE),
               "--target", str(target), "--output-dir", str(out), "--workers", str(workers), "--json",
               *extra]  # fmt: skip
    if ray:
        command += ["--ray", "auto"]  # no cluster here: a local Ray instance with `workers` CPUs
    env = {**os.environ, "RAY_ADDRESS": ""}
    started = time.perf_counter()
    proc = subprocess.run(command, capture_output=True, text=True, env=env, cwd=ROOT)
    wall = time.perf_counter() - started
    if not proc.stdout.strip():
        raise SystemExit(f"batch failed:\n{proc.stderr[-3000:]}")
    report = json.loads(proc.stdout)
    return {
        "wall": wall,
        "loop": report["elapsed_seconds"],
        "done": report["totals"]["done"],
        "failed": report["totals"]["failed"],
        "tasks": sum(item["tasks"] for item in report["items"]),
    }


def bench(name: str, target: Path, work: Path, extra: list[str], repeats: int) -> None:
    """Every configuration ``repeats`` times, interleaved (drifting load hits them alike); the fastest
    run of each is compared."""
    runs: dict[tuple[str, int], list[dict[str, float]]] = {}
    for _ in range(repeats):
        for executor in ("pool", "ray"):
            for workers in (1, 2):
                out = work / f"out-{executor}-{workers}"
                row = run(target, out, workers, executor == "ray", extra)
                runs.setdefault((executor, workers), []).append(row)
                print(
                    f"{name:<7} {executor:<5} workers={workers} tasks={row['tasks']:.0f} "
                    f"done={row['done']:.0f} failed={row['failed']:.0f}  "
                    f"wall {row['wall']:7.1f} s  loop {row['loop']:7.1f} s",
                    flush=True,
                )
    rows = {key: min(values, key=lambda r: r["wall"]) for key, values in runs.items()}
    for executor in ("pool", "ray"):
        one, two = rows[executor, 1], rows[executor, 2]
        print(
            f"{name:<7} {executor:<5} speed-up 2 vs 1 worker: wall x{one['wall'] / two['wall']:.2f}, "
            f"loop x{one['loop'] / two['loop']:.2f}"
        )
    for workers in (1, 2):
        pool, ray = rows["pool", workers], rows["ray", workers]
        print(
            f"{name:<7} ray/pool time, {workers} worker(s): wall x{ray['wall'] / pool['wall']:.2f} "
            f"({ray['wall'] - pool['wall']:+.1f} s), loop x{ray['loop'] / pool['loop']:.2f}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--loops", type=int, default=10, help="times the clip is looped (10)")
    parser.add_argument("--only", choices=("photos", "video"), default=None)
    parser.add_argument("--repeats", type=int, default=2, help="runs of each photo configuration (2)")
    args = parser.parse_args()
    print(f"cores: {os.cpu_count()}, load average: {os.getloadavg()[0]:.2f} (shared machine: noisy)")
    with tempfile.TemporaryDirectory(prefix="bench-batch-") as temporary:
        work = Path(temporary)
        if args.only != "video":
            photo_targets(work / "photos")
            bench("photos", work / "photos", work, [], args.repeats)
        if args.only != "photos":
            clip = work / f"obama_x{args.loops}.mp4"
            frames = loop_clip(CLIP, clip, args.loops)
            print(f"video: {clip.name}, {frames} frames")
            bench("video", clip, work, ["--segment-seconds", "20"], 1)
    print(f"load average after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
