"""Photo swap service: load inputs, run the one pipeline, write the output safely, summarise."""

from __future__ import annotations

import time
from collections.abc import Generator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..core.errors import BadInput, OutputConflict
from ..core.likeness import maximize_likeness
from ..core.media.guarded_decode import load_image, load_image_with_alpha
from ..core.media.image_io import check_output_path
from ..core.mesh.quality import pose_warning
from ..core.pipeline import FacePipeline, FaceSelection, FrameResult
from ..core.settings import SwapSettings
from ..core.types import Image, StageTimings
from .content_credentials import write_export_image
from .context import DEFAULT_DETECTOR, DEFAULT_ENGINE, DEFAULT_JUDGE, AppContext
from .isolated_judge import PipelineFactory
from .jobs import CancelToken, JobProgress


@dataclass(frozen=True)
class PhotoSwapRequest:
    """An immutable description of one photo swap (what a CLI call or an export job carries)."""

    sources: tuple[Path, ...]
    target: Path
    output: Path
    settings: SwapSettings = field(default_factory=SwapSettings)
    selection: FaceSelection = field(default_factory=FaceSelection)
    engine: str = DEFAULT_ENGINE
    judge: str | None = DEFAULT_JUDGE
    detector: str = DEFAULT_DETECTOR
    restorer: str | None = None
    restorer_amount: float = 0.8
    masker: str | None = None
    maximize_likeness: bool = False
    overwrite: bool = False
    provider: str | None = None
    """The execution provider to switch the context to first (``None``: keep the context's own)."""
    watermark: bool = False
    """Draw the visible "AI-generated" mark (the metadata labels are always written)."""
    content_credentials: bool = True
    """Embed a signed C2PA manifest (see :mod:`.content_credentials`)."""


@dataclass(frozen=True)
class PhotoSwapResult:
    """The written output and a JSON-ready summary."""

    output: Path
    frame_result: FrameResult
    summary: dict[str, Any]


def validate_request(request: PhotoSwapRequest) -> None:
    """Checks that need no decoding: inputs given, output path usable and not an input."""
    if not request.sources:
        raise BadInput("at least one source photo is needed")
    check_output_path(request.output, [*request.sources, request.target])
    if request.output.exists() and not request.overwrite:
        raise OutputConflict(f"output exists: {request.output} (pass --overwrite to replace it)")


def run_photo_swap(context: AppContext, request: PhotoSwapRequest) -> PhotoSwapResult:
    """Swap the source identity onto the selected faces of the target photo and write the result."""

    def build_pipeline(
        engine: str,
        judge: str | None,
        detector: str = DEFAULT_DETECTOR,
        restorer: str | None = None,
        masker: str | None = None,
    ) -> FacePipeline:
        # The context is reached only here, after the inputs decoded (as before the steps were shared
        # with export jobs): a bad input fails first, whatever the context.
        return context.build_pipeline(engine, judge, detector=detector, restorer=restorer, masker=masker)

    steps = photo_swap_steps(build_pipeline, request, CancelToken())
    while True:
        try:
            next(steps)
        except StopIteration as done:
            result: PhotoSwapResult = done.value
            return result


def photo_swap_steps(
    build_pipeline: PipelineFactory, request: PhotoSwapRequest, token: CancelToken
) -> Generator[JobProgress, None, PhotoSwapResult]:
    """The photo swap, step by step: progress between the steps, the written result at the end.

    The CLI runs it straight through (:func:`run_photo_swap`); export jobs run it on a worker with the
    user's cancel token (:func:`~faceswap_desktop.app.export.photo_export_job`).
    """
    started = time.perf_counter()
    validate_request(request)  # for a job: the output may have appeared while it waited in the queue
    # Decoded in a helper process: a decoder crash on a damaged file fails this swap, not the app.
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
    detect_timings = StageTimings()
    faces = pipeline.detect(target, detect_timings)
    yield JobProgress(0.6, f"found {len(faces)} face(s)")
    settings, search_summary = request.settings, None
    if request.maximize_likeness:
        search = maximize_likeness(pipeline, target, prepared, settings, request.selection)
        settings = search.best.settings
        search_summary = {
            "evaluations": len(search.evaluations),
            "start_cosine": round(search.start.cosine, 4),
            "best_cosine": round(search.best.cosine, 4),
            "changed": {k: v for k, v in settings.to_dict().items() if getattr(request.settings, k) != v},
            "note": "optimised against the reported judge: an independent judge shows a smaller gain",
        }
    result = pipeline.process_frame(
        target,
        prepared,
        settings,
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
    timings = {
        "load": load_ms,
        **detect_timings.ms,
        **result.timings.ms,
        "write": (time.perf_counter() - write_start) * 1000,
    }
    timings["total"] = (time.perf_counter() - started) * 1000
    summary = summarise(
        request, result, timings, texture_photo=getattr(prepared.swapper_data, "chosen_index", None)
    )
    warnings = [f"face {f['index']}: {f['warning']}" for f in summary["faces"] if f.get("warning")]
    # The jobs panel shows the warning with the finished result (as the CLI's face lines do).
    yield JobProgress(
        1.0, f"wrote {request.output.name}", warning=f"not clean: {'; '.join(warnings)}" if warnings else ""
    )
    summary["provenance"] = provenance
    summary["settings"] = settings.to_dict()
    if search_summary is not None:
        summary["maximize_likeness"] = search_summary
    return PhotoSwapResult(output=request.output, frame_result=result, summary=summary)


def summarise(
    request: PhotoSwapRequest, result: FrameResult, timings_ms: dict[str, float], texture_photo: int | None
) -> dict[str, Any]:
    """The JSON summary printed by the CLI and kept with finished jobs."""
    faces: list[dict[str, Any]] = []
    for swapped in result.swapped:
        entry: dict[str, Any] = {"index": swapped.index, "box": [round(v, 1) for v in swapped.face.box]}
        if swapped.similarity is not None:
            entry["similarity"] = swapped.similarity.to_dict()
        if swapped.baseline is not None:
            entry["target_before"] = swapped.baseline.to_dict()
        if request.engine == "mesh" and (warning := pose_warning(swapped.face)):
            entry["warning"] = warning
        faces.append(entry)
    return {
        "output": str(request.output),
        "engine": request.engine,
        "source_photos": len(request.sources),
        "texture_photo": texture_photo,
        "faces_detected": len(result.faces),
        "faces_swapped": len(result.swapped),
        "faces": faces,
        "settings": request.settings.to_dict(),
        "timings_ms": {k: round(v, 1) for k, v in timings_ms.items()},
    }


def describe_faces(summary: dict[str, Any]) -> Sequence[str]:
    """One human-readable line per swapped face."""
    lines = []
    for face in summary["faces"]:
        sim = face.get("similarity")
        if sim:
            lines.append(
                f"face {face['index']}: {sim['percent']:.0f}% {sim['verdict']} "
                f"(cosine {sim['cosine']:.3f}, {sim['model']})"
            )
        else:
            lines.append(f"face {face['index']}: swapped (not scored)")
        if face.get("warning"):
            lines[-1] += f"; not clean: {face['warning']}"
    return lines
