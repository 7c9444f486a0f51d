"""``faceswap-desktop batch``: many sources x targets, on local worker processes or a Ray cluster.

The options are those of ``swap`` (one definition: :func:`~. add_swap_options`), with ``--target``
repeatable (files, folders, globs) and ``--output-dir``/``--name`` instead of ``--output``. Each item's
request is built by the very functions ``swap`` uses, so a batch item renders exactly as ``swap`` would.
A batch file (TOML or JSON) holds the same fields: ``source``, ``target``, ``output_dir``, ``name`` and
any ``swap`` option by its long name (``engine = "mesh"``, ``blend = 80``, ``overwrite = true``); options
on the command line are added to it (repeatable ones) or replace it.

Exit code: 0 when every item is done or skipped, 8 when some failed (each with its reason), 2 for
a batch that cannot be planned.
"""

from __future__ import annotations

import argparse
import contextlib
import copy
import json
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ..core.errors import BadInput
from ..core.media.video_writer import CONTAINER_BY_EXTENSION

EXIT_SOME_FAILED = 8
CONTAINERS = tuple(extension.lstrip(".") for extension in CONTAINER_BY_EXTENSION)


def add_batch_parser(commands: Any, add_swap_options: Callable[[argparse.ArgumentParser], None]) -> None:
    """The ``batch`` sub-command: ``swap``'s options, a few replaced, and the batch's own."""
    batch = commands.add_parser(
        "batch",
        help="swap many sources x targets (files, folders, globs) locally or on a Ray cluster",
        conflict_handler="resolve",  # --target and --output are redefined below
        epilog="Exit code 8: the batch finished but some items failed (see the table or --json).",
    )
    add_swap_options(batch)
    batch.add_argument("--output", help=argparse.SUPPRESS, default=None)
    batch.add_argument("--report", help=argparse.SUPPRESS, default=None)  # per-frame reports: swap only
    batch.add_argument(
        "--target",
        action="append",
        default=None,
        help="target photo, video, folder or glob (quote globs: --target 'shots/*.jpg'); repeatable",
    )
    batch.add_argument(
        "--source",
        action="append",
        default=None,
        help="a person: one photo, or a folder or glob of photos of them; repeat for more people "
        "(each is swapped onto every target)",
    )
    batch.add_argument(
        "--overwrite",
        action="store_true",
        default=None,
        help="render outputs that exist again (default: skip)",
    )
    group = batch.add_argument_group("batch")
    group.add_argument("batch_file", nargs="?", type=Path, help="a TOML or JSON batch file (optional)")
    group.add_argument("--output-dir", type=Path, default=None, help="folder of the outputs (created)")
    group.add_argument(
        "--name",
        default=None,
        help="output name pattern: {target}, {source} (file names without extension), {n} (default "
        '"{target}_swapped"); photos keep their extension, videos get --container',
    )
    group.add_argument(
        "--container", choices=CONTAINERS, default=None, help="container of video outputs (mp4)"
    )
    group.add_argument(
        "--workers", type=int, default=None, help="local worker processes (default: every core)"
    )
    group.add_argument(
        "--ray",
        default=None,
        metavar="auto|ADDRESS",
        help="run on a Ray cluster: auto (the one started here, else a local Ray instance) or its "
        "address (needs faceswap-desktop[cluster])",
    )
    group.add_argument(
        "--segment-seconds",
        type=float,
        default=None,
        help="render videos longer than this as segments split at keyframes (default 20; 0: never)",
    )
    group.add_argument("--retries", type=int, default=None, help="runs again of a task whose worker died (2)")
    group.add_argument(
        "--gpus-per-task",
        type=float,
        default=None,
        help="GPUs a Ray task of a learned swapper asks for (default 0; e.g. 1 or 0.5 on GPU nodes)",
    )
    batch.set_defaults(handler=run_batch_command, batch_parser=batch)


# -- the batch file -------------------------------------------------------------------------------------


def read_batch_file(path: Path) -> dict[str, Any]:
    """The fields of a TOML or JSON batch file."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise BadInput(f"cannot read the batch file {path}: {error}") from None
    try:
        if path.suffix.lower() == ".json":
            data = json.loads(text)
        else:
            try:
                import tomllib
            except ImportError:  # Python 3.10
                import tomli as tomllib
            data = tomllib.loads(text)
    except ValueError as error:
        raise BadInput(
            f"{path.name} is not valid {path.suffix.lstrip('.').upper() or 'TOML'}: {error}"
        ) from None
    if not isinstance(data, dict):
        raise BadInput(f"{path.name} must hold a table of options")
    return data


def file_arguments(data: dict[str, Any], base: Path) -> list[str]:
    """Command-line arguments equal to a batch file's fields (relative paths are from the file's folder)."""
    arguments: list[str] = []
    for key, value in data.items():
        option = "--" + key.replace("_", "-")
        values = value if isinstance(value, list) else [value]
        for entry in values:
            if isinstance(entry, bool):
                if entry:
                    arguments.append(option)
                elif key not in ("overwrite", "json", "all_faces", "watermark"):
                    arguments.append("--no-" + key.replace("_", "-"))
                continue
            text = str(entry)
            if key in ("source", "target", "output_dir", "report") and not Path(text).is_absolute():
                text = str(base / text)
            arguments.append(f"{option}={text}")
    return arguments


def merged_arguments(args: argparse.Namespace) -> argparse.Namespace:
    """``args`` with a batch file's fields under them (command-line values win, lists add up)."""
    if args.batch_file is None:
        return args
    parser: argparse.ArgumentParser = args.batch_parser
    from_file = parser.parse_args(file_arguments(read_batch_file(args.batch_file), args.batch_file.parent))
    merged = copy.copy(args)
    for name, value in vars(from_file).items():
        given = getattr(args, name, None)
        if isinstance(value, list) and isinstance(given, list):
            setattr(merged, name, value + given)
        elif given is None or given == parser.get_default(name):
            setattr(merged, name, value)
    merged.batch_file = args.batch_file
    return merged


# -- running ----------------------------------------------------------------------------------------------


def run_batch_command(args: argparse.Namespace) -> int:
    """Plan, run and summarise a batch."""
    from ..app.batch import expand_people, expand_targets, plan_batch
    from ..app.batch_run import BatchOptions, run_batch
    from ..app.context import create_context

    args = merged_arguments(args)
    if not args.target:
        raise BadInput("--target is required (a photo, video, folder or glob)")
    if args.output_dir is None:
        raise BadInput("--output-dir is required")
    if args.output is not None or args.report is not None:
        raise BadInput("batch writes into --output-dir (--output and --report are swap's options)")
    if args.workers is not None and args.workers < 1:
        raise BadInput(f"--workers {args.workers}: at least 1")
    people = expand_people(args.source or [])
    targets = expand_targets(args.target)
    output_dir: Path = args.output_dir
    items = plan_batch(
        people,
        targets,
        output_dir,
        _describer(args),
        _kind_of,
        name=args.name,
        container=args.container or "mp4",
    )
    executor = _executor(args)
    segment_seconds = 20.0 if args.segment_seconds is None else args.segment_seconds
    options = BatchOptions(
        overwrite=bool(args.overwrite),
        segment_seconds=segment_seconds if segment_seconds > 0 else None,
        provider=args.provider,
        gpus_per_task=args.gpus_per_task or 0.0,
    )
    total = len(items)
    finished = 0

    def report(result: Any) -> None:
        nonlocal finished
        finished += 1
        score = f" {result.identity_percent:.0f}%" if result.identity_percent is not None else ""
        reason = f" ({result.reason})" if result.status == "failed" else ""
        print(
            f"[{finished}/{total}] {result.status} {result.name}{score}{reason}", file=sys.stderr, flush=True
        )

    print(f"batch: {total} item(s) on {getattr(executor, 'description', executor.name)}", file=sys.stderr)
    # Ray's driver prints its workers' and raylet's messages to stdout: the run's own output goes to
    # stderr, so that stdout holds the summary alone (--json stays parseable).
    context = create_context(args.provider)
    started = time.perf_counter()
    with contextlib.redirect_stdout(sys.stderr):
        results = run_batch(context, items, executor, output_dir, options, on_item=report)
    elapsed = time.perf_counter() - started
    if args.json:
        totals = {**_totals(results), "elapsed_seconds": round(elapsed, 2)}
        print(
            json.dumps(
                {"executor": executor.name, "items": [r.to_dict() for r in results], **totals}, indent=2
            )
        )
    else:
        _print_table(results)
        print(f"{elapsed:.1f} s")
    return EXIT_SOME_FAILED if any(r.status == "failed" for r in results) else 0


def _kind_of(target: Path) -> str:
    from ..core.media.input_files import NotARegularFile
    from .video_cmd import is_video_target

    try:
        return "video" if is_video_target(target) else "photo"
    except NotARegularFile as error:
        raise BadInput(str(error)) from None


def _describer(args: argparse.Namespace) -> Callable[[tuple[Path, ...], Path, Path, str], dict[str, Any]]:
    """Builds an item's job with ``swap``'s own request builders."""
    from ..app.job_specs import JobSpec
    from . import photo_request_from_args, settings_from_args
    from .video_cmd import video_request_from_args

    settings = settings_from_args(args)

    def describe(sources: tuple[Path, ...], target: Path, output: Path, kind: str) -> dict[str, Any]:
        item = copy.copy(args)
        item.source, item.target, item.output = list(sources), target, output
        item.overwrite = bool(args.overwrite)
        if kind == "video":
            request: Any = video_request_from_args(item, settings)
        else:
            request = photo_request_from_args(item, settings)
        return JobSpec(request).to_dict()

    return describe


def _executor(args: argparse.Namespace) -> Any:
    retries = 2 if args.retries is None else args.retries
    if args.ray:
        from ..app.batch_ray import RayExecutor, connect

        description = connect(args.ray, num_cpus=args.workers)
        executor = RayExecutor(retries)
        executor.description = description
        return executor
    from ..app.batch_pool import PoolExecutor

    return PoolExecutor(args.workers, retries)


def _totals(results: list[Any]) -> dict[str, Any]:
    counts = {status: sum(r.status == status for r in results) for status in ("done", "skipped", "failed")}
    return {"totals": counts}


def _print_table(results: list[Any]) -> None:
    width = max([len(r.name) for r in results] + [6])
    print(f"{'status':<8} {'output':<{width}} {'kind':<6} {'identity':>8} {'seconds':>8}  reason")
    for r in results:
        score = f"{r.identity_percent:.0f}%" if r.identity_percent is not None else "-"
        seconds = f"{r.seconds:.1f}" if r.status == "done" else "-"
        print(f"{r.status:<8} {r.name:<{width}} {r.kind:<6} {score:>8} {seconds:>8}  {r.reason}")
    counts = _totals(results)["totals"]
    print(f"{counts['done']} done, {counts['skipped']} skipped, {counts['failed']} failed")
