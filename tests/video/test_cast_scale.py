"""The cast does not depend on the clip's resolution: the Hamilton clip enlarged 2x (1280x720, as
``benchmarks/bench_video.py --whole-process`` makes its crowd clip) has the people it has at 640x360.

Cast version 5 split the singer there: his wide and medium shots agree on faces (0.93, over the 0.914
floor) but their clothing, binned by hue, read 0.92 against the clip's bar of 0.97 (the hue of his dark
suit and white shirt is encoder noise, different in each encoding). Since version 6 grey and dark
pixels are binned by brightness only: 0.99 against 0.94 at every scale from 0.5x to 2x
(``docs/cast.md``, "The same clip at another size").
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import cv2

from faceswap_desktop.app.cast import scan_cast
from faceswap_desktop.core.media.video_io import VideoReader

from .conftest import HAMILTON

WIDE, MEDIUM, AUDIENCE = range(0, 20), range(82, 121), range(213, 275)
"""Three of the clip's shots, cut to cut (seen frame by frame): the singer's wide shot with the pianist,
the start of his medium shot, and the audience (Barack and Michelle Obama, an older woman, a blurred
woman at the left edge: four people often seen together, whose clothing sets the clip's bar)."""


def test_hamilton_enlarged_2x_has_the_singer_as_one_person(
    analyser, context, make_clip: Callable[..., Path]
) -> None:  # type: ignore[no-untyped-def]
    keep = {*WIDE, *MEDIUM, *AUDIENCE}
    with VideoReader(HAMILTON) as reader:
        frames = [
            cv2.resize(image, None, fx=2, fy=2, interpolation=cv2.INTER_CUBIC)
            for index, image in reader.frames(0, 275)
            if index in keep
        ]
    clip = make_clip("hamilton_2x.mp4", frames)
    with VideoReader(clip) as reader:
        assert reader.info.height == 720
        cast = scan_cast(reader, analyser, context.recognizer("dlib"))
    # Frame numbers of the short clip: the wide shot 0-19, the medium shot 20-58, the audience 59-120.
    singer = cast.people[0]
    assert singer.ranges == ((0, 58),) and singer.tracks == 2  # both his shots, one person
    assert len(cast.people) == 6  # singer, pianist and the four of the audience, as at 640x360
    for member in cast.people[1:]:  # nobody else is seen in two shots (no wrong merge)
        shots = {0 if s.frame < 20 else 1 if s.frame < 59 else 2 for s in member.sightings}
        assert len(shots) == 1, (member.number, member.ranges)
