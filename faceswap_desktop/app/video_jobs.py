"""A video export as a :class:`~faceswap_desktop.app.jobs.JobQueue` job (what the GUI's jobs panel runs).

The job body drives :class:`VideoExportJob`, turns its frame counts into :class:`JobProgress`, and hands
each finished frame's record to ``on_record`` (called on the job's thread) so a timeline can plot the
per-frame identity while the export runs. Cancelling stops within a frame or two; the export then
deletes its partial file.
"""

from __future__ import annotations

from collections.abc import Callable, Generator
from pathlib import Path

from ..core.roles import RecognizerSource
from .context import AppContext
from .isolated_judge import PipelineFactory
from .jobs import CancelToken, JobProgress, JobWork
from .video import VideoExportJob, VideoExportRequest, validate_export
from .video_report import FrameRecord

RecordSink = Callable[[FrameRecord], None]


class _TokenEvent:
    """The job queue's cancel token seen as the ``is_set()`` flag the export checks."""

    def __init__(self, token: CancelToken) -> None:
        self._token = token

    def is_set(self) -> bool:
        return self._token.cancelled


def describe_progress(done: int, total: int, fps: float) -> str:
    """The jobs panel's line for a running video export."""
    return f"frame {done}/{total}" + (f" · {fps:.1f} fps" if fps > 0 else "")


def video_export_work(
    context: AppContext,
    request: VideoExportRequest,
    build_pipeline: PipelineFactory | None = None,
    on_record: RecordSink | None = None,
    recognizers: RecognizerSource | None = None,
) -> JobWork:
    """A job body exporting ``request``; it is validated now so mistakes show before it is queued."""
    validate_export(request)

    def work(token: CancelToken) -> Generator[JobProgress, None, Path]:
        job = VideoExportJob(context, request, _TokenEvent(token), build_pipeline, recognizers)
        updates = job.run()
        try:
            yield JobProgress(0.0, "preparing source and tracking")
            for progress in updates:
                if on_record is not None and progress.record is not None:
                    on_record(progress.record)
                fraction = progress.frames_done / max(progress.frames_total, 1)
                yield JobProgress(
                    min(fraction, 0.999),
                    describe_progress(progress.frames_done, progress.frames_total, progress.fps),
                )
        finally:
            updates.close()  # on cancel: stops the export's threads and deletes the partial file now
        totals = job.report.to_dict(per_frame=False) if job.report is not None else {}
        if totals.get("not_clean"):
            # The offline engine's head-pose check, per frame: the jobs panel shows it with the result.
            yield JobProgress(0.999, "finishing", warning=f"not clean: {totals['not_clean']}")
        return request.output

    return work
