"""``faceswap-desktop cast CLIP [--json] [--thumbnails DIR]``: the people of a video, most present first."""

from __future__ import annotations

import argparse
import json
import threading
from pathlib import Path
from typing import TYPE_CHECKING

from ..core.errors import Cancelled, OutputConflict
from .progress import FrameProgress, wants_bar

if TYPE_CHECKING:
    from ..app.cast import Cast
    from ..app.context import AppContext


def add_cast_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``cast`` command to the main CLI's subparsers."""
    parser = commands.add_parser("cast", help="list the people of a video (pick one with swap --person N)")
    parser.add_argument("video", type=Path, help="the video to scan")
    parser.add_argument("--json", action="store_true", help="print the cast as JSON")
    parser.add_argument(
        "--thumbnails", type=Path, default=None, metavar="DIR", help="save each person's face as PNG here"
    )
    parser.add_argument("--overwrite", action="store_true", help="replace thumbnails that exist")
    parser.add_argument(
        "--tracking-judge",
        default="auto",
        help="identity model that tells people apart (auto: MobileFaceNet when configured, else dlib)",
    )
    parser.add_argument(
        "--provider", default="auto", help="ONNX Runtime execution provider: auto, cpu, cuda, dml, coreml"
    )
    parser.set_defaults(handler=run_cast_command)


def scan_with_progress(context: AppContext, video: Path, embedder_id: str, bar: bool) -> Cast:
    """The video's cast (cached, or scanned with a progress bar when ``bar``); Ctrl-C cancels."""
    from ..app.cast_cache import load_or_scan_cast
    from ..app.video_session import tracker_embedder
    from ..core.media.guarded_decode import GuardedVideoReader

    cancel = threading.Event()
    # The same embedder an export builds, so that both find one cache entry.
    embedder = tracker_embedder(context.recognizer, embedder_id, defer=True)
    detector = context.detector("mediapipe")
    reader = GuardedVideoReader(video)
    try:
        with FrameProgress("cast", bar) as progress:
            return load_or_scan_cast(
                reader,
                detector,  # type: ignore[arg-type]
                embedder,
                cancel=cancel,
                progress=lambda p: progress.update(p.frames_done, p.frames_total, p.fps),
            )
    except KeyboardInterrupt:
        cancel.set()
        raise Cancelled("cast scan cancelled") from None
    finally:
        reader.close()


def describe_cast(cast: Cast) -> list[str]:
    """Human-readable lines: one per person."""
    via = f"identity by {cast.embedder}" if cast.embedder else "no identity model: one person per track"
    lines = [
        f"{cast.path.name}: {len(cast.people)} person(s); every {_nth(cast.stride)} frame scanned, {via}"
        + (" (from the cache)" if cast.cached else f", in {cast.scan_seconds:.1f} s")
    ]
    if cast.others:
        lines[0] += (
            f"; {len(cast.others)} other(s) only glimpsed (one sample, a face too dark or small to tell)"
        )
    others = {m.number for m in cast.others}
    for member in cast.members:
        spans = ", ".join(f"{a}-{b}" if b > a else str(a) for a, b in member.ranges[:6])
        more = f" (+{len(member.ranges) - 6} more)" if len(member.ranges) > 6 else ""
        default = " (default)" if member.number == cast.people[0].number else ""
        kind = "other" if member.number in others else "person"
        lines.append(
            f"  {kind} {member.number}{default}: {member.seconds:.1f} s on screen ({member.frames} frames), "
            f"face {member.mean_size:.0f} px; frames {spans}{more}"
        )
    return lines


def _nth(stride: int) -> str:
    return {1: "", 2: "2nd", 3: "3rd"}.get(stride, f"{stride}th")


def check_thumbnail_folder(folder: Path) -> None:
    """A clear error when ``folder`` cannot hold the thumbnails: it (or a parent) is a file. A folder
    that does not exist yet is fine: :func:`save_thumbnails` creates it."""
    for place in (folder, *folder.parents):
        if place.exists():
            if not place.is_dir():
                raise OutputConflict(f"thumbnail folder {folder}: {place} is a file, not a folder")
            return


def save_thumbnails(cast: Cast, folder: Path, overwrite: bool) -> list[Path]:
    """Each person's thumbnail as ``<video stem>_person_<n>.png`` in ``folder``."""
    from ..core.media.image_io import write_image

    check_thumbnail_folder(folder)
    folder.mkdir(parents=True, exist_ok=True)  # as other output folders are (parents too)
    paths = [folder / f"{cast.path.stem}_person_{m.number}.png" for m in cast.members]
    existing = [p for p in paths if p.exists()]
    if existing and not overwrite:
        raise OutputConflict(f"{existing[0]} exists (pass --overwrite to replace it)")
    for member, path in zip(cast.members, paths, strict=True):
        write_image(path, member.thumbnail, label_synthetic=False)  # a frame of the input, not a swap
    return paths


def run_cast_command(args: argparse.Namespace) -> int:
    """List the cast of ``args.video``."""
    from ..app.context import create_context

    if args.thumbnails is not None:
        check_thumbnail_folder(args.thumbnails)  # before the scan, not after it
    context = create_context(args.provider)
    cast = scan_with_progress(context, args.video, args.tracking_judge, wants_bar(args.json))
    saved = save_thumbnails(cast, args.thumbnails, args.overwrite) if args.thumbnails is not None else []
    if args.json:
        data = cast.to_dict()
        for person, path in zip(data["people"] + data["others"], saved, strict=False):
            person["thumbnail"] = str(path)
        print(json.dumps(data, indent=2))
    else:
        print("\n".join(describe_cast(cast)))
        if saved:
            print(f"  thumbnails: {saved[0].parent}")
    return 0
