"""Track continuity within a shot: a face the detector lost and found again is one person.

A face turned to profile, blurred or half hidden is found by the detector only in bursts, so one person
of one shot can leave several tracks, and the identity embeddings of profile views differ from those
of frontal ones (on the shared clips a close-up man in profile scored 0.914 against his own other
view, under the 0.935 at which faces alone join). Where the embeddings cannot say, where and when the
faces were seen can: a track that starts soon after another ended, in the same shot, at the same place
and of a similar size is that face found again.

Two tracks *continue* each other when (:class:`ContinuityRule`):

- no scene cut lies between the first one's last sighting and the second one's first (the scan checks
  every frame for a cut), and they are never seen in the same frame (the first ends before the second
  starts);
- the gap between them is short (``max_gap_seconds``);
- the second face's centre lies within the first face's box or close to it: the distance between the
  centres is at most ``max_shift`` times the larger face's width; either from where the first face was
  last seen, or from where it was heading (:func:`found_again`: moved on at the speed the two tracks
  were moving at, for the frames between them: a crowd walking towards the camera moves 0.6-0.8 face
  widths down the frame in 0.5-1.5 s, ``facenet_pytorch_video.mp4``);
- their sizes are within a factor ``1 / min_size_ratio`` of each other (a face turning to profile or
  partly hidden changes its box, a face far behind is much smaller).

Clustering (:func:`~.clustering.cluster_tracks`) then joins two clusters holding such a pair unless their
faces clearly contradict it: their average-linkage cosine is under ``ContinuityRule.min_face``, lower
than the least alike two tracks of one person measured on a clip (see ``app/cast.py``). People who swap
places within a second, or a different person stepping in where another left, are what that bound is
for; both are rare within one or two seconds.
"""

from __future__ import annotations

import bisect
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from .cast import Box, Track


@dataclass(frozen=True)
class ContinuityRule:
    """When two tracks of one shot are one face found again (see the module doc)."""

    min_face: float
    """Mean face cosine under which the embeddings contradict the continuity (never joined)."""
    max_gap_seconds: float = 1.5
    max_shift: float = 0.5
    """Centre distance over the larger face width: 0.5 puts the second face's centre inside the box of
    the first (for faces of the same size)."""
    min_size_ratio: float = 0.5


def _centre(box: Box) -> tuple[float, float]:
    return (box[0] + box[2]) / 2, (box[1] + box[3]) / 2


def continues(before: Box, after: Box, rule: ContinuityRule) -> bool:
    """Whether the face at ``after`` is where and as large as the face at ``before`` (same shot, the
    time gap checked by the caller)."""
    width_before, width_after = before[2] - before[0], after[2] - after[0]
    larger, smaller = max(width_before, width_after), min(width_before, width_after)
    if smaller <= 0 or smaller / larger < rule.min_size_ratio:
        return False
    (xa, ya), (xb, yb) = _centre(before), _centre(after)
    return float(np.hypot(xa - xb, ya - yb)) <= rule.max_shift * larger


MOTION_SAMPLES = 3
"""A track's motion is measured over its last (or first) this many sightings: two intervals average out
some of the jitter of one detection's box."""


def motion(track: Track, at_end: bool) -> tuple[float, float] | None:
    """How fast the centre of ``track``'s face moved, in pixels a frame, over its last (``at_end``) or
    first :data:`MOTION_SAMPLES` sightings (None: a track of one sighting)."""
    seen = track.sightings[-MOTION_SAMPLES:] if at_end else track.sightings[:MOTION_SAMPLES]
    if len(seen) < 2 or seen[-1].frame <= seen[0].frame:
        return None
    (xa, ya), (xb, yb) = _centre(seen[0].box), _centre(seen[-1].box)
    frames = seen[-1].frame - seen[0].frame
    return (xb - xa) / frames, (yb - ya) / frames


def _moved(box: Box, dx: float, dy: float) -> Box:
    return box[0] + dx, box[1] + dy, box[2] + dx, box[3] + dy


def found_again(first: Track, second: Track, rule: ContinuityRule) -> bool:
    """Whether ``second``'s first face is where ``first``'s last one was, or where it was heading: moved
    on at the speed the two tracks were moving at (the mean of ``first``'s motion at its end and
    ``second``'s at its start) for the frames between them. A face stays where it was (someone
    standing) or keeps going (someone walking towards the camera: 0.6-0.8 face widths in 0.5-1.5 s on
    ``facenet_pytorch_video.mp4``)."""
    end, start = first.sightings[-1], second.sightings[0]
    if continues(end.box, start.box, rule):
        return True
    speeds = [m for m in (motion(first, True), motion(second, False)) if m is not None]
    if not speeds:
        return False
    frames = start.frame - end.frame
    dx = sum(m[0] for m in speeds) / len(speeds) * frames
    dy = sum(m[1] for m in speeds) / len(speeds) * frames
    return continues(_moved(end.box, dx, dy), start.box, rule)


def continuations(
    tracks: Sequence[Track], cuts: Sequence[int], fps: float, rule: ContinuityRule
) -> list[tuple[int, int]]:
    """Pairs ``(i, j)`` of indices into ``tracks``: track j continues track i in the same shot."""
    ordered_cuts = sorted(cuts)
    max_gap = rule.max_gap_seconds * (fps if fps > 0 else 30.0)
    pairs: list[tuple[int, int]] = []
    for i, first in enumerate(tracks):
        if not first.sightings:
            continue
        end = first.sightings[-1]
        shot = bisect.bisect_right(ordered_cuts, end.frame)
        for j, second in enumerate(tracks):
            if i == j or not second.sightings:
                continue
            start = second.sightings[0]
            if not end.frame < start.frame <= end.frame + max_gap:
                continue
            if bisect.bisect_right(ordered_cuts, start.frame) != shot:
                continue  # a cut between them: another shot
            if found_again(first, second, rule):
                pairs.append((i, j))
    return pairs
