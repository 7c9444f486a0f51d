"""Headless command line: ``faceswap-desktop swap ...``. Uses the app layer; never imports Qt."""

from __future__ import annotations

import argparse
import json
import logging
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from .. import __version__
from ..core.errors import BadInput, FaceswapError
from ..core.settings import SETTING_SPECS, SettingSpec, SwapSettings, settings_from_mapping
from .batch_cmd import add_batch_parser
from .cache_cmd import add_cache_parser
from .cast_cmd import add_cast_parser
from .live_cmd import add_live_parser
from .models_cmd import add_models_parser
from .queue_cmd import add_queue_parser
from .video_cmd import add_video_options, is_video_target, run_video_swap

CONSENT_REMINDER = (
    "faceswap-desktop: only swap faces of people who have given their consent; "
    "outputs are labelled as synthetic media."
)

if TYPE_CHECKING:
    from ..app.photo import PhotoSwapRequest


def _option_name(name: str) -> str:
    return "--" + name.replace("_", "-")


def _add_setting_option(parser: argparse.ArgumentParser, spec: SettingSpec) -> None:
    """One CLI option per setting, with range and help from the single settings definition."""
    text = spec.help.replace("%", "%%")  # argparse %-formats help ("in % of the face size")
    if spec.kind == "int":
        parser.add_argument(
            _option_name(spec.name),
            type=int,
            default=None,
            metavar=f"{spec.minimum}..{spec.maximum}",
            help=text,
        )
    elif spec.kind == "choice":
        parser.add_argument(_option_name(spec.name), choices=spec.choices, default=None, help=text)
    else:
        parser.add_argument(
            _option_name(spec.name), action=argparse.BooleanOptionalAction, default=None, help=text
        )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="faceswap-desktop", description="Desktop face swapping.")
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="log progress to stderr")
    commands = parser.add_subparsers(dest="command", required=True)
    add_swap_options(commands.add_parser("swap", help="swap a source face onto a target photo"))
    add_models_parser(commands)
    add_queue_parser(commands, add_swap_options)
    add_cast_parser(commands)
    add_live_parser(commands)
    add_batch_parser(commands, add_swap_options)
    add_cache_parser(commands)
    return parser


def add_swap_options(swap: argparse.ArgumentParser) -> None:
    """The options of ``swap`` (also those of ``queue add``, which saves the same swap as a job)."""
    # argparse reads "--target -x.jpg" as a missing value followed by an option.
    swap.epilog = "A file name that starts with '-' needs the '=' form (--target=-photo.jpg) or ./-photo.jpg."
    swap.add_argument(
        "--source",
        action="append",
        type=Path,
        help="source photo (repeat for several photos of the same person); required unless --map is given",
    )
    swap.add_argument("--target", required=True, type=Path, help="target photo or video")
    swap.add_argument(
        "--output",
        required=True,
        type=Path,
        help="output image (.png/.jpg/.webp) or video (.mp4/.mov/.mkv/.webm)",
    )
    faces = swap.add_mutually_exclusive_group()
    faces.add_argument(
        "--face-index",
        type=int,
        action="append",
        help="target face to swap, left to right from 0 (repeatable; default 0)",
    )
    faces.add_argument("--all-faces", action="store_true", help="swap every face of the target")
    swap.add_argument(
        "--engine",
        default="mesh",
        help="swap engine: mesh (offline, default), inswapper, simswap (download: faceswap-desktop models) "
        "or the name of a swapper you registered with `faceswap-desktop models add`",
    )
    swap.add_argument(
        "--judge",
        default="dlib",
        help="identity model for the score: dlib (offline, default), arcface, mobilefacenet",
    )
    swap.add_argument(
        "--detector", default="mediapipe", help="face detector: mediapipe (default), scrfd, scrfd_10g"
    )
    swap.add_argument("--restorer", choices=["gfpgan"], help="face restorer applied after the swap")
    swap.add_argument(
        "--restorer-amount", type=int, default=80, metavar="0..100", help="restorer blend amount"
    )
    swap.add_argument(
        "--mask-model",
        choices=["occluder", "xseg", "faceparser"],
        help="keep occluders (hands, hair, glasses) in front of the swapped face",
    )
    swap.add_argument(
        "--provider",
        default="auto",
        help="ONNX Runtime execution provider: auto, cpu, cuda, tensorrt, dml, coreml",
    )
    swap.add_argument("--no-score", action="store_true", help="skip the identity score")
    swap.add_argument(
        "--maximize-likeness",
        action="store_true",
        help="search blend settings that raise the judged likeness while the edges stay invisible (photos)",
    )
    swap.add_argument("--overwrite", action="store_true", help="replace the output file if it exists")
    swap.add_argument(
        "--watermark",
        action="store_true",
        help='draw a visible "AI-generated" mark in the corner (photos and every video frame)',
    )
    swap.add_argument(
        "--no-content-credentials",
        action="store_true",
        help="do not embed a signed C2PA manifest (the XMP/container synthetic-media label stays)",
    )
    swap.add_argument("--json", action="store_true", help="print the summary as JSON")
    blend = swap.add_argument_group("blend settings")
    for spec in SETTING_SPECS.values():
        _add_setting_option(blend, spec)
    add_video_options(swap)


def settings_from_args(args: argparse.Namespace) -> SwapSettings:
    """The blend settings given on the command line (defaults for the rest)."""
    values = {name: getattr(args, name) for name in SETTING_SPECS if getattr(args, name) is not None}
    return settings_from_mapping(values)


def photo_request_from_args(args: argparse.Namespace, settings: SwapSettings) -> PhotoSwapRequest:
    """The photo swap the ``swap`` options describe."""
    from ..app.photo import PhotoSwapRequest
    from ..core.pipeline import FaceSelection

    if not args.source:
        raise BadInput("--source is required (--map is for video targets)")
    selection = (
        FaceSelection(all_faces=True) if args.all_faces else FaceSelection(tuple(args.face_index or [0]))
    )
    if not 0 <= args.restorer_amount <= 100:
        raise BadInput(f"--restorer-amount {args.restorer_amount} is outside 0..100")
    return PhotoSwapRequest(
        sources=tuple(args.source),
        target=args.target,
        output=args.output,
        settings=settings,
        selection=selection,
        engine=args.engine,
        judge=None if args.no_score else args.judge,
        overwrite=args.overwrite,
        detector=args.detector,
        restorer=args.restorer,
        restorer_amount=args.restorer_amount / 100,
        masker=args.mask_model,
        maximize_likeness=args.maximize_likeness,
        watermark=args.watermark,
        content_credentials=not args.no_content_credentials,
    )


def _run_swap(args: argparse.Namespace) -> int:
    from ..app.context import create_context

    settings = settings_from_args(args)
    if is_video_target(args.target):
        return run_video_swap(args, settings)
    from ..app.photo import describe_faces, run_photo_swap  # here: a video export does not need it

    if args.person is not None or args.map:
        raise BadInput("--person and --map pick people of a video's cast; for a photo use --face-index")
    request = photo_request_from_args(args, settings)
    result = run_photo_swap(create_context(args.provider), request)
    if args.json:
        print(json.dumps(result.summary, indent=2))
    else:
        print(f"wrote {result.output} ({result.summary['faces_swapped']} face(s) swapped)")
        for line in describe_faces(result.summary):
            print("  " + line)
        print(f"  content credentials (C2PA): {result.summary['provenance']['content_credentials']}")
    return 0


def is_cli_command(args: Sequence[str]) -> bool:
    """True when ``args`` are for the command line (a command, --help, --version), False when they
    name files for the window to open (``faceswap-desktop photo.jpg``, ``--source A.jpg clip.mp4``)."""
    parser = build_parser()
    commands = next(
        action.choices
        for action in parser._actions  # argparse keeps its sub-commands only there
        if isinstance(action, argparse._SubParsersAction)
    )
    for arg in args:
        if arg in ("-v", "--verbose") or arg.startswith("-psn_"):  # -psn_: Finder's, see app/launch.py
            continue
        return arg in commands or arg in ("-h", "--help", "--version")
    return bool(args) and all(
        arg in ("-v", "--verbose") for arg in args
    )  # -v alone: the parser says what is missing


def main(argv: Sequence[str] | None = None) -> int:
    """CLI entry point; returns the process exit code (0 ok, 2 bad input, 3 no face, 4 model, 5 disk full,
    6 a damaged video refused without --allow-partial, 7 a camera missing, busy or lost, 8 a batch that
    finished with failed items, 130 interrupted)."""
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING, format="%(levelname)s %(message)s"
    )
    print(CONSENT_REMINDER, file=sys.stderr)
    try:
        if args.command == "swap":
            return _run_swap(args)
        if args.command in ("models", "queue", "cast", "live", "batch", "cache"):
            return int(args.handler(args))
        parser.error(f"unknown command {args.command}")
    except FaceswapError as error:
        print(f"error: {error}", file=sys.stderr)
        return error.exit_code
    except KeyboardInterrupt:
        print("error: interrupted", file=sys.stderr)
        return 130
    return 0
