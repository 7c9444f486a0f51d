"""The cast's others: people only glimpsed (one sample, a face too dark or small to tell) are kept apart
from its people (not counted, no chip, never the default while a person is there) but stay members that
can be picked by number, named where their face is, and cached (``app/cast.py``, ``docs/cast.md``)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from faceswap_desktop.app.cast import Cast, _members, _TrackViews, _View, identity_hint, member_at
from faceswap_desktop.app.cast_cache import cast_from_json, cast_to_json
from faceswap_desktop.cli.cast_cmd import describe_cast
from faceswap_desktop.core.types import Face
from faceswap_desktop.core.video.cast import Sighting, Track

STRIDE = 3


def track(number: int, frames: list[int], x: float, size: float = 40.0) -> Track:
    return Track(number, [Sighting(f, (x, 10.0, x + size, 10.0 + size), size, size) for f in frames])


def views_of(tracks: list[Track]) -> dict[int, _TrackViews]:
    """Each track's views with a thumbnail (a grey crop and a face in it)."""
    crop = np.full((64, 64, 3), 90, np.uint8)
    face = Face((16.0, 16.0, 48.0, 48.0), 0.9, np.zeros((5, 2), np.float32))
    views = {}
    for t in tracks:
        views[t.number] = _TrackViews(thumbnail=_View(t.sightings[0].size, t.sightings[0].frame, crop, face))
    return views


def glimpsed_cast() -> Cast:
    """Three people over 60 frames; person of track 2 seen once (the glimpsed one), track 3 the largest
    face of frames 30-33 (so the most present there were it a person)."""
    tracks = [
        track(0, list(range(0, 60, STRIDE)), 0),
        track(1, list(range(0, 30, STRIDE)), 100),
        track(2, [30], 200, size=120.0),
    ]
    people, others = _members(tracks, [0, 1, 2], views_of(tracks), STRIDE, 60, 30.0, 360, (), {2})
    return Cast(Path("clip.mp4"), 60, 30.0, 360, STRIDE, "fake", people, others=others)


def test_glimpsed_people_are_numbered_after_the_people_and_never_the_default_while_a_person_is_there() -> (
    None
):
    cast = glimpsed_cast()
    assert [m.number for m in cast.people] == [1, 2] and [m.number for m in cast.others] == [3]
    glimpse = cast.person(3)  # still a member one may pick by number
    assert glimpse.sightings[0].frame == 30 and glimpse.sightings[0].box[0] == 200
    # By presence alone the glimpse's large face would win frames 30-33; a person is there: they win.
    assert cast.presence_between(glimpse, 30, 33) > cast.presence_between(cast.person(1), 30, 33)
    most = cast.most_present(30, 33)
    assert most is not None and most.number == 1
    # Where no person is, the glimpsed one is the only one there is.
    alone = Cast(cast.path, 60, 30.0, 360, STRIDE, "fake", (), others=cast.others)
    only = alone.most_present()
    assert only is not None and only.number == 3
    assert cast.to_dict()["others"][0]["person"] == 3 and len(cast.to_dict()["people"]) == 2


def test_a_glimpsed_face_is_named_in_the_frame_and_told_apart_by_the_tracker() -> None:
    cast = glimpsed_cast()
    box = cast.person(3).sightings[0].box
    assert member_at(cast, 30, box) == 3
    face = Face(box, 1.0, np.zeros((5, 2), np.float32))
    assert identity_hint(cast, 1)(30, face) is False
    assert identity_hint(cast, 3)(31, face) is True


def test_the_others_survive_the_cache_and_the_cli_lists_them_apart() -> None:
    cast = glimpsed_cast()
    again = cast_from_json(cast_to_json(cast), cast.path)
    assert again.to_dict()["others"] == cast.to_dict()["others"] and len(again.people) == 2
    assert again.others[0].sightings == cast.others[0].sightings
    lines = describe_cast(cast)
    assert "2 person(s)" in lines[0] and "1 other(s) only glimpsed" in lines[0]
    assert lines[-1].startswith("  other 3:") and lines[1].startswith("  person 1 (default):")


def test_a_cast_without_others_reads_as_before() -> None:
    cast = glimpsed_cast()
    plain = Cast(cast.path, 60, 30.0, 360, STRIDE, "fake", cast.people)
    assert plain.others == () and plain.to_dict()["others"] == []
    assert "glimpsed" not in describe_cast(plain)[0]
    assert all(line.startswith("  person") for line in describe_cast(plain)[1:])


def test_a_batch_segment_gets_the_others_without_their_thumbnails() -> None:
    from faceswap_desktop.app.batch_segments import _slim

    cast = glimpsed_cast()
    slim = _slim(cast)
    assert slim.others[0].sightings == cast.others[0].sightings and slim.others[0].thumbnail.shape == (
        1,
        1,
        3,
    )
    assert slim.person(3).number == 3
