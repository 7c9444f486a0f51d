"""Track continuity within a shot (``core/video/continuity.py``) and how clustering uses it."""

from __future__ import annotations

import numpy as np

from faceswap_desktop.core.video.cast import Sighting, Track
from faceswap_desktop.core.video.clustering import ClothingRule, cluster_tracks
from faceswap_desktop.core.video.continuity import (
    ContinuityRule,
    continuations,
    continues,
    found_again,
    motion,
)

from .cast_cues import cues

RULE = ContinuityRule(min_face=0.9)
FPS = 10.0


def track(number: int, *sightings: tuple[int, float, float]) -> Track:
    """A track of (frame, centre x, width) sightings, all at the same height."""
    return Track(
        number, [Sighting(f, (x - w / 2, 100 - w / 2, x + w / 2, 100 + w / 2), w, w) for f, x, w in sightings]
    )


def vectors(cosines: list[list[float]]) -> list[np.ndarray]:
    """Unit vectors with these pairwise cosines (rows of the Gram matrix's Cholesky factor)."""
    factor = np.linalg.cholesky(np.array(cosines, np.float64))
    return [row.astype(np.float32) for row in factor]


def test_a_face_found_again_in_place_continues_the_track_it_left() -> None:
    before = (100.0, 50.0, 300.0, 250.0)  # 200 px wide, centre (200, 150)
    assert continues(before, (150.0, 100.0, 270.0, 220.0), RULE)  # turned to profile: 0.6x, inside
    assert not continues(before, (260.0, 100.0, 360.0, 200.0), RULE)  # half the size: ok, but 0.55 off
    assert not continues(before, (170.0, 120.0, 230.0, 180.0), RULE)  # in place but 0.3x: someone behind
    tracks = [
        track(0, (0, 200, 200), (3, 205, 200)),
        track(1, (12, 215, 120)),  # 0.9 s later, in place: continues 0
        track(2, (30, 215, 200)),  # 2.7 s after track 0 ended: too late
        track(3, (40, 600, 200), (43, 600, 200)),
        track(4, (47, 600, 200)),  # continues 3, but a cut at frame 45 lies between them
        track(5, (2, 210, 200), (13, 210, 200)),  # on screen with tracks 0 and 1: never found again
    ]
    assert continuations(tracks, cuts=[45], fps=FPS, rule=RULE) == [(0, 1)]
    assert continuations(tracks, cuts=[], fps=FPS, rule=RULE) == [(0, 1), (3, 4)]


def test_continuity_joins_unless_the_faces_contradict_it() -> None:
    # Track 1 is track 0's face found again (a profile: cosine 0.92, under the 0.95 of faces alone).
    embeddings = [[e] for e in vectors([[1, 0.92, 0.5], [0.92, 1, 0.5], [0.5, 0.5, 1]])]
    frames = [{0, 1}, {5}, {9}]
    tracks = cues(embeddings, frames)
    assert len(set(cluster_tracks(tracks, 0.95))) == 3
    labels = cluster_tracks(tracks, 0.95, continued=[(0, 1), (1, 2)], continuity_floor=0.9)
    assert labels[0] == labels[1] != labels[2]  # track 2 continues track 1 in place, but its face says no
    # Without a floor continuity is off; with a floor over the faces' cosine the faces veto it.
    assert len(set(cluster_tracks(tracks, 0.95, continued=[(0, 1)]))) == 3
    assert len(set(cluster_tracks(tracks, 0.95, continued=[(0, 1)], continuity_floor=0.93))) == 3


def test_someone_stepping_in_where_a_person_was_while_they_are_still_on_screen_stays_apart() -> None:
    # Track 0: person P; track 2: P again elsewhere later, joined to track 0 on clothing only (face 0.91).
    # Track 1: Q appears where track 0 ended, in a frame (3) where P is on screen as track 2; Q's face
    # is nearer P's track 0 (0.93) than P's own two tracks are to each other.
    embeddings = [[e] for e in vectors([[1, 0.93, 0.91], [0.93, 1, 0.75], [0.91, 0.75, 1]])]
    frames = [{0, 1}, {3}, {3, 4}]
    blue, red = np.array([1.0, 0, 0], np.float32), np.array([0, 0, 1.0], np.float32)
    rule = ClothingRule(min_face=0.9, min_clothing=0.8)
    labels = cluster_tracks(
        cues(embeddings, frames, [blue, red, blue]), 0.95, rule, [(0, 1)], continuity_floor=0.9
    )
    # Identity joins first (0 with 2); then Q shares frame 3 with P's cluster and cannot join it.
    assert labels[0] == labels[2] != labels[1]


def test_a_face_found_again_where_it_was_heading_continues_the_track() -> None:
    # Walking right at 10 px a frame (40 px faces): unseen for 8 frames, found 80 px on, two widths
    # from where it was last seen but where it was heading.
    walking = track(0, (0, 100, 40), (2, 120, 40), (4, 140, 40))
    ahead = track(1, (12, 220, 40), (14, 240, 40))
    behind = track(2, (12, 60, 40))  # as far, the other way
    assert not continues(walking.sightings[-1].box, ahead.sightings[0].box, RULE)
    assert found_again(walking, ahead, RULE) and not found_again(walking, behind, RULE)
    assert continuations([walking, ahead, behind], cuts=[], fps=FPS, rule=RULE) == [(0, 1)]
    # A face seen once has no speed: found again only where it was.
    once = track(3, (4, 140, 40))
    assert motion(once, at_end=True) is None and not found_again(once, behind, RULE)
    assert motion(walking, at_end=True) == (10.0, 0.0)
