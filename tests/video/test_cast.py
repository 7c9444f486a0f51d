"""Cast scans of the shared clips: who is in them, the default person, the cache, cancel, the CLI.

The people were counted by eye on the thumbnails a scan saves (``faceswap-desktop cast CLIP
--thumbnails DIR``) and on contact sheets of the clips:

- ``short_hamilton_clip.mp4``: the singer (wide shot, then medium shot: one person across the cut),
  a curly-haired man in close-up (one view is the back of his head), a blurred audience member behind
  him, and in the audience shots Barack Obama, Michelle Obama, an older woman and a blurred woman at the
  left edge; plus a bearded man at the bottom of the opening wide shot (32 px faces: maybe the close-up
  man, the scan keeps him apart). 8 people.
- ``facenet_pytorch_video.mp4`` (one shot, a crowd walking towards the camera): 8 people by eye; the
  scan finds 10, splitting two far-away people (an older man, a brown-haired woman: faces under 60 px,
  dlib cannot tie their far views to their near ones). The 6 people on screen for a second or more are
  found exactly.
"""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from faceswap_desktop.app.cast import Cast, CastOptions, identity_hint, person_views, scan_cast
from faceswap_desktop.app.cast_cache import cache_key, cached_cast, load_or_scan_cast
from faceswap_desktop.app.video_session import ReferenceChoice, find_reference
from faceswap_desktop.core.errors import BadInput, Cancelled
from faceswap_desktop.core.video_io import VideoReader

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
    assert len(hamilton.people) == 8
    assert [m.number for m in hamilton.people] == list(range(1, 9))
    assert presence(hamilton) == sorted(presence(hamilton), reverse=True)  # most present first
    singer = hamilton.people[0]
    # The wide shot (frames 0-20) and the medium shot (84-212) are one person across two cuts.
    assert singer.ranges[0][0] == 0 and any(first <= 150 <= last for first, last in singer.ranges)
    assert 84 <= singer.thumbnail_frame <= 212  # his best view is in the medium shot
    assert singer.frames == sum(b - a + 1 for a, b in singer.ranges) >= 140
    assert singer.seconds == pytest.approx(singer.frames / hamilton.fps)
    assert singer.thumbnail.ndim == 3 and max(singer.thumbnail.shape[:2]) <= 128
    # Nobody in the audience shots (from frame 213) is the singer.
    assert all(s.frame < 213 for s in singer.sightings)


def test_facenet_crowd_default_is_the_man_walking_through_the_whole_clip(facenet: Cast) -> None:
    assert 8 <= len(facenet.people) <= 10
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
        with pytest.raises(BadInput, match="no person 9"):
            find_reference(reader, analyser, dlib, ReferenceChoice(person=9))
    singer, second = hamilton.people[0], hamilton.people[1]
    # Frame 0 itself (the export seeds its tracker there), embedded from the singer's best view.
    assert whole.frame_index == 0 and whole.identity_view is not None
    assert whole.identity_view[1].size > 1.5 * whole.face.size
    hint = whole.hint
    assert hint is not None and hint(0, whole.face) is True
    assert audience.frame_index >= 213
    assert hamilton.most_present(213, 275) is second
    assert picked.frame_index in {s.frame for s in second.sightings} or picked.frame_index == 0
    assert hamilton.most_present(0, 21) is singer


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
    proc = subprocess.run(
        [sys.executable, "-m", "faceswap_desktop", "cast", HAMILTON, "--json", "--thumbnails", tmp_path],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    assert data["cached"] is True  # the in-process scan above filled the (test session's) cache
    assert data["default_person"] == 1 and len(data["people"]) == len(hamilton.people)
    assert data["people"][0]["frames"] == hamilton.people[0].frames
    assert "\x1b[" not in proc.stderr and "ETA" not in proc.stderr  # no bar without a terminal
    assert sorted(p.name for p in tmp_path.glob("*.png")) == sorted(
        f"short_hamilton_clip_person_{n}.png" for n in range(1, len(hamilton.people) + 1)
    )


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
