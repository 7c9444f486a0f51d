"""The cast of a clip, the pure part: face tracks from sampled detections, people from tracks.

A cast scan (``app/cast.py``) detects faces in sampled frames. Here:

- :class:`TrackLinker` joins each sample's faces to the live tracks by box overlap (greedy IoU), starts
  new tracks for the rest, and ends every track at a scene cut or after a few samples unseen;
- :func:`~.clustering.cluster_tracks` (``clustering.py``) then groups the tracks into people;
- :func:`pose_quality` ranks views of a face for the thumbnail and the embeddings (large and frontal);
- :func:`with_contrast` lifts a nearly black face to a normal contrast before it is embedded.
"""

from __future__ import annotations

import bisect
from collections.abc import Sequence
from dataclasses import dataclass, field

import cv2
import numpy as np

from ..geometry import box_intersection, box_iou
from ..types import Face, Image

Box = tuple[float, float, float, float]


@dataclass(frozen=True)
class Sighting:
    """One face of one person in one sampled frame."""

    frame: int
    box: Box
    size: float
    """:attr:`Face.size` in pixels."""
    quality: float
    """:func:`pose_quality` of the view."""


@dataclass
class Track:
    """Consecutive sightings of one face in one shot."""

    number: int
    sightings: list[Sighting] = field(default_factory=list)
    missed: int = 0
    """Samples since the last sighting."""

    @property
    def last(self) -> Sighting:
        return self.sightings[-1]

    @property
    def frames(self) -> set[int]:
        return {s.frame for s in self.sightings}


def link_score(a: Box, b: Box, min_iou: float) -> float:
    """How well box ``b`` continues box ``a`` in the next sample: their IoU when it reaches ``min_iou``;
    otherwise a lower score for a box of similar size whose centre moved less than 0.6 x its width (a
    face close to the camera moves fast: its boxes in two samples may barely overlap); else 0."""
    iou = box_iou(a, b)
    if iou >= min_iou:
        return iou
    width_a, width_b = a[2] - a[0], b[2] - b[0]
    if min(width_a, width_b) <= 0 or min(width_a, width_b) / max(width_a, width_b) < 0.7:
        return 0.0
    dx = (a[0] + a[2] - b[0] - b[2]) / 2
    dy = (a[1] + a[3] - b[1] - b[3]) / 2
    moved = float(np.hypot(dx, dy)) / max(width_a, width_b)
    return min_iou * (1.0 - moved / 0.6) if moved < 0.6 else 0.0


def pose_quality(face: Face) -> float:
    """How good a view of the face this is, for thumbnails and embeddings: its size times
    :func:`frontality` (at least 0.05; 0 when the eyes' keypoints coincide)."""
    front = _frontality(face)
    return 0.0 if front is None else face.size * max(front, 0.05)


def frontality(face: Face) -> float:
    """1 for a frontal view, falling to 0 as the head turns to profile (0 when the eyes' keypoints
    coincide).

    From the five keypoints: the nose tip sits midway between the eyes in a frontal view and moves
    towards one eye as the head turns (yaw); a tilted eye line (roll) costs a little too.
    """
    front = _frontality(face)
    return 0.0 if front is None else front


def _frontality(face: Face) -> float | None:
    keypoints = face.keypoints_5
    right_eye, left_eye, nose = keypoints[0], keypoints[1], keypoints[2]
    eye_vector = left_eye - right_eye
    eye_distance = float(np.linalg.norm(eye_vector))
    if eye_distance < 1e-6:
        return None
    along = float(np.dot(nose - (right_eye + left_eye) / 2, eye_vector)) / eye_distance**2
    yaw = min(abs(along) * 2.0, 1.0)  # 0 frontal, 1 nose over an eye (profile)
    roll = abs(float(np.arctan2(eye_vector[1], eye_vector[0])))
    return (1.0 - yaw) * max(0.0, float(np.cos(min(roll, np.pi / 2))))


LOW_CONTRAST_STD = 12.0
"""Grey-level standard deviation inside a face's box below which the face is contrast-stretched before
it is embedded. Measured on the views embedded by cast scans of the shared clips: two nearly black
background faces of ``short_hamilton_clip.mp4`` have 4.7-5.9; every other view of that clip 15.8-44 and
of ``facenet_pytorch_video.mp4`` 32-69. Embedded as they are, the dark views score 0.94-0.95 (ONNX dlib
judge) against Michelle Obama's tracks, more than most pairs of views of one person: the judge sees the
darkness, not the face."""
NORMAL_GREY = (110.0, 45.0)
"""Mean and standard deviation a low-contrast face is stretched to (the middle of the measured range)."""


def grey_stats(image: Image, box: Box) -> tuple[float, float]:
    """Mean and standard deviation of the grey levels of ``image`` inside ``box`` (0, 0 when empty)."""
    height, width = image.shape[:2]
    x0, y0 = max(int(box[0]), 0), max(int(box[1]), 0)
    x1, y1 = min(int(box[2]), width), min(int(box[3]), height)
    if x1 <= x0 or y1 <= y0:
        return 0.0, 0.0
    grey = cv2.cvtColor(np.ascontiguousarray(image[y0:y1, x0:x1]), cv2.COLOR_BGR2GRAY)
    return float(grey.mean()), float(grey.std())


def with_contrast(image: Image, box: Box, min_std: float = LOW_CONTRAST_STD) -> Image:
    """``image`` unchanged when the face in ``box`` has a grey-level spread of at least ``min_std``;
    otherwise a copy whose levels are stretched so that the face has :data:`NORMAL_GREY` mean and
    spread (an identity embedding of a nearly black face otherwise measures its darkness)."""
    mean, std = grey_stats(image, box)
    if std >= min_std:
        return image
    target_mean, target_std = NORMAL_GREY
    gain = target_std / max(std, 1.0)
    stretched = (image.astype(np.float32) - mean) * gain + target_mean
    return np.clip(stretched, 0, 255).astype(np.uint8)


def unique_faces(faces: Sequence[Face], overlap: float = 0.4) -> list[Face]:
    """``faces`` without duplicates: of two boxes overlapping more than ``overlap``, the higher score.

    The detector's tiled pass can report one face twice with slightly different boxes; two tracks of
    one person in one frame would forbid them from ever joining.
    """
    kept: list[Face] = []
    for face in sorted(faces, key=lambda f: -f.score):
        if all(box_iou(face.box, other.box) <= overlap for other in kept):
            kept.append(face)
    return kept


class TrackLinker:
    """Joins the faces of consecutive samples into tracks (feed samples in frame order)."""

    def __init__(self, min_iou: float = 0.25, max_missed: int = 3) -> None:
        """``max_missed``: samples a track may go unseen (a missed detection) before it ends."""
        self.min_iou, self.max_missed = min_iou, max_missed
        self.live: list[Track] = []
        self.finished: list[Track] = []
        self._count = 0

    def cut(self) -> list[Track]:
        """A scene cut: every live track ends. Returns the tracks that ended."""
        ended, self.live = self.live, []
        self.finished += ended
        return ended

    def add(self, sightings: Sequence[Sighting]) -> tuple[list[int], list[Track]]:
        """One sample's sightings: the track number of each, and the tracks that ended."""
        pairs = sorted(
            (
                (link_score(track.last.box, sighting.box, self.min_iou), t, s)
                for t, track in enumerate(self.live)
                for s, sighting in enumerate(sightings)
            ),
            reverse=True,
        )
        assigned: dict[int, Track] = {}
        used: set[int] = set()
        for score, t, s in pairs:
            if score <= 0:
                break
            if t in used or s in assigned:
                continue
            assigned[s] = self.live[t]
            used.add(t)
        for s, sighting in enumerate(sightings):
            track = assigned.get(s)
            if track is None:
                track = Track(self._count)
                self._count += 1
                self.live.append(track)
                assigned[s] = track
            track.sightings.append(sighting)
            track.missed = -1
        ended: list[Track] = []
        for track in self.live:
            track.missed += 1
            if track.missed > self.max_missed:
                ended.append(track)
        self.live = [t for t in self.live if t.missed <= self.max_missed]
        self.finished += ended
        return [assigned[s].number for s in range(len(sightings))], ended

    def close(self) -> list[Track]:
        """End of the clip: every track, by number."""
        self.cut()
        return sorted(self.finished, key=lambda t: t.number)


def frame_ranges(
    frames: Sequence[int], stride: int, frame_count: int, cuts: Sequence[int] = ()
) -> list[tuple[int, int]]:
    """Inclusive (first, last) frame ranges covered by sightings in these sampled frames: consecutive
    samples (``stride`` apart) join, each sample stands for ``stride`` frames.

    ``cuts``: the first frames of new shots (every frame checked, not only the samples). A sample then
    stands for its frames up to the next cut only, and the first sample of a shot also for the shot's
    frames before it: a person's range ends and starts with their shot, not up to ``stride - 1``
    frames off."""
    ordered_cuts = sorted(cuts)
    ranges: list[tuple[int, int]] = []
    for frame in sorted(set(frames)):
        after = bisect.bisect_right(ordered_cuts, frame)
        last = min(frame + stride - 1, frame_count - 1)
        if after < len(ordered_cuts):
            last = min(last, ordered_cuts[after] - 1)
        first = frame
        if after > 0 and ordered_cuts[after - 1] > frame - stride:
            first = ordered_cuts[after - 1]  # the shot began after the previous sample
        if ranges and first <= ranges[-1][1] + 1:
            ranges[-1] = (ranges[-1][0], max(ranges[-1][1], last))
        else:
            ranges.append((first, last))
    return ranges


def around_smaller_faces(
    tracks: Sequence[Track],
    stride: int,
    cuts: Sequence[int] = (),
    min_ratio: float = 3.0,
    min_inside: float = 0.9,
) -> list[bool]:
    """For each track, whether every one of its boxes holds another track's face: at least ``min_inside``
    of that face's box inside it, that face at most ``1 / min_ratio`` of its width, seen in the same
    sample or the one before or after it within the shot.

    A face does not grow threefold in a tenth of a second, and one face does not hold another: such a
    box is the detector reading a small face (or a group of them) at the wrong scale. Measured on 15
    scans of the shared clips at several sizes and encodings (every sighting against every other): one
    box held a face so, a 157 px box over the blurred audience of ``short_hamilton_clip.mp4`` at half size
    around a 30 px face seen three frames before (all of it, 5.2x its width). The nearest real pair, a
    walking boy's face in front of a far woman's a sample later, covers 0.42 of hers at 1.9x.
    """
    ordered_cuts = sorted(cuts)
    by_frame: dict[int, list[tuple[int, Box]]] = {}
    for number, track in enumerate(tracks):
        for sighting in track.sightings:
            by_frame.setdefault(sighting.frame, []).append((number, sighting.box))

    def holds(number: int, frame: int, box: Box) -> bool:
        shot = bisect.bisect_right(ordered_cuts, frame)
        for near in (frame - stride, frame, frame + stride):
            if bisect.bisect_right(ordered_cuts, near) != shot:
                continue
            for other, inner in by_frame.get(near, []):
                if other != number and box[2] - box[0] >= min_ratio * (inner[2] - inner[0]):
                    area = (inner[2] - inner[0]) * (inner[3] - inner[1])
                    overlap = box_intersection(box, inner)
                    if area > 0 and overlap >= min_inside * area:
                        return True
        return False

    return [
        bool(track.sightings) and all(holds(n, s.frame, s.box) for s in track.sightings)
        for n, track in enumerate(tracks)
    ]
