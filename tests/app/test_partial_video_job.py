"""A damaged video in the jobs panel's queue: the job fails with the frames read of declared (the GUI
shows ``JobInfo.error``), unless the job allows a partial export; the choice survives the saved queue."""

from __future__ import annotations

from pathlib import Path

from faceswap_desktop.app.context import AppContext
from faceswap_desktop.app.job_specs import JobSpec, build_work, video_spec
from faceswap_desktop.app.jobs import JobQueue, JobState
from faceswap_desktop.app.video import VideoExportRequest
from tests.conftest import SHARED

DAMAGED = SHARED / "media" / "hostile" / "damaged_moov_sample_sizes.mp4"
SOURCE = SHARED / "media" / "images" / "identity" / "biden" / "biden2.jpg"


def test_a_damaged_clip_fails_its_job_with_frames_read_of_declared(
    context: AppContext, tmp_path: Path
) -> None:
    request = VideoExportRequest(sources=(SOURCE,), target=DAMAGED, output=tmp_path / "out.mp4", judge=None)
    spec = video_spec(request)
    queue = JobQueue()
    queue.submit("damaged", build_work(context, spec), request.settings, spec=spec)
    final = queue.run_next()
    assert final is not None and final.state is JobState.FAILED
    assert "only 1 of the 259 frames its container declares can be read" in final.error
    assert list(tmp_path.iterdir()) == []


def test_allowing_a_partial_export_is_kept_in_the_saved_job(tmp_path: Path) -> None:
    request = VideoExportRequest(
        sources=(SOURCE,), target=DAMAGED, output=tmp_path / "o.mp4", allow_partial=True
    )
    data = video_spec(request).to_dict()
    assert data["allow_partial"] is True
    assert JobSpec.from_dict(data).request.allow_partial is True
    plain = video_spec(VideoExportRequest(sources=(SOURCE,), target=DAMAGED, output=tmp_path / "o.mp4"))
    assert JobSpec.from_dict(plain.to_dict()).request.allow_partial is False
    older = {key: value for key, value in plain.to_dict().items() if key != "allow_partial"}
    assert JobSpec.from_dict(older).request.allow_partial is False  # queues saved before the field
