"""Photo export as a job: :func:`app.photo.photo_swap_steps` on a worker, with the job's cancel token."""

from __future__ import annotations

from collections.abc import Generator, Iterable
from pathlib import Path

from .context import AppContext
from .isolated_judge import PipelineFactory
from .jobs import CancelToken, JobProgress, JobWork
from .photo import PhotoSwapRequest, PhotoSwapResult, photo_swap_steps, validate_request

OUTPUT_SUFFIX = "_swapped"


def default_output_path(target: Path, taken: Iterable[Path] = ()) -> Path:
    """``<target>_swapped.png`` beside the target, numbered (``_swapped-2``...) when that already exists."""
    taken_set = {path.resolve() for path in taken}
    candidate = target.with_name(f"{target.stem}{OUTPUT_SUFFIX}.png")
    number = 2
    while candidate.exists() or candidate.resolve() in taken_set:
        candidate = target.with_name(f"{target.stem}{OUTPUT_SUFFIX}-{number}.png")
        number += 1
    return candidate


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
