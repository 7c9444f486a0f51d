"""The cast does not depend on the clip's resolution: the Hamilton clip enlarged 2x (1280x720, as
``benchmarks/bench_video.py --whole-process`` makes its crowd clip) or reduced to half (320x180) has the
people it has at 640x360.

Cast version 5 split the singer there: his wide and medium shots agree on faces (0.93, over the 0.914
floor) but their clothing, binned by hue, read 0.92 against the clip's bar of 0.97 (the hue of his dark
suit and white shirt is encoder noise, different in each encoding). Since version 6 grey and dark
pixels count in one bin: 0.99 against 0.95 at every scale from 0.5x to 2x. At 320x180 version 5 found no
face of the wide shot (the singer's is 21 px wide there, the pianist's 12 px: under the detector's 24
px); version 6 scans frames under 360 px enlarged, and a face that small never joins on its face alone
(the pianist's embedded at 0.94 against Michelle Obama's). ``docs/cast.md``, "The same clip at another
size".
"""

from __future__ import annotations

from collections.abc import Callable
from fractions import Fraction
from pathlib import Path

import cv2
import pytest

from faceswap_desktop.app.cast import scan_cast, working_scale
from faceswap_desktop.core.geometry import box_iou
from faceswap_desktop.core.media.video_io import VideoReader

from .conftest import FACENET, HAMILTON

WIDE, MEDIUM, AUDIENCE = range(0, 20), range(82, 121), range(213, 275)
"""Three of the clip's shots, cut to cut (seen frame by frame): the singer's wide shot with the pianist,
the start of his medium shot, and the audience (Barack and Michelle Obama, an older woman, a blurred
woman at the left edge: four people often seen together, whose clothing sets the clip's bar)."""


@pytest.mark.parametrize("scale", [2.0, 0.5])
def test_hamilton_at_another_size_has_the_same_people(  # type: ignore[no-untyped-def]
    analyser, context, make_clip: Callable[..., Path], scale: float
) -> None:
    keep = {*WIDE, *MEDIUM, *AUDIENCE}
    interpolation = cv2.INTER_CUBIC if scale > 1 else cv2.INTER_AREA
    with VideoReader(HAMILTON) as reader:
        frames = [
            cv2.resize(image, None, fx=scale, fy=scale, interpolation=interpolation)
            for index, image in reader.frames(0, 275)
            if index in keep
        ]
    clip = make_clip(f"hamilton_{scale}x.mp4", frames)
    with VideoReader(clip) as reader:
        assert reader.info.height == round(360 * scale)
        cast = scan_cast(reader, analyser, context.recognizer("dlib"))
    # Frame numbers of the short clip: the wide shot 0-19, the medium shot 20-58, the audience 59-120.
    singer = cast.people[0]
    assert singer.ranges == ((0, 58),) and singer.tracks == 2  # both his shots, one person
    assert len(cast.people) == 6  # singer, pianist and the four of the audience, as at 640x360
    for member in cast.people[1:]:  # nobody else is seen in two shots (no wrong merge)
        shots = {0 if s.frame < 20 else 1 if s.frame < 59 else 2 for s in member.sightings}
        assert len(shots) == 1, (member.number, member.ranges)


def test_working_scale_enlarges_small_clips_and_reduces_large_ones() -> None:
    assert working_scale(320, 180) == 2.0 and working_scale(180, 320) == 2.0
    assert working_scale(640, 360) == working_scale(1920, 1080) == 1.0
    assert working_scale(3840, 2160) == 0.5 and working_scale(1440, 2560) == 0.75


def test_a_clip_over_1080p_is_scanned_at_1080p_and_its_people_are_where_they_are(  # type: ignore[no-untyped-def]
    analyser, context, make_clip: Callable[..., Path]
) -> None:
    with VideoReader(FACENET) as reader:
        rate = round(reader.info.fps)
        native = [image for _index, image in reader.frames(0, 12)]
    large = [cv2.resize(image, (2560, 1440), interpolation=cv2.INTER_CUBIC) for image in native]
    seen_sizes: list[tuple[int, ...]] = []

    class Recording:
        def detect_faces(self, image):  # type: ignore[no-untyped-def]
            seen_sizes.append(image.shape[:2])
            return analyser.detect_faces(image)

    dlib = context.recognizer("dlib")
    clip = make_clip("facenet_1440p.mp4", large, time_base=Fraction(1, rate), rate=rate)
    with VideoReader(clip) as reader:
        cast = scan_cast(reader, Recording(), dlib)
    assert set(seen_sizes) == {(1080, 1920)}  # detected at the working size
    # Sightings are in the clip's own pixels: where the same faces are in the frames at 1080p, x 4/3.
    sightings = [s for member in cast.people for s in member.sightings]
    at_1080 = {frame: analyser.detect_faces(native[frame]) for frame in {s.frame for s in sightings}}
    matched = [
        any(box_iou(tuple(v * 0.75 for v in s.box), face.box) >= 0.6 for face in at_1080[s.frame])  # type: ignore[arg-type]
        for s in sightings
    ]
    assert len(matched) >= 20 and sum(matched) >= 0.9 * len(matched)
