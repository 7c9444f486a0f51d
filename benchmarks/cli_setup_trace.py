"""Where a CLI export's wall time outside its frame loop goes: a wall-clock log of its set-up and its end.

Run from the repository root (Linux: reads /proc for the process's start):
``python benchmarks/cli_setup_trace.py [--log] -- swap --source A.jpg --target clip.mp4 --output out.mp4
--overwrite --no-score --json``. The command runs in this process, as ``python -m faceswap_desktop``
would. The functions listed in ``TARGETS`` are wrapped as their modules are imported (an import hook, so
the imports themselves are timed as usual) and each call's start and end are noted, in seconds since
the process started, with the thread. At exit it prints the milestones (the command's start, the
pipeline, the reference, the first frame tracked and swapped, the last frame, the encoder's drain, the
signing, the end) and with ``--log`` every call noted. Numbers move with the machine's load: under
``chrt -f 10`` the run gets the cores a quiet machine would give it. See docs/video_performance.md.
"""

from __future__ import annotations

import atexit
import functools
import importlib.abc
import importlib.machinery
import os
import sys
import threading
import time
from collections.abc import Callable, Sequence
from types import ModuleType
from typing import Any

sys.path.insert(0, os.getcwd())


def _process_start() -> float:
    """``time.perf_counter()`` when this process started (10 ms ticks)."""
    ticks = os.sysconf("SC_CLK_TCK")
    with open("/proc/self/stat") as stat, open("/proc/uptime") as uptime:
        started = int(stat.read().rsplit(")", 1)[1].split()[19]) / ticks
        now = float(uptime.read().split()[0])
    return time.perf_counter() - (now - started)


START = _process_start()
LOG: list[tuple[float, str, str]] = []

TARGETS = {
    "faceswap_desktop.core.media.guarded_decode": [
        "prestart_helper", "DecodeHelper._ensure_started", "GuardedVideoReader.__init__", "load_image",
        "GuardedVideoReader.close", "DecodeHelper.close",
    ],
    "faceswap_desktop.cli": ["main"],
    "faceswap_desktop.cli.video_cmd": ["run_video_swap"],
    "faceswap_desktop.app.context": ["create_context", "AppContext.build_pipeline"],
    "faceswap_desktop.app.video": ["VideoExportJob._load_models", "VideoExportJob._prepare_source"],
    "faceswap_desktop.app.video_session": ["find_reference", "swap_tracked_face"],
    "faceswap_desktop.app.content_credentials": ["prepare_signing", "finish_video"],
    "faceswap_desktop.app.cast": ["scan_cast"],
    "faceswap_desktop.core.media.video_writer": ["VideoWriter.__init__", "VideoWriter.close"],
    "faceswap_desktop.core.mesh.mesh_engine": ["warm_up"],
    "faceswap_desktop.core.video.tracking": ["FaceTracker.update"],
}  # fmt: skip
"""Module -> functions (``Class.method`` for methods) whose calls are noted."""
EVERY_CALL = {"swap_tracked_face", "FaceTracker.update", "DecodeHelper._ensure_started", "load_image"}
"""Functions called per frame (or per request): only their first and last calls are kept."""


def note(what: str) -> None:
    LOG.append((time.perf_counter() - START, threading.current_thread().name, what))


def _wrap(name: str, function: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(function)
    def noted(*args: Any, **kwargs: Any) -> Any:
        note(f"> {name}")
        try:
            return function(*args, **kwargs)
        finally:
            note(f"< {name}")

    return noted


class _Hook(importlib.abc.MetaPathFinder):
    """Wraps the listed functions of a listed module once it has been executed."""

    def find_spec(
        self, fullname: str, path: Sequence[str] | None, target: ModuleType | None = None
    ) -> importlib.machinery.ModuleSpec | None:
        if fullname not in TARGETS:
            return None
        spec = importlib.machinery.PathFinder.find_spec(fullname, path)
        if spec is None or spec.loader is None:
            return spec
        loader: Any = spec.loader
        execute = loader.exec_module

        def exec_module(module: ModuleType) -> None:
            execute(module)
            for qualified in TARGETS[fullname]:
                owner: Any = module
                *outer, last = qualified.split(".")
                for part in outer:
                    owner = getattr(owner, part)
                if hasattr(owner, last):
                    setattr(owner, last, _wrap(qualified, getattr(owner, last)))

        loader.exec_module = exec_module
        return spec


def _kept(log: list[tuple[float, str, str]]) -> list[tuple[float, str, str]]:
    """The log without the middle calls of per-frame functions."""
    calls: dict[str, list[int]] = {}
    for position, (_, _, what) in enumerate(log):
        if what[2:] in EVERY_CALL:
            calls.setdefault(what, []).append(position)
    dropped = {p for positions in calls.values() for p in positions[1:-1]}
    return [entry for position, entry in enumerate(log) if position not in dropped]


def _first(what: str) -> float | None:
    return next((when for when, _, noted in LOG if noted == what), None)


def _last(what: str) -> float | None:
    return next((when for when, _, noted in reversed(LOG) if noted == what), None)


def report(every_call: bool) -> None:
    note("exit handlers")
    milestones = [
        ("command started (cli main)", _first("> main")),
        ("context created", _first("< create_context")),
        ("pipeline built (detector loaded)", _first("< AppContext.build_pipeline")),
        ("cast scan (a first export) started / ended", _first("> scan_cast"), _last("< scan_cast")),
        ("reference found", _first("< find_reference")),
        (
            "warm-up / source preparation done",
            _first("< warm_up"),
            _first("< VideoExportJob._prepare_source"),
        ),
        ("first frame tracked (the loop's start)", _first("< FaceTracker.update")),
        ("first swap started", _first("> swap_tracked_face")),
        ("last frame swapped", _last("< swap_tracked_face")),
        ("encoder drain started / ended", _first("> VideoWriter.close"), _first("< VideoWriter.close")),
        ("signing identity loaded", _first("< prepare_signing")),
        ("output signed and renamed", _first("< finish_video")),
        ("exit handlers", _last("exit handlers")),
    ]
    print("\nseconds since the process started:", file=sys.stderr)
    for label, *times in milestones:
        shown = " / ".join("-" if t is None else f"{t:.3f}" for t in times)
        print(f"  {label:45s} {shown}", file=sys.stderr)
    if every_call:
        print("\nevery call noted (per-frame functions: first and last):", file=sys.stderr)
        for when, thread, what in _kept(LOG):
            print(f"  {when:7.3f} {thread[:16]:16s} {what}", file=sys.stderr)


def main() -> int:
    every_call = "--log" in sys.argv[1 : sys.argv.index("--")] if "--" in sys.argv else False
    command = sys.argv[sys.argv.index("--") + 1 :] if "--" in sys.argv else sys.argv[1:]
    sys.meta_path.insert(0, _Hook())
    import faceswap_desktop.__main__ as entry

    # The program ends from its own exit handler, which runs last: the report registers after it
    # (exit handlers run last-registered first), so it runs before it.
    end_program = entry._exit_without_teardown

    def with_report() -> None:
        end_program()
        atexit.register(report, every_call)

    entry._exit_without_teardown = with_report  # type: ignore[assignment]
    sys.argv = ["faceswap-desktop", *command]
    return entry.main()


if __name__ == "__main__":
    sys.exit(main())
