"""Every file in ../shared/media/hostile, and inputs that are not regular files, through ``swap``.

Each case runs the CLI as a user would and checks the exit code, the one-line message and that no
output (final or partial) is left behind. The FIFO is made by the test; it has no writer, so any
``open()`` of it would block: the CLI runs in a subprocess with a timeout.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from faceswap_desktop.cli import main
from faceswap_desktop.core.errors import DecoderCrashed, FrameSizeChanged, NotARegularFile, UnreadableFile
from faceswap_desktop.core.media.guarded_decode import GuardedVideoReader, load_image
from faceswap_desktop.core.media.input_files import read_head
from faceswap_desktop.core.media.video_io import VideoReader, looks_like_video, probe_video

from .conftest import SHARED

HOSTILE = SHARED / "media" / "hostile"
SOURCE = SHARED / "media" / "images" / "identity" / "biden" / "biden2.jpg"
DAMAGED = ("damaged_moov_sample_sizes.mp4", "damaged_moov_timescale_zero.mp4")


def swap(target: Path, output: Path, *extra: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "faceswap_desktop", "swap", "--source", str(SOURCE)]
    command += ["--target", str(target), "--output", str(output), "--no-score", *extra]
    return subprocess.run(command, capture_output=True, text=True, timeout=timeout)


def error_line(stderr: str) -> str:
    lines = [line for line in stderr.splitlines() if line.startswith("error: ")]
    assert len(lines) == 1, stderr
    return lines[0]


def test_every_hostile_file_has_a_test() -> None:
    covered = {*DAMAGED, "size_change_to_8192.mp4", "8k_12_frames.mp4", "apng_frame_offset_overflow.png"}
    assert {path.name for path in HOSTILE.iterdir()} == covered


@pytest.fixture
def fifo(tmp_path: Path) -> Path:
    if not hasattr(os, "mkfifo"):
        pytest.skip("no named pipes on this platform")
    path = tmp_path / "some.fifo.jpg"
    os.mkfifo(path)
    return path


@pytest.mark.slow
@pytest.mark.parametrize("role", ["target", "source"])
def test_a_fifo_is_refused_with_exit_2_without_blocking(fifo: Path, tmp_path: Path, role: str) -> None:
    output = tmp_path / "out.png"
    if role == "target":
        proc = swap(fifo, output, timeout=60)
    else:
        command = [sys.executable, "-m", "faceswap_desktop", "swap", "--source", str(fifo)]
        command += ["--target", str(SOURCE), "--output", str(output), "--no-score"]
        proc = subprocess.run(command, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2, proc.stderr
    assert "some.fifo.jpg is a named pipe (FIFO)" in error_line(proc.stderr)
    assert not output.exists()


def test_folders_and_devices_are_refused_before_opening(fifo: Path, tmp_path: Path) -> None:
    # In-process: these never reach a decoder. read_head on the FIFO would block without O_NONBLOCK.
    with pytest.raises(NotARegularFile, match="named pipe"):
        read_head(fifo)
    assert looks_like_video(fifo) is False
    folder = tmp_path / "clip.mp4"
    folder.mkdir()
    assert main(["swap", "--source", str(SOURCE), "--target", str(folder), "--output", "o.mp4"]) == 2
    with pytest.raises(NotARegularFile, match="is a folder"):
        VideoReader(folder)
    if Path("/dev/zero").exists():
        with pytest.raises(NotARegularFile, match="is a device"):
            read_head("/dev/zero")
        assert main(["swap", "--source", str(SOURCE), "--target", "/dev/zero", "--output", "o.png"]) == 2


@pytest.mark.slow
def test_a_stream_that_grows_past_its_header_size_stops_at_that_frame(tmp_path: Path) -> None:
    clip = HOSTILE / "size_change_to_8192.mp4"
    with VideoReader(clip) as reader:
        assert (reader.info.width, reader.info.height) == (512, 388)
        seen = []
        with pytest.raises(FrameSizeChanged, match="frame 10 is 8192x8192 but the video declares 512x388"):
            for index, image in reader.frames():
                assert image.shape == (388, 512, 3)  # never rescaled, never past the limit
                seen.append(index)
    assert seen == list(range(10))
    with GuardedVideoReader(clip) as guarded, pytest.raises(FrameSizeChanged):  # type survives the helper
        list(guarded.frames())
    proc = swap(clip, tmp_path / "out.mp4")
    assert proc.returncode == 2, proc.stderr
    assert "frame 10 is 8192x8192" in error_line(proc.stderr)
    assert list(tmp_path.iterdir()) == []  # no output, no partial file


@pytest.mark.slow
@pytest.mark.parametrize("name", DAMAGED)
def test_a_damaged_index_is_refused_unless_a_partial_export_is_asked_for(name: str, tmp_path: Path) -> None:
    info = probe_video(HOSTILE / name)
    assert (info.frame_count, info.declared_frame_count, info.partial) == (1, 259, True)
    proc = swap(HOSTILE / name, tmp_path / "out.mp4")
    assert proc.returncode == 6, proc.stderr
    assert "only 1 of the 259 frames its container declares can be read" in error_line(proc.stderr)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.slow
def test_an_allowed_partial_export_warns_and_reports_frames_read_of_declared(tmp_path: Path) -> None:
    output, report = tmp_path / "out.mp4", tmp_path / "report.json"
    proc = swap(HOSTILE / DAMAGED[0], output, "--allow-partial", "--report", str(report))
    assert proc.returncode == 0, proc.stderr
    assert "warning: partial export: damaged_moov_sample_sizes.mp4 yielded 1 of the 259 frames" in proc.stderr
    data = json.loads(report.read_text())
    assert (data["input_frames_read"], data["input_frames_declared"], data["partial_input"]) == (1, 259, True)
    assert probe_video(output).frame_count == 1


def test_shared_clips_are_not_reported_partial() -> None:
    for clip in (SHARED / "media" / "videos").glob("*.mp4"):
        info = probe_video(clip)
        assert not info.partial and info.declared_frame_count == info.frame_count, clip.name


def test_an_8k_clip_at_the_limit_is_accepted_and_decodes_at_full_size() -> None:
    clip = HOSTILE / "8k_12_frames.mp4"
    with GuardedVideoReader(clip) as reader:
        assert (reader.info.width, reader.info.height, reader.info.frame_count) == (7680, 4320, 12)
        shapes = {image.shape for _, image in reader.frames(0, 3)}
    assert shapes == {(4320, 7680, 3)}


@pytest.mark.slow
def test_an_apng_that_crashes_the_decoder_is_exit_2_with_a_message(tmp_path: Path) -> None:
    """OpenCV 4.x's PNG reader dies of SIGSEGV on this file (in the decoding helper, so the app only
    reports it); OpenCV 5.1's refuses it as corrupt. Either way: a typed error, exit 2, one line."""
    image = HOSTILE / "apng_frame_offset_overflow.png"
    with pytest.raises((DecoderCrashed, UnreadableFile)) as raised:
        load_image(image)
    expected = "crashed the decoder" if isinstance(raised.value, DecoderCrashed) else "could not be decoded"
    output = tmp_path / "out.png"
    proc = swap(image, output)
    assert proc.returncode == 2, proc.stderr
    assert f"apng_frame_offset_overflow.png {expected}" in error_line(proc.stderr)
    assert not output.exists()
