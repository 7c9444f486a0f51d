"""Job specs: every field of a photo or video export survives JSON; bad or newer specs are refused."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import numpy as np
import pytest

from faceswap_desktop.app.context import AppContext
from faceswap_desktop.app.job_specs import JobSpec, JobSpecError, build_work, photo_spec, video_spec
from faceswap_desktop.app.jobs import JobQueue, JobState
from faceswap_desktop.app.keyframes import KeyframeTrack
from faceswap_desktop.app.photo import PhotoSwapRequest
from faceswap_desktop.app.video import VideoExportRequest
from faceswap_desktop.app.video_session import ReferenceChoice
from faceswap_desktop.core.media.image_io import read_image
from faceswap_desktop.core.media.video_writer import EncodeOptions
from faceswap_desktop.core.pipeline import FaceSelection
from faceswap_desktop.core.settings import SwapSettings
from faceswap_desktop.core.video.tracking import TrackerOptions


def through_json(spec: JobSpec) -> JobSpec:
    return JobSpec.from_dict(json.loads(json.dumps(spec.to_dict())))


def test_photo_spec_round_trips_every_field(tmp_path: Path) -> None:
    request = PhotoSwapRequest(
        sources=(tmp_path / "a.jpg", tmp_path / "b.png"),
        target=tmp_path / "target.webp",
        output=tmp_path / "out.png",
        settings=SwapSettings(strength=37, blend_mode="poisson", keep_target_mouth=False, eyes="target"),
        selection=FaceSelection((2, 0)),
        engine="inswapper",
        judge=None,
        detector="scrfd",
        restorer="gfpgan",
        restorer_amount=0.25,
        masker="xseg",
        maximize_likeness=True,
        overwrite=True,
        provider="cpu",
        watermark=True,
        content_credentials=False,
    )
    back = through_json(photo_spec(request))
    assert back.kind == "photo"
    assert back.request == request


@pytest.mark.parametrize("request_type", [PhotoSwapRequest, VideoExportRequest])
def test_every_request_field_is_saved(tmp_path: Path, request_type: type) -> None:
    """A field added to a request must be saved too, or a recovered job would silently lose it."""
    request = request_type(sources=(tmp_path / "s.jpg",), target=tmp_path / "t", output=tmp_path / "o.mp4")
    saved = JobSpec(request).to_dict()
    fields = {field.name for field in dataclasses.fields(request_type)} - {"settings_at"}  # as keyframes
    assert fields - set(saved) == set()


def test_relative_paths_are_saved_absolute(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    request = PhotoSwapRequest(sources=(Path("s.jpg"),), target=Path("t.jpg"), output=Path("o.png"))
    saved = photo_spec(request).to_dict()
    assert saved["output"] == str(tmp_path / "o.png") and saved["sources"] == [str(tmp_path / "s.jpg")]


def test_video_spec_round_trips_with_its_keyframes(tmp_path: Path) -> None:
    track = (
        KeyframeTrack(SwapSettings(strength=90))
        .with_key(10, SwapSettings(strength=20, mask_feather=0))
        .with_key(40, SwapSettings(strength=80, mask_feather=30, color_transfer="histogram"))
    )
    request = VideoExportRequest(
        sources=(tmp_path / "face.jpg",),
        target=tmp_path / "clip.mp4",
        output=tmp_path / "clip_swapped.mkv",
        settings=track.settings_at(5),
        encode=EncodeOptions(codec="vp9", crf=40, preset="good", audio="none"),
        start=0.4,
        end=2.5,
        reference=ReferenceChoice(12, 1),
        engine="mesh",
        judge="dlib",
        score_every=3,
        embedder=None,
        tracker=TrackerOptions(detect_every=2, min_iou=0.5),
        workers=3,
        settings_at=track.settings_at,
        overwrite=False,
        watermark=True,
        content_credentials=False,
    )
    back = through_json(video_spec(request, track))
    assert back.kind == "video" and back.keyframes == track
    # Equal apart from the per-frame function, which is rebuilt from the saved track.
    assert dataclasses.replace(back.request, settings_at=None) == dataclasses.replace(
        request, settings_at=None
    )
    runnable = back.runnable_request()
    assert isinstance(runnable, VideoExportRequest)
    for frame in (0, 10, 25, 39, 40, 100):
        assert runnable.frame_settings(frame) == track.settings_at(frame)


def test_a_per_frame_function_without_its_track_cannot_be_saved(tmp_path: Path) -> None:
    request = VideoExportRequest(
        sources=(tmp_path / "f.jpg",),
        target=tmp_path / "v.mp4",
        output=tmp_path / "o.mp4",
        settings_at=lambda index: SwapSettings(),
    )
    with pytest.raises(ValueError, match="keyframe track"):
        JobSpec(request)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"schema": 2}, "schema"),
        ({"kind": "audio"}, "kind"),
        ({"colour": "red"}, "unknown field"),
        ({"settings": {"strength": 400}}, "strength"),
        ({"settings": {"sparkle": 1}}, "sparkle"),
        ({"sources": "a.jpg"}, "sources"),
        ({"overwrite": "yes"}, "overwrite"),
        ({"selection": {"indices": [True]}}, "selection"),
        ({"output": None}, "output"),
    ],
)
def test_a_bad_or_newer_spec_is_refused_naming_the_problem(
    tmp_path: Path, change: dict[str, object], message: str
) -> None:
    request = PhotoSwapRequest(
        sources=(tmp_path / "s.jpg",), target=tmp_path / "t.jpg", output=tmp_path / "o.png"
    )
    data = {**photo_spec(request).to_dict(), **change}
    with pytest.raises(JobSpecError, match=message):
        JobSpec.from_dict(data)


def test_a_job_rebuilt_from_its_saved_spec_writes_the_same_image(
    context: AppContext, media: Path, tmp_path: Path
) -> None:
    """The saved spec is complete: the rebuilt job applies the same settings and selection."""
    request = PhotoSwapRequest(
        sources=(media / "identity/obama/obama.jpg",),
        target=media / "misc/rotate_rot_90.jpg",
        output=tmp_path / "direct.png",
        settings=SwapSettings(strength=55, mask_padding=8, color_transfer="histogram"),
        judge=None,
    )
    rebuilt = through_json(photo_spec(request))
    assert isinstance(rebuilt.request, PhotoSwapRequest)
    rebuilt = JobSpec(dataclasses.replace(rebuilt.request, output=tmp_path / "rebuilt.png"))
    queue = JobQueue()
    queue.submit("direct", build_work(context, photo_spec(request)), request.settings)
    queue.submit("rebuilt", build_work(context, rebuilt), rebuilt.settings)
    default_settings = dataclasses.replace(request, output=tmp_path / "defaults.png", settings=SwapSettings())
    queue.submit("defaults", build_work(context, photo_spec(default_settings)), SwapSettings())
    while (info := queue.run_next()) is not None:
        assert info.state is JobState.DONE, info.error
    direct, again = read_image(tmp_path / "direct.png"), read_image(tmp_path / "rebuilt.png")
    assert np.array_equal(direct, again)
    # ...and the settings matter for this image, so equality above is not trivially true.
    assert not np.array_equal(direct, read_image(tmp_path / "defaults.png"))
