"""The cast of a video: who appears, for how long, how large, and where (a cast scan).

The scan decodes the clip once and detects faces in sampled frames (about ``sample_fps`` a second,
fewer on long clips: at most ``max_samples``); it joins them into tracks within each shot, embeds a few
of the best views of each track (not every frame: the embedded dlib judge costs ~100 ms a face; and
only in a clip of two tracks or more, see :class:`_TrackEmbedder`) and clusters the tracks into people
by identity (``core/video/cast.py``), across scene cuts. People are numbered from 1 by presence:
screen time weighted by face size, so person 1 is the default person to replace.

A scan is cached per file in the per-user cache folder (``FACESWAP_CACHE_DIR`` overrides it), keyed by
the file's content hash, the scan settings and the embedder.
"""

from __future__ import annotations

import bisect
import concurrent.futures
import dataclasses
import logging
import math
import time
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import cv2
import numpy as np

from ..core.errors import BadInput, Cancelled
from ..core.geometry import box_iou
from ..core.identity import DEFAULT_CALIBRATIONS, DLIB_CALIBRATION, CalibrationTable
from ..core.media.video_io import VideoSource
from ..core.roles import Recognizer
from ..core.types import Face, FloatArray, Image
from ..core.video.appearance import clothing_bar, clothing_histogram, mean_descriptor
from ..core.video.cast import (
    LOW_CONTRAST_STD,
    Box,
    Sighting,
    Track,
    TrackLinker,
    around_smaller_faces,
    frame_ranges,
    frontality,
    grey_stats,
    pose_quality,
    unique_faces,
    with_contrast,
)
from ..core.video.clustering import BesideRule, ClothingRule, TrackCues, cluster_tracks, glimpses
from ..core.video.continuity import ContinuityRule, continuations
from ..core.video.temporal import SceneCutDetector

log = logging.getLogger(__name__)

CAST_VERSION = 8
"""Bumped whenever the scan's results change for the same settings (old cache entries are ignored)."""
THUMBNAIL_PX = 128


SAME_PERSON_COSINE = {DLIB_CALIBRATION.model: 0.935}
"""Per-model mean cosines at which two tracks are one person. dlib's calibration (equal-error cosine
0.914) comes from photos; on small, blurred video faces its cosines crowd together.

Tuned for the embedded ONNX dlib judge on ``facenet_pytorch_video.mp4`` and checked on
``short_hamilton_clip.mp4`` (tracks labelled by eye on their thumbnails; the numbers come from
``benchmarks/cast_similarity.py`` and a replay of :func:`~..core.video.clustering.cluster_tracks` over
thresholds):

- facenet (28 tracks, 8 people): pairs of tracks of one person 0.905-0.99, of two people up to 0.939
  (single views, a profile against a far face). Clustered, a wrong merge (the man seen from behind with a
  far woman) happens below 0.927; from 0.946 one more person splits. 0.935 is the middle of that range:
  a wrong merge is worse than a split (a split person can be picked twice, a merged one not at all).
- hamilton (16 tracks, 8 people), not used to choose: no wrong merge from 0.9255 up; at 0.935 two
  people are split, the singer's 49 px wide shot from his medium shot (0.928) and the close-up man's
  back of the head from his profile (0.914). (The singer's shots join on their clothing since cast
  version 4, :func:`clothing_rule`; the close-up man's two views by track continuity since version 5,
  :func:`continuity_rule`.)

(The TFLite-era value was 0.93 for the dlib library's judge; the ONNX judge's chip differs.)"""


CONTINUITY_FLOOR = {DLIB_CALIBRATION.model: 0.904}
"""Per-model mean cosines under which two tracks of one shot that continue each other in place and time
(``core/video/continuity.py``) are still kept apart: the faces clearly contradict it. For dlib, the least
alike two tracks of ONE person on ``facenet_pytorch_video.mp4`` at 10 samples a second (127 pairs of
tracks of one person, labelled by eye: 0.9048, a far woman's 39 px view against her 41 px one), rounded
down. Photos would set it higher (the least alike two photos of one person among the shared identity
photos score 0.924 with dlib) but video faces are smaller and blurred. A model without a measured value
uses its calibration's equal-error cosine."""


WORKING_SHORT_SIDE = 360
"""A clip whose frames' shorter side is under this is scanned enlarged to it (bicubic). The detector's
limits are in pixels (faces under 24 px are dropped, tiles are scanned only in frames of 480 px or
more), so ``short_hamilton_clip.mp4`` at half size (320x180) lost its whole wide shot: the singer's face
21 px wide there, the pianist's 12 px. Sightings stay in the clip's own pixels."""
LARGEST_WORKING_SIDE = 1080
"""A clip whose frames' shorter side is over this is scanned reduced to it (area), for the same reason
the other way round: the detector drops faces under 24 px whatever the frame, so at 2160p it would keep
faces of 24-47 px (1-2% of the frame's height) that the same clip at 1080p loses, and its people would
depend on the resolution. The per-sample work on the whole frame (colour conversion, the detector's
letterbox warps, the crops) shrinks too. 1080 rather than less: the embedder's chip (150 px) then still
comes from a face no smaller than at 1080p, where the people were counted by eye."""
SMALLEST_FACE_PX = 24
"""The detector's smallest face (``AnalyserOptions.min_face_px``) in a clip's own pixels: a track whose
embedded faces are all smaller, found only because the clip was enlarged, is too small for its face
alone to say who it is (:func:`~..core.video.clustering.cluster_tracks`). At 320x180 the pianist's 12 px
face embedded at 0.935-0.941 against Michelle Obama, over the 0.935 at which faces alone join; their
clothing (0.63-0.66) kept them apart."""


class CancelToken(Protocol):
    """Anything with ``is_set()`` (a ``threading.Event``): the cast scan and the video export stop when
    it is set."""

    def is_set(self) -> bool: ...


class FaceFinder(Protocol):
    def detect_faces(self, image: Image) -> list[Face]: ...


SampleSink = Callable[[int, Image, Sequence[Face]], None]
"""(frame index, the frame, the faces detected in it): a scan's sampled frames, for a caller to keep."""


@dataclass(frozen=True)
class CastOptions:
    """Sampling and clustering settings of a scan (part of the cache key)."""

    sample_fps: float = 10.0
    max_samples: int = 1500
    """Long clips are sampled more sparsely so that a scan detects in at most this many frames."""
    embeds_per_track: int = 3
    chunk_samples: int = 3
    """A track keeps its best view per this many samples; its embeddings come from the best of those.
    3 rather than 8: a track of a few samples (a short shot) gets up to three embeddings instead of one,
    and its average linkage is less at the mercy of one view (measured in :data:`SAME_PERSON_COSINE`)."""
    same_person_cosine: float | None = None
    """Tracks join when the mean cosine between their embeddings reaches this (None: the embedder's
    :data:`SAME_PERSON_COSINE`, else its calibration's equal-error threshold)."""
    clothing: bool = True
    """Let tracks whose faces are only nearly similar join on their clothing (see :func:`clothing_rule`)."""
    continuity: bool = True
    """Let a track that continues another in the same shot (same place, similar size, a short gap) join
    it unless the faces clearly contradict it (see :func:`continuity_rule`)."""
    seen_beside: bool = True
    """Let tracks whose faces are only nearly similar join when they are more alike than either is to
    anyone seen beside it (see :func:`beside_rule`)."""


@dataclass(frozen=True)
class CastProgress:
    """Frames decoded so far, of the total, speed and time left."""

    frames_done: int
    frames_total: int
    fps: float
    eta_seconds: float


@dataclass(frozen=True, eq=False)
class CastMember:
    """One person of the cast (equal only to itself: it holds an image)."""

    number: int
    """1.. in order of presence (1 is the default person to replace)."""
    sightings: tuple[Sighting, ...]
    thumbnail: Image
    """The best-posed view of the face (BGR, at most :data:`THUMBNAIL_PX` on a side)."""
    thumbnail_frame: int
    frames: int
    """Screen time in frames (each sample stands for the frames up to the next)."""
    seconds: float
    mean_size: float
    """Mean face size in pixels (:attr:`Face.size`: about 2.5x the eye distance)."""
    ranges: tuple[tuple[int, int], ...]
    """Inclusive frame ranges where they appear."""
    presence: float
    """Screen time weighted by face size: seconds x mean face size / frame height."""
    tracks: int

    def summary(self) -> dict[str, Any]:
        """JSON-ready facts (no thumbnail, no sightings)."""
        return {
            "person": self.number,
            "frames": self.frames,
            "seconds": round(self.seconds, 2),
            "mean_face_px": round(self.mean_size, 1),
            "presence": round(self.presence, 4),
            "thumbnail_frame": self.thumbnail_frame,
            "ranges": [list(r) for r in self.ranges],
            "tracks": self.tracks,
        }


@dataclass(frozen=True, eq=False)
class Cast:
    """The people of one clip, most present first (equal only to itself: it holds images)."""

    path: Path
    frame_count: int
    fps: float
    height: int
    stride: int
    """Every ``stride``-th frame was scanned."""
    embedder: str | None
    people: tuple[CastMember, ...]
    scan_seconds: float = 0.0
    cached: bool = False
    others: tuple[CastMember, ...] = ()
    """People only glimpsed (:func:`~..core.video.clustering.glimpses`: one sample, a face too dark or
    small to identify), numbered after :attr:`people`: not counted in the cast nor shown as chips, never
    the default, but still a member anyone may pick by number or by clicking their face."""

    @property
    def members(self) -> tuple[CastMember, ...]:
        """Everyone the scan numbered: :attr:`people`, then :attr:`others` (any of them may be picked)."""
        return self.people + self.others

    def person(self, number: int) -> CastMember:
        """Cast member ``number`` (1.., :attr:`others` included); a clear error when there is none."""
        for member in self.members:
            if member.number == number:
                return member
        raise BadInput(f"{self.path.name} has {len(self.people)} person(s) in its cast; no person {number}")

    def presence_between(self, member: CastMember, start: int, stop: int) -> float:
        """``member``'s presence counting only frames ``start``..``stop - 1``."""
        seen = [s for s in member.sightings if start <= s.frame < stop]
        return sum(s.size for s in seen) * self.stride / (self.fps * max(self.height, 1))

    def most_present(self, start: int = 0, stop: int | None = None) -> CastMember | None:
        """The person most present (screen time x face size) in frames ``start``..``stop - 1``; one of
        :attr:`others` only when none of :attr:`people` is there."""
        stop = self.frame_count if stop is None else stop
        for group in (self.people, self.others):
            scored = [(self.presence_between(m, start, stop), -m.number, m) for m in group]
            best = max(scored, default=None, key=lambda item: item[:2])
            if best is not None and best[0] > 0:
                return best[2]
        return None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready summary of the cast."""
        return {
            "video": str(self.path),
            "frames": self.frame_count,
            "fps": round(self.fps, 3),
            "sampled_every": self.stride,
            "embedder": self.embedder,
            "scan_seconds": round(self.scan_seconds, 2),
            "cached": self.cached,
            "default_person": self.people[0].number if self.people else None,
            "people": [m.summary() for m in self.people],
            "others": [m.summary() for m in self.others],
        }


@dataclass
class _View:
    """A track's best view in one chunk: a crop around the face and the face in the crop's pixels."""

    quality: float
    frame: int
    crop: Image
    face: Face


@dataclass
class _TrackViews:
    chunks: dict[int, _View] = field(default_factory=dict)
    seen: int = 0
    embeddings: list[FloatArray] = field(default_factory=list)
    best: list[_View] | None = None
    """The views to embed, chosen when the track ended (None before): see :class:`_TrackEmbedder`."""
    dim: bool = False
    """Every embedded view was nearly black (stretched by :func:`~..core.video.cast.with_contrast`)."""
    small: bool = False
    """Every embedded view was under :data:`SMALLEST_FACE_PX` in the clip's own pixels."""
    frontality: float = 0.0
    """The :func:`~..core.video.cast.frontality` of the most frontal embedded view."""
    thumbnail: _View | None = None
    clothing: list[FloatArray] = field(default_factory=list)
    """The clothing descriptor of each sighting (``core/video/appearance.py``)."""

    def cues(self, frames: set[int], around_faces: bool) -> TrackCues:
        """What the clustering reads of this track: the views gathered here, the ``frames`` it was
        seen in and whether its boxes hold a smaller face
        (:func:`~..core.video.cast.around_smaller_faces`)."""
        return TrackCues.of(
            self.embeddings,
            frames,
            mean_descriptor(self.clothing),
            self.dim,
            self.small,
            self.frontality,
            around_faces,
        )


def sample_stride(frame_count: int, fps: float, options: CastOptions) -> int:
    """Scan every Nth frame: about ``sample_fps`` a second, at most ``max_samples`` frames in all."""
    stride = max(1, round(fps / max(options.sample_fps, 1e-6))) if fps > 0 else 1
    return max(stride, math.ceil(frame_count / max(options.max_samples, 1)))


def scan_cast(
    reader: VideoSource,
    detector: FaceFinder,
    embedder: Recognizer | None,
    options: CastOptions | None = None,
    cancel: CancelToken | None = None,
    progress: Callable[[CastProgress], None] | None = None,
    calibrations: CalibrationTable | None = None,
    sampled: SampleSink | None = None,
) -> Cast:
    """Scan the whole clip for its cast (see the module doc); raises :class:`Cancelled` when cancelled.

    ``sampled`` is given each sampled frame as decoded and the faces the detector found in it, on the
    scanning thread, when the scan detects on the clip's own frames (not resized): a caller keeps what
    it needs again (an export, its first frame: see ``app/video_session.py``)."""
    options = options or CastOptions()
    info = reader.info
    fps = float(info.fps)
    stride = sample_stride(info.frame_count, fps, options)
    linker, cuts = TrackLinker(), SceneCutDetector()
    views: dict[int, _TrackViews] = {}
    cut_frames: list[int] = []
    """Every frame is checked for a cut (a histogram of a 160 px copy: 0.9 ms a frame at 360p, 5.5 ms at
    1080p, measured on the loaded 2-core machine; the scan decodes every frame anyway), not only the
    samples: the people's ranges then end and start at the frame the shot changes."""
    scale = working_scale(info.width, info.height)

    embedding = _TrackEmbedder(embedder, options, scale)

    def add_sample(
        index: int, image: Image, cut_since_sample: bool, found: concurrent.futures.Future[list[Face]]
    ) -> None:
        ended = linker.cut() if cut_since_sample else []
        detected = found.result()
        if sampled is not None and scale == 1.0:
            sampled(index, image, detected)
        faces = unique_faces(detected)
        sightings = [_sighting(index, face, scale) for face in faces]
        numbers, more = linker.add(sightings)
        for face, number, sighting in zip(faces, numbers, sightings, strict=True):
            track_views = views.setdefault(number, _TrackViews())
            _keep_view(track_views, image, face, sighting, options)
            if (descriptor := clothing_histogram(image, face.box)) is not None:
                track_views.clothing.append(descriptor)
        embedding.tracks_seen(len(views))
        for track in ended + more:
            embedding.ended(views.get(track.number))

    # A sample's faces are detected on a thread of its own while this one decodes the frames up to the
    # next sample, checks them for cuts and adds the previous sample (a detection is ~20 ms at 720p,
    # about two thirds of a scan). Samples are added in order, as they were one after the other: the
    # detector sees the same frames, so the cast is the same.
    detecting = concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="cast-detect")
    pending: tuple[int, Image, bool, concurrent.futures.Future[list[Face]]] | None = None
    started = time.perf_counter()
    try:
        for done, (index, frame) in enumerate(reader.frames(0, info.frame_count), start=1):
            if cancel is not None and cancel.is_set():
                raise Cancelled("cast scan cancelled")
            if cuts.is_cut(frame):
                cut_frames.append(index)
            if index % stride == 0:
                cut_since_sample = bool(cut_frames) and cut_frames[-1] > index - stride
                image = frame if scale == 1.0 else _resized(frame, scale)
                sample = (index, image, cut_since_sample, detecting.submit(detector.detect_faces, image))
                if pending is not None:
                    add_sample(*pending)
                pending = sample
            if progress is not None and (done % 10 == 0 or done == info.frame_count):
                elapsed = time.perf_counter() - started
                speed = done / elapsed if elapsed > 0 else 0.0
                eta = (info.frame_count - done) / speed if speed > 0 else float("inf")
                progress(CastProgress(done, info.frame_count, speed, eta))
        if pending is not None:
            add_sample(*pending)
    finally:
        detecting.shutdown(wait=True, cancel_futures=True)
    for track in linker.live:
        embedding.ended(views.get(track.number))
    tracks = linker.close()
    threshold = same_person_cosine(embedder, options, calibrations)
    cues = [
        views[t.number].cues(t.frames, around)
        for t, around in zip(tracks, around_smaller_faces(tracks, stride, cut_frames), strict=True)
    ]
    rule = clothing_rule(embedder, options, cues, calibrations)
    found_again = continuity_rule(embedder, options, calibrations)
    continued = continuations(tracks, cut_frames, fps, found_again) if found_again is not None else []
    floor = found_again.min_face if found_again is not None else None
    beside = beside_rule(embedder, options, calibrations)
    labels = cluster_tracks(cues, threshold, rule, continued, floor, beside)
    glimpsed = glimpses(cues, labels)
    people, others = _members(
        tracks, labels, views, stride, info.frame_count, fps, info.height, cut_frames, glimpsed
    )
    return Cast(
        reader.path,
        info.frame_count,
        fps,
        info.height,
        stride,
        embedder.name if embedder is not None else None,
        people,
        time.perf_counter() - started,
        others=others,
    )


def working_scale(width: int, height: int) -> float:
    """How much a scan resizes frames of this size: over 1 enlarged (shorter side under
    :data:`WORKING_SHORT_SIDE`), under 1 reduced (over :data:`LARGEST_WORKING_SIDE`), else 1.0."""
    short = min(width, height)
    if 0 < short < WORKING_SHORT_SIDE:
        return WORKING_SHORT_SIDE / short
    if short > LARGEST_WORKING_SIDE:
        return LARGEST_WORKING_SIDE / short
    return 1.0


def _resized(image: Image, scale: float) -> Image:
    height, width = image.shape[:2]
    interpolation = cv2.INTER_CUBIC if scale > 1 else cv2.INTER_AREA
    return cv2.resize(image, (round(width * scale), round(height * scale)), interpolation=interpolation)


def _sighting(frame: int, face: Face, scale: float) -> Sighting:
    """A face found in the (possibly resized) frame, as a sighting in the clip's own pixels."""
    x0, y0, x1, y1 = face.box
    return Sighting(
        frame, (x0 / scale, y0 / scale, x1 / scale, y1 / scale), face.size / scale, pose_quality(face) / scale
    )


def same_person_cosine(
    embedder: Recognizer | None, options: CastOptions, calibrations: CalibrationTable | None = None
) -> float:
    """The mean cosine at which two tracks are one person (above 1 without an embedder: never)."""
    if embedder is None:
        return 2.0
    if options.same_person_cosine is not None:
        return options.same_person_cosine
    if embedder.name in SAME_PERSON_COSINE:
        return SAME_PERSON_COSINE[embedder.name]
    return photo_equal_error(embedder, calibrations)


def photo_equal_error(embedder: Recognizer, calibrations: CalibrationTable | None = None) -> float:
    """``embedder``'s equal-error cosine measured on photos (its calibration's centre; 0.914 for dlib):
    the face floor of the rules that let nearly similar faces join."""
    return (calibrations or CalibrationTable(DEFAULT_CALIBRATIONS)).get(embedder.name).centre


def clothing_rule(
    embedder: Recognizer | None,
    options: CastOptions,
    tracks: Sequence[TrackCues],
    calibrations: CalibrationTable | None = None,
) -> ClothingRule | None:
    """When two tracks whose faces are only nearly similar may still join: their faces reach the
    embedder's equal-error cosine measured on photos (its calibration, not tuned on clips; 0.914 for
    dlib) and their clothing overlaps more than that of any two tracks seen in one frame of this clip
    (:func:`~..core.video.appearance.clothing_bar`: two people, whatever their faces say). None (faces
    alone) without an embedder, with ``options.clothing`` off, or in a clip with too few people seen
    together to say how alike different people's clothes look there.

    Why (``docs/cast.md``): on small video faces the judge's cosines of one person in two shots and of
    two people overlap (0.928 against 0.927 on the shared clips), while within a clip people keep
    their clothes."""
    if embedder is None or not options.clothing:
        return None
    bar = clothing_bar([t.clothing for t in tracks], [t.frames for t in tracks])
    if bar is None:
        return None
    return ClothingRule(min_face=photo_equal_error(embedder, calibrations), min_clothing=bar)


def beside_rule(
    embedder: Recognizer | None, options: CastOptions, calibrations: CalibrationTable | None = None
) -> BesideRule | None:
    """When two tracks whose faces are only nearly similar may join because they are more alike than
    either is to anyone seen beside it (:class:`~..core.video.clustering.BesideRule`): their faces reach
    the embedder's equal-error cosine measured on photos (0.914 for dlib, as for the clothing rule).
    None without an embedder or with ``options.seen_beside`` off.

    Why (``docs/cast.md``): ``facenet_pytorch_video.mp4`` re-encoded split two people on their faces
    (0.931-0.932, under the 0.935 of faces alone), while each of those faces scored at most 0.867-0.904
    against the people seen in the same frames as it."""
    if embedder is None or not options.seen_beside:
        return None
    return BesideRule(min_face=photo_equal_error(embedder, calibrations))


def continuity_rule(
    embedder: Recognizer | None, options: CastOptions, calibrations: CalibrationTable | None = None
) -> ContinuityRule | None:
    """When a track of a shot is another's face found again (``core/video/continuity.py``): None
    without an embedder (nothing could veto a wrong join) or with ``options.continuity`` off. The floor
    under which faces veto the join is :data:`CONTINUITY_FLOOR` (the least alike two tracks of one
    person measured on a clip), else the calibration's equal-error cosine."""
    if embedder is None or not options.continuity:
        return None
    floor = CONTINUITY_FLOOR.get(embedder.name)
    if floor is None:
        floor = photo_equal_error(embedder, calibrations)
    return ContinuityRule(min_face=floor)


def _keep_view(
    views: _TrackViews, image: Image, face: Face, sighting: Sighting, options: CastOptions
) -> None:
    """Keep the view if it is the best of its chunk of the track so far."""
    chunk = views.seen // max(options.chunk_samples, 1)
    views.seen += 1
    current = views.chunks.get(chunk)
    if current is None or sighting.quality > current.quality:
        crop, moved = crop_around(image, face)
        current = views.chunks[chunk] = _View(sighting.quality, sighting.frame, crop, moved)
        if views.thumbnail is None or sighting.quality > views.thumbnail.quality:
            views.thumbnail = current


class _TrackEmbedder:
    """Embeds the best views of each track that ended (once), from the moment the clip has shown a
    second track.

    A cast of one track is one person whatever its embeddings say, and nothing but the clustering reads
    them (a :class:`Cast` holds none): the lone track of a one-person clip is never embedded, and a
    deferred embedder (dlib in an export, app/video_session.py) never loads (~75 ms of CPU, ~5 ms a
    view, in a first export of the benchmark clip). The views to embed are chosen when a track ends
    whatever happens later, and a view's embedding does not depend on when it is taken: a clip of
    several tracks gets the same embeddings as when each track was embedded as it ended.
    """

    def __init__(self, embedder: Recognizer | None, options: CastOptions, scale: float) -> None:
        self.embedder, self.options, self.scale = embedder, options, scale
        self.needed = False
        self.waiting: list[_TrackViews] = []

    def tracks_seen(self, count: int) -> None:
        """``count`` tracks so far: from the second on, every track is embedded (the waiting one now)."""
        if self.needed or count < 2 or self.embedder is None:
            return
        self.needed = True
        load = getattr(self.embedder, "load", None)
        if load is not None:
            load()  # a deferred one: now, on the scanning thread, while the next sample is detected
        for views in self.waiting:
            _embed_views(views, self.embedder)
        self.waiting = []

    def ended(self, views: _TrackViews | None) -> None:
        """A track ended: choose its views now (their crops are dropped), embed them when needed."""
        if views is None or self.embedder is None or views.best is not None:
            return
        _choose_views(views, self.options, self.scale)
        if self.needed:
            _embed_views(views, self.embedder)
        else:
            self.waiting.append(views)


def _choose_views(views: _TrackViews, options: CastOptions, scale: float = 1.0) -> None:
    """The best chunk views of a track that ended, to embed, and what clustering reads of them."""
    best = sorted(views.chunks.values(), key=lambda v: -v.quality)[: options.embeds_per_track]
    views.best = best
    views.dim = bool(best) and all(grey_stats(v.crop, v.face.box)[1] < LOW_CONTRAST_STD for v in best)
    views.small = bool(best) and all(_shorter_side(v.face.box) < SMALLEST_FACE_PX * scale for v in best)
    views.frontality = max((frontality(v.face) for v in best), default=0.0)
    # The other crops are no longer needed, except the thumbnail's.
    views.chunks = {}


def _embed_views(views: _TrackViews, embedder: Recognizer) -> None:
    """Embed the views :func:`_choose_views` chose (a nearly black face is stretched to a normal
    contrast first, see LOW_CONTRAST_STD), then let their crops go."""
    best = views.best or []
    views.embeddings = [embedder.embed(with_contrast(view.crop, view.face.box), view.face) for view in best]
    views.best = []


def _shorter_side(box: Box) -> float:
    return min(box[2] - box[0], box[3] - box[1])


def crop_around(image: Image, face: Face, margin: float = 1.0) -> tuple[Image, Face]:
    """A copy of the region around ``face`` (its box grown by ``margin`` x its size on each side) and
    the face moved into the crop's pixels: enough context for an embedder's alignment."""
    height, width = image.shape[:2]
    x0, y0, x1, y1 = face.box
    pad = margin * max(x1 - x0, y1 - y0)
    left, top = max(int(x0 - pad), 0), max(int(y0 - pad), 0)
    right, bottom = min(int(x1 + pad) + 1, width), min(int(y1 + pad) + 1, height)
    crop = np.ascontiguousarray(image[top:bottom, left:right])
    shift2 = np.array([left, top], np.float32)
    landmarks = face.landmarks_478
    if landmarks is not None:
        landmarks = (landmarks - np.array([left, top, 0], np.float32)).astype(np.float32)
    moved = Face(
        (x0 - left, y0 - top, x1 - left, y1 - top),
        face.score,
        (face.keypoints_5 - shift2).astype(np.float32),
        landmarks,
        face.detector,
    )
    return crop, moved


def thumbnail_of(view: _View) -> Image:
    """The face of a view with a little context, at most :data:`THUMBNAIL_PX` on a side."""
    x0, y0, x1, y1 = view.face.box
    pad = 0.25 * max(x1 - x0, y1 - y0)
    height, width = view.crop.shape[:2]
    left, top = max(int(x0 - pad), 0), max(int(y0 - pad), 0)
    right, bottom = min(int(x1 + pad) + 1, width), min(int(y1 + pad) + 1, height)
    region = view.crop[top:bottom, left:right]
    scale = THUMBNAIL_PX / max(region.shape[:2])
    if scale < 1:
        region = cv2.resize(region, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    return np.ascontiguousarray(region)


def _members(
    tracks: Sequence[Track],
    labels: Sequence[int],
    views: dict[int, _TrackViews],
    stride: int,
    frame_count: int,
    fps: float,
    height: int,
    cuts: Sequence[int] = (),
    glimpsed: Collection[int] = (),
) -> tuple[tuple[CastMember, ...], tuple[CastMember, ...]]:
    """One member per label, numbered by presence (ties: the first seen first): the people, then the
    ``glimpsed`` labels' members (the cast's others) numbered after them."""
    groups: dict[int, list[Track]] = {}
    for track, label in zip(tracks, labels, strict=True):
        groups.setdefault(label, []).append(track)
    members = [
        (label in glimpsed, _member(group, views, stride, frame_count, fps, height, cuts))
        for label, group in groups.items()
    ]
    members.sort(key=lambda m: (m[0], -m[1].presence, m[1].sightings[0].frame))
    numbered = [(other, dataclasses.replace(m, number=n)) for n, (other, m) in enumerate(members, start=1)]
    return tuple(m for other, m in numbered if not other), tuple(m for other, m in numbered if other)


def _member(
    group: list[Track],
    views: dict[int, _TrackViews],
    stride: int,
    frame_count: int,
    fps: float,
    height: int,
    cuts: Sequence[int],
) -> CastMember:
    sightings = sorted((s for t in group for s in t.sightings), key=lambda s: s.frame)
    # The thumbnail is the best view of the track where the person was seen most (frames x face size),
    # not of any track: a short track joined on continuity (a face found again after a turn to profile)
    # may hold a detection on the side of the head whose keypoints look more frontal than a profile.
    shown = [t for t in group if views[t.number].thumbnail is not None]
    main = max(shown, key=lambda t: (sum(s.size for s in t.sightings), -t.sightings[0].frame))
    best = views[main.number].thumbnail
    assert best is not None
    ranges = frame_ranges([s.frame for s in sightings], stride, frame_count, cuts)
    screen_frames = sum(last - first + 1 for first, last in ranges)
    return CastMember(
        number=0,
        sightings=tuple(sightings),
        thumbnail=thumbnail_of(best),
        thumbnail_frame=best.frame,
        frames=screen_frames,
        seconds=float(screen_frames / fps) if fps > 0 else 0.0,
        mean_size=float(np.mean([s.size for s in sightings])),
        ranges=tuple(ranges),
        presence=float(sum(s.size for s in sightings) * stride / ((fps or 1.0) * max(height, 1))),
        tracks=len(group),
    )


def person_views(
    cast: Cast, person: int | None, start: int, stop: int
) -> tuple[list[tuple[int, Box]], tuple[int, Box]] | None:
    """Where to pick a cast member (``None``: the most present in ``start..stop - 1``) as the reference,
    and their best view there (None: nobody in the range).

    The (frame, box) places to try, in order: frame ``start`` itself when they are seen in the sample
    at or right after it (the export then starts tracking them at once, with no identity check), then
    their earliest view in the range at least half as good as their best one. The best view (largest,
    most frontal) is the one to embed: a small face gives a weak identity embedding.
    """
    member = cast.most_present(start, stop) if person is None else cast.person(person)
    if member is None:
        return None
    seen = [s for s in member.sightings if start <= s.frame < stop]
    if not seen:
        raise BadInput(f"person {member.number} does not appear between frames {start} and {stop - 1}")
    best = max(seen, key=lambda s: s.quality)
    good = next(s for s in seen if s.quality >= 0.5 * best.quality)
    views = [(start, seen[0].box)] if seen[0].frame - start < cast.stride else []
    return views + [(good.frame, good.box)], (best.frame, best.box)


def identity_hint(cast: Cast, number: int, min_iou: float = 0.5) -> Callable[[int, Face], bool | None]:
    """What the cast knows of a face in a frame, for the export's tracker (``core.tracking.IdentityHint``):
    True when it is cast member ``number``, False when it is another member, None when the cast cannot
    tell. A face is matched to the sightings of the scanned frames on either side of its frame (the
    scan saw every ``stride``-th frame); it counts only when they overlap it by ``min_iou`` and agree."""
    by_frame: dict[int, list[tuple[Box, int]]] = {}
    for member in cast.members:
        for sighting in member.sightings:
            by_frame.setdefault(sighting.frame, []).append((sighting.box, member.number))

    def hint(frame: int, face: Face) -> bool | None:
        before = frame - frame % cast.stride
        samples = (before,) if frame == before else (before, before + cast.stride)
        matched = {
            owner
            for sample in samples
            for box, owner in by_frame.get(sample, [])
            if box_iou(box, face.box) >= min_iou
        }
        return (number in matched) if len(matched) == 1 else None

    return hint


def on_screen(cast: Cast, number: int, margin: int | None = None) -> Callable[[int], bool]:
    """Whether cast member ``number`` may be on screen in a frame: within ``margin`` frames (default:
    twice the scan's stride, so one sample where the detector missed them leaves no hole) of a range
    where the scan saw them. Elsewhere an export need not look for them."""
    spread = 2 * cast.stride if margin is None else margin
    spans = [(first - spread, last + spread) for first, last in cast.person(number).ranges]
    starts = [first for first, _last in spans]

    def may_appear(frame: int) -> bool:
        at = bisect.bisect_right(starts, frame) - 1
        return any(spans[i][0] <= frame <= spans[i][1] for i in (at, at - 1) if i >= 0)

    return may_appear


def member_at(cast: Cast, frame: int, box: Box, min_iou: float = 0.5) -> int | None:
    """The cast member whose face is at ``box`` in ``frame``, as the scan saw it in the sampled frames
    on either side (overlap ``min_iou``, and only one member there); None when the cast cannot tell.
    The same matching as :func:`identity_hint`, for one face (the GUI names the faces of a frame)."""
    before = frame - frame % cast.stride
    samples = {before, before + cast.stride} if frame != before else {before}
    matched = {
        member.number
        for member in cast.members
        for sighting in member.sightings
        if sighting.frame in samples and box_iou(sighting.box, box) >= min_iou
    }
    return matched.pop() if len(matched) == 1 else None
