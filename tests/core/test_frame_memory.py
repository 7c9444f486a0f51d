"""The memory plan by frame size: defaults kept up to 1440p, fewer frames held beyond, and x264 really
running with the planned look-ahead (FFmpeg ignores an ``x264-params`` key it does not know, so the test
reads the settings x264 wrote into the stream)."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest

from faceswap_desktop.core.media.frame_memory import encoder_memory_options, plan_for_frame
from faceswap_desktop.core.media.video_writer import EncodeOptions, VideoWriter


def test_small_frames_keep_the_fast_defaults_and_large_ones_hold_fewer() -> None:
    small = plan_for_frame(1920, 1080, workers=2)
    assert (small.queue_frames, small.decode_batch, small.max_workers, small.decoder_threads) == (
        8, 4, 2, "AUTO"
    )  # fmt: skip
    uhd, full = plan_for_frame(3840, 2160, workers=4), plan_for_frame(7680, 4320, workers=4)
    assert (uhd.queue_frames, uhd.decode_batch, uhd.max_workers) == (2, 2, 2)
    assert (full.queue_frames, full.decode_batch, full.max_workers, full.decoder_threads) == (
        1,
        1,
        1,
        "SLICE",
    )
    assert plan_for_frame(4320, 7680).estimate_bytes == full.estimate_bytes  # either orientation
    assert encoder_memory_options("libx264", 1920, 1080) == {}


X264_USED = {
    (1920, 1080): "bframes=3 rc_lookahead=40 ref=3",  # x264's own "medium": untouched
    (2560, 1600): "bframes=2 rc_lookahead=10 ref=2",
    (4096, 2304): "bframes=0 ref=1 mbtree=0 threads=2",  # no look-ahead: no rc_lookahead line
}


@pytest.mark.parametrize(("width", "height"), list(X264_USED))
def test_x264_runs_with_the_planned_look_ahead(tmp_path: Path, width: int, height: int) -> None:
    output = tmp_path / "out.mp4"
    writer = VideoWriter(output, width, height, Fraction(25), Fraction(1, 25), EncodeOptions("h264"))
    writer.write(np.zeros((height, width, 3), np.uint8), 0, 0.0)
    writer.close()
    used = output.read_bytes().split(b"options: ", 1)[1].split(b"\x00", 1)[0].decode().split()
    for setting in X264_USED[(width, height)].split():
        assert setting in used, (setting, used)
