"""A batch as the window describes it: the current sources and settings onto many targets.

The GUI's batch dialog fills a :class:`BatchSetup` (plain data, taken on the GUI thread); everything
that touches the disk or the network happens later, on the job's worker thread: expanding folders and
globs, reading each target's first bytes to tell photos from videos, connecting to a Ray cluster. Each
item's request is the one an export of the window would make (the same blend settings and components),
so a batch item renders as the window's export of that target would.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..core.errors import BadInput, UnreadableFile
from ..core.media.image_io import sniff_image_format
from ..core.media.input_files import NotARegularFile, read_head
from ..core.media.video_io import VIDEO_EXTENSIONS, looks_like_video
from ..core.pipeline import FaceSelection
from ..core.settings import SwapSettings
from .batch import BatchItem, ItemDescriber, ItemKind, expand_targets, plan_batch
from .batch_run import BatchOptions, Executor
from .batch_segments import DEFAULT_SEGMENT_SECONDS
from .cluster import cluster_target
from .context import DEFAULT_ENGINE
from .job_specs import JobSpec
from .photo import PhotoSwapRequest
from .video import VideoExportRequest


@dataclass(frozen=True)
class BatchSetup:
    """One person's photos onto many targets, with the window's settings (a snapshot)."""

    sources: tuple[Path, ...]
    targets: tuple[str, ...]
    """Files, folders (their photos and videos, not recursive) and globs."""
    output_dir: Path
    name: str = ""
    """Output name pattern (``{target}``, ``{source}``, ``{n}``); empty: ``{target}_swapped``."""
    overwrite: bool = False
    settings: SwapSettings = field(default_factory=SwapSettings)
    components: dict[str, Any] = field(default_factory=dict)
    """The window's component choice (``ComponentChoice.request_fields()``)."""
    all_faces: bool = False
    """Photos: swap every face, not only the first (left-most)."""
    watermark: bool = False
    container: str = "mp4"
    workers: int | None = None
    """Local worker processes (None: every core); with Ray, the CPUs of a local Ray instance."""
    cluster: str | None = None
    """None: this machine's process pool; else the Ray address (``auto`` or ``HOST:PORT``)."""
    segment_seconds: float | None = DEFAULT_SEGMENT_SECONDS
    retries: int = 2

    def options(self) -> BatchOptions:
        return BatchOptions(
            overwrite=self.overwrite,
            segment_seconds=self.segment_seconds,
            provider=str(self.components.get("provider") or "auto"),
            overwrite_hint="“Render them again” replaces it",
        )


def target_kind(path: Path) -> ItemKind:
    """Photo or video by content (by extension when unreadable: the item then fails with the reason);
    a folder, FIFO or device is refused without opening it for reading."""
    suffix = path.suffix.lower()
    try:
        head = read_head(path)
    except NotARegularFile as error:
        raise BadInput(str(error)) from None
    except (OSError, UnreadableFile):
        return "video" if suffix in VIDEO_EXTENSIONS else "photo"
    if sniff_image_format(head) is not None:
        return "photo"
    return "video" if looks_like_video(path) or suffix in VIDEO_EXTENSIONS else "photo"


def describer(setup: BatchSetup) -> ItemDescriber:
    """Builds each item's job (:class:`JobSpec` dict) with the window's settings and components."""
    fields = dict(setup.components)

    def describe(sources: tuple[Path, ...], target: Path, output: Path, kind: ItemKind) -> dict[str, Any]:
        request: PhotoSwapRequest | VideoExportRequest
        if kind == "video":
            request = VideoExportRequest(
                sources=sources,
                target=target,
                output=output,
                settings=setup.settings,
                engine=str(fields.get("engine") or DEFAULT_ENGINE),
                judge=fields.get("judge"),
                overwrite=setup.overwrite,
                watermark=setup.watermark,
            )
        else:
            selection = FaceSelection(all_faces=True) if setup.all_faces else FaceSelection()
            request = PhotoSwapRequest(
                sources=sources,
                target=target,
                output=output,
                settings=setup.settings,
                selection=selection,
                overwrite=setup.overwrite,
                watermark=setup.watermark,
                **fields,
            )
        return JobSpec(request).to_dict()

    return describe


def plan_setup(setup: BatchSetup, on_target: Callable[[int], None] | None = None) -> list[BatchItem]:
    """The items of ``setup`` (reads the disk: run it on a worker thread). ``on_target(count)`` is
    called after each target entry is expanded (progress, and a chance to cancel by raising)."""
    if not setup.sources:
        raise BadInput("add a source photo first: the batch swaps the window's source person")
    targets = []
    for pattern in setup.targets:
        targets.extend(expand_targets([pattern]))
        if on_target is not None:
            on_target(len(targets))
    targets = list(dict.fromkeys(targets))
    return plan_batch(
        [setup.sources],
        targets,
        setup.output_dir,
        describer(setup),
        target_kind,
        name=setup.name or None,
        container=setup.container,
    )


def make_executor(setup: BatchSetup) -> Executor:
    """The pool of this machine, or Ray connected to ``setup.cluster`` (may take seconds: a worker
    thread's job)."""
    if setup.cluster is None:
        from .batch_pool import PoolExecutor

        return PoolExecutor(setup.workers, setup.retries)
    return ray_executor(setup.cluster, setup.workers, setup.retries)


def ray_executor(address: str, workers: int | None = None, retries: int = 2) -> Executor:
    """Ray connected to ``address`` (empty or ``auto``: the cluster started here, else a local Ray
    instance with ``workers`` CPUs); :class:`BadInput` naming the extra when Ray is not installed."""
    from .batch_ray import RayExecutor, connect

    description = connect(cluster_target(address), num_cpus=workers)
    executor = RayExecutor(retries)
    executor.description = description
    return executor
