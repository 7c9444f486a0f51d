"""``faceswap-desktop models list | download ID | import [ID] PATH | add PATH --role R [--name N] |
remove NAME | verify [ID]``.

Results go to stdout, progress and one-line errors to stderr; the exit status is the error's
``FaceswapError.exit_code`` (0 on success, 130 when interrupted).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import TextIO

from faceswap_desktop.core.errors import BadInput, Cancelled, FaceswapError, ModelIntegrityError, ModelMissing
from faceswap_desktop.inference.download_types import DownloadProgress
from faceswap_desktop.inference.registry import ROLES, load_registry
from faceswap_desktop.inference.store import ModelStatus, ModelStore, missing_message
from faceswap_desktop.inference.user_models import USER_LICENCE, add_user_model, remove_user_model


def add_models_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``models`` command and its sub-commands to the main CLI's subparsers."""
    parser = subparsers.add_parser("models", help="list, download, import and verify model files")
    commands = parser.add_subparsers(dest="models_command", required=True, metavar="COMMAND")
    commands.add_parser("list", help="every known model with its role, size and status")
    download = commands.add_parser("download", help="download a model (resumes an interrupted download)")
    download.add_argument("model_id", metavar="ID")
    import_ = commands.add_parser(
        "import", help="copy a model file you already have into the store (recognised by its sha256)"
    )
    import_.add_argument(
        "import_args", nargs="+", metavar="[ID] PATH", help="the file (and optionally its ID)"
    )
    add = commands.add_parser(
        "add", help="register your own ONNX model after checking its graph against the role's contract"
    )
    add.add_argument("path", type=Path, metavar="PATH")
    add.add_argument("--role", required=True, choices=list(ROLES), help="what the model does")
    add.add_argument("--name", help="its name as a component (default: from the file name)")
    add.add_argument(
        "--recognizer",
        metavar="ID",
        help="swappers: the recognizer whose embeddings condition it (default: w600k_r50 for an "
        "inswapper-style graph, simswap_arcface_model for a SimSwap-style one)",
    )
    calibrate = commands.add_parser(
        "calibrate", help="fit a user recognizer's likeness gauge on your photos (DIR/<person>/*.jpg)"
    )
    calibrate.add_argument("name", metavar="NAME")
    calibrate.add_argument("folder", type=Path, metavar="DIR")
    remove = commands.add_parser("remove", help="unregister a user model and delete its stored copy")
    remove.add_argument("name", metavar="NAME")
    verify = commands.add_parser("verify", help="re-hash installed models (all, or one ID)")
    verify.add_argument("model_id", nargs="?", metavar="ID")
    parser.set_defaults(handler=run_models_command)


def run_models_command(
    args: argparse.Namespace,
    store: ModelStore | None = None,
    stdout: TextIO | None = None,
    stderr: TextIO | None = None,
) -> int:
    """Run one ``models`` sub-command; returns the process exit status."""
    out, err = stdout or sys.stdout, stderr or sys.stderr
    try:
        models = store or ModelStore(load_registry())
        if args.models_command == "list":
            return _list(models, out)
        if args.models_command == "download":
            progress = _ProgressLine(err)
            path = models.download(args.model_id, progress=progress)
            progress.finish()
            out.write(f"{args.model_id}: ok ({path})\n")
            return 0
        if args.models_command == "import":
            return _import(models, args.import_args, out)
        if args.models_command == "add":
            spec = add_user_model(models, args.path, args.role, args.name, args.recognizer)
            out.write(f"{spec.id}: ok ({models.path(spec.id)}), {spec.role}, {spec.layout}; {USER_LICENCE}\n")
            return 0
        if args.models_command == "calibrate":
            from faceswap_desktop.app.context import create_context
            from faceswap_desktop.app.user_calibration import calibrate_recognizer

            context = create_context("cpu")  # its store is the default one, where the model was added
            out.write(calibrate_recognizer(context, args.name, args.folder).describe() + "\n")
            return 0
        if args.models_command == "remove":
            remove_user_model(models, args.name)
            out.write(f"{args.name}: removed\n")
            return 0
        return _verify(models, args.model_id, out)
    except KeyboardInterrupt:
        err.write("\ninterrupted; run the same command again to resume\n")
        return Cancelled.exit_code
    except FaceswapError as error:
        err.write(f"error: {error}\n")
        return error.exit_code


def _import(store: ModelStore, values: list[str], out: TextIO) -> int:
    if len(values) > 2:
        raise BadInput("models import takes PATH or ID PATH")
    source = Path(values[-1])
    model_id = values[0] if len(values) == 2 else store.identify(source).id
    path = store.import_file(model_id, source)
    out.write(f"{model_id}: ok ({path})\n")
    return 0


def _list(store: ModelStore, out: TextIO) -> int:
    rows = [("ID", "ROLE", "SIZE", "STATUS")]
    for spec in store.registry:
        size = f"{spec.size / 1e6:.1f} MB" if spec.size else "?"
        status = store.status(spec.id).value
        rows.append((spec.id, spec.role, size, f"{status} ({USER_LICENCE})" if spec.user else status))
    widths = [max(len(row[i]) for row in rows) for i in range(3)]
    for row in rows:
        padded = [cell.ljust(width) for cell, width in zip(row[:3], widths, strict=True)]
        out.write("  ".join([*padded, row[3]]) + "\n")
    return 0


def _verify(store: ModelStore, model_id: str | None, out: TextIO) -> int:
    if model_id is not None:
        status = store.verify(model_id)
        out.write(f"{model_id}: {status.value}\n")
        if status is ModelStatus.MISSING:
            raise ModelMissing(missing_message(model_id))
        if status is ModelStatus.CORRUPT:
            raise ModelIntegrityError(
                f"{model_id} failed verification and was moved to {store.quarantine_dir}"
            )
        return 0
    corrupt = []
    for spec in store.registry:
        status = store.verify(spec.id)
        out.write(f"{spec.id}: {status.value}\n")
        if status is ModelStatus.CORRUPT:
            corrupt.append(spec.id)
    if corrupt:
        moved = f"moved to {store.quarantine_dir}"
        raise ModelIntegrityError(f"failed verification ({moved}): {', '.join(corrupt)}")
    return 0


class _ProgressLine:
    """Progress on one stderr line (redrawn at most 4 times a second; plain lines when not a terminal)."""

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream
        self._tty = stream.isatty()
        self._last = 0.0
        self._drawn = False

    def __call__(self, progress: DownloadProgress) -> None:
        now = time.monotonic()
        done = progress.total is not None and progress.received >= progress.total
        if not done and now - self._last < (0.25 if self._tty else 5.0):
            return
        self._last = now
        received = progress.received / 1e6
        if progress.total:
            text = f"{progress.model_id}: {received:.1f} / {progress.total / 1e6:.1f} MB"
            text += f" ({100 * progress.received // progress.total}%)"
        else:
            text = f"{progress.model_id}: {received:.1f} MB"
        self._stream.write(f"\r{text}" if self._tty else f"{text}\n")
        self._stream.flush()
        self._drawn = True

    def finish(self) -> None:
        if self._drawn and self._tty:
            self._stream.write("\n")
