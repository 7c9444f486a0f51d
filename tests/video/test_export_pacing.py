"""The export's pacing (app/export_pacing.py): one swap at a time on two cores, tracking ahead while the
encoder fills its look-ahead, the same frames whatever the pacing."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from faceswap_desktop.app import export_pacing
from faceswap_desktop.app.export_pacing import swap_workers, tracked_ahead_while_encoder_fills
from faceswap_desktop.app.video import VideoExportJob, VideoExportRequest
from faceswap_desktop.core.media.frame_memory import plan_for_frame
from faceswap_desktop.core.media.video_io import VideoReader
from faceswap_desktop.core.media.video_writer import EncodeOptions, VideoWriter
from faceswap_desktop.core.mesh.mesh_engine import MeshSwapper
from faceswap_desktop.core.video.tracking import FaceTracker

from .conftest import BIDEN, OBAMA


def test_one_swap_worker_on_two_cores_or_fewer() -> None:
    assert swap_workers(2, cores=2) == swap_workers(2, cores=1) == swap_workers(1, cores=2) == 1
    assert swap_workers(2, cores=4) == 2 and swap_workers(1, cores=8) == 1
    assert swap_workers(2) in (1, 2)  # this machine's own cores


def test_tracking_ahead_while_the_encoder_fills_stays_within_its_allowance() -> None:
    """Up to the allowance, and the frames given to the encoder plus those tracked ahead never exceed
    the plan's encoder frames."""
    small, large = plan_for_frame(1280, 720), plan_for_frame(7680, 4320)
    assert tracked_ahead_while_encoder_fills(small, 0, 25) == 25
    assert tracked_ahead_while_encoder_fills(small, 40, 25) == small.encoder_frames - 40 == 10
    assert tracked_ahead_while_encoder_fills(small, 60, 25) == 0
    for given in range(0, 30):
        assert given + tracked_ahead_while_encoder_fills(large, given, 4) <= max(large.encoder_frames, given)


def _export(context: Any, output: Path, cores: int, monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """Export 3.2 s of the Obama clip with the default encoder settings (x264's 40-frame look-ahead) on
    ``cores`` cores, swaps slowed so that tracking could always run ahead; what the threads did."""
    monkeypatch.setattr(export_pacing, "usable_cores", lambda: cores)
    seen: dict[str, Any] = {"tracked": 0, "swapped": 0, "running": 0, "most_running": 0, "ahead": []}
    lock = threading.Lock()
    packets: list[int] = []
    swap, update, mux = MeshSwapper.swap, FaceTracker.update, VideoWriter._mux

    def counted_swap(self: MeshSwapper, *args: Any, **kwargs: Any) -> Any:
        with lock:
            seen["running"] += 1
            seen["most_running"] = max(seen["most_running"], seen["running"])
        try:
            time.sleep(0.015)
            return swap(self, *args, **kwargs)
        finally:
            with lock:
                seen["running"] -= 1
                seen["swapped"] += 1

    def counted_update(self: FaceTracker, *args: Any) -> Any:
        with lock:
            seen["ahead"].append((bool(packets), seen["tracked"] - seen["swapped"]))
            seen["tracked"] += 1
        return update(self, *args)

    def counted_mux(self: VideoWriter, packet: Any) -> None:
        packets.append(1)
        mux(self, packet)

    monkeypatch.setattr(MeshSwapper, "swap", counted_swap)
    monkeypatch.setattr(FaceTracker, "update", counted_update)
    monkeypatch.setattr(VideoWriter, "_mux", counted_mux)
    request = VideoExportRequest(
        sources=(BIDEN,), target=OBAMA, output=output, start=1.0, end=4.2, embedder="none", judge=None,
        encode=EncodeOptions(audio="none"),
    )  # fmt: skip
    progress = list(VideoExportJob(context, request).run())
    assert progress[-1].frames_done == progress[-1].frames_total == seen["tracked"] > 75
    with VideoReader(output) as reader:
        seen["frames"] = [image for _, image in reader.frames()]
    return seen


@pytest.mark.slow
def test_on_two_cores_one_swap_runs_at_a_time_tracking_runs_ahead_and_the_frames_are_the_same(  # type: ignore[no-untyped-def]
    context, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    two = _export(context, tmp_path / "two_cores.mp4", 2, monkeypatch)
    assert two["most_running"] == 1
    filling = [ahead for packets, ahead in two["ahead"] if not packets]
    assert max(filling) > 3  # one worker alone would hold 1 frame waiting for its swap
    assert max(filling) <= 26  # the allowance (25 at this size) plus the one waited on
    assert max(ahead for _, ahead in two["ahead"][-10:]) <= 2  # then the usual bound again

    four = _export(context, tmp_path / "four_cores.mp4", 4, monkeypatch)
    assert four["most_running"] == 2
    assert len(two["frames"]) == len(four["frames"])
    assert all(np.array_equal(a, b) for a, b in zip(two["frames"], four["frames"], strict=True))
