"""Batch rendering benchmark: 1 against 2 local workers, on the process pool and on Ray.

Two batches: the one-face clip (``Obama_speaking.mp4``, 259 frames) looped 10x by a remux (2,590
frames, a keyframe every 259, so ``--segment-seconds 20`` gives 4 segments), and 30 single-face photos
(the shared identity and misc photos but Obama's, onto whom Obama is swapped). Each configuration runs
``faceswap-desktop batch`` as a subprocess: the whole process's wall time (start-up, models, Ray's
start) and the batch loop's own time (``elapsed_seconds`` of ``--json``) are both printed, with the
speed-up of 2 workers over 1 and Ray's time over the pool's.

CPU time, which other processes on a busy machine disturb much less than wall time, is printed too:
``cpu`` is the whole process tree's (the batch process, its pool workers, and Ray's own processes: GCS,
raylet, workers), sampled from /proc every 0.2 s (Linux; elsewhere the children's rusage, which misses
Ray processes the batch did not wait for); ``task cpu`` is what the workers spent inside the tasks
(``cpu_seconds`` of ``--json``), so ``cpu - task cpu`` is the executor's and the driver's own cost.
The clip's cast (which the driver reads to pick the person) is scanned once before the video runs, so
that every configuration reads it from the cache.

Run from the repository root: ``python benchmarks/bench_batch.py [--loops 10] [--only photos|video]
[--repeats 2]`` (the Python of an environment where the package and ``[cluster]`` are installed).
Prints numbers; asserts nothing. On a shared machine the numbers are noisy: the photo configurations
run interleaved ``--repeats`` times and the fastest of each is compared; compare ratios of one run.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
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


_TICK = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def _proc_stat(pid: int) -> tuple[int, float] | None:
    """(parent pid, CPU seconds used: user + system) of ``pid`` from /proc, None when it is gone."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = text.rsplit(")", 1)[1].split()  # after the command name, which may hold spaces
    return int(fields[1]), (int(fields[11]) + int(fields[12])) / _TICK


def _tree_cpu_sampler(root: int, seen: dict[int, float]) -> None:
    """Record the CPU time of ``root`` and every descendant now (pids are matched by parent)."""
    parents: dict[int, int] = {}
    cpu: dict[int, float] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            stat = _proc_stat(int(entry.name))
            if stat is not None:
                parents[int(entry.name)], cpu[int(entry.name)] = stat
    tree, grew = {root}, True
    while grew:
        grew = False
        for pid, parent in parents.items():
            if parent in tree and pid not in tree:
                tree.add(pid)
                grew = True
    for pid in tree:
        if pid in cpu:
            seen[pid] = max(seen.get(pid, 0.0), cpu[pid])


def run(target: Path, out: Path, workers: int, ray: bool, extra: list[str]) -> dict[str, float]:
    """One batch as a subprocess; wall time, the loop's time, CPU times, done/failed counts."""
    shutil.rmtree(out, ignore_errors=True)
    command = [sys.executable, "-m", "faceswap_desktop", "batch", "--source", str(SOURCE),
               "--target", str(target), "--output-dir", str(out), "--workers", str(workers), "--json",
               *extra]  # fmt: skip
    if ray:
        command += ["--ray", "auto"]  # no cluster here: a local Ray instance with `workers` CPUs
    env = {**os.environ, "RAY_ADDRESS": ""}
    children_before = resource.getrusage(resource.RUSAGE_CHILDREN)
    seen: dict[int, float] = {}
    sample = Path("/proc/self/stat").exists()
    with tempfile.TemporaryFile("w+") as stdout, tempfile.TemporaryFile("w+") as stderr:
        started = time.perf_counter()
        proc = subprocess.Popen(command, stdout=stdout, stderr=stderr, text=True, env=env, cwd=ROOT)
        while proc.poll() is None:
            if sample:
                _tree_cpu_sampler(proc.pid, seen)
            time.sleep(0.2)
        wall = time.perf_counter() - started
        stdout.seek(0)
        stderr.seek(0)
        output, errors = stdout.read(), stderr.read()
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    reaped = (children.ru_utime + children.ru_stime) - (children_before.ru_utime + children_before.ru_stime)
    if not output.strip():
        raise SystemExit(f"batch failed:\n{errors[-3000:]}")
    report = json.loads(output)
    return {
        "wall": wall,
        "loop": report["elapsed_seconds"],
        # The last samples miss at most 0.2 s of each process; the reaped children's rusage is exact for
        # what it covers (the pool's workers are waited for, Ray's are not): the larger of the two.
        "cpu": max(sum(seen.values()), reaped),
        "task_cpu": sum(item.get("cpu_seconds", 0.0) for item in report["items"]),
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
                    f"wall {row['wall']:7.1f} s  loop {row['loop']:7.1f} s  "
                    f"cpu {row['cpu']:7.1f} s  task cpu {row['task_cpu']:7.1f} s",
                    flush=True,
                )
    rows = {key: min(values, key=lambda r: r["wall"]) for key, values in runs.items()}
    for executor in ("pool", "ray"):
        one, two = rows[executor, 1], rows[executor, 2]
        print(
            f"{name:<7} {executor:<5} speed-up 2 vs 1 worker: wall x{one['wall'] / two['wall']:.2f}, "
            f"loop x{one['loop'] / two['loop']:.2f}; cpu 2/1 workers x{two['cpu'] / one['cpu']:.2f}"
        )
    for workers in (1, 2):
        pool, ray = rows["pool", workers], rows["ray", workers]
        print(
            f"{name:<7} ray/pool time, {workers} worker(s): wall x{ray['wall'] / pool['wall']:.2f} "
            f"({ray['wall'] - pool['wall']:+.1f} s), loop x{ray['loop'] / pool['loop']:.2f}, "
            f"cpu x{ray['cpu'] / pool['cpu']:.2f} ({ray['cpu'] - pool['cpu']:+.1f} s; outside tasks: "
            f"ray {ray['cpu'] - ray['task_cpu']:.1f} s, pool {pool['cpu'] - pool['task_cpu']:.1f} s)"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--loops", type=int, default=10, help="times the clip is looped (10)")
    parser.add_argument("--only", choices=("photos", "video"), default=None)
    parser.add_argument("--repeats", type=int, default=2, help="runs of each photo configuration (2)")
    args = parser.parse_args()
    print(f"cores: {os.cpu_count()}, load average: {os.getloadavg()[0]:.2f} (shared machine: noisy)")
    print(" ".join([Path(sys.executable).name, *sys.argv]), flush=True)
    with tempfile.TemporaryDirectory(prefix="bench-batch-") as temporary:
        work = Path(temporary)
        if args.only != "video":
            photo_targets(work / "photos")
            bench("photos", work / "photos", work, [], args.repeats)
        if args.only != "photos":
            clip = work / f"obama_x{args.loops}.mp4"
            frames = loop_clip(CLIP, clip, args.loops)
            print(f"video: {clip.name}, {frames} frames")
            # The driver picks the person from the clip's cast, scanned once and cached per file: scanned
            # here first, so that no configuration pays it and the others not (it does not scale anyway).
            os.environ["FACESWAP_CACHE_DIR"] = str(work / "cache")
            started = time.perf_counter()
            command = [sys.executable, "-m", "faceswap_desktop", "cast", "--json", str(clip)]
            subprocess.run(command, capture_output=True, check=True, cwd=ROOT)
            print(f"video: cast scanned once before the runs in {time.perf_counter() - started:.1f} s")
            bench("video", clip, work, ["--segment-seconds", "20"], 1)
    print(f"load average after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
