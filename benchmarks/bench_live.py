"""Live mode's speed with the mesh engine: fps, latency, and the GUI thread's stalls. Prints numbers.

The camera is the file-backed one (``Obama_speaking.mp4``, 512x388 at 30 fps, resized to the asked
resolution as a camera set to it would deliver), the source is ``biden.jpg``.

1. ``capacity``: every frame processed, none dropped (``--every-frame``): how many frames a second the
   live loop can swap, with per-stage milliseconds and the process's CPU per frame.
2. ``realtime``: the camera at its 30 fps, latest frame wins: frames shown per second, frames dropped,
   camera-frame-to-swapped-frame latency (p50/p95).
3. ``gui``: the window offscreen in live mode at 30 fps: camera frame to painted frame latency (p50/p95),
   and the gaps between the ticks of a 16 ms timer on the GUI thread (p99, max).
4. ``cli``: the whole process from the command line (imports, models, the helper process) for
   ``faceswap-desktop live --every-frame --frames N``, wall and CPU.

The machine's load average is printed with each part: on a shared machine the numbers move with it.

Usage: ``python benchmarks/bench_live.py [--seconds 5] [--parts capacity,realtime,gui,cli]
[--loop serial|two]``
(``--loop``: one thread that tracks then swaps, the default, or tracking on a second thread one frame
ahead; alternate the two in one tree to compare them).
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "media"
CLIP = SHARED / "videos" / "Obama_speaking.mp4"
SOURCE = SHARED / "images" / "identity" / "biden" / "biden.jpg"
TREE = ROOT
"""The tree measured (``--tree``)."""


def load() -> str:
    one, five, _fifteen = os.getloadavg()
    return f"load {one:.1f}/{five:.1f} on {os.cpu_count()} cores"


def percentiles(values: list[float]) -> str:
    if not values:
        return "n/a"
    p50, p95, p99 = np.percentile(values, [50, 95, 99])
    return f"p50 {p50:.0f} ms, p95 {p95:.0f} ms, p99 {p99:.0f} ms"


def build():  # type: ignore[no-untyped-def]
    from faceswap_desktop.app.context import create_context
    from faceswap_desktop.app.live.setup import live_pipeline, prepare_live_source

    context = create_context("cpu")
    pipeline = live_pipeline(context.build_pipeline, "mesh", "dlib")
    return context, pipeline, prepare_live_source(pipeline, [SOURCE])


def run_loop(size: tuple[int, int], realtime: bool, seconds: float) -> None:
    from faceswap_desktop.app.live.runner import LiveRunner
    from faceswap_desktop.app.live.sources import VideoFileSource

    context, pipeline, prepared = build()
    frames = int(30 * seconds)
    source = VideoFileSource(CLIP, realtime=realtime, size=size, max_frames=frames, loop=True)
    scores: list[object] = []
    runner = LiveRunner(source, pipeline, context.detector("mediapipe"), prepared, on_score=scores.append)
    cpu = time.process_time()
    runner.start()
    runner.wait()
    cpu = time.process_time() - cpu
    stats = runner.stats
    stages = ", ".join(f"{k} {v / max(stats.processed, 1):.1f}" for k, v in stats.stage_ms.items())
    kind = "realtime 30 fps" if realtime else "capacity (every frame)"
    frames_done = max(stats.processed, 1)
    live_cpu = stats.live_cpu_ms / frames_done
    print(
        f"{kind} {size[0]}x{size[1]}: {stats.processed} frames at {stats.fps:.1f} fps,"
        f" {stats.dropped} dropped, face in {stats.with_face};"
        f" swapped-frame latency {percentiles(list(stats.latencies_ms))}; wall ms per frame: {stages};"
        f" live thread CPU {live_cpu:.1f} ms/frame (= {1000 / live_cpu:.0f} fps on a core of its own),"
        f" process CPU {cpu * 1000 / frames_done:.1f} ms/frame ({len(scores)} scores); {load()}"
    )


def run_gui(size: tuple[int, int], seconds: float) -> None:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    import tempfile

    from PySide6.QtWidgets import QApplication

    from faceswap_desktop.app.context import create_context
    from faceswap_desktop.app.user_settings import CONFIG_DIR_ENV, UserSettings, UserSettingsStore
    from faceswap_desktop.qt.live_panel import FILE_CAMERA
    from faceswap_desktop.qt.main_window import MainWindow

    work = Path(tempfile.mkdtemp(prefix="bench-live-"))
    os.environ[CONFIG_DIR_ENV] = str(work / "config")
    store = UserSettingsStore()
    store.save(UserSettings(consent_accepted=True))
    app = QApplication.instance() or QApplication([])
    window = MainWindow(create_context(), store)
    window.resize(1440, 900)
    window.show()
    live = window.live

    def pump(condition, timeout: float) -> None:  # type: ignore[no-untyped-def]
        deadline = time.monotonic() + timeout
        while not condition() and time.monotonic() < deadline:
            app.processEvents()
            time.sleep(0.005)

    window.session.add_sources([SOURCE])
    pump(lambda: len(window.session.usable_sources) == 1, 60)
    baseline = timer_gaps(app, seconds)  # the same window, live off: what the machine's load alone does
    combo = live.panel.camera_combo
    combo.setCurrentIndex(combo.findData(FILE_CAMERA))
    sizes = live.panel.resolution_combo
    sizes.setCurrentIndex(next(i for i in range(sizes.count()) if tuple(sizes.itemData(i) or ()) == size))
    live.file_camera, live.confirm_consent = CLIP, lambda: True
    live.start()
    pump(lambda: live.active and live.view.frames_shown > 10, 60)
    assert live.runner is not None and live.runner.format is not None
    assert (live.runner.format.width, live.runner.format.height) == size
    live.display_latencies_ms.clear()
    shown, processed = live.view.frames_shown, live.runner.stats.processed
    cpu_before = thread_cpu_ms()
    started = time.perf_counter()
    gaps = timer_gaps(app, seconds)
    elapsed = time.perf_counter() - started
    cpu_after = thread_cpu_ms()
    frames_painted = live.view.frames_shown - shown
    painted = frames_painted / elapsed
    stats = live.runner.stats
    loop_fps = (stats.processed - processed) / elapsed
    stages = ", ".join(f"{k} {v / max(stats.processed, 1):.1f}" for k, v in stats.stage_ms.items())
    live.stop()
    pump(lambda: not live.active, 60)
    window.shutdown()
    shutil.rmtree(work, ignore_errors=True)  # the throw-away settings folder
    print(
        f"gui offscreen {size[0]}x{size[1]}: {painted:.1f} frames painted/s (live loop {loop_fps:.1f} fps,"
        f" {stats.dropped} dropped);"
        f" camera frame to painted frame {percentiles(list(live.display_latencies_ms))};"
        f" 16 ms timer gaps p99 {np.percentile(gaps, 99):.0f} ms, max {gaps.max():.0f} ms"
        f" (live off, same window: p99 {np.percentile(baseline, 99):.0f} ms, max {baseline.max():.0f} ms);"
        f" {load()}"
    )
    if cpu_after:
        spent = {name: cpu_after.get(name, 0.0) - cpu_before.get(name, 0.0) for name in cpu_after}
        per_frame = ", ".join(
            f"{name} {ms / max(frames_painted, 1):.1f}"
            for name, ms in sorted(spent.items(), key=lambda item: -item[1])
            if ms > 0
        )
        total = sum(spent.values()) / max(frames_painted, 1)
        print(f"  CPU ms per painted frame, by thread: {per_frame}; all {total:.1f}")
    print(f"  live loop wall ms per frame (whole run): {stages}")


def thread_cpu_ms() -> dict[str, float]:
    """CPU milliseconds so far of this process's threads by name (Python threads by their name, the GUI
    thread as 'gui', native ones such as Qt's and onnxruntime's as 'native'), and of its helper
    processes ('helpers': the video decoder); empty where /proc is missing (not Linux)."""
    import threading

    proc = Path("/proc")
    if not (proc / str(os.getpid()) / "task").is_dir():
        return {}
    tick = os.sysconf("SC_CLK_TCK")

    def cpu(stat: Path) -> float:
        fields = stat.read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) * 1000 / tick

    names = {thread.native_id: thread.name for thread in threading.enumerate()}
    names[threading.main_thread().native_id] = "gui"
    totals: dict[str, float] = {}
    for task in (proc / str(os.getpid()) / "task").iterdir():
        name = names.get(int(task.name), "native")
        name = "live-task" if name.startswith("live-task") else name
        try:
            totals[name] = totals.get(name, 0.0) + cpu(task / "stat")
        except (OSError, ValueError):
            continue
    for child in proc.iterdir():
        try:
            if (
                child.name.isdigit()
                and int((child / "stat").read_text().rsplit(")", 1)[1].split()[1]) == os.getpid()
            ):
                totals["helpers"] = totals.get("helpers", 0.0) + cpu(child / "stat")
        except (OSError, ValueError):
            continue
    return totals


def timer_gaps(app, seconds: float) -> np.ndarray:  # type: ignore[no-untyped-def]
    """Gaps (ms) between the ticks of a 16 ms timer on the GUI thread while events run for ``seconds``."""
    from PySide6.QtCore import QTimer

    ticks: list[float] = []
    timer = QTimer()
    timer.setInterval(16)
    timer.timeout.connect(lambda: ticks.append(time.perf_counter()))
    timer.start()
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        app.processEvents()
        time.sleep(0.002)
    timer.stop()
    return np.diff(ticks) * 1000 if len(ticks) > 1 else np.zeros(1)


def run_cli(size: tuple[int, int], frames: int) -> None:
    command = [
        sys.executable, "-m", "faceswap_desktop", "live", "--camera", str(CLIP), "--source", str(SOURCE),
        "--every-frame", "--frames", str(frames), "--size", f"{size[0]}x{size[1]}", "--json",
    ]  # fmt: skip
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    done = subprocess.run(
        command, capture_output=True, text=True, env={**os.environ, "PYTHONPATH": str(TREE)}
    )
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    if done.returncode != 0:
        print(f"cli failed ({done.returncode}): {done.stderr[-500:]}")
        return
    import json

    summary = json.loads(done.stdout)
    print(
        f"cli {size[0]}x{size[1]}: {frames} frames, whole process {wall:.2f} s wall, {cpu:.2f} s CPU"
        f" (its own loop: {summary['fps']} fps); {load()}"
    )


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument(
        "--tree",
        type=Path,
        default=ROOT,
        help="the source tree whose faceswap_desktop is measured (default: this file's; another checkout "
        "of an older commit gives an A/B in one script with the same benchmark)",
    )
    parser.add_argument("--parts", default="capacity,realtime,gui,cli")
    parser.add_argument("--sizes", default="640x480,1280x720", help="camera resolutions, comma-separated")
    parser.add_argument(
        "--loop",
        choices=("serial", "two"),
        default="two",
        help="two: the next frame is tracked on a second thread while this one is swapped (the app's "
        "default); serial: one live thread tracks then swaps; not the cli part",
    )
    args = parser.parse_args()
    # Run as a script, Python puts benchmarks/ first on the path, not the tree: without this the package
    # installed in the environment (perhaps another checkout, editable) would be measured.
    global TREE
    TREE = args.tree.resolve()
    sys.path.insert(0, str(TREE))
    from faceswap_desktop.app.live import runner

    print(f"tree: {Path(runner.__file__).parents[3]}")

    runner.TRACK_WHILE_SWAPPING = args.loop == "two"
    loop = "one thread, track then swap" if args.loop == "serial" else "track and swap on two threads"
    print(f"live loop: {loop}")
    parts = args.parts.split(",")
    sizes = [tuple(int(n) for n in text.split("x")) for text in args.sizes.split(",")]
    for size in sizes:
        if "capacity" in parts:
            run_loop(size, False, args.seconds)
        if "realtime" in parts:
            run_loop(size, True, args.seconds)
        if "gui" in parts:
            run_gui(size, args.seconds)
        if "cli" in parts:
            run_cli(size, int(30 * args.seconds))
    return 0


if __name__ == "__main__":
    sys.exit(main())
