"""Decoding in helper processes: same pixels as in-process decoding, typed errors passed through, and a
native crash or a hang in the decoder becomes a typed error for that one file while the caller lives on."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from faceswap_desktop.core.errors import (
    BadInput,
    DecoderCrashed,
    DecoderHung,
    ImageTooLarge,
    UnsupportedMedia,
)
from faceswap_desktop.core.media import guarded_decode
from faceswap_desktop.core.media.guarded_decode import (
    DecodeHelper,
    GuardedVideoReader,
    load_image,
    load_image_with_alpha,
)
from faceswap_desktop.core.media.image_io import read_image, read_image_with_alpha
from faceswap_desktop.core.media.video_io import VideoReader, probe_video

from ..video.conftest import OBAMA

pytestmark = pytest.mark.slow  # starts helper processes

CRASHING_HELPER = (
    "import ctypes, faceswap_desktop.core.media.guarded_decode as g\n"
    "g.HANDLERS['image'] = lambda *args: ctypes.string_at(0)\n"  # a read of address 0: SIGSEGV
    "g.serve()"
)
HANGING_HELPER = (
    "import time, faceswap_desktop.core.media.guarded_decode as g\n"
    "g.HANDLERS['image'] = lambda *args: time.sleep(120)\n"
    "g.serve()"
)


@pytest.fixture
def photo(tmp_path: Path) -> Path:
    path = tmp_path / "фото с альфой.png"
    pixels = np.random.default_rng(3).integers(0, 255, (30, 40, 4), dtype=np.uint8)
    assert cv2.imwrite(str(tmp_path / "x.png"), pixels)
    (tmp_path / "x.png").rename(path)
    return path


def test_images_decode_as_in_process_and_errors_keep_their_type(tmp_path: Path, photo: Path) -> None:
    image, alpha = load_image_with_alpha(photo)
    expected, expected_alpha = read_image_with_alpha(photo)
    assert np.array_equal(image, expected) and alpha is not None and np.array_equal(alpha, expected_alpha)
    assert np.array_equal(load_image(photo), read_image(photo))

    junk = tmp_path / "junk.jpg"
    junk.write_bytes(b"not an image at all")
    with pytest.raises(UnsupportedMedia, match=r"junk\.jpg is not a supported image"):
        load_image(junk)
    huge = tmp_path / "huge.png"
    data = bytearray(photo.read_bytes())
    data[16:24] = (40_000).to_bytes(4, "big") * 2  # IHDR claims 40000x40000
    huge.write_bytes(bytes(data))
    with pytest.raises(ImageTooLarge, match=r"huge\.png is 40000x40000"):
        load_image(huge)


def test_a_decoder_crash_fails_that_file_only(photo: Path) -> None:
    helper = DecodeHelper(CRASHING_HELPER)
    with pytest.raises(DecoderCrashed, match="crashed the decoder") as caught:
        helper.request(photo.name, 10, "image", str(photo), False)
    assert photo.name in str(caught.value) and "SIGSEGV" in str(caught.value)
    assert isinstance(caught.value, BadInput) and caught.value.exit_code == 2
    assert helper.crashes == 1 and helper.pid is None
    with pytest.raises(DecoderCrashed):  # the next request gets a fresh helper (which crashes again)
        helper.request(photo.name, 10, "image", str(photo), False)
    assert helper.crashes == 2
    helper.close()
    assert load_image(photo).shape == (30, 40, 3)  # this process is fine


def test_a_hanging_decoder_is_stopped_at_its_limit(photo: Path) -> None:
    helper = DecodeHelper(HANGING_HELPER)
    helper.request("warm-up", 60, "video_close")  # start the helper outside the timed request
    pid = helper.pid
    with pytest.raises(DecoderHung, match="longer than 1 s"):
        helper.request(photo.name, 1.0, "image", str(photo), False)
    assert helper.pid is None and pid is not None
    with pytest.raises(ProcessLookupError):
        __import__("os").kill(pid, 0)  # killed and reaped, not left running


def test_the_app_path_reports_a_crash_as_a_typed_error(photo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The photo job's decoding goes through the helpers: a crash there is a BadInput for the caller."""
    from faceswap_desktop.app.photo import PhotoSwapRequest, run_photo_swap

    guarded_decode.close_helpers()
    monkeypatch.setattr(guarded_decode, "CHILD_CODE", CRASHING_HELPER)
    request = PhotoSwapRequest(sources=(photo,), target=photo, output=photo.with_name("out.png"))
    with pytest.raises(DecoderCrashed, match=photo.name):
        run_photo_swap(None, request)  # type: ignore[arg-type]  # fails before the context is used
    guarded_decode.close_helpers()
    assert not photo.with_name("out.png").exists()


def test_guarded_video_reader_matches_the_in_process_reader() -> None:
    with GuardedVideoReader(OBAMA) as guarded, VideoReader(OBAMA) as direct:
        assert guarded.info == direct.info and guarded.time_base == direct.time_base
        assert guarded.index_at_time(2.0) == direct.index_at_time(2.0)
        assert guarded.time_of(45) == direct.time_of(45) and guarded.pts_of(45) == direct.pts_of(45)
        sequential = list(guarded.frames(20, 31))
        assert [i for i, _ in sequential] == list(range(20, 31))
        for index, image in sequential:
            assert np.array_equal(image, direct.frame_at(index)), index
        stopped = guarded.frames(0, 100)
        next(stopped)
        stopped.close()  # a batch is still in flight: drained before the next request
        assert np.array_equal(guarded.frame_at(200), direct.frame_at(200))
        with pytest.raises(IndexError):
            guarded.frame_at(direct.info.frame_count)


def test_a_shared_helper_outlives_the_videos_it_opened(tmp_path: Path) -> None:
    info = probe_video(OBAMA)
    helper = DecodeHelper()
    try:
        with GuardedVideoReader(OBAMA, helper) as reader:
            assert reader.frame_at(3).shape == (info.height, info.width, 3)
        pid = helper.pid
        fake = tmp_path / "fake.mp4"
        fake.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 64)
        with pytest.raises(UnsupportedMedia, match=r"fake\.mp4 is not a supported video"):
            GuardedVideoReader(fake, helper)
        with GuardedVideoReader(OBAMA, helper) as reader:
            assert reader.info.frame_count == info.frame_count
        assert helper.pid == pid  # the same process served all three
    finally:
        helper.close()


def test_a_photo_decodes_in_a_given_helper_which_then_opens_a_video(photo: Path) -> None:
    """The export decodes its source photos in its video's helper: one interpreter start, not two."""
    guarded_decode.close_helpers()
    helper = DecodeHelper()
    try:
        assert np.array_equal(load_image(photo, helper=helper), read_image(photo))
        pid = helper.pid
        assert pid is not None and guarded_decode._pool._idle == []  # the pool was not used
        with GuardedVideoReader(OBAMA, helper) as reader:
            assert reader.frame_at(0).shape[:2] == (reader.info.height, reader.info.width)
        assert helper.pid == pid
    finally:
        helper.close()


def _arena_files() -> list[Path]:
    return sorted(Path("/dev/shm").glob(f"faceswap-decode-{__import__('os').getpid()}-*"))


def test_shared_arena_files_are_removed_even_after_a_crash(photo: Path) -> None:
    """Frames travel through files in /dev/shm (where it exists); none may outlive their helper."""
    if guarded_decode._arena_base() is None:
        pytest.skip("no /dev/shm here: frames always travel through the socket")
    code = (
        "import ctypes, numpy as np, faceswap_desktop.core.media.guarded_decode as g\n"
        "calls = []\n"
        "def handler(*args):\n"
        "    calls.append(1)\n"
        "    if len(calls) > 1:\n"
        "        ctypes.string_at(0)\n"
        "    return np.full((600, 800, 3), 7, np.uint8), None\n"
        "g.HANDLERS['image'] = handler\n"
        "g.serve()"
    )
    helper = DecodeHelper(code)
    image, _alpha = helper.request("big.png", 30, "image", str(photo), False)
    assert image.shape == (600, 800, 3) and int(image[5, 5, 1]) == 7
    assert helper._arena is not None  # it came through the shared arena, not the socket
    image[0, 0] = 1  # a private, writable copy, not a view of the shared file
    with pytest.raises(DecoderCrashed):
        helper.request("big.png", 30, "image", str(photo), False)
    assert _arena_files() == []
    helper.close()


def test_frames_also_travel_without_shared_memory(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(guarded_decode, "_arena_base", lambda: None)
    with GuardedVideoReader(OBAMA) as guarded, VideoReader(OBAMA) as direct:
        for index, image in guarded.frames(0, 6):
            assert np.array_equal(image, direct.frame_at(index))


def _faults_and_environment(pid: int) -> tuple[int, str]:
    stat = Path(f"/proc/{pid}/stat").read_text()
    return int(stat[stat.rindex(")") + 2 :].split()[7]), Path(f"/proc/{pid}/environ").read_bytes().decode()


@pytest.mark.skipif(not Path("/proc/self/environ").exists(), reason="reads the helper's /proc entries")
def test_a_helper_reuses_its_frame_memory_instead_of_faulting_in_fresh_pages() -> None:
    """glibc's defaults gave each batch's freed frames back to the kernel: ~0.8 page faults per page of
    every frame decoded (~550 per 720p frame). The helper's allocator keeps them for the next batch."""
    helper = DecodeHelper()
    try:
        with GuardedVideoReader(OBAMA, helper) as reader:
            assert helper.pid is not None
            frames = reader.frames(0, 64)
            first = [image for _, (_, image) in zip(range(8), frames, strict=False)]
            faults_before, environment = _faults_and_environment(helper.pid)
            rest = [image.shape for _, image in frames]
            faults_after, _ = _faults_and_environment(helper.pid)
        for name, value in guarded_decode.HELPER_MALLOC.items():
            assert f"{name}={value}" in environment.split("\0")
        pages = first[0].nbytes / 4096
        assert len(rest) == 56 and (faults_after - faults_before) / len(rest) < 0.1 * pages
        guarded_decode._release_memory()  # what a helper does when its video closes; harmless here too
    finally:
        helper.close()


def test_a_prestarted_helper_is_the_one_the_first_decode_uses(
    photo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(guarded_decode, "_pool", guarded_decode._HelperPool())
    # Taken at once, maybe before the helper is up: the decode waits for that start, starts no other.
    guarded_decode.prestart_helper()
    early = guarded_decode.acquire_helper()
    try:
        assert np.array_equal(load_image(photo, helper=early), read_image(photo))
        assert early.pid is not None and early.crashes == 0
    finally:
        early.close()
    # Left alone, the prestart starts the interpreter by itself, before any request.
    guarded_decode.prestart_helper().join(10)
    helper = guarded_decode.acquire_helper()
    try:
        started = helper.pid
        assert started is not None
        assert np.array_equal(load_image(photo, helper=helper), read_image(photo))
        assert helper.pid == started and helper.crashes == 0
    finally:
        helper.close()
    assert helper.pid is None
