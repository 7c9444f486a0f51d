"""``faceswap-desktop batch`` on local worker processes: a mixed batch with a bad file, re-runs, a worker
killed mid-task, and a video rendered as segments against the single-machine export."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import av
import numpy as np
import pytest

from faceswap_desktop.core.media.image_io import read_image
from faceswap_desktop.core.media.provenance import DIGITAL_SOURCE_TYPE, is_labelled_synthetic_video
from tests.batch.helpers import batch_json, by_name, decoded, loop_clip, psnr, run_cli
from tests.conftest import SHARED

SOURCE = SHARED / "media/images/identity/obama/obama.jpg"
PHOTOS = ("misc/single_kate_siegel.jpg", "misc/single_paul_rudd.jpg")
HAMILTON = SHARED / "media/videos/short_hamilton_clip.mp4"
OBAMA_CLIP = SHARED / "media/videos/Obama_speaking.mp4"


@pytest.fixture
def targets(media: Path, tmp_path: Path) -> Path:
    """Two good photos and a truncated JPEG."""
    folder = tmp_path / "targets"
    folder.mkdir()
    for name in PHOTOS:
        shutil.copy(media / name, folder)
    (folder / "broken.jpg").write_bytes((media / "misc/single_angelina_jolie.jpg").read_bytes()[:3000])
    return folder


def _visible_files(folder: Path) -> set[str]:
    return {p.name for p in folder.iterdir()}


@pytest.mark.slow
def test_a_bad_file_is_reported_and_a_rerun_renders_only_what_is_missing(
    targets: Path, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    args = ("batch", "--source", SOURCE, "--target", targets, "--output-dir", out, "--workers", "2", "--json")
    proc = run_cli(*args)
    assert proc.returncode == 8, proc.stderr  # finished, with a failed item
    items = by_name(batch_json(proc))
    assert items["broken_swapped.jpg"]["status"] == "failed"
    assert "broken.jpg" in items["broken_swapped.jpg"]["reason"]
    for name in ("single_kate_siegel_swapped.jpg", "single_paul_rudd_swapped.jpg"):
        assert items[name]["status"] == "done" and items[name]["content_credentials"] == "signed"
        assert 50 <= items[name]["identity_percent"] <= 100  # measured by the dlib judge
        assert DIGITAL_SOURCE_TYPE.encode() in (out / name).read_bytes()  # labelled as exports are
    # Nothing half-written, nothing under the failed item's name; the staging folder is gone.
    assert _visible_files(out) == {
        ".faceswap-batch",
        "single_kate_siegel_swapped.jpg",
        "single_paul_rudd_swapped.jpg",
    }
    assert _visible_files(out / ".faceswap-batch") == {"state.json"}

    # The one pipeline: the batch's output is the swap command's, pixel for pixel.
    single = tmp_path / "single.jpg"
    swap = run_cli(
        "swap", "--source", SOURCE, "--target", targets / PHOTOS[0].split("/")[1], "--output", single
    )
    assert swap.returncode == 0, swap.stderr
    assert (read_image(single) == read_image(out / "single_kate_siegel_swapped.jpg")).all()

    # The bad file is replaced; a re-run renders it alone and reports the others' earlier scores.
    shutil.copy(targets / "single_kate_siegel.jpg", targets / "broken.jpg")
    before = {name: (out / name).stat().st_mtime_ns for name in _visible_files(out) if name.endswith(".jpg")}
    proc = run_cli(*args)
    assert proc.returncode == 0, proc.stderr
    again = by_name(batch_json(proc))
    assert again["broken_swapped.jpg"]["status"] == "done"
    for name, mtime in before.items():
        assert again[name]["status"] == "skipped" and (out / name).stat().st_mtime_ns == mtime
        assert again[name]["identity_percent"] == items[name]["identity_percent"]
    state = json.loads((out / ".faceswap-batch/state.json").read_text())["items"]
    assert state["broken_swapped.jpg"]["status"] == "done"

    # --overwrite renders everything again.
    proc = run_cli(*args, "--overwrite")
    assert proc.returncode == 0 and {i["status"] for i in batch_json(proc)["items"]} == {"done"}


@pytest.mark.slow
def test_a_worker_killed_mid_task_is_retried(media: Path, tmp_path: Path) -> None:
    marker = tmp_path / "killed"
    targets = [media / name for name in PHOTOS]
    proc = run_cli(
        "batch", "--source", SOURCE, *(a for t in targets for a in ("--target", t)),
        "--output-dir", tmp_path / "out", "--workers", "2", "--json",
        env={"FACESWAP_BATCH_TEST_FAULT": f"kill:paul_rudd:{marker}"},
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert marker.exists()  # the worker did die (SIGKILL) on its first attempt
    items = by_name(batch_json(proc))
    assert items["single_paul_rudd_swapped.jpg"]["status"] == "done"
    assert items["single_paul_rudd_swapped.jpg"]["attempts"] == 2
    assert all(item["status"] == "done" for item in items.values())


@pytest.mark.slow
def test_a_worker_that_keeps_dying_fails_its_item_only(media: Path, tmp_path: Path) -> None:
    marker = tmp_path / "killed"
    proc = run_cli(
        "batch", "--source", SOURCE, "--target", media / PHOTOS[0], "--target", media / PHOTOS[1],
        "--output-dir", tmp_path / "out", "--workers", "1", "--retries", "1", "--json",
        env={"FACESWAP_BATCH_TEST_FAULT": f"kill-always:paul_rudd:{marker}"},
    )  # fmt: skip
    assert proc.returncode == 8, proc.stderr
    items = by_name(batch_json(proc))
    assert items["single_kate_siegel_swapped.jpg"]["status"] == "done"
    assert items["single_paul_rudd_swapped.jpg"]["status"] == "failed"
    assert "worker process died (2 attempts)" in items["single_paul_rudd_swapped.jpg"]["reason"]


@pytest.mark.slow
def test_segmented_video_equals_the_single_machine_export(tmp_path: Path) -> None:
    """The one-face clip twice (keyframes at frames 0, 250, 259...): frames 210-299 split at 250, with
    the face tracked across the cut."""
    clip = loop_clip(OBAMA_CLIP, tmp_path / "obama_x2.mp4", 2)
    common = ("--source", SHARED / "media/images/identity/obama/obama3.jpg", "--start", "7", "--end", "10")
    single = tmp_path / "single.mp4"
    proc = run_cli("swap", "--target", clip, "--output", single, "--preset", "ultrafast", *common)
    assert proc.returncode == 0, proc.stderr
    proc = run_cli(
        "batch", "--target", clip, "--output-dir", tmp_path / "out", "--segment-seconds", "1",
        "--workers", "2", "--preset", "ultrafast", "--json", *common,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    item = batch_json(proc)["items"][0]
    assert item["tasks"] == 2 and item["frames_swapped"] == item["frames_written"] == 90
    assert item["content_credentials"] == "signed"
    assert_same_export(single, Path(item["output"]), audio=False)


def assert_same_export(single: Path, joined: Path, audio: bool = True) -> None:
    """Frame count, timestamps and audio duration equal; every frame within 40 dB PSNR."""
    times_a, frames_a, audio_a = decoded(single)
    times_b, frames_b, audio_b = decoded(joined)
    assert len(frames_a) == len(frames_b) > 0
    assert times_a == times_b
    assert audio_a == pytest.approx(audio_b, abs=1e-6) and (audio_a > 0) == audio
    assert min(psnr(a, b) for a, b in zip(frames_a, frames_b, strict=True)) >= 40.0
    with av.open(str(joined)) as container:
        assert is_labelled_synthetic_video(dict(container.metadata))


@pytest.mark.slow
def test_a_video_with_further_people_is_segmented_and_equals_the_single_export(tmp_path: Path) -> None:
    """Hamilton's first 3 s split at frame 60 with a further person (--map, cast member 4) in view across
    the cut: whole frames within 40 dB, and that person's swapped pixels close to the single export's
    (far from the untouched input, so the segment after the cut did swap them)."""
    common = (
        "--source", SOURCE, "--person", "7", "--map", f"{SHARED / 'media/images/' / PHOTOS[1]}=4",
        "--end", "3", "--preset", "ultrafast",
    )  # fmt: skip
    single = tmp_path / "single.mp4"
    proc = run_cli("swap", "--target", HAMILTON, "--output", single, *common)
    assert proc.returncode == 0, proc.stderr
    proc = run_cli(
        "batch", "--target", HAMILTON, "--output-dir", tmp_path / "out", "--segment-seconds", "1",
        "--workers", "2", "--json", *common,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    item = batch_json(proc)["items"][0]
    assert item["tasks"] == 2, item
    joined = Path(item["output"])
    assert_same_export(single, joined)
    _, frames_single, _ = decoded(single)
    _, frames_joined, _ = decoded(joined)
    with av.open(str(HAMILTON)) as container:
        originals = [f.to_ndarray(format="bgr24") for f in container.decode(container.streams.video[0])]
    to_single, to_input = [], []
    for index in range(60, 82):  # person 4 after the cut, rendered by the second segment
        mask = np.abs(frames_single[index].astype(int) - originals[index].astype(int)).max(axis=2) > 12
        if mask.sum() >= 50:
            to_single.append(region_psnr(frames_joined[index], frames_single[index], mask))
            to_input.append(region_psnr(frames_joined[index], originals[index], mask))
    print(f"person 4 after the cut: {len(to_single)} frames, region PSNR to the single export min "
          f"{min(to_single):.1f} dB, to the input max {max(to_input):.1f} dB")  # fmt: skip
    assert len(to_single) >= 10
    assert min(to_single) >= 33.0, to_single
    # Each frame is much nearer the single export than the input (5 dB: 6.4 at the least, ~14 typically).
    # Not an absolute limit on the distance to the input: how far a swap moves these pixels changes with
    # the engine (the frame after the cut read 29.9 dB against a 30.0 limit before issue #19's dark stop
    # and 30.1 after it), while an unswapped person 4 would be as near the input as the single export.
    assert all(s - i >= 5.0 for s, i in zip(to_single, to_input, strict=True)), (to_single, to_input)
    assert float(np.median(to_input)) <= 28.0, to_input


def region_psnr(a: np.ndarray, b: np.ndarray, mask: np.ndarray) -> float:
    difference = (a.astype(np.float64) - b.astype(np.float64))[mask]
    mse = float(np.mean(difference**2))
    return float("inf") if mse == 0 else 10 * np.log10(255.0**2 / mse)
