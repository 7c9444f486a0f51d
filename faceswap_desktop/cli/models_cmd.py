"""``faceswap-desktop models list | download ID | import ID PATH | verify [ID]``.

Results go to stdout, progress and one-line errors to stderr; the exit status is the error's
``FaceswapError.exit_code`` (0 on success, 130 when interrupted).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import TextIO

from faceswap_desktop.core.errors import Cancelled, FaceswapError, ModelIntegrityError, ModelMissing
from faceswap_desktop.inference.download import DownloadProgress
from faceswap_desktop.inference.registry import load_registry
from faceswap_desktop.inference.store import ModelStatus, ModelStore, missing_message


def add_models_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``models`` command and its sub-commands to the main CLI's subparsers."""
    parser = subparsers.add_parser("models", help="list, download, import and verify model files")
    commands = parser.add_subparsers(dest="models_command", required=True, metavar="COMMAND")
    commands.add_parser("list", help="every known model with its role, size and status")
    download = commands.add_parser("download", help="download a model (resumes an interrupted download)")
    download.add_argument("model_id", metavar="ID")
    import_ = commands.add_parser("import", help="copy a model file you already have into the store")
    import_.add_argument("model_id", metavar="ID")
    import_.add_argument("path", type=Path, metavar="PATH")
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
            path = models.import_file(args.model_id, args.path)
            out.write(f"{args.model_id}: ok ({path})\n")
            return 0
        return _verify(models, args.model_id, out)
    except KeyboardInterrupt:
        err.write("\ninterrupted; run the same command again to resume\n")
        return Cancelled.exit_code
    except FaceswapError as error:
        err.write(f"error: {error}\n")
        return error.exit_code


def _list(store: ModelStore, out: TextIO) -> int:
    rows = [("ID", "ROLE", "SIZE", "STATUS")]
    for spec in store.registry:
        size = f"{spec.size / 1e6:.1f} MB" if spec.size else "?"
        rows.append((spec.id, spec.role, size, store.status(spec.id).value))
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
