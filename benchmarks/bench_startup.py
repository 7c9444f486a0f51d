"""Start-up time of the window: the packaged bundle against the source tree, as a user starts them.

    .venv/bin/python benchmarks/bench_startup.py [--bundle build/dist/faceswap-desktop] [--runs 5] [--cold]

Each run is a whole new process in a fresh home (consent given before), offscreen, timed from the
process's start until the window reports (``FACESWAP_SMOKE_REPORT``, ``qt/smoke_report.py``):
- "window": started with no files, until the main window is shown;
- "first swap": started with a source and a target, until the first scored preview is on screen.
The two programs alternate run by run, so that a busy machine slows both alike; medians are printed
with their ratio. ``--cold`` drops the page cache before every run (root on Linux only): the first
start after a reboot, when every library is read from disk.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MEDIA = ROOT.parent / "shared" / "media" / "images" / "identity"
FILES = ["--source", str(MEDIA / "obama/obama.jpg"), str(MEDIA / "biden/biden2.jpg")]


def drop_page_cache() -> None:
    subprocess.run(["sync"], check=True)
    Path("/proc/sys/vm/drop_caches").write_text("3\n")


def timed_start(command: list[str], files: bool, root: Path) -> float:
    """Seconds from the process's start to the window's report, in a fresh sandbox under ``root`` (the
    smoke test's: empty per-user folders, consent given before)."""
    sys.path.insert(0, str(ROOT / "packaging"))
    from smoke_test import Sandbox

    box = Sandbox(root)
    box.accept_consent()
    report = box.out / "report.json"
    env = box.environment(QT_QPA_PLATFORM="offscreen", FACESWAP_SMOKE_REPORT=str(report))
    started = time.perf_counter()
    process = subprocess.Popen(
        [*command, *(FILES if files else [])], env=env, cwd=box.work, stderr=subprocess.DEVNULL
    )
    while not report.exists():
        if process.poll() is not None:
            raise RuntimeError(f"{command[0]} exited with {process.returncode} before its window reported")
        time.sleep(0.01)
    elapsed = time.perf_counter() - started
    process.wait(timeout=60)
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bundle", type=Path, default=ROOT / "build/dist/faceswap-desktop")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--cold", action="store_true", help="drop the page cache before each run (root)")
    args = parser.parse_args()
    programs = {
        "bundle": [str((args.bundle / "faceswap-desktop").resolve())],
        "source tree": [sys.executable, "-m", "faceswap_desktop"],
    }
    print(f"{'cold' if args.cold else 'warm'} starts, {args.runs} runs each, medians (s):")
    for files in (False, True):
        times: dict[str, list[float]] = {name: [] for name in programs}
        for _ in range(args.runs):
            for name, command in programs.items():
                if args.cold:
                    drop_page_cache()
                with tempfile.TemporaryDirectory() as root:
                    times[name].append(timed_start(command, files, Path(root)))
        medians = {name: statistics.median(values) for name, values in times.items()}
        label = "first swap" if files else "window"
        print(
            f"  {label:10}  bundle {medians['bundle']:.2f}  source tree {medians['source tree']:.2f}  "
            f"ratio bundle/source {medians['bundle'] / medians['source tree']:.2f}  "
            f"(all: bundle {[round(t, 2) for t in times['bundle']]}, "
            f"source {[round(t, 2) for t in times['source tree']]})"
        )


if __name__ == "__main__":
    main()
