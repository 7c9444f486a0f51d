"""Photo export as a job: the steps of :func:`app.photo.run_photo_swap`, yielding progress between them."""

from __future__ import annotations

import time
from collections.abc import Generator, Iterable
from pathlib import Path

from ..core.guarded_decode import load_image, load_image_with_alpha
from ..core.types import Image
from .content_credentials import write_export_image
from .context import AppContext
from .isolated_judge import PipelineFactory
from .jobs import CancelToken, JobProgress, JobWork
from .photo import PhotoSwapRequest, PhotoSwapResult, summarise, validate_request

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
        return _export_steps(factory, request, token)

    return work


def _export_steps(
    build_pipeline: PipelineFactory, request: PhotoSwapRequest, token: CancelToken
) -> Generator[JobProgress, None, PhotoSwapResult]:
    started = time.perf_counter()
    validate_request(request)  # the output may have appeared while the job waited in the queue
    sources: list[Image] = []
    for number, path in enumerate(request.sources, start=1):
        sources.append(load_image(path))
        yield JobProgress(0.05 + 0.1 * number / len(request.sources), f"read source {number}")
    target, target_alpha = load_image_with_alpha(request.target)
    load_ms = (time.perf_counter() - started) * 1000
    yield JobProgress(0.2, "read target")
    token.raise_if_cancelled()

    pipeline = build_pipeline(
        request.engine,
        request.judge,
        detector=request.detector,
        restorer=request.restorer,
        masker=request.masker,
    )
    prepared = pipeline.prepare_source(sources)
    yield JobProgress(0.45, "prepared source identity")
    faces = pipeline.detect(target)
    yield JobProgress(0.6, f"found {len(faces)} face(s)")
    result = pipeline.process_frame(
        target,
        prepared,
        request.settings,
        request.selection,
        faces=faces,
        score="with_baseline",
        enhance_amount=request.restorer_amount if request.restorer else 0.0,
    )
    yield JobProgress(0.85, "swapped; writing")
    token.raise_if_cancelled()

    write_start = time.perf_counter()
    validate_request(request)
    provenance = write_export_image(
        request.output,
        result.frame,
        request.watermark,
        request.content_credentials,
        alpha=target_alpha,
        overwrite=request.overwrite,
    )
    timings = {"load": load_ms, **result.timings.ms, "write": (time.perf_counter() - write_start) * 1000}
    timings["total"] = (time.perf_counter() - started) * 1000
    texture = getattr(prepared.swapper_data, "chosen_index", None)
    yield JobProgress(1.0, f"wrote {request.output.name}")
    summary = summarise(request, result, timings, texture)
    summary["provenance"] = provenance
    return PhotoSwapResult(request.output, result, summary)
