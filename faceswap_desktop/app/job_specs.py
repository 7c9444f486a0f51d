"""Serialisable job specs: what a queued export is, as plain JSON, so the queue outlives the process.

A :class:`~faceswap_desktop.app.jobs.JobQueue` job body is a closure and cannot be saved. A
:class:`JobSpec` is the frozen request the closure was built from (photo or video), plus the keyframe
track of a video (a per-frame settings *function* cannot be saved, the track it comes from can).
:func:`build_work` rebuilds the job body from a spec, so a job read back after a crash runs exactly as
it was queued.

The JSON form carries ``schema``; a spec of an unknown schema or with unknown fields is refused with
:class:`JobSpecError` rather than guessed at (a newer version may have meant something else by it).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..core.errors import BadInput
from ..core.media.video_writer import EncodeOptions
from ..core.pipeline import FaceSelection
from ..core.roles import RecognizerSource
from ..core.settings import SwapSettings, settings_from_mapping
from ..core.video.tracking import TrackerOptions
from .context import AppContext
from .export import photo_export_job
from .isolated_judge import PipelineFactory
from .jobs import JobWork
from .keyframes import KeyframeTrack
from .photo import PhotoSwapRequest
from .video import VideoExportRequest
from .video_jobs import RecordSink, video_export_work
from .video_session import ReferenceChoice

SPEC_SCHEMA = 1
"""Version of the JSON form written by :meth:`JobSpec.to_dict`."""


class JobSpecError(BadInput):
    """A saved job description that cannot be read (corrupt, or written by a newer version)."""


@dataclass(frozen=True)
class JobSpec:
    """Everything needed to (re)build one export job; immutable and JSON-serialisable."""

    request: PhotoSwapRequest | VideoExportRequest
    keyframes: KeyframeTrack | None = None
    """Video only: the keyframed settings (``request.settings_at`` is rebuilt from it)."""

    def __post_init__(self) -> None:
        if isinstance(self.request, VideoExportRequest):
            if self.request.settings_at is not None and self.keyframes is None:
                raise ValueError("per-frame settings can only be saved as a keyframe track")
        elif self.keyframes is not None:
            raise ValueError("only a video job has keyframes")

    @property
    def kind(self) -> str:
        """``"photo"`` or ``"video"``."""
        return "photo" if isinstance(self.request, PhotoSwapRequest) else "video"

    @property
    def output(self) -> Path:
        return self.request.output

    @property
    def settings(self) -> SwapSettings:
        """The settings snapshot shown with the job (a video's first frame settings)."""
        return self.request.settings

    def runnable_request(self) -> PhotoSwapRequest | VideoExportRequest:
        """The request with a video's per-frame settings bound to the keyframe track."""
        if isinstance(self.request, VideoExportRequest) and self.keyframes:
            return dataclasses.replace(self.request, settings_at=self.keyframes.settings_at)
        return self.request

    def to_dict(self) -> dict[str, Any]:
        """The JSON form (paths made absolute, so a later run from another folder finds them)."""
        request = self.request
        common: dict[str, Any] = {
            "schema": SPEC_SCHEMA,
            "kind": self.kind,
            "sources": [_path_text(path) for path in request.sources],
            "target": _path_text(request.target),
            "output": _path_text(request.output),
            "overwrite": request.overwrite,
            "settings": request.settings.to_dict(),
            "engine": request.engine,
            "judge": request.judge,
            "watermark": request.watermark,
            "content_credentials": request.content_credentials,
        }
        if isinstance(request, PhotoSwapRequest):
            return {
                **common,
                "selection": {
                    "indices": list(request.selection.indices),
                    "all_faces": request.selection.all_faces,
                },
                "detector": request.detector,
                "restorer": request.restorer,
                "restorer_amount": request.restorer_amount,
                "masker": request.masker,
                "maximize_likeness": request.maximize_likeness,
                "provider": request.provider,
            }
        return {
            **common,
            "encode": dataclasses.asdict(request.encode),
            "start": request.start,
            "end": request.end,
            "reference": dataclasses.asdict(request.reference),
            "score_every": request.score_every,
            "embedder": request.embedder,
            "tracker": dataclasses.asdict(request.tracker),
            "workers": request.workers,
            "allow_partial": request.allow_partial,
            "keyframes": None
            if self.keyframes is None
            else {
                "base": self.keyframes.base.to_dict(),
                "keys": [[frame, settings.to_dict()] for frame, settings in self.keyframes.keys],
            },
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> JobSpec:
        """Read the JSON form back; raises :class:`JobSpecError` naming what is wrong."""
        try:
            return _spec_from_dict(data)
        except JobSpecError:
            raise
        except (BadInput, TypeError, ValueError, KeyError, AttributeError) as error:
            raise JobSpecError(f"unreadable job: {error}") from error


def photo_spec(request: PhotoSwapRequest) -> JobSpec:
    return JobSpec(request)


def video_spec(request: VideoExportRequest, keyframes: KeyframeTrack | None = None) -> JobSpec:
    """A video job; pass the keyframe track whose ``settings_at`` the request uses, if any."""
    if keyframes is not None and request.settings_at is None:
        request = dataclasses.replace(request, settings_at=keyframes.settings_at)
    return JobSpec(request, keyframes)


def build_work(
    context: AppContext,
    spec: JobSpec,
    build_pipeline: PipelineFactory | None = None,
    on_record: RecordSink | None = None,
    recognizers: RecognizerSource | None = None,
) -> JobWork:
    """The job body for ``spec`` (validated now: a bad spec raises before anything is queued);
    ``build_pipeline`` and ``recognizers`` default to the context's (the GUI isolates its judges)."""
    request = spec.runnable_request()
    if isinstance(request, PhotoSwapRequest):
        return photo_export_job(context, request, build_pipeline)
    return video_export_work(context, request, build_pipeline, on_record, recognizers)


def default_title(spec: JobSpec) -> str:
    """The jobs panel's title of a job nobody named."""
    return f"Export {spec.output.name}"


# -- reading -----------------------------------------------------------------------------------------
_COMMON = {
    "schema", "kind", "sources", "target", "output", "overwrite", "settings", "engine", "judge",
    "watermark", "content_credentials",
}  # fmt: skip
_PHOTO = _COMMON | {
    "selection", "detector", "restorer", "restorer_amount", "masker", "maximize_likeness", "provider",
}  # fmt: skip
_VIDEO = _COMMON | {
    "encode", "start", "end", "reference", "score_every", "embedder", "tracker", "workers", "keyframes",
    "allow_partial",
}  # fmt: skip


def _path_text(path: Path) -> str:
    return str(path.absolute())


def _expect(value: Any, kind: type | tuple[type, ...], name: str) -> Any:
    # bool is an int subclass: a true/false where a number belongs is a corrupt file, not a 1.
    if isinstance(value, bool) and kind in (int, float, (int, float)):
        raise JobSpecError(f"job field {name} has the wrong type ({type(value).__name__})")
    if not isinstance(value, kind):
        raise JobSpecError(f"job field {name} has the wrong type ({type(value).__name__})")
    return value


def _optional(value: Any, kind: type | tuple[type, ...], name: str) -> Any:
    return None if value is None else _expect(value, kind, name)


def _number(value: Any, name: str) -> float | None:
    return None if value is None else float(_expect(value, (int, float), name))


def _fields(data: Any, allowed: set[str], name: str) -> Mapping[str, Any]:
    _expect(data, dict, name)
    unknown = set(data) - allowed
    if unknown:
        raise JobSpecError(f"{name} has unknown field(s) {', '.join(sorted(unknown))} (newer version?)")
    return dict(data)


def _dataclass_from(cls: Any, data: Any, name: str) -> Any:
    names = {f.name for f in dataclasses.fields(cls)}
    return cls(**_fields(data, names, name))


def _spec_from_dict(data: Mapping[str, Any]) -> JobSpec:
    _expect(data, dict, "job")
    schema = data.get("schema")
    if schema != SPEC_SCHEMA:
        raise JobSpecError(f"job schema {schema!r} is not {SPEC_SCHEMA} (written by another version?)")
    kind = data.get("kind")
    if kind not in ("photo", "video"):
        raise JobSpecError(f"unknown job kind {kind!r}")
    data = _fields(data, _PHOTO if kind == "photo" else _VIDEO, "job")
    missing = {"sources", "target", "output"} - set(data)
    if missing:
        raise JobSpecError(f"job misses {', '.join(sorted(missing))}")
    sources = tuple(Path(_expect(item, str, "sources")) for item in _expect(data["sources"], list, "sources"))
    common: dict[str, Any] = {
        "sources": sources,
        "target": Path(_expect(data["target"], str, "target")),
        "output": Path(_expect(data["output"], str, "output")),
        "overwrite": _expect(data.get("overwrite", False), bool, "overwrite"),
        "settings": settings_from_mapping(_expect(data.get("settings", {}), dict, "settings")),
    }
    if "engine" in data:
        common["engine"] = _expect(data["engine"], str, "engine")
    if "judge" in data:
        common["judge"] = _optional(data["judge"], str, "judge")
    for name in ("watermark", "content_credentials"):
        if name in data:
            common[name] = _expect(data[name], bool, name)
    if kind == "photo":
        return JobSpec(_photo_request(data, common))
    request, keyframes = _video_request(data, common)
    return video_spec(request, keyframes)


def _photo_request(data: Mapping[str, Any], common: dict[str, Any]) -> PhotoSwapRequest:
    selection_data = _fields(data.get("selection", {}), {"indices", "all_faces"}, "selection")
    indices = tuple(_expect(i, int, "selection") for i in selection_data.get("indices", [0]))
    selection = FaceSelection(indices, _expect(selection_data.get("all_faces", False), bool, "all_faces"))
    extra: dict[str, Any] = {}
    if "detector" in data:
        extra["detector"] = _expect(data["detector"], str, "detector")
    for name in ("restorer", "masker", "provider"):
        if name in data:
            extra[name] = _optional(data[name], str, name)
    if "restorer_amount" in data:
        extra["restorer_amount"] = _number(data["restorer_amount"], "restorer_amount")
    if "maximize_likeness" in data:
        extra["maximize_likeness"] = _expect(data["maximize_likeness"], bool, "maximize_likeness")
    return PhotoSwapRequest(selection=selection, **common, **extra)


def _video_request(
    data: Mapping[str, Any], common: dict[str, Any]
) -> tuple[VideoExportRequest, KeyframeTrack | None]:
    extra: dict[str, Any] = {
        "start": _number(data.get("start"), "start"),
        "end": _number(data.get("end"), "end"),
    }
    if "encode" in data:
        extra["encode"] = _dataclass_from(EncodeOptions, data["encode"], "encode")
    if "reference" in data:
        extra["reference"] = _dataclass_from(ReferenceChoice, data["reference"], "reference")
    if "tracker" in data:
        extra["tracker"] = _dataclass_from(TrackerOptions, data["tracker"], "tracker")
    for name in ("score_every", "workers"):
        if name in data:
            extra[name] = _expect(data[name], int, name)
    if "embedder" in data:
        extra["embedder"] = _optional(data["embedder"], str, "embedder")
    if "allow_partial" in data:
        extra["allow_partial"] = _expect(data["allow_partial"], bool, "allow_partial")
    keyframes = None
    raw_keys = data.get("keyframes")
    if raw_keys is not None:
        track = _fields(raw_keys, {"base", "keys"}, "keyframes")
        keys: list[tuple[int, SwapSettings]] = []
        for entry in _expect(track.get("keys", []), list, "keyframes"):
            frame, values = _expect(entry, list, "keyframe")
            if _expect(frame, int, "keyframe") < 0:
                raise JobSpecError(f"keyframe index {frame} is negative")
            keys.append((frame, settings_from_mapping(_expect(values, dict, "keyframe"))))
        base = settings_from_mapping(_expect(track.get("base", {}), dict, "keyframes"))
        keyframes = KeyframeTrack(base, tuple(sorted(keys, key=lambda key: key[0])))
    return VideoExportRequest(**common, **extra), keyframes
