"""Splitting a long video export into segment tasks, and joining the rendered segments.

Cuts fall on the input's keyframes (a segment's decoding starts there without reading what precedes
it), at least ``segment_frames`` apart. Each segment decodes ``overlap`` frames before its first output
frame and only tracks them, so that the tracker's detection cadence and landmark smoothing have warmed
up when the segment's first frame is swapped (see ``VideoExportJob(write_from=...)``); the warm-up
starts on the tracker's detection phase of a single export (every ``detect_every`` frames from the
export's start), so that in a steady shot both detect on the same frames.

The driver picks the person to replace once for the whole range, as a single export does (the cast's
most present person, ``--person N``, or a face of a frame), and sends their identity embedding with
every segment, together with where that person is in the segment's first frames: every segment
replaces the same person, whatever the other segments see.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ..core.errors import BadInput, NoFaceFound
from ..core.geometry import box_iou
from ..core.identity import cosine
from ..core.media.guarded_decode import GuardedVideoReader
from ..core.media.segment_join import SegmentPart, join_segments
from ..core.media.video_io import FrameIndex, VideoInfo
from .batch_tasks import SegmentSpec
from .cast import Cast
from .cast_cache import load_or_scan_cast
from .content_credentials import finish_video
from .context import AppContext
from .video import VideoExportRequest
from .video_session import ReferenceChoice, find_reference, identity_thresholds, tracker_embedder

log = logging.getLogger(__name__)

DEFAULT_SEGMENT_SECONDS = 20.0
DEFAULT_OVERLAP_FRAMES = 45
"""1.5 s at 30 fps of tracking before a segment's first written frame. Half a second (15 frames) lets
the One Euro landmark filter (1 Hz minimum cutoff) settle, but not the landmark follower, whose region
comes from its own previous landmarks: on Hamilton's whole clip the main person crossing the cut at
frame 120 came out at 34.2 dB from the single export with 15 frames (frames 120-143 under 40 dB) and at
41.9 dB with 45 (docs/batch.md). At the default 20 s segments 30 more tracked frames cost ~1 % of a
segment's work."""
SEARCH_FRAMES = 90
"""How far into a segment the chosen person is looked for (then the best face seen is taken)."""


@dataclass(frozen=True)
class SegmentPlan:
    """A video's range split into segments, with the identity every segment follows."""

    info: VideoInfo
    index: FrameIndex
    start: int
    stop: int
    segments: tuple[SegmentSpec, ...]
    identity: tuple[float, ...] | None
    cast: Cast | None = None
    """The cast's sightings (thumbnails left out), for the trackers' identity hints; None when the person
    was picked by a face of a frame and no further person is mapped."""
    person: int | None = None
    more_identities: tuple[tuple[float, ...] | None, ...] = ()
    """Each further person's (``--map``) identity, found once for the whole range."""


def cut_points(keyframes: Sequence[int], start: int, stop: int, segment_frames: int) -> list[int]:
    """Frame indices where segments start: ``start`` and keyframes at least ``segment_frames`` after the
    previous cut, leaving the last segment at least a quarter of that long."""
    cuts = [start]
    for key in keyframes:
        if key - cuts[-1] >= segment_frames and stop - key >= max(segment_frames // 4, 1):
            cuts.append(key)
    return cuts


def _frame_range(index: FrameIndex, info: VideoInfo, request: VideoExportRequest) -> tuple[int, int]:
    """The export's [start, stop) frames, as ``VideoExportJob`` computes them."""
    start = index.index_at_time(request.start) if request.start else 0
    stop = index.index_at_time(request.end) if request.end is not None else info.frame_count
    if request.end is not None and request.end >= info.duration:
        stop = info.frame_count
    return start, stop


def plan_segments(
    context: AppContext,
    request: VideoExportRequest,
    segment_seconds: float = DEFAULT_SEGMENT_SECONDS,
    overlap: int = DEFAULT_OVERLAP_FRAMES,
) -> SegmentPlan | None:
    """The segments of ``request``'s range, or None when it is too short to split. Further people
    (``--map``) are found like the main one: their identity once for the whole range, and where each is
    first seen in every segment."""
    reader = GuardedVideoReader(request.target)
    try:
        info, index = reader.info, reader.index
        start, stop = _frame_range(index, info, request)
        # A segment at least as long as its warm-up (at most half its tracking is warm-up).
        segment_frames = max(int(round(segment_seconds * float(info.fps))), overlap, 1)
        cuts = cut_points(index.keyframes, start, stop, segment_frames)
        if len(cuts) < 2:
            return None
        detector: Any = context.detector("mediapipe")  # the analyser also tracks (TrackingDetector)
        embedder = tracker_embedder(context.recognizer, request.embedder)
        reference = find_reference(reader, detector, embedder, request.reference, start, False, stop)
        identity = None if reference.embedding is None else tuple(float(v) for v in reference.embedding)
        cast, person = _cast_and_person(reader, detector, embedder, request.reference, start, stop)
        whole_cast: Cast | None = None
        more_identities: tuple[tuple[float, ...] | None, ...] = ()
        if request.more_people:
            whole_cast = load_or_scan_cast(reader, detector, embedder)
            more_identities = tuple(
                _embedding(
                    find_reference(
                        reader, detector, embedder, ReferenceChoice(person=m.person), start, False, stop,
                        cast=whole_cast,
                    )
                )
                for m in request.more_people
            )  # fmt: skip
            cast = cast or _slim(whole_cast)
        accept, _ = identity_thresholds(context, embedder)
        # Where the person was picked for the whole range: outside a segment's own frames the tracker is
        # not seeded there, it follows the identity alone (as a single export before that frame).
        picked = _reference_choice(reader, detector, reference.frame_index, reference.face.box)
        segments = []
        for number, cut in enumerate(cuts):
            segment_stop = cuts[number + 1] if number + 1 < len(cuts) else stop
            warm = max(start, cut - overlap)
            # On the export's full-detection phase: in a shot that runs on from before the segment, the
            # single export detects at start, start + N, ... (N = detect_every); a warm-up off that phase
            # detects on other frames and its landmarks differ by a pixel or two for the whole shot.
            warm -= (warm - start) % max(request.tracker.detect_every, 1)
            if warm <= reference.frame_index < segment_stop:
                choice = picked
            elif cast is not None and person is not None:
                choice = _cast_choice(reader, detector, cast, person, warm, segment_stop) or picked
            else:
                choice = (
                    _find_person(reader, detector, embedder, reference, warm, segment_stop, accept) or picked
                )
            more_references = tuple(
                _cast_choice(reader, detector, whole_cast, m.person, warm, segment_stop)
                for m in request.more_people
                if whole_cast is not None
            )
            segments.append(
                SegmentSpec(
                    number=number,
                    warm_start=warm,
                    write_start=cut,
                    stop=segment_stop,
                    start_seconds=index.time_of(warm),
                    end_seconds=None if segment_stop >= info.frame_count else index.time_of(segment_stop),
                    reference=choice,
                    more_references=more_references,
                )
            )
        return SegmentPlan(info, index, start, stop, tuple(segments), identity, cast, person, more_identities)
    finally:
        reader.close()


def _reference_choice(
    reader: GuardedVideoReader, detector: object, frame: int, box: tuple[float, float, float, float]
) -> ReferenceChoice:
    """The reference's own frame and face (the face index of ``box`` among the frame's faces)."""
    faces = detector.detect_faces(reader.frame_at(frame))  # type: ignore[attr-defined]
    best = max(range(len(faces)), key=lambda i: box_iou(faces[i].box, box))
    return ReferenceChoice(frame_index=frame, face_index=best)


def _find_person(
    reader: GuardedVideoReader,
    detector: object,
    embedder: object,
    reference: object,
    warm: int,
    stop: int,
    accept: float,
) -> ReferenceChoice | None:
    """Where the chosen person first appears in a segment: the first face whose embedding is at least
    "likely the same" to the identity (None when there is none in the first frames)."""
    identity = getattr(reference, "embedding", None)
    for frame in range(warm, min(stop, warm + SEARCH_FRAMES)):
        image = reader.frame_at(frame)
        faces = detector.detect_faces(image)  # type: ignore[attr-defined]
        if not faces:
            continue
        if identity is None or embedder is None:  # no embedder: the largest face, as a single export
            return ReferenceChoice(
                frame, max(range(len(faces)), key=lambda i: faces[i].width * faces[i].height)
            )
        for number, face in enumerate(faces):
            if cosine(embedder.embed(image, face), identity) >= accept:  # type: ignore[attr-defined]
                return ReferenceChoice(frame, number)
    return None


def _cast_and_person(
    reader: GuardedVideoReader, detector: Any, embedder: Any, choice: ReferenceChoice, start: int, stop: int
) -> tuple[Cast | None, int | None]:
    """The (cached) cast and the member a cast choice means, sightings only: what the worker needs to
    give its tracker the same identity hint as a single export's."""
    if choice.frame_index is not None or (choice.face_index is not None and choice.person is None):
        return None, None
    cast = load_or_scan_cast(reader, detector, embedder)
    member = cast.person(choice.person) if choice.person is not None else cast.most_present(start, stop)
    if member is None:
        return None, None
    return _slim(cast), member.number


def _slim(cast: Cast) -> Cast:
    """The cast without its thumbnails: sent with every segment task."""
    blank = np.zeros((1, 1, 3), np.uint8)
    return dataclasses.replace(
        cast,
        people=tuple(dataclasses.replace(m, thumbnail=blank) for m in cast.people),
        others=tuple(dataclasses.replace(m, thumbnail=blank) for m in cast.others),
    )


def _embedding(reference: Any) -> tuple[float, ...] | None:
    embedding = reference.embedding
    return None if embedding is None else tuple(float(v) for v in embedding)


def _cast_choice(
    reader: GuardedVideoReader, detector: Any, cast: Cast, person: int, warm: int, stop: int
) -> ReferenceChoice | None:
    """Cast member ``person``'s face where the cast saw them first in frames ``warm``..``stop - 1``."""
    try:
        found = find_reference(
            reader, detector, None, ReferenceChoice(person=person), warm, True, stop, cast=cast
        )
    except (NoFaceFound, BadInput):
        return None  # not in this segment (or not found again): the tracker follows the identity
    return _reference_choice(reader, detector, found.frame_index, found.face.box)


def join_and_publish(
    plan: SegmentPlan, request: VideoExportRequest, parts: Sequence[Path], staged: Path
) -> str:
    """Join the rendered segments into ``staged`` (audio muxed once, as a single export) and publish it
    under ``request.output``, signed like an export; returns the C2PA status."""
    info, index = plan.info, plan.index
    first = info.start_time + index.time_of(plan.start)
    end = info.start_time + index.time_of(plan.stop) if plan.stop < info.frame_count else None
    audio = None
    origin = first
    if info.has_audio and request.encode.audio != "none":
        origin = min(first, info.audio[0].start_time) if plan.start == 0 else first
        audio = (request.target, origin, end, origin)
    # A frame's output pts is its input pts less the export's origin, as VideoExportJob writes it.
    origin_pts = round(origin / index.time_base)
    offsets = [index.pts[segment.write_start] - origin_pts for segment in plan.segments]
    join_segments(
        [SegmentPart(path, offset) for path, offset in zip(parts, offsets, strict=True)],
        staged,
        index.time_base,
        audio,
        request.encode.audio,
    )
    return finish_video(staged, request.output, request.content_credentials, overwrite=request.overwrite)
