"""``faceswap-desktop swap`` with a video target: options, the export loop, Ctrl-C, the JSON report."""

from __future__ import annotations

import argparse
import json
import logging
import sys
import threading
from pathlib import Path
from typing import TYPE_CHECKING

from ..core.errors import BadInput, UnreadableFile
from ..core.media.image_io import sniff_image_format
from ..core.media.input_files import NotARegularFile, read_head
from ..core.media.video_io import VIDEO_EXTENSIONS, looks_like_video
from ..core.media.video_writer import VIDEO_CODEC_CHOICES
from ..core.settings import SwapSettings
from .cast_cmd import scan_with_progress
from .progress import FrameProgress, wants_bar

if TYPE_CHECKING:
    from ..app.context import AppContext
    from ..app.person_map import PersonSources
    from ..app.video import VideoExportRequest

log = logging.getLogger(__name__)


def is_video_target(path: Path) -> bool:
    """A target is a video when its content says so (or, unreadable, its extension does).

    A folder, FIFO or device is refused here (exit 2) before anything opens it: a FIFO would block.
    """
    try:
        head = read_head(path)
    except NotARegularFile:
        raise
    except (OSError, UnreadableFile):
        return path.suffix.lower() in VIDEO_EXTENSIONS
    if sniff_image_format(head) is not None:
        return False
    return looks_like_video(path) or path.suffix.lower() in VIDEO_EXTENSIONS


def add_video_options(parser: argparse.ArgumentParser) -> None:
    """Options that apply when the target is a video."""
    video = parser.add_argument_group("video target")
    video.add_argument("--start", type=float, default=None, metavar="S", help="first second to export")
    video.add_argument("--end", type=float, default=None, metavar="E", help="second to stop at (exclusive)")
    video.add_argument(
        "--codec", choices=VIDEO_CODEC_CHOICES, default="h264", help="video codec (default h264)"
    )
    video.add_argument(
        "--crf", type=int, default=None, help="quality: lower is better (codec default if unset)"
    )
    video.add_argument(
        "--preset", default=None, help="encoder preset (x264/x265 speed, vp9 deadline, ProRes profile)"
    )
    video.add_argument("--no-audio", action="store_true", help="drop the audio")
    video.add_argument(
        "--allow-partial",
        action="store_true",
        help="export a damaged video's readable frames when it has fewer than its container declares "
        "(otherwise it is refused with exit code 6)",
    )
    video.add_argument("--report", type=Path, default=None, help="write a per-frame JSON report here")
    video.add_argument(
        "--reference-frame", type=int, default=None, help="frame where the person to replace is picked"
    )
    video.add_argument(
        "--person",
        type=int,
        default=None,
        metavar="N",
        help="the person to replace, by number in the cast (see: faceswap-desktop cast VIDEO); "
        "default: the most present person",
    )
    video.add_argument(
        "--map",
        action="append",
        default=None,
        metavar="PHOTO[,PHOTO...]=N",
        help="replace cast member N with the person in these photos (repeat to replace several people "
        "at once; without --source the first --map is the main person)",
    )
    video.add_argument(
        "--tracking-judge",
        default="auto",
        help="identity model used to follow the person (auto: MobileFaceNet when configured, else dlib)",
    )


def refuse_photo_only_options(args: argparse.Namespace) -> None:
    """Refuse ``swap`` options a video export does not apply, rather than ignoring them silently.

    A video export follows one person (``--face-index`` picks them in the reference frame), detects with
    MediaPipe (the tracker refits its landmarks frame to frame) and has no restorer, occlusion mask or
    likeness search in its per-frame pipeline yet.
    """
    given = []
    if args.restorer is not None:
        given.append("--restorer")
    if args.mask_model is not None:
        given.append("--mask-model")
    if args.all_faces:
        given.append("--all-faces")
    if args.maximize_likeness:
        given.append("--maximize-likeness")
    if args.detector != "mediapipe":
        given.append("--detector")
    if args.face_index and len(args.face_index) > 1:
        given.append("more than one --face-index")
    if args.person is not None and (args.face_index or args.reference_frame is not None):
        raise BadInput("--person picks a cast member: leave out --face-index and --reference-frame")
    if args.person is not None and args.person < 1:
        raise BadInput(f"--person {args.person}: cast members are numbered from 1")
    if given:
        raise BadInput(
            f"{', '.join(given)}: photo targets only; a video export swaps one tracked person "
            "(pick them with one --face-index or --reference-frame)"
        )


def video_request_from_args(args: argparse.Namespace, settings: SwapSettings) -> VideoExportRequest:
    """The video export the ``swap`` options describe."""
    from ..app.video import VideoExportRequest
    from ..app.video_session import ReferenceChoice
    from ..core.media.video_writer import EncodeOptions

    refuse_photo_only_options(args)
    face_index = args.face_index[0] if args.face_index else None
    sources, person, more = _people_from_args(args)
    return VideoExportRequest(
        sources=sources,
        target=args.target,
        output=args.output,
        settings=settings,
        encode=EncodeOptions(
            codec=args.codec, crf=args.crf, preset=args.preset, audio="none" if args.no_audio else "auto"
        ),
        start=args.start,
        end=args.end,
        reference=ReferenceChoice(args.reference_frame, face_index, person),
        more_people=more,
        engine=args.engine,
        judge=None if args.no_score else args.judge,
        embedder=args.tracking_judge,
        overwrite=args.overwrite,
        watermark=args.watermark,
        content_credentials=not args.no_content_credentials,
        allow_partial=args.allow_partial,
    )


def _people_from_args(
    args: argparse.Namespace,
) -> tuple[tuple[Path, ...], int | None, tuple[PersonSources, ...]]:
    """(main sources, main person, further people) from ``--source``/``--person`` and ``--map``."""
    from ..app.person_map import parse_person_map

    mappings = tuple(parse_person_map(text) for text in args.map or ())
    if args.source:
        return tuple(args.source), args.person, mappings
    if not mappings:
        raise BadInput("--source (or --map PHOTO=N) is required")
    if args.person is not None or args.face_index or args.reference_frame is not None:
        raise BadInput("without --source the first --map is the main person: leave out --person")
    return mappings[0].sources, mappings[0].person, mappings[1:]


def run_video_swap(args: argparse.Namespace, settings: SwapSettings) -> int:
    """Export the swapped video; Ctrl-C cancels cleanly (the partial file is removed)."""
    from ..app.context import create_context
    from ..app.video import VideoExportJob
    from ..core.errors import Cancelled

    request = video_request_from_args(args, settings)
    context = create_context(args.provider)
    bar = wants_bar(args.json)
    choice = request.reference
    from_cast = choice.person is not None or (choice.frame_index is None and choice.face_index is None)
    from_cast = from_cast or bool(request.more_people)
    if from_cast and bar:
        # The export picks the person from the clip's cast; scanning it here first shows its progress
        # (the export then finds it in the cache). Without a terminal the export scans it itself.
        scan_with_progress(context, request.target, request.embedder or "none", bar)
    cancel = threading.Event()
    job = VideoExportJob(context, request, cancel)
    progress_updates = job.run()
    try:
        with FrameProgress("export", bar) as progress_bar:
            for progress in progress_updates:
                progress_bar.update(progress.frames_done, progress.frames_total, progress.fps)
                if args.verbose and progress.frames_done % 25 == 0:
                    log.info(
                        "%d/%d frames, %.1f fps, %.0f s left",
                        progress.frames_done,
                        progress.frames_total,
                        progress.fps,
                        progress.eta_seconds,
                    )
    except KeyboardInterrupt:
        cancel.set()
        progress_updates.close()  # runs the job's clean-up now: threads stopped, partial file deleted
        raise Cancelled("export cancelled; no output written") from None
    assert job.report is not None
    summary = job.report.to_dict(per_frame=False)
    if job.report.partial_input:
        read, declared = summary["input_frames_read"], summary["input_frames_declared"]
        print(
            f"warning: partial export: {args.target.name} yielded {read} of the {declared} frames "
            "it declares",
            file=sys.stderr,
        )
    if from_cast:
        summary.update(_person_summary(context, request, job.report.start, job.report.stop))
    if args.report is not None:
        args.report.write_text(json.dumps(job.report.to_dict(), indent=1))
    if args.json:
        print(json.dumps(summary, indent=2))
    else:
        print(
            f"wrote {summary['output']} ({summary['frames_written']} frames, {summary['frames_swapped']} "
            f"swapped, {summary['frames_without_match']} without the person; {summary['fps_processing']} fps)"
        )
        if "person" in summary:
            how = "picked" if choice.person is not None else "the most present"
            print(f"  person {summary['person']} of {summary['cast_size']} in the cast ({how})")
        for other in summary.get("more_people", []):
            mean, measured = other.get("similarity_percent_mean"), other.get("similarity_frames_measured")
            score = f", similarity {mean:.0f}% (mean of {measured} frames)" if mean is not None else ""
            print(f"  person {other['person']}: {other['frames_swapped']} frames swapped{score}")
        if summary.get("not_clean"):
            print(f"  not clean: {summary['not_clean']}")
        print(f"  content credentials (C2PA): {summary['content_credentials']}")
    sys.stdout.flush()
    return 0


def _person_summary(
    context: AppContext, request: VideoExportRequest, start: int, stop: int
) -> dict[str, int]:
    """Which cast member the export replaced (from the cached cast the export used)."""
    from ..app.cast_cache import cached_cast
    from ..app.video_session import tracker_embedder

    cast = cached_cast(request.target, tracker_embedder(context.recognizer, request.embedder, defer=True))
    if cast is None:
        return {}
    number = request.reference.person
    if number is None:
        member = cast.most_present(start, stop)
        number = member.number if member is not None else None
    return {"person": number, "cast_size": len(cast.members)} if number is not None else {}
