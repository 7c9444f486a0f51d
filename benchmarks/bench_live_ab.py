"""A/B of live mode in the window: ``bench_live.py --parts gui`` for several variants, alternated round by
round in one script (a shared machine's load moves between runs: alternating spreads it over all
variants), then each variant's runs side by side and their medians. Prints numbers.

A variant is ``NAME=TREE[:LOOP]``: a source tree (another checkout, e.g. ``git archive`` of an older
commit unpacked somewhere, or ``.``) and the live loop (``serial`` or ``two``; default: that tree's
own default). Each run is a fresh process.

Usage: ``python benchmarks/bench_live_ab.py --rounds 3 --size 1280x720 before=/tmp/base:serial
after=.`` The CPU columns are milliseconds of CPU per painted frame: the live thread (the loop's
critical path), and the whole process with its decoding helper (what the machine pays for a frame).
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FIELDS = {
    "painted/s": r"([\d.]+) frames painted/s",
    "loop fps": r"live loop ([\d.]+) fps",
    "p50 ms": r"painted frame p50 (\d+) ms",
    "p95 ms": r"painted frame p50 \d+ ms, p95 (\d+) ms",
    "timer p99": r"timer gaps p99 (\d+) ms",
    "live CPU": r"by thread: .*?\blive ([\d.]+)",
    "track CPU": r"by thread: .*?\blive-track ([\d.]+)",
    "all CPU": r"; all ([\d.]+)",
    "swap wall": r"\(whole run\): .*?\bswap ([\d.]+)",
    "wait wall": r"\(whole run\): .*?\bwait ([\d.]+)",
    "load": r"load ([\d.]+)/",
}


def realtime_processes() -> list[int]:
    """Other processes in a real-time scheduling class (SCHED_FIFO/RR): while one runs, a normal process
    gets no CPU it wants, and a wall-clock measurement means nothing (Linux; empty elsewhere)."""
    found = []
    for entry in Path("/proc").iterdir() if Path("/proc/self/stat").exists() else ():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            # Field 41 of stat is the policy; kernel threads (no command line) are left out.
            if int(fields[38]) in (1, 2) and (entry / "cmdline").read_bytes():
                found.append(int(entry.name))
        except (OSError, IndexError, ValueError):
            continue
    return found


def run(tree: str, loop: str | None, size: str, seconds: float) -> dict[str, float]:
    command = [
        sys.executable, str(ROOT / "benchmarks" / "bench_live.py"), "--parts", "gui", "--sizes", size,
        "--seconds", str(seconds), "--tree", tree,
    ]  # fmt: skip
    if loop is not None:
        command += ["--loop", loop]
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    deadline = time.monotonic() + 300
    while realtime_processes() and time.monotonic() < deadline:
        time.sleep(1.0)  # wait for another session's real-time benchmark to end
    seen: list[int] = []
    running = threading.Event()
    running.set()

    def watch() -> None:
        while running.is_set():
            seen.extend(realtime_processes())
            time.sleep(0.5)

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    done = subprocess.run(command, capture_output=True, text=True, env=env, cwd=ROOT)
    running.clear()
    watcher.join()
    values: dict[str, float] = {"realtime": float(len(set(seen)))}
    for name, pattern in FIELDS.items():
        found = re.search(pattern, done.stdout)
        if found:
            values[name] = float(found.group(1))
    if "painted/s" not in values:
        print(f"run failed: {done.stdout[-400:]} {done.stderr[-800:]}")
    return values


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("variants", nargs="+", help="NAME=TREE[:LOOP]")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--size", default="1280x720")
    parser.add_argument("--seconds", type=float, default=5.0)
    args = parser.parse_args()
    variants = []
    for text in args.variants:
        name, _, spec = text.partition("=")
        tree, _, loop = spec.partition(":")
        variants.append((name, str(Path(tree).resolve()), loop or None))
    results: dict[str, list[dict[str, float]]] = {name: [] for name, *_ in variants}
    for round_number in range(args.rounds):
        order = variants if round_number % 2 == 0 else variants[::-1]
        for name, tree, loop in order:
            values = run(tree, loop, args.size, args.seconds)
            results[name].append(values)
            shown = ", ".join(f"{k} {v:g}" for k, v in values.items())
            print(f"round {round_number + 1} {name}: {shown}", flush=True)
    print(f"\n{args.size}, {args.rounds} rounds, medians (runs):")
    for name, runs in results.items():
        cells = []
        clean = [run for run in runs if not run.get("realtime")]
        if len(clean) < len(runs):
            cells.append(f"{len(runs) - len(clean)} run(s) beside a real-time process left out")
        for field in FIELDS:
            values = [run[field] for run in clean if field in run]
            if values:
                listed = "/".join(f"{v:g}" for v in values)
                cells.append(f"{field} {statistics.median(values):g} ({listed})")
        print(f"  {name}: " + "; ".join(cells))
    return 0


if __name__ == "__main__":
    sys.exit(main())
