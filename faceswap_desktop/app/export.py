"""Photo export as a job: :func:`app.photo.photo_swap_steps` on a worker, with the job's cancel token."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Generator, Iterable
from pathlib import Path

from .context import AppContext
from .isolated_judge import PipelineFactory
from .jobs import CancelToken, JobProgress, JobWork
from .photo import PhotoSwapRequest, PhotoSwapResult, photo_swap_steps, validate_request

OUTPUT_SUFFIX = "_swapped"


def default_output_path(target: Path, taken: Iterable[Path] = (), folder: Path | None = None) -> Path:
    """``<target>_swapped.png`` in ``folder`` (beside the target by default), numbered (``_swapped-2``...)
    when that already exists or is ``taken`` by a queued job."""
    taken_set = {path.resolve() for path in taken}
    where = folder if folder is not None else target.parent
    candidate = where / f"{target.stem}{OUTPUT_SUFFIX}.png"
    number = 2
    while candidate.exists() or candidate.resolve() in taken_set:
        candidate = where / f"{target.stem}{OUTPUT_SUFFIX}-{number}.png"
        number += 1
    return candidate


def default_export_folder(remembered: str, fallback: Path) -> Path:
    """Where the save dialog starts: the last export's folder while it still exists, else ``fallback``
    (the user's pictures folder), never the inputs' own folder unless the user goes there."""
    if remembered:
        folder = Path(remembered)
        if folder.is_dir():
            return folder
    return fallback


def folder_write_problem(folder: Path) -> str:
    """Why a file cannot be written into ``folder`` (empty when it can). Creates and removes a probe
    file: permission bits alone do not tell (read-only mounts, Windows ACLs)."""
    if not folder.is_dir():
        return f"the folder {folder} does not exist"
    try:
        with tempfile.NamedTemporaryFile(dir=folder, prefix=".faceswap-probe-"):
            pass
    except OSError as error:
        return f"cannot write to {folder}: {error.strerror or error}"
    return ""


def is_input_folder(output: Path, inputs: Iterable[Path]) -> bool:
    """True when ``output`` would be written into the folder of one of the ``inputs``."""
    where = os.path.normcase(str(output.parent.resolve()))
    return any(os.path.normcase(str(path.parent.resolve())) == where for path in inputs)


def photo_export_job(
    context: AppContext, request: PhotoSwapRequest, build_pipeline: PipelineFactory | None = None
) -> JobWork:
    """A job body that exports ``request``; the request (and its settings snapshot) is frozen now.

    ``build_pipeline`` defaults to ``context.build_pipeline``; the GUI passes one whose judge runs in a
    helper process.
    """
    validate_request(request)
    factory = build_pipeline or context.build_pipeline

    def work(token: CancelToken) -> Generator[JobProgress, None, PhotoSwapResult]:
        if request.provider is not None:
            context.use_provider(request.provider)
        return photo_swap_steps(factory, request, token)

    return work
