"""``faceswap-desktop queue list|add|run|clear``: the GUI's saved job queue, driven headless.

``queue add`` takes the options of ``swap`` and saves the swap as a queued job; ``queue run`` recovers
what an earlier session left queued or running (as the GUI would after asking) and runs every queued job
in order. Ctrl-C or SIGTERM stops ``queue run`` without losing the job it was running: the next ``queue
run`` (or GUI start) restarts it from scratch.
"""

from __future__ import annotations

import argparse
import json
import logging
import signal
import sys
from collections.abc import Callable
from types import FrameType
from typing import Any

from ..core.errors import BadInput

log = logging.getLogger(__name__)

DEFAULT_MAX_ATTEMPTS = 3


def add_queue_parser(
    commands: Any, add_swap_options: Callable[[argparse.ArgumentParser], None]
) -> argparse.ArgumentParser:
    """The ``queue`` command and its sub-commands (``add`` reuses the ``swap`` options)."""
    queue = commands.add_parser("queue", help="list, add to, run or clear the saved job queue")
    actions = queue.add_subparsers(dest="queue_command", required=True)
    listing = actions.add_parser("list", help="show the saved jobs and their states")
    listing.add_argument("--json", action="store_true", help="print the jobs as JSON")
    add = actions.add_parser("add", help="save a swap (same options as `swap`) as a queued job")
    add.add_argument("--title", default=None, help="the job's name in lists (default: Export <output>)")
    add_swap_options(add)
    run = actions.add_parser("run", help="recover interrupted jobs and run every queued job")
    run.add_argument("--provider", default="auto", help="ONNX Runtime execution provider")
    run.add_argument(
        "--max-attempts",
        type=int,
        default=DEFAULT_MAX_ATTEMPTS,
        help="do not restart a job that was interrupted this many times (default %(default)s)",
    )
    clear = actions.add_parser("clear", help="remove finished jobs (with --all, queued ones too)")
    clear.add_argument("--all", action="store_true", help="also remove queued and interrupted jobs")
    queue.set_defaults(handler=run_queue_command)
    return queue


def run_queue_command(args: argparse.Namespace) -> int:
    command = args.queue_command
    if command == "list":
        return _list(args)
    if command == "add":
        return _add(args)
    if command == "run":
        return _run(args)
    return _clear(args)


def _list(args: argparse.Namespace) -> int:
    from ..app.job_store import queue_path, read_queue

    records = list(read_queue())
    if args.json:
        print(json.dumps([record.to_dict() for record in records], indent=1))
        return 0
    if not records:
        print(f"no saved jobs ({queue_path()})")
        return 0
    for record in records:
        line = f"{record.key[:8]}  {record.state.value:<9}  {record.spec.kind:<5}  {record.title}"
        if record.attempts > 1:
            line += f"  (started {record.attempts} times)"
        if record.error:
            line += f"  - {record.error}"
        print(line)
    return 0


def _add(args: argparse.Namespace) -> int:
    from ..app.job_specs import photo_spec, video_spec
    from ..app.job_store import JobStore
    from ..app.photo import validate_request
    from ..app.video import validate_export
    from . import photo_request_from_args, settings_from_args
    from .video_cmd import is_video_target, video_request_from_args

    settings = settings_from_args(args)
    if is_video_target(args.target):
        video = video_request_from_args(args, settings)
        validate_export(video)
        spec = video_spec(video)
    else:
        photo = photo_request_from_args(args, settings)
        if photo.maximize_likeness:  # the export job does not run the search: refuse, do not ignore
            raise BadInput("--maximize-likeness cannot be queued yet; use `swap` for that")
        validate_request(photo)
        spec = photo_spec(photo)
    store = JobStore()
    store.open()
    try:
        record = store.add(spec, args.title)
    finally:
        store.close()
    print(f"queued {record.title} ({record.key[:8]})")
    return 0


def _clear(args: argparse.Namespace) -> int:
    from ..app.job_store import JobStore

    store = JobStore()
    store.open()
    try:
        if args.all:
            records = store.records()
            store.forget(record.key for record in records)
            removed = len(records)
        else:
            removed = store.forget_finished()
    finally:
        store.close()
    print(f"removed {removed} job(s)")
    return 0


def _stop_on_sigterm(_signum: int, _frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def _run(args: argparse.Namespace) -> int:
    from ..app.context import AppContext, create_context
    from ..app.diagnostics import setup_logging
    from ..app.job_specs import JobSpec, build_work
    from ..app.job_store import JobStore, recover_jobs
    from ..app.jobs import JobInfo, JobQueue, JobState

    diagnostics = setup_logging(console=False)
    store = JobStore()
    report = store.open()
    for problem in report.problems:
        print(f"warning: {problem}", file=sys.stderr)
    previous = signal.signal(signal.SIGTERM, _stop_on_sigterm)
    context: AppContext | None = None

    def make_work(spec: JobSpec) -> Any:
        nonlocal context
        if context is None:  # the models load only when there is something to run
            context = create_context(args.provider)
        return build_work(context, spec)

    def show(info: JobInfo) -> None:
        if info.state is JobState.RUNNING and info.message == "starting":
            print(f"running  {info.title}", file=sys.stderr)
        elif info.state.is_final:
            detail = f": {info.error}" if info.error else ""
            print(f"{info.state.value:<8} {info.title}{detail}", file=sys.stderr)

    queue = JobQueue(recorder=store)
    queue.subscribe(show)
    failed = 0
    try:
        outcome = recover_jobs(queue, store, report.recoverable, make_work, args.max_attempts)
        for record in outcome.done:
            print(f"done     {record.title} (finished before the interruption)", file=sys.stderr)
        for record in outcome.given_up:
            print(f"failed   {record.title}: interrupted {record.attempts} times", file=sys.stderr)
        failed += len(outcome.given_up)
        while (info := queue.run_next()) is not None:
            failed += info.state is JobState.FAILED
    except KeyboardInterrupt:
        print("interrupted; `queue run` restarts the unfinished jobs", file=sys.stderr)
        return 130
    finally:
        signal.signal(signal.SIGTERM, previous)
        store.close()
        diagnostics.close()
    print(f"queue finished: {failed} failed", file=sys.stderr)
    return 1 if failed else 0
