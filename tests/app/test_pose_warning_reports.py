"""The offline engine's per-face head-pose warning reaches video exports (the per-frame report, its totals,
the CLI line) and the jobs panel's finished row, as photo exports' summaries already carried it (#19)."""

from __future__ import annotations

from collections.abc import Generator
from dataclasses import replace
from fractions import Fraction
from pathlib import Path

from faceswap_desktop.app.jobs import CancelToken, JobProgress, JobQueue, JobState
from faceswap_desktop.app.video_report import ExportReport
from faceswap_desktop.app.video_session import FrameOutcome
from faceswap_desktop.core.pipeline import SwappedFace
from faceswap_desktop.core.settings import SwapSettings
from faceswap_desktop.core.video.tracking import TrackResult

FRONTAL = "identity/deepface_p07/img29.jpg"
PROFILE = "misc/pose_left_face.jpeg"


def _outcome(index: int, face) -> FrameOutcome:  # type: ignore[no-untyped-def]
    track = TrackResult(
        face=face, raw_face=face, faces_seen=1, detected=True, scene_cut=False, similarity=None, embeddings=0
    )
    return FrameOutcome(index, image=None, track=track, swapped=SwappedFace(0, face, None))  # type: ignore[arg-type]


def _report(analysed, check_pose: bool) -> ExportReport:  # type: ignore[no-untyped-def]
    frontal, profile = analysed(FRONTAL)[1][0], analysed(PROFILE)[1][0]
    report = ExportReport(Path("out.mp4"), 0, 4, Fraction(25), None, check_pose=check_pose)
    for index, face in enumerate((frontal, profile, profile, frontal)):
        report.add(_outcome(index, face), index / 25)
    return report


def test_a_video_export_reports_each_turned_face_frame(analysed) -> None:
    totals = _report(analysed, check_pose=True).to_dict()
    assert totals["frames_not_clean"] == 2
    assert totals["not_clean"].startswith("2 of 4 swapped frames not clean (the head is turned too far")
    assert totals["not_clean"].endswith("first at frame 1")
    warned = [frame["index"] for frame in totals["per_frame"] if "warning" in frame]
    assert warned == [1, 2]
    # Engines other than the mesh engine (learned swappers) are not held to its pose limits.
    unchecked = _report(analysed, check_pose=False).to_dict()
    assert unchecked["frames_not_clean"] == 0 and "not_clean" not in unchecked


def test_a_finished_job_keeps_its_warning_for_the_panel(qtbot) -> None:
    from faceswap_desktop.qt.jobs_panel import JobRowWidget

    def work(token: CancelToken) -> Generator[JobProgress, None, Path]:
        yield JobProgress(0.5, "half")
        yield JobProgress(0.999, "finishing", warning="not clean: 3 of 9 swapped frames not clean")
        yield JobProgress(0.9995, "closing")  # a later step without a warning keeps it
        return Path("done.mp4")

    queue = JobQueue()
    queue.submit("video", work, SwapSettings())
    info = queue.run_next()
    assert info is not None and info.state is JobState.DONE
    assert info.warning == "not clean: 3 of 9 swapped frames not clean"
    row = JobRowWidget(replace(info, output=Path("done.mp4")))
    qtbot.addWidget(row)
    assert "not clean: 3 of 9" in row.status.text()
