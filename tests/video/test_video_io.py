"""Video reading: metadata, exact seeks, typed errors for bad files, rotation and frame-rate detection."""

from __future__ import annotations

from collections.abc import Callable
from fractions import Fraction
from pathlib import Path

import av
import cv2
import numpy as np
import pytest

from faceswap_desktop.core.errors import ImageTooLarge, UnreadableFile, UnsupportedMedia
from faceswap_desktop.core.media.video_io import VideoReader, looks_like_video, probe_video

from .conftest import FACENET, HAMILTON, OBAMA


def test_probe_reports_metadata_of_the_shared_clips() -> None:
    obama, hamilton, facenet = probe_video(OBAMA), probe_video(HAMILTON), probe_video(FACENET)
    assert (obama.width, obama.height, obama.fps, obama.frame_count) == (512, 388, 30, 259)
    assert obama.duration == pytest.approx(259 / 30, abs=1e-6) and not obama.has_audio
    assert (hamilton.width, hamilton.height, hamilton.frame_count) == (640, 360, 275)
    assert hamilton.fps == Fraction(30000, 1001) and not hamilton.variable_frame_rate
    assert hamilton.audio[0].codec == "aac" and hamilton.start_time == pytest.approx(0.852, abs=1e-3)
    assert (facenet.width, facenet.height, facenet.has_audio, facenet.rotation) == (1920, 1080, True, 0)


@pytest.mark.parametrize("clip", [OBAMA, HAMILTON])
def test_seek_returns_the_exact_frame_of_a_sequential_decode(clip: Path) -> None:
    with VideoReader(clip) as reader:
        wanted = [200, 3, 150, 149, 61, 0, 258]
        sequential = {i: image for i, image in reader.frames() if i in wanted}
        for index in wanted:
            assert np.array_equal(reader.frame_at(index), sequential[index]), index
        assert reader.index_at_time(reader.time_of(77)) == 77


def test_seeks_skip_unreferenced_b_frames_and_stay_exact(tmp_path: Path) -> None:
    path = tmp_path / "bframes.mp4"
    rng = np.random.default_rng(3)
    background = cv2.resize(rng.integers(0, 255, (9, 16, 3), dtype=np.uint8), (320, 180))
    with av.open(str(path), "w") as output:
        options = {"crf": "20", "preset": "veryfast", "bframes": "3", "g": "48", "keyint_min": "48"}
        stream = output.add_stream("libx264", rate=30, options=options)
        stream.width, stream.height, stream.pix_fmt = 320, 180, "yuv420p"
        for n in range(96):  # a moving square over a still background: P and B frames
            image = background.copy()
            cv2.rectangle(image, (10 + 2 * n, 40), (60 + 2 * n, 90), (255, 255, 255), -1)
            frame = av.VideoFrame.from_ndarray(image, format="bgr24")
            frame.pts = n
            for packet in stream.encode(frame):
                output.mux(packet)
        for packet in stream.encode(None):
            output.mux(packet)
    with VideoReader(path) as reader:
        sequential = [image for _, image in reader.frames()]
    with VideoReader(path) as reader:
        decoded: list[int] = []
        plain = reader._decode_frames

        def counting():  # type: ignore[no-untyped-def]
            for found, frame in plain():
                decoded.append(found)
                yield found, frame

        reader._decode_frames = counting  # type: ignore[method-assign]
        reader.frame_at(60)
        decoded.clear()
        reader.frame_at(47)  # back: a seek to frame 0, then forward to the last frame before frame 48
        # Frames no other frame refers to were dropped on the way, the wanted one was not.
        assert decoded[-1] == 47 and len(decoded) < 40, decoded
        order = np.random.default_rng(0).permutation(96).tolist()
        for index in order + [5, 6, 7, 4, 90, 89]:
            assert np.array_equal(reader.frame_at(index), sequential[index]), index


def test_a_missing_file_and_random_bytes_are_unreadable(tmp_path: Path) -> None:
    with pytest.raises(UnreadableFile):
        probe_video(tmp_path / "missing.mp4")
    junk = tmp_path / "junk.mp4"
    junk.write_bytes(np.random.default_rng(0).integers(0, 255, 50_000, dtype=np.uint8).tobytes())
    with pytest.raises(UnsupportedMedia, match="not a supported video"):  # refused by content sniffing
        probe_video(junk)


def test_a_truncated_video_is_unreadable(tmp_path: Path) -> None:
    truncated = tmp_path / "truncated.mp4"
    truncated.write_bytes(OBAMA.read_bytes()[: OBAMA.stat().st_size // 2])
    with pytest.raises(UnreadableFile, match=r"truncated|corrupt"):
        probe_video(truncated)


def test_a_file_without_video_is_unsupported(tmp_path: Path) -> None:
    audio_only = tmp_path / "audio.m4a"
    with av.open(str(audio_only), "w", format="mp4") as output:
        stream = output.add_stream("aac", rate=44100)
        for i in range(5):
            frame = av.AudioFrame.from_ndarray(np.zeros((1, 1024), np.float32), format="fltp", layout="mono")
            frame.sample_rate, frame.pts = 44100, i * 1024
            for packet in stream.encode(frame):
                output.mux(packet)
        for packet in stream.encode(None):
            output.mux(packet)
    with pytest.raises(UnsupportedMedia, match="no video stream"):
        probe_video(audio_only)


def test_frames_above_8k_are_refused(make_clip: Callable[..., Path]) -> None:
    clip = make_clip("wide.mp4", [np.zeros((16, 7696, 3), np.uint8)])
    with pytest.raises(ImageTooLarge, match="7680x4320"):
        probe_video(clip)


def test_rotated_video_frames_come_back_upright(make_clip: Callable[..., Path]) -> None:
    image = np.zeros((32, 64, 3), np.uint8)
    image[:, :16] = 255  # a white band on the left
    clip = make_clip("rotated.mp4", [image] * 3, rotation=90)
    with VideoReader(clip) as reader:
        assert reader.info.rotation == 90 and (reader.info.width, reader.info.height) == (32, 64)
        frame = reader.frame_at(1)
    expected = cv2.rotate(image, cv2.ROTATE_90_COUNTERCLOCKWISE)
    assert frame.shape == expected.shape and np.abs(frame.astype(int) - expected).mean() < 8


def test_variable_frame_rate_is_detected(make_clip: Callable[..., Path]) -> None:
    frames = [np.full((32, 32, 3), i * 20, np.uint8) for i in range(8)]
    vfr = make_clip("vfr.mp4", frames, pts=[0, 1, 2, 4, 5, 8, 9, 10])
    cfr = make_clip("cfr.mp4", frames)
    assert probe_video(vfr).variable_frame_rate and not probe_video(cfr).variable_frame_rate
    assert probe_video(cfr).frame_count == 8


def test_video_content_is_recognised(tmp_path: Path) -> None:
    assert looks_like_video(OBAMA)
    image = tmp_path / "x.mp4"
    image.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 16)
    assert not looks_like_video(image)
