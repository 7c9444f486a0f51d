"""Video writing: frame count and duration kept, audio kept in sync, codec errors, synthetic tags."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from faceswap_desktop.core.errors import BadInput, OutputConflict
from faceswap_desktop.core.media import video_writer
from faceswap_desktop.core.media.provenance import is_labelled_synthetic_video
from faceswap_desktop.core.media.video_io import VideoReader, probe_video
from faceswap_desktop.core.media.video_writer import (
    EncodeOptions,
    EncoderUnavailable,
    VideoWriter,
    check_encoder,
)

from .conftest import HAMILTON, first_packet_times, stream_durations


def transcode(out: Path, start: int, stop: int, options: EncodeOptions) -> None:
    """Copy frames start..stop of the Hamilton clip through the writer, audio rebased like an export."""
    with VideoReader(HAMILTON) as reader:
        info = reader.info
        first = info.start_time + reader.time_of(start)
        origin = min(first, info.audio[0].start_time) if start == 0 else first
        end = info.start_time + reader.time_of(stop) if stop < info.frame_count else None
        writer = VideoWriter(
            out, info.width, info.height, info.fps, reader.time_base, options, (HAMILTON, origin, end, origin)
        )
        origin_pts = round(origin / reader.time_base)
        for index, image in reader.frames(start, stop):
            writer.write(image, reader.pts_of(index) - origin_pts, info.start_time + reader.time_of(index))
        writer.close()


def test_full_transcode_keeps_frames_duration_and_the_audio_offset(tmp_path: Path) -> None:
    out = tmp_path / "full.mp4"
    transcode(out, 0, 275, EncodeOptions(preset="ultrafast"))
    source, result = probe_video(HAMILTON), probe_video(out)
    assert result.frame_count == source.frame_count and result.fps == source.fps
    assert result.duration == pytest.approx(source.duration, abs=1e-3)
    frame = 1 / float(source.fps)
    before, after = first_packet_times(HAMILTON), first_packet_times(out)
    # Audio starts 0.844 s before the first frame in the input; so it must in the output (within a frame).
    assert (after["video"] - after["audio"]) == pytest.approx(before["video"] - before["audio"], abs=frame)
    durations_in, durations_out = stream_durations(HAMILTON), stream_durations(out)
    assert durations_out["audio"] == pytest.approx(durations_in["audio"], abs=frame)


@pytest.mark.parametrize(
    ("name", "options", "audio_codec"),
    [
        ("trim.mp4", EncodeOptions(preset="ultrafast"), "aac"),
        ("trim.mkv", EncodeOptions(codec="h265", preset="ultrafast", audio="aac"), "aac"),
        ("trim.webm", EncodeOptions(codec="vp9", preset="realtime"), "opus"),
    ],
)
def test_trimmed_export_keeps_audio_in_sync(
    tmp_path: Path, name: str, options: EncodeOptions, audio_codec: str
) -> None:
    out = tmp_path / name
    transcode(out, 90, 150, options)
    result = probe_video(out)
    frame = 1 / float(result.fps)
    assert result.frame_count == 60 and result.duration == pytest.approx(60 * frame, abs=1e-2)
    assert result.audio[0].codec == audio_codec
    starts, durations = first_packet_times(out), stream_durations(out)
    assert abs(starts["audio"] - starts["video"]) <= frame
    # One AAC/Opus packet (21-23 ms) of granularity at each end, plus encoder priming when re-encoding.
    assert durations["audio"] == pytest.approx(durations["video"], abs=frame + 0.03)


def test_the_synthetic_media_tag_reads_back(tmp_path: Path) -> None:
    for name in ("tag.mp4", "tag.mov", "tag.mkv"):
        out = tmp_path / name
        transcode(out, 0, 5, EncodeOptions(preset="ultrafast", audio="none"))
        metadata = probe_video(out).metadata
        assert is_labelled_synthetic_video(metadata), (name, metadata)
        lowered = {k.lower(): v for k, v in metadata.items()}
        assert lowered["synthetic_media"] == "compositeWithTrainedAlgorithmicMedia"
        assert "synthetic media" in lowered["comment"]
    assert not is_labelled_synthetic_video(probe_video(HAMILTON).metadata)


def test_a_missing_encoder_is_a_typed_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(video_writer, "_has_encoder", lambda encoder: encoder != "libx265")
    with pytest.raises(EncoderUnavailable, match="libx265"):
        check_encoder(EncodeOptions(codec="h265"))
    assert "h265" not in video_writer.available_codecs()


def test_codec_options_are_validated(tmp_path: Path) -> None:
    with pytest.raises(BadInput, match="no CRF"):
        check_encoder(EncodeOptions(codec="prores", crf=20))
    with pytest.raises(BadInput, match="outside"):
        check_encoder(EncodeOptions(crf=80))
    with pytest.raises(BadInput, match="preset"):
        check_encoder(EncodeOptions(preset="hq"))
    with pytest.raises(OutputConflict, match=r"prores cannot be written to \.mp4"):
        video_writer.container_for(tmp_path / "x.mp4", "prores")


def test_frames_are_encoded_the_same_from_the_arrays_memory_as_from_a_copy(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Row-contiguous frames are wrapped, not copied, for the encoder's conversion: the same packets as
    the copying path, which other layouts (every fourth byte skipped here) still take."""
    with VideoReader(HAMILTON) as reader:
        info, time_base = reader.info, reader.time_base
        frames = [(reader.pts_of(index), image) for index, image in reader.frames(0, 12)]
    wrapped: list[bool] = []
    from_numpy_buffer = video_writer.av.VideoFrame.from_numpy_buffer

    def recording(array, format="rgb24", width=0):  # type: ignore[no-untyped-def]
        wrapped.append(True)
        return from_numpy_buffer(array, format, width)

    monkeypatch.setattr(video_writer.av.VideoFrame, "from_numpy_buffer", recording)
    packets: dict[str, list[bytes]] = {}
    for layout in ("contiguous", "strided"):
        writer = VideoWriter(tmp_path / f"{layout}.mp4", info.width, info.height, info.fps, time_base,
                             EncodeOptions(preset="ultrafast", audio="none"))  # fmt: skip
        sent: list[bytes] = []
        writer._mux = lambda packet, sent=sent: sent.append(bytes(packet))  # type: ignore[method-assign]
        for pts, image in frames:
            if layout == "strided":
                padded = np.zeros((*image.shape[:2], 4), dtype=np.uint8)
                padded[..., :3] = image
                image = padded[..., :3]
            writer.write(image, pts, 0.0)
        writer.close()
        packets[layout] = sent
    assert len(wrapped) == len(frames)  # the contiguous frames only
    assert len(packets["contiguous"]) == len(frames) and packets["contiguous"] == packets["strided"]
