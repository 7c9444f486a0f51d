"""Cast scans of the shared clips: who is in them, the default person, the cache, cancel, the CLI.

The people were counted by eye on the thumbnails a scan saves (``faceswap-desktop cast CLIP
--thumbnails DIR``) and on contact sheets of the clips:

- ``short_hamilton_clip.mp4`` (looked at frame by frame, 4 shots): the singer (a wide shot with 49 px
  faces, then a medium shot), the pianist at the left of the wide shot (31 px faces), a curly-haired man
  in profile close-up (found only in short bursts: his profile at frame 24, the side of his head at
  frame 45), an out-of-focus man behind him (nearly black), and in the audience shots Barack Obama,
  Michelle Obama, an older woman and a blurred woman at the left edge. Counted as 8 people by eye; the
  pianist looks like the close-up man (curly hair, beard, light-blue shirt) and the out-of-focus man like
  Barack Obama (hand on the chin, dark suit, white shirt), but both are too small or blurred to be sure,
  so 6 to 8. The scan finds 8 and merges nobody wrongly: the singer's two shots are one person since
  faces that are only nearly similar may join on their clothing (``core/video/appearance.py``: his face
  linkage 0.928, under the 0.935 of faces alone; clothing 0.996, above the 0.946 of the most alike two
  people seen together in this clip, cast version 6); the close-up man's two bursts are one person by
  track continuity (``core/video/continuity.py``: same shot, 0.7 s apart, the second box inside the
  first; face 0.914, over the 0.904 floor). Thumbnails of ``faceswap-desktop cast CLIP --thumbnails
  DIR``, in that order: singer, Barack Obama, blurred woman, the out-of-focus man, older woman, Michelle
  Obama, close-up man, pianist. (Before the contrast stretch of ``core.cast.with_contrast`` the
  out-of-focus man joined Michelle Obama.)
- ``facenet_pytorch_video.mp4`` (one shot, a crowd walking towards the camera): 8 people by eye, and 8
  found. A far-away brown-haired woman's third track (frame 26, faces under 50 px) joins her other two on
  her clothing, by a hair: face linkage 0.9144 against the 0.914 floor, clothing 0.9628 against this
  clip's bar 0.9624 (without clothing she was a ninth person until cast version 7; since then her third
  track is also her face found again where it was heading, ``core/video/continuity.py``, joined over the
  0.904 continuity floor by 0.010). (This clip chose the clustering
  threshold, see ``SAME_PERSON_COSINE``; the Hamilton clip checks it.)
"""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from faceswap_desktop.app.cast import Cast, CastOptions, identity_hint, on_screen, person_views, scan_cast
from faceswap_desktop.app.cast_cache import cache_key, cached_cast, load_or_scan_cast
from faceswap_desktop.app.video_session import ReferenceChoice, find_reference
from faceswap_desktop.core.errors import BadInput, Cancelled
from faceswap_desktop.core.media.video_io import VideoReader

from .conftest import BIDEN, FACENET, HAMILTON


@pytest.fixture(scope="module")
def dlib(context):  # type: ignore[no-untyped-def]
    return context.recognizer("dlib")


@pytest.fixture(scope="module")
def hamilton(analyser, dlib) -> Cast:  # type: ignore[no-untyped-def]
    with VideoReader(HAMILTON) as reader:
        return load_or_scan_cast(reader, analyser, dlib)


@pytest.fixture(scope="module")
def facenet(analyser, dlib) -> Cast:  # type: ignore[no-untyped-def]
    with VideoReader(FACENET) as reader:
        return load_or_scan_cast(reader, analyser, dlib)


def presence(cast: Cast) -> list[float]:
    """Screen time x face size per person, recomputed from the sightings."""
    return [sum(s.size for s in m.sightings) for m in cast.people]


def test_hamilton_has_eight_people_and_the_singer_is_the_default(hamilton: Cast) -> None:
    assert len(hamilton.people) == 8  # as by eye (see the module doc)
    assert [m.number for m in hamilton.people] == list(range(1, 9))
    assert presence(hamilton) == sorted(presence(hamilton), reverse=True)  # most present first
    singer = hamilton.people[0]
    # His wide shot (49 px faces) and medium shot are one person (joined on their clothing). Ranges run
    # from cut to cut (the shots change at frames 20, 82 and 211, seen frame by frame), not sample to
    # sample.
    assert singer.ranges == ((0, 19), (82, 210)) and singer.tracks == 2
    assert 84 <= singer.thumbnail_frame <= 210  # the best view is in the medium shot
    assert singer.frames == sum(b - a + 1 for a, b in singer.ranges) >= 140
    assert singer.seconds == pytest.approx(singer.frames / hamilton.fps)
    assert singer.thumbnail.ndim == 3 and max(singer.thumbnail.shape[:2]) <= 128
    # An export need not look for the singer far from where the scan saw him (two samples of margin).
    seen = on_screen(hamilton, 1)
    assert [seen(n) for n in (75, 76, 82, 210, 216, 217)] == [False, True, True, True, True, False]
    # No wrong merge: only the singer is seen in two shots (wide and medium); nobody of the close-up shot
    # (frames 24-83) is seen in the audience shots (from 213); the dark audience member (42-83) stands
    # alone.
    for member in hamilton.people:
        shots = {
            0 if s.frame < 24 else 1 if s.frame < 84 else 2 if s.frame < 213 else 3 for s in member.sightings
        }
        assert len(shots) == 1 or (member is singer and shots == {0, 2}), (member.number, member.ranges)
    dark = hamilton.person(4)
    assert dark.ranges[0][0] >= 42 and dark.ranges[-1][1] <= 83 and dark.tracks == 2
    # The close-up man, found in two bursts of his profile shot (frame 24, and his head at frame 45, 0.7 s
    # later in the same place): one person by track continuity, his thumbnail the larger profile view.
    close_up = hamilton.person(7)
    assert close_up.ranges == ((24, 26), (45, 47)) and close_up.tracks == 2
    assert close_up.thumbnail_frame == 24


def test_facenet_crowd_default_is_the_man_walking_through_the_whole_clip(facenet: Cast) -> None:
    assert len(facenet.people) == 8  # as by eye (see the module doc)
    assert sum(m.seconds >= 1.0 for m in facenet.people) == 6
    default = facenet.people[0]
    assert presence(facenet)[0] == max(presence(facenet))
    assert default.frames >= 0.9 * facenet.frame_count and default.seconds > 3.5
    assert default.frames == max(m.frames for m in facenet.people)


def test_the_default_reference_is_the_most_present_person_in_the_range(analyser, dlib, hamilton) -> None:  # type: ignore[no-untyped-def]
    with VideoReader(HAMILTON) as reader:
        whole = find_reference(reader, analyser, dlib, ReferenceChoice(), defer_embedding=True)
        audience = find_reference(reader, analyser, dlib, ReferenceChoice(), 213, True)
        picked = find_reference(reader, analyser, dlib, ReferenceChoice(person=2), 0, True)
        with pytest.raises(BadInput, match="no person 11"):
            find_reference(reader, analyser, dlib, ReferenceChoice(person=11))
        wide_only = find_reference(reader, analyser, dlib, ReferenceChoice(), 0, True, 21)
    singer, second = hamilton.people[0], hamilton.people[1]
    # The singer's first good view in his medium shot, embedded from his best view.
    assert whole.frame_index in {s.frame for s in singer.sightings} and whole.identity_view is not None
    assert whole.identity_view[1].size >= whole.face.size
    hint = whole.hint
    assert hint is not None and hint(whole.frame_index, whole.face) is True
    assert audience.frame_index >= 213
    assert hamilton.most_present(213, 275) is second
    assert picked.frame_index in {s.frame for s in second.sightings} or picked.frame_index == 0
    # An export of the opening wide shot only replaces the most present person there (the singer, not
    # the pianist), from frame 0 itself (the export seeds its tracker there).
    assert hamilton.most_present(0, 21) is singer
    assert wide_only.frame_index == 0


def test_identity_hint_knows_the_person_the_others_and_when_it_cannot_tell(hamilton: Cast) -> None:
    from faceswap_desktop.core.types import Face

    singer, other = hamilton.people[0], hamilton.people[1]
    hint = identity_hint(hamilton, singer.number)

    def face_at(box: tuple[float, float, float, float]) -> Face:
        import numpy as np

        return Face(box, 1.0, np.zeros((5, 2), np.float32))

    seen, elsewhere = singer.sightings[10], other.sightings[0]
    assert hint(seen.frame, face_at(seen.box)) is True
    assert hint(seen.frame + 1, face_at(seen.box)) is True  # between two scanned frames
    assert hint(elsewhere.frame, face_at(elsewhere.box)) is False
    assert hint(seen.frame, face_at((600, 300, 630, 330))) is None


def test_person_views_refuses_a_person_outside_the_range(hamilton: Cast) -> None:
    with pytest.raises(BadInput, match="does not appear"):
        person_views(hamilton, 1, 213, 275)
    assert person_views(hamilton, None, 10, 10) is None  # nobody in an empty range


def test_the_cast_is_cached_by_content_and_settings(analyser, dlib, hamilton, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    again = cached_cast(HAMILTON, dlib)
    assert again is not None and again.cached
    assert again.to_dict()["people"] == hamilton.to_dict()["people"]
    assert again.people[0].sightings == hamilton.people[0].sightings
    copy = tmp_path / "renamed.mp4"
    copy.write_bytes(HAMILTON.read_bytes())
    assert cache_key(copy, CastOptions(), dlib) == cache_key(HAMILTON, CastOptions(), dlib)
    assert cache_key(HAMILTON, CastOptions(sample_fps=5), dlib) != cache_key(HAMILTON, CastOptions(), dlib)
    assert cache_key(HAMILTON, CastOptions(), None) != cache_key(HAMILTON, CastOptions(), dlib)


def test_a_scan_is_cancelled_between_frames_and_reports_progress(analyser) -> None:  # type: ignore[no-untyped-def]
    cancel = threading.Event()
    seen: list[int] = []

    def progress(update) -> None:  # type: ignore[no-untyped-def]
        seen.append(update.frames_done)
        if update.frames_done >= 20:
            cancel.set()

    with VideoReader(HAMILTON) as reader, pytest.raises(Cancelled):
        scan_cast(reader, analyser, None, cancel=cancel, progress=progress)
    assert seen == [10, 20]


def test_cli_cast_lists_the_people_as_json_and_saves_thumbnails(hamilton: Cast, tmp_path: Path) -> None:
    folder = tmp_path / "new" / "thumbs"  # created, parents too, as other output folders are
    proc = subprocess.run(
        [sys.executable, "-m", "faceswap_desktop", "cast", HAMILTON, "--json", "--thumbnails", folder],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    assert data["cached"] is True  # the in-process scan above filled the (test session's) cache
    assert data["default_person"] == 1 and len(data["people"]) == len(hamilton.people)
    assert data["people"][0]["frames"] == hamilton.people[0].frames
    assert "\x1b[" not in proc.stderr and "ETA" not in proc.stderr  # no bar without a terminal
    assert sorted(p.name for p in folder.glob("*.png")) == sorted(
        f"short_hamilton_clip_person_{n}.png" for n in range(1, len(hamilton.people) + 1)
    )


def test_cli_cast_refuses_a_thumbnail_folder_that_is_a_file(tmp_path: Path) -> None:
    taken = tmp_path / "taken.png"
    taken.write_bytes(b"not a folder")
    for folder in (taken, taken / "below"):
        proc = subprocess.run(
            [sys.executable, "-m", "faceswap_desktop", "cast", HAMILTON, "--thumbnails", folder],
            capture_output=True, text=True, timeout=120,
        )  # fmt: skip
        assert proc.returncode != 0 and "is a file, not a folder" in proc.stderr, proc.stderr
    assert taken.read_bytes() == b"not a folder" and sorted(tmp_path.iterdir()) == [taken]


def test_cli_refuses_a_person_mixed_with_a_pick_or_out_of_the_cast(hamilton: Cast, tmp_path: Path) -> None:
    base = [sys.executable, "-m", "faceswap_desktop", "swap", "--source", BIDEN, "--target", HAMILTON]
    mixed = subprocess.run(
        [*base, "--output", tmp_path / "a.mp4", "--person", "2", "--face-index", "0"],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert mixed.returncode == 2 and "--person picks a cast member" in mixed.stderr
    missing = subprocess.run(
        [*base, "--output", tmp_path / "b.mp4", "--person", "12", "--no-score"],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert missing.returncode == 2 and "no person 12" in missing.stderr
    assert list(tmp_path.iterdir()) == []
