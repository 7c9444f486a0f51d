"""The cast scan's detection thread (app/cast.py): each sample is detected off the scanning thread, in
order, once; a detector's error reaches the caller and no thread is left behind; a deferred embedder
loads once, when a second track appears, before anything is embedded, and never for a clip of one
track (nor without a face)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path

import cv2
import numpy as np
import pytest

from faceswap_desktop.app.cast import scan_cast
from faceswap_desktop.app.video_session import DeferredRecognizer
from faceswap_desktop.core.identity import DLIB_CALIBRATION
from faceswap_desktop.core.media.video_io import VideoReader

from .conftest import BIDEN, SHARED

OTHER = SHARED / "media" / "images" / "identity" / "obama" / "obama2.jpg"

FRAMES = 10  # samples at 0, 3, 6 and 9 (30 fps: every third frame)


class Recorded:
    """The detector, noting the thread and the frame (by its mean) of every call."""

    def __init__(self, detector, fail_at: int | None = None) -> None:  # type: ignore[no-untyped-def]
        self.detector, self.fail_at = detector, fail_at
        self.threads: list[int] = []
        self.means: list[float] = []

    def detect_faces(self, image: np.ndarray) -> list:  # type: ignore[type-arg]
        self.threads.append(threading.get_ident())
        self.means.append(float(image.mean()))
        if self.fail_at is not None and len(self.threads) > self.fail_at:
            raise RuntimeError("detector failed")
        return list(self.detector.detect_faces(image))


@pytest.fixture(scope="module")
def face_clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from .conftest import write_clip

    photo = cv2.imread(str(BIDEN))
    scale = 480 / max(photo.shape[:2])
    photo = cv2.resize(
        photo, (round(photo.shape[1] * scale) // 2 * 2, round(photo.shape[0] * scale) // 2 * 2)
    )
    # Each frame a little brighter: the frames tell apart by their mean.
    frames = [cv2.add(photo, np.full_like(photo, 4 * n)) for n in range(FRAMES)]
    return write_clip(tmp_path_factory.mktemp("scan") / "face.mp4", frames)


def test_samples_are_detected_off_the_scanning_thread_in_order_once(analyser, face_clip: Path) -> None:  # type: ignore[no-untyped-def]
    detector = Recorded(analyser)
    with VideoReader(face_clip) as reader:
        cast = scan_cast(reader, detector, None)
        samples = [image.mean() for index, image in reader.frames() if index % cast.stride == 0]
    assert cast.stride == 3 and len(cast.people) == 1
    assert threading.get_ident() not in detector.threads
    # The working scale enlarges these frames: their means move a little, their order does not.
    assert len(detector.means) == len(samples) == 4
    assert detector.means == sorted(detector.means)
    assert np.allclose(detector.means, samples, atol=1.0)


def test_a_detector_error_reaches_the_caller_and_no_thread_is_left(analyser, face_clip: Path) -> None:  # type: ignore[no-untyped-def]
    detector = Recorded(analyser, fail_at=1)
    with VideoReader(face_clip) as reader, pytest.raises(RuntimeError, match="detector failed"):
        scan_cast(reader, detector, None)
    assert not [t for t in threading.enumerate() if t.name.startswith("cast-detect")]


def _counting_dlib(context, events: list[str]) -> DeferredRecognizer:  # type: ignore[no-untyped-def]
    def create():  # type: ignore[no-untyped-def]
        events.append("load")
        recognizer = context.recognizer("dlib")

        class Counted:
            name = recognizer.name

            def embed(self, image, face):  # type: ignore[no-untyped-def]
                events.append("embed")
                return recognizer.embed(image, face)

        return Counted()

    return DeferredRecognizer(create, DLIB_CALIBRATION.model)


def test_a_deferred_embedder_loads_once_when_a_second_track_appears(
    analyser, context, face_clip: Path, make_clip: Callable[..., Path]
) -> None:  # type: ignore[no-untyped-def]
    # The face clip, then a cut to another person: two tracks (a cut ends every track).
    with VideoReader(face_clip) as reader:
        first = [image for _index, image in reader.frames()]
    other = cv2.imread(str(OTHER))
    scale = first[0].shape[0] / other.shape[0]
    other = cv2.resize(other, None, fx=scale, fy=scale)[:, : first[0].shape[1]]
    other = cv2.copyMakeBorder(other, 0, 0, 0, first[0].shape[1] - other.shape[1], cv2.BORDER_REPLICATE)
    clip = make_clip("two.mp4", first + [other] * FRAMES)
    events: list[str] = []
    embedder = _counting_dlib(context, events)
    with VideoReader(clip) as reader:
        cast = scan_cast(reader, analyser, embedder)
    assert len(cast.people) == 2 and embedder.loaded
    # Both tracks embedded (up to three views each), after the one load.
    assert events[0] == "load" and events.count("load") == 1 and events.count("embed") >= 2


def test_a_one_track_clip_is_not_embedded(analyser, context, face_clip: Path) -> None:  # type: ignore[no-untyped-def]
    events: list[str] = []
    embedder = _counting_dlib(context, events)
    with VideoReader(face_clip) as reader:
        cast = scan_cast(reader, analyser, embedder)
    assert len(cast.people) == 1 and cast.embedder == embedder.name
    assert events == [] and not embedder.loaded


def test_a_deferred_embedder_is_not_loaded_for_a_clip_without_faces(
    analyser, context, make_clip: Callable[..., Path]
) -> None:  # type: ignore[no-untyped-def]
    events: list[str] = []
    embedder = _counting_dlib(context, events)
    clip = make_clip("empty.mp4", [np.full((120, 160, 3), 90, np.uint8) for _ in range(4)])
    with VideoReader(clip) as reader:
        cast = scan_cast(reader, analyser, embedder)
    assert cast.people == () and events == [] and not embedder.loaded
