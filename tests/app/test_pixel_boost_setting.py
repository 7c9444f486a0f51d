"""Pixel boost is a blend setting: the CLI option, saved jobs (photo and video, keyframes included) and
the keyframe track carry it like every other choice."""

from __future__ import annotations

import json
from pathlib import Path

from faceswap_desktop.app.job_specs import JobSpec, video_spec
from faceswap_desktop.app.keyframes import KeyframeTrack
from faceswap_desktop.app.video import VideoExportRequest
from faceswap_desktop.cli import build_parser, settings_from_args
from faceswap_desktop.core.settings import SETTING_SPECS, SwapSettings


def test_the_cli_option_sets_it() -> None:
    base = ["swap", "--source", "s.jpg", "--target", "t.jpg", "--output", "o.png"]
    assert settings_from_args(build_parser().parse_args(base)).pixel_boost == "128"
    args = build_parser().parse_args([*base, "--pixel-boost", "auto"])
    assert settings_from_args(args).pixel_boost == "auto"
    assert SETTING_SPECS["pixel_boost"].choices == ("128", "256", "384", "512", "auto")


def test_keyframes_step_it_and_a_saved_video_job_keeps_it(tmp_path: Path) -> None:
    native, boosted = SwapSettings(), SwapSettings(pixel_boost="512")
    track = KeyframeTrack(native).with_key(0, native).with_key(10, boosted)
    assert track.settings_at(5).pixel_boost == "128" and track.settings_at(10).pixel_boost == "512"
    request = VideoExportRequest(
        sources=(tmp_path / "s.jpg",), target=tmp_path / "t.mp4", output=tmp_path / "o.mp4", settings=boosted
    )
    back = JobSpec.from_dict(json.loads(json.dumps(video_spec(request, track).to_dict())))
    assert back.request.settings.pixel_boost == "512"
    assert back.keyframes is not None and back.keyframes.settings_at(12).pixel_boost == "512"
