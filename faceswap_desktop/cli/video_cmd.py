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

if TYPE_CHECKING:
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
    return VideoExportRequest(
        sources=tuple(args.source),
        target=args.target,
        output=args.output,
        settings=settings,
        encode=EncodeOptions(
            codec=args.codec, crf=args.crf, preset=args.preset, audio="none" if args.no_audio else "auto"
        ),
        start=args.start,
        end=args.end,
        reference=ReferenceChoice(args.reference_frame, face_index),
        engine=args.engine,
        judge=None if args.no_score else args.judge,
        embedder=args.tracking_judge,
        overwrite=args.overwrite,
        watermark=args.watermark,
        content_credentials=not args.no_content_credentials,
        allow_partial=args.allow_partial,
    )


def run_video_swap(args: argparse.Namespace, settings: SwapSettings) -> int:
    """Export the swapped video; Ctrl-C cancels cleanly (the partial file is removed)."""
    from ..app.context import create_context
    from ..app.video import VideoExportJob
    from ..core.errors import Cancelled

    request = video_request_from_args(args, settings)
    cancel = threading.Event()
    job = VideoExportJob(create_context(args.provider), request, cancel)
    progress_updates = job.run()
    try:
        for progress in progress_updates:
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
    if args.report is not None:
        args.report.write_text(json.dumps(job.report.to_dict(), indent=1))
    if args.json:
        print(json.dumps(summary, indent=2))
    else:
        print(
            f"wrote {summary['output']} ({summary['frames_written']} frames, {summary['frames_swapped']} "
            f"swapped, {summary['frames_without_match']} without the person; {summary['fps_processing']} fps)"
        )
        print(f"  content credentials (C2PA): {summary['content_credentials']}")
    sys.stdout.flush()
    return 0
