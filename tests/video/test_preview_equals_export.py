"""A frame rendered for the timeline as the export renders it is the export's frame (issue #17).

At frame 50 of the Obama clip the scrub preview showed a closed mouth where the export had an open one.
Not a frame-index mismatch (the first test), but two render paths: the preview fits landmarks on the
frame alone while the export tracks them from frame to frame. ``VideoSession.preview_as_export`` runs the
export's own tracker up to the frame; compared here with the frames the export hands to its encoder.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from faceswap_desktop.app import video as video_module
from faceswap_desktop.app.video import VideoExportJob, VideoExportRequest
from faceswap_desktop.app.video_session import VideoSession
from faceswap_desktop.core.media.guarded_decode import GuardedVideoReader, load_image
from faceswap_desktop.core.media.video_writer import EncodeOptions
from faceswap_desktop.core.settings import SwapSettings
from tests.video.conftest import BIDEN, HAMILTON, OBAMA, around_first_cut

SETTINGS = SwapSettings(strength=90, mask_feather=7)


def exported_frames(context, clip: Path, tmp_path: Path, monkeypatch, start: float | None, end: float):  # type: ignore[no-untyped-def]
    """The frames an export hands to its encoder (before encoding), by output position."""
    frames: list[np.ndarray] = []

    class CapturingWriter(video_module.VideoWriter):
        def write(self, image, pts, seconds):  # type: ignore[no-untyped-def]
            frames.append(image.copy())
            return super().write(image, pts, seconds)

    monkeypatch.setattr(video_module, "VideoWriter", CapturingWriter)
    request = VideoExportRequest(
        sources=(BIDEN,),
        target=clip,
        output=tmp_path / f"{clip.stem}.mp4",
        settings=SETTINGS,
        encode=EncodeOptions(audio="none"),
        start=start,
        end=end,
    )
    for _ in VideoExportJob(context, request).run():
        pass
    return frames


def test_scrubbing_and_the_export_decode_the_same_frame_for_an_index() -> None:
    reader = GuardedVideoReader(OBAMA)
    try:
        sequential = dict(reader.frames(0, 60))
        for index in (59, 50, 0, 31):  # seeks, backwards and forwards
            np.testing.assert_array_equal(reader.frame_at(index), sequential[index])
    finally:
        reader.close()


@pytest.mark.slow
def test_a_frame_rendered_as_the_export_equals_the_exported_frame(  # type: ignore[no-untyped-def]
    context, tmp_path: Path, monkeypatch
) -> None:
    frames = exported_frames(context, OBAMA, tmp_path, monkeypatch, None, 61 / 30)
    session = VideoSession(context, OBAMA)
    try:
        session.set_source([load_image(BIDEN)])
        static = session.preview(50, SETTINGS).image  # the quick scrub render, landmarks from frame 50 alone
        # Just after a seek (50 -> 12 -> 50 -> 59), in an order the export never sees them in.
        for index in (12, 50, 59):
            rendered = session.preview_as_export(index, SETTINGS).image
            np.testing.assert_array_equal(rendered, frames[index], err_msg=f"frame {index}")
        # What differed before: the quick render's landmarks move the swapped mouth and eyes.
        assert np.abs(static.astype(int) - frames[50].astype(int)).max() > 20
    finally:
        session.close()


@pytest.mark.slow
def test_just_after_a_scene_cut_the_render_equals_the_export(  # type: ignore[no-untyped-def]
    context, tmp_path: Path, monkeypatch
) -> None:
    cut, first, start, end = around_first_cut(HAMILTON, 20, 6)
    frames = exported_frames(context, HAMILTON, tmp_path, monkeypatch, start, end)
    session = VideoSession(context, HAMILTON)
    try:
        session.set_source([load_image(BIDEN)])
        for index in (cut + 1, cut):
            rendered = session.preview_as_export(index, SETTINGS, start=first).image
            np.testing.assert_array_equal(rendered, frames[index - first], err_msg=f"frame {index}")
    finally:
        session.close()
