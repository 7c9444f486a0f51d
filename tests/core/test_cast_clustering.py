"""The pure part of the cast scan: linking faces into tracks, tracks into people, frame ranges, pose."""

from __future__ import annotations

import numpy as np
import pytest

from faceswap_desktop.core.types import Face
from faceswap_desktop.core.video.cast import (
    LOW_CONTRAST_STD,
    NORMAL_GREY,
    Sighting,
    Track,
    TrackLinker,
    around_smaller_faces,
    frame_ranges,
    frontality,
    grey_stats,
    link_score,
    pose_quality,
    unique_faces,
    with_contrast,
)
from faceswap_desktop.core.video.clustering import (
    BesideRule,
    ClothingRule,
    TrackCues,
    cluster_tracks,
    glimpses,
)

from .cast_cues import cues


def sighting(frame: int, x: float, width: float = 40.0, y: float = 10.0) -> Sighting:
    return Sighting(frame, (x, y, x + width, y + width), width, width)


def unit(*values: float) -> np.ndarray:
    vector = np.array(values, np.float32)
    return vector / np.linalg.norm(vector)


def face(x: float, score: float = 0.9, nose_dx: float = 0.0) -> Face:
    keypoints = np.array(
        [[x + 10, 20], [x + 30, 20], [x + 20 + nose_dx, 30], [x + 12, 40], [x + 28, 40]], np.float32
    )
    return Face((x, 0.0, x + 40, 50.0), score, keypoints)


def test_faces_join_the_track_they_continue_and_a_cut_ends_every_track() -> None:
    linker = TrackLinker(max_missed=1)
    first, _ = linker.add([sighting(0, 0), sighting(0, 200)])
    moved, _ = linker.add([sighting(3, 205), sighting(3, 4)])  # listed in another order
    assert moved == [first[1], first[0]]
    # Moving fast (boxes barely overlapping, same size): still the same track; a jump is a new one.
    fast, _ = linker.add([sighting(6, 19, y=25), sighting(6, 400)])  # IoU 0.24
    assert fast[0] == first[0] and fast[1] not in first
    assert len(linker.cut()) == 3 and linker.live == []
    after, _ = linker.add([sighting(9, 30)])
    assert after[0] not in (*first, *fast)


def test_a_track_unseen_for_more_than_max_missed_samples_ends() -> None:
    linker = TrackLinker(max_missed=2)
    linker.add([sighting(0, 0)])
    ended = [linker.add([])[1] for _ in range(3)]
    assert [len(e) for e in ended] == [0, 0, 1]
    assert [t.frames for t in linker.close()] == [{0}]


def test_link_score_prefers_overlap_and_refuses_a_different_size() -> None:
    a = (0.0, 0.0, 40.0, 40.0)
    assert link_score(a, (2.0, 0.0, 42.0, 40.0), 0.25) > link_score(a, (15.0, 15.0, 55.0, 55.0), 0.25) > 0
    assert link_score(a, (30.0, 0.0, 50.0, 20.0), 0.25) == 0.0  # half the size
    assert link_score(a, (100.0, 0.0, 140.0, 40.0), 0.25) == 0.0


def test_tracks_cluster_by_identity_but_never_two_tracks_of_one_frame() -> None:
    alice, bob = unit(1, 0.1, 0), unit(0, 1, 0.1)
    alike = unit(*(alice * 0.95 + bob * 0.1))  # cosine 0.99 with alice
    embeddings = [[alice], [alike], [bob], [bob], [alice]]
    frames = [{0, 3}, {30}, {0, 3}, {60}, {30}]  # tracks 1 and 4 are both in frame 30
    labels = cluster_tracks(cues(embeddings, frames), threshold=0.9)
    assert labels[0] == labels[4] and labels[2] == labels[3] and labels[0] != labels[2]
    # Track 1 looks like alice too, but alice (track 4) is elsewhere in its frame.
    assert labels[1] not in (labels[0], labels[2])
    assert cluster_tracks(cues(embeddings, [{0}, {1}, {2}, {3}, {4}]), 0.9)[1] == labels[0]


def test_average_linkage_does_not_chain_people_through_one_ambiguous_track() -> None:
    a, b = unit(1, 0, 0), unit(0, 1, 0)
    middle = unit(1, 1, 0)  # cosine 0.71 with both
    labels = cluster_tracks(cues([[a], [a], [middle], [b], [b]], [{0}, {1}, {2}, {3}, {4}]), threshold=0.7)
    assert labels[0] == labels[1] and labels[3] == labels[4] and labels[0] != labels[3]


def test_a_track_without_embedding_stays_on_its_own() -> None:
    a = unit(1, 0, 0)
    tracks = cues([[a], [], [a]], [{0}, {1}, {2}])
    labels = cluster_tracks(tracks, threshold=0.5)
    assert labels[0] == labels[2] != labels[1]
    with pytest.raises(ValueError, match="not there"):
        cluster_tracks(tracks, 0.5, continued=[(0, 3)], continuity_floor=0.5)


def test_frame_ranges_join_consecutive_samples() -> None:
    assert frame_ranges([0, 3, 6, 12, 15], stride=3, frame_count=100) == [(0, 8), (12, 17)]
    assert frame_ranges([98], stride=3, frame_count=100) == [(98, 99)]
    assert frame_ranges([4, 5, 6, 9], stride=1, frame_count=10) == [(4, 6), (9, 9)]


def test_frame_ranges_end_and_start_at_scene_cuts() -> None:
    # Shots change at frames 20 and 82; samples every 3rd frame (0, 3, .., 18, then 84, ..).
    assert frame_ranges([0, 3, 6, 9, 12, 15, 18], stride=3, frame_count=300, cuts=[20, 82]) == [(0, 19)]
    assert frame_ranges([84, 87, 207, 210], stride=3, frame_count=300, cuts=[20, 82, 211]) == [
        (82, 89),
        (207, 210),
    ]
    # A sample before a cut stops short of it; the first sample after it starts the shot.
    assert frame_ranges([3], stride=3, frame_count=100, cuts=[5]) == [(3, 4)]
    assert frame_ranges([6], stride=3, frame_count=100, cuts=[5]) == [(5, 8)]
    assert frame_ranges([6], stride=3, frame_count=100, cuts=[6]) == [(6, 8)]


def test_pose_quality_prefers_frontal_and_large_views_and_duplicates_are_dropped() -> None:
    assert pose_quality(face(0)) > pose_quality(face(0, nose_dx=8)) > 0
    duplicates = unique_faces([face(0, 0.8), face(2, 0.9), face(100)])
    assert len(duplicates) == 2 and duplicates[0].box[0] in (2, 100) and duplicates[1].box[0] in (2, 100)


def test_a_nearly_black_face_is_stretched_to_a_normal_contrast_and_others_are_left_alone() -> None:
    rng = np.random.default_rng(0)
    face = rng.normal(12, 5, (60, 60, 3))
    dark = np.zeros((100, 100, 3), np.uint8)
    dark[20:80, 20:80] = np.clip(face, 0, 255).astype(np.uint8)
    box = (20.0, 20.0, 80.0, 80.0)
    assert grey_stats(dark, box)[1] < LOW_CONTRAST_STD
    stretched = with_contrast(dark, box)
    mean, std = grey_stats(stretched, box)
    assert mean == pytest.approx(NORMAL_GREY[0], abs=3) and std == pytest.approx(NORMAL_GREY[1], rel=0.1)
    assert dark.max() < 60  # the input is not modified
    normal = np.clip(rng.normal(120, 40, (100, 100, 3)), 0, 255).astype(np.uint8)
    assert with_contrast(normal, box) is normal
    assert grey_stats(normal, (200.0, 200.0, 300.0, 300.0)) == (0.0, 0.0)  # a box outside the image


def test_a_dim_track_joins_a_lit_one_only_by_continuity() -> None:
    # Tracks 0 and 1 lit, 2 and 3 dim (embedded from stretched, nearly black views); all alike.
    alice = unit(1, 0.1, 0)
    embeddings = [[alice], [alice], [alice], [alice]]
    frames = [{0}, {10}, {20}, {30}]
    labels = cluster_tracks(cues(embeddings, frames, dim=[False, False, True, True]), 0.9)
    assert labels[0] == labels[1] and labels[2] == labels[3] and labels[0] != labels[2]
    # Found again in place within the shot (continuity), a dim track joins a lit one after all.
    joined = cluster_tracks(
        cues(embeddings, frames, dim=[False, False, True, True]),
        0.9,
        continued=[(1, 2)],
        continuity_floor=0.9,
    )
    assert len(set(joined)) == 1


def test_a_track_of_faces_too_small_to_tell_never_joins_on_its_face_alone() -> None:
    alice = unit(1, 0.1, 0)
    embeddings, frames = [[alice], [alice], [alice]], [{0}, {10}, {20}]
    small = [True, False, False]  # track 0: faces under the detector's smallest at the clip's size
    labels = cluster_tracks(cues(embeddings, frames, small=small), 0.9)
    assert labels[1] == labels[2] != labels[0]
    # With clothing that agrees beyond the clip's bar (a second cue), it joins.
    blue = np.array([1, 0, 0, 0], np.float32)
    with_clothing = cluster_tracks(
        cues(embeddings, frames, [blue, blue, blue], small=small), 0.9, ClothingRule(0.9, 0.5)
    )
    assert len(set(with_clothing)) == 1


def test_near_faces_join_when_more_alike_than_either_is_to_the_people_seen_beside_it() -> None:
    # Tracks 0 and 1: one person in two parts of a crowd shot (cosine 0.93, under the 0.95 of faces
    # alone). Each is seen in a frame with three others (tracks 2-4 beside 0, tracks 5-7 beside 1),
    # who score at most 0.88 against it.
    a = unit(1, 0, 0, 0, 0, 0, 0, 0, 0)
    b = unit(*(a * 0.93 + unit(0, 1, 0, 0, 0, 0, 0, 0, 0) * np.sqrt(1 - 0.93**2)))
    others = [unit(*(a * 0.8 + np.eye(9)[k] * 0.6)) for k in range(2, 9)]  # 0.8 with a, 0.74-0.78 with b
    embeddings = [[a], [b]] + [[o] for o in others[:6]]
    frames = [{0}, {10}, {0}, {0}, {0}, {10}, {10}, {10}]
    assert len(set(cluster_tracks(cues(embeddings, frames), 0.95))) == 8
    rule = BesideRule(min_face=0.9)
    labels = cluster_tracks(cues(embeddings, frames), 0.95, beside=rule)
    assert labels[0] == labels[1] and len(set(labels)) == 7
    # Under the floor, or seen beside fewer than three people, or only ever seen in profile: apart.
    assert len(set(cluster_tracks(cues(embeddings, frames), 0.95, beside=BesideRule(0.94)))) == 8
    fewer = [{0}, {10}, {0}, {0}, {1}, {10}, {10}, {10}]
    assert len(set(cluster_tracks(cues(embeddings, fewer), 0.95, beside=rule))) == 8
    profile = cues(embeddings, frames)
    profile[1] = TrackCues.of(profile[1].embeddings, profile[1].frames, frontality=0.2)
    assert len(set(cluster_tracks(profile, 0.95, beside=rule))) == 8
    # Someone seen beside track 0 (in frame 0) who is more like it than track 1 is: 0 and 1 stay apart.
    c = np.array([0.935, 0.19165, 0.2984, 0, 0, 0, 0, 0, 0], np.float32)  # 0.935 with a, 0.94 with b
    lookalike = [[a], [b], [c / np.linalg.norm(c)]] + [[o] for o in others[1:6]]
    labels = cluster_tracks(cues(lookalike, frames), 0.95, beside=rule)
    assert labels[0] != labels[1]


def test_frontality_is_one_for_a_frontal_face_and_falls_as_the_head_turns() -> None:
    assert frontality(face(0)) == pytest.approx(1.0)
    assert 0 < frontality(face(0, nose_dx=4)) < 1 and frontality(face(0, nose_dx=10)) == 0.0


def test_a_person_seen_once_with_a_face_too_dark_or_small_to_tell_is_only_glimpsed() -> None:
    alice, bob, carol, dan, eve = (unit(*v) for v in np.eye(5))
    tracks = cues(
        [[alice], [alice], [bob], [carol], [dan], [eve], [eve]],
        [{0}, {30}, {60}, {90}, {120}, {150}, {180}],
        dim=[True, True, True, False, False, True, False],
        small=[False, False, False, False, True, False, False],
    )
    labels = [0, 0, 1, 2, 3, 4, 4]
    # Glimpsed: bob (one dim sample) and dan (one small sample). Not: alice (dim, but two samples),
    # carol (one sample, a face the embedder reads), eve (one of her tracks is lit).
    assert glimpses(tracks, labels) == {1, 3}
    # Carol's one box held a much smaller face: the detector's wrong scale, glimpsed too.
    tracks[3] = TrackCues.of([carol], {90}, around_faces=True)
    assert glimpses(tracks, labels) == {1, 2, 3}
    # A person's tracks count together: two dim tracks of one sample each are two samples.
    assert glimpses(tracks[:2], [0, 1]) == {0, 1}
    assert glimpses(tracks[:2], [0, 0]) == set()
    with pytest.raises(ValueError):
        glimpses(tracks, labels[:-1])


def test_a_box_around_a_much_smaller_face_of_the_same_moment_is_found() -> None:
    def track(*sightings: tuple[int, float, float]) -> Track:
        return Track(0, [sighting(frame, x, width) for frame, x, width in sightings])

    tracks = [
        track((0, 100, 30), (3, 100, 30)),  # a small face, seen at frames 0 and 3
        track((6, 90, 150)),  # a box five times wider around where it was a sample before
        track((3, 95, 60)),  # twice as wide around it: a face in front of it may be
        track((9, 90, 150)),  # around it, but two samples later
        track((6, 300, 150)),  # as wide, elsewhere
    ]
    assert around_smaller_faces(tracks, stride=3) == [False, True, False, False, False]
    # A cut between the two samples: another shot, nothing to compare with.
    assert around_smaller_faces(tracks, stride=3, cuts=[5]) == [False] * 5
