"""Building a live run from user choices: the camera (a number or a video file), the pipeline, the
source identity. Shared by the CLI's ``live`` and the window's Live mode."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from ...core.errors import BadInput
from ...core.media.guarded_decode import load_image
from ...core.pipeline import FacePipeline, PreparedSource
from ..isolated_judge import PipelineFactory
from .sources import FrameSource, OpenCvCameraSource, VideoFileSource


def camera_source(
    camera: str,
    size: tuple[int, int] | None = None,
    fps: float | None = None,
    every_frame: bool = False,
    loop: bool = False,
) -> FrameSource:
    """Camera ``camera``: a number (OpenCV's capture) or a video file played as a camera (in real
    time, or ``every_frame`` without dropping any)."""
    if camera.isdigit():
        return OpenCvCameraSource(int(camera), size, fps)
    path = Path(camera)
    if not path.exists():
        raise BadInput(f"--camera is neither a camera number nor an existing video file: {camera}")
    return VideoFileSource(path, realtime=not every_frame, loop=loop, size=size)


def parse_size(text: str | None) -> tuple[int, int] | None:
    """'640x480' as (640, 480); None stays None."""
    if text is None:
        return None
    try:
        width, height = (int(part) for part in text.lower().split("x"))
    except ValueError:
        raise BadInput(f"a size is WIDTHxHEIGHT, like 1280x720: {text!r}") from None
    if not (16 <= width <= 7680 and 16 <= height <= 4320):
        raise BadInput(f"size {width}x{height} is outside 16x16..7680x4320")
    return width, height


def live_pipeline(build_pipeline: PipelineFactory, engine: str, judge: str | None) -> FacePipeline:
    """The pipeline live runs (the one of preview and export), with the engine's first-use work done."""
    pipeline = build_pipeline(engine, judge)
    warm_up = getattr(pipeline.swapper, "warm_up", None)
    if warm_up is not None:
        warm_up()
    return pipeline


def prepare_live_source(pipeline: FacePipeline, photos: Sequence[Path]) -> PreparedSource:
    """The source identity, prepared once (photos decoded in a helper process, like every user file)."""
    if not photos:
        raise BadInput("at least one source photo is needed (--source)")
    return pipeline.prepare_source([load_image(path) for path in photos])
