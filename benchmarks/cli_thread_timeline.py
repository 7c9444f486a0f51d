"""Where a CLI run's cores go: per-thread CPU and run-queue wait over time, the decoding helper included.

Run from the repository root (Linux: reads /proc): ``python benchmarks/cli_thread_timeline.py [--bin S]
-- swap --source A.jpg --target clip.mp4 --output out.mp4 --overwrite --no-score --json``. The command
runs in this process (as ``python -m faceswap_desktop`` would); a sampler thread reads every thread's
``schedstat`` (CPU time and time spent runnable but waiting for a core) every 20 ms, its children's too.
At exit it prints each thread's totals, then per time bin the cores each group of threads used and the
"demand" (threads running or runnable): a bin whose demand stays under 2 on a 2-core machine leaves a
core idle however quiet the machine is; over 2, the work is there and the machine's load decides. On a
machine shared with other jobs, ``chrt -f 10`` in front gives the run the cores it would have on a quiet
machine (the kernel's real-time throttling leaves others 5 %). Python thread names come from
``threading``; native threads (x264's, FFmpeg's) show as ``python``. See docs/video_performance.md.
"""

from __future__ import annotations

import argparse
import atexit
import os
import sys
import threading
import time
from collections import defaultdict

sys.path.insert(0, os.getcwd())

START = time.perf_counter()
SAMPLE_S = 0.02
names: dict[str, str] = {}
samples: list[tuple[float, dict[str, tuple[float, float]]]] = []


def _read(path: str) -> str:
    with open(path) as handle:
        return handle.read()


def _threads(pid: int, prefix: str) -> dict[str, tuple[float, float]]:
    found: dict[str, tuple[float, float]] = {}
    try:
        tids = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return found
    for tid in tids:
        key = f"{prefix}{tid}"
        try:
            if key not in names:
                names[key] = _read(f"/proc/{pid}/task/{tid}/comm").strip()
            running, waiting = _read(f"/proc/{pid}/task/{tid}/schedstat").split()[:2]
        except OSError:
            continue
        found[key] = (int(running) / 1e9, int(waiting) / 1e9)
    return found


def _sample() -> None:
    pid = os.getpid()
    now = time.perf_counter() - START
    cpu = _threads(pid, "")
    for tid in os.listdir(f"/proc/{pid}/task"):
        try:
            children = _read(f"/proc/{pid}/task/{tid}/children").split()
        except OSError:
            continue
        for child in children:
            cpu.update(_threads(int(child), f"helper {child}:"))
    for thread in threading.enumerate():
        if thread.native_id:
            names[str(thread.native_id)] = thread.name
    samples.append((now, cpu))


def _sampler() -> None:
    while True:
        _sample()
        time.sleep(SAMPLE_S)


def _group(key: str) -> str:
    if key.startswith("helper"):
        return "helper"
    name = names.get(key, "?")
    for prefix, group in (("swap", "swap"), ("prepare", "prepare"), ("warm", "warm"), ("open", "open"),
                          ("MainThread", "main"), ("timeline", "sampler")):  # fmt: skip
        if name.startswith(prefix):
            return group
    return {"Thread-1 (_decode)": "decode", "Thread-2 (_encode)": "encode", "python": "native"}.get(
        name, "other"
    )


def report(bin_s: float) -> None:
    _sample()
    totals: dict[str, tuple[float, float]] = {}
    for _, cpu in samples:
        totals.update(cpu)  # cumulative counters: the last value seen (threads that ended keep theirs)
    print(f"\nper thread: CPU s / waiting for a core s (wall {samples[-1][0]:.2f} s)", file=sys.stderr)
    for key, (running, waiting) in sorted(totals.items(), key=lambda item: -item[1][0]):
        if running > 0.03:
            print(
                f"  {names.get(key, '?'):22s} {_group(key):8s} {running:6.2f} {waiting:6.2f}", file=sys.stderr
            )
    used: dict[int, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    demand: dict[int, float] = defaultdict(float)
    previous: dict[str, tuple[float, float]] = {}
    for when, cpu in samples:
        for key, (running, waiting) in cpu.items():
            before = previous.get(key, (0.0, 0.0))
            used[int(when / bin_s)][_group(key)] += running - before[0]
            demand[int(when / bin_s)] += running - before[0] + waiting - before[1]
        previous.update(cpu)
    groups = sorted({group for row in used.values() for group in row})
    print("  time " + " ".join(f"{g[:7]:>7s}" for g in groups) + "    sum  demand", file=sys.stderr)
    for index in sorted(used):
        row = used[index]
        cells = " ".join(f"{row.get(g, 0.0) / bin_s:7.2f}" for g in groups)
        total = sum(row.values()) / bin_s
        print(f"{index * bin_s:6.2f} {cells} {total:6.2f} {demand[index] / bin_s:6.2f}", file=sys.stderr)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bin", type=float, default=0.25, help="seconds per row of the timeline")
    parser.add_argument("command", nargs=argparse.REMAINDER, help="the CLI's arguments, after --")
    args = parser.parse_args()
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    threading.Thread(target=_sampler, name="timeline-sampler", daemon=True).start()
    import faceswap_desktop.__main__ as entry

    # The program ends without the interpreter's teardown, from its own exit handler: the report has
    # to be registered after it (exit handlers run last-registered first).
    end_program = entry._exit_without_teardown

    def with_report() -> None:
        end_program()
        atexit.register(report, args.bin)

    entry._exit_without_teardown = with_report
    sys.argv = ["faceswap-desktop", *command]
    return entry.main()


if __name__ == "__main__":
    sys.exit(main())
