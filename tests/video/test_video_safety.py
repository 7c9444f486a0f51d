"""Video exports never lose work: free space checked first, a full disk mid-write is a typed error that
leaves inputs and earlier outputs intact, inputs are never overwritten, and every output is labelled."""

from __future__ import annotations

import errno
import hashlib
from pathlib import Path

import pytest

from faceswap_desktop.app.video import VideoExportJob, VideoExportRequest
from faceswap_desktop.core.errors import DiskFull, OutputConflict, UnsupportedMedia
from faceswap_desktop.core.media import safe_files
from faceswap_desktop.core.media.video_io import probe_video, sniff_video_format
from faceswap_desktop.core.media.video_writer import EncodeOptions, VideoWriter, estimate_video_bytes

from .conftest import BIDEN, OBAMA

FAST = EncodeOptions(crf=30, preset="ultrafast", audio="none")


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def request(output: Path, **changes: object) -> VideoExportRequest:
    values: dict[str, object] = {
        "sources": (BIDEN,), "target": OBAMA, "output": output, "start": 1.0, "end": 1.4,
        "encode": FAST, "embedder": "none",
    }  # fmt: skip
    values.update(changes)
    return VideoExportRequest(**values)  # type: ignore[arg-type]


def test_estimate_grows_with_size_and_codec() -> None:
    h264 = estimate_video_bytes(1920, 1080, 30, 10, "h264")
    assert 2e6 < h264 < 2e7  # ~15 Mb/s worst case at 1080p30
    assert estimate_video_bytes(1920, 1080, 30, 10, "prores") > 10 * h264
    assert estimate_video_bytes(64, 64, 30, 10, "h264", input_bytes_per_second=1e6) >= 1.5e7


@pytest.mark.slow
def test_free_space_is_checked_before_the_job_starts(
    context, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(safe_files, "free_bytes", lambda folder: 1024)
    job = VideoExportJob(context, request(tmp_path / "out.mp4"))
    with pytest.raises(DiskFull, match="not enough free space"):
        list(job.run())
    assert list(tmp_path.iterdir()) == []


@pytest.mark.slow
def test_disk_full_mid_write_keeps_inputs_and_earlier_outputs(
    context, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    earlier = tmp_path / "earlier.mp4"
    list(VideoExportJob(context, request(earlier)).run())
    kept = {earlier: digest(earlier), OBAMA: digest(OBAMA), BIDEN: digest(BIDEN)}
    real_mux = VideoWriter._mux
    calls = {"n": 0}

    def mux_until_full(self, packet):  # type: ignore[no-untyped-def]
        calls["n"] += 1
        if calls["n"] > 3:
            raise OSError(errno.ENOSPC, "No space left on device")
        real_mux(self, packet)

    monkeypatch.setattr(VideoWriter, "_mux", mux_until_full)
    with pytest.raises(DiskFull, match="disk is full"):
        list(VideoExportJob(context, request(tmp_path / "second.mp4")).run())
    assert sorted(p.name for p in tmp_path.iterdir()) == ["earlier.mp4"]  # partial file removed
    assert {path: digest(path) for path in kept} == kept
    assert probe_video(earlier).frame_count == 12


def test_inputs_and_their_aliases_are_never_video_outputs(context, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    link = tmp_path / "link.mp4"
    link.symlink_to(OBAMA)
    with pytest.raises(OutputConflict, match="overwrite an input"):
        VideoExportJob(context, request(link, overwrite=True))


def test_video_content_is_sniffed_not_trusted_by_extension(tmp_path: Path) -> None:
    assert sniff_video_format(OBAMA.read_bytes()[:16]) == "mp4"
    assert sniff_video_format(b"\x1a\x45\xdf\xa3" + b"\x00" * 12) == "matroska"
    assert sniff_video_format(b"RIFF\x00\x00\x00\x00AVI LIST") == "avi"
    assert sniff_video_format(b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00") is None  # a HEIF still
    fake = tmp_path / "photo.mp4"
    fake.write_bytes(BIDEN.read_bytes())  # a JPEG named .mp4
    with pytest.raises(UnsupportedMedia, match="not a supported video"):
        probe_video(fake)
