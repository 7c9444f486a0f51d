"""The tracker's refit between detections: the video-mode FaceMesh follower and how the tracker uses it."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from faceswap_desktop.core.media.video_io import VideoReader
from faceswap_desktop.core.types import Face
from faceswap_desktop.core.video.tracking import FaceTracker, TrackerOptions

from .conftest import OBAMA


def test_follower_fits_the_same_landmarks_as_image_mode_along_a_clip(analyser) -> None:  # type: ignore[no-untyped-def]
    follower = analyser.landmark_follower()
    try:
        with VideoReader(OBAMA) as reader:
            frames = [image for _, image in reader.frames(0, 40)]
        box = analyser.detect_faces(frames[0])[0].box
        gaps = []
        for image in frames[1:]:
            followed = follower.landmarks_in_box(image, box)
            assert followed is not None and followed.landmarks_478 is not None
            still = analyser.landmarks_in_box(image, box)
            assert still is not None and still.landmarks_478 is not None
            gap = np.linalg.norm(followed.landmarks_478[:, :2] - still.landmarks_478[:, :2], axis=1)
            gaps.append(float(gap.mean()) / still.size)
            box = followed.box  # follow the face as the tracker does
        # Same face, same fit: the two modes differ by well under 2% of the face's size on average.
        assert float(np.mean(gaps)) < 0.02, gaps
        follower.reset()
        assert follower.landmarks_in_box(frames[0], analyser.detect_faces(frames[0])[0].box) is not None
    finally:
        follower.close()


def _face(x: float) -> Face:
    landmarks = np.zeros((478, 3), dtype=np.float32)
    landmarks[:, 0] = np.linspace(x, x + 40, 478)
    landmarks[:, 1] = np.linspace(20, 60, 478)
    box = (x, 20.0, x + 40, 60.0)
    return Face(box, 0.9, landmarks[:5, :2].copy(), landmarks)


class _Detector:
    """Finds one face; counts its calls."""

    def __init__(self) -> None:
        self.detections = 0
        self.refits = 0

    def detect_faces(self, image: np.ndarray) -> list[Face]:
        self.detections += 1
        return [_face(10.0)]

    def landmarks_in_box(
        self, image: np.ndarray, box: tuple[float, float, float, float], score: float = 1.0
    ) -> Face | None:
        self.refits += 1
        return _face(box[0] + 1)


class _Follower(_Detector):
    def __init__(self) -> None:
        super().__init__()
        self.resets = 0
        self.closed = False

    def reset(self) -> None:
        self.resets += 1

    def close(self) -> None:
        self.closed = True


def test_tracker_refits_with_its_own_follower_resets_it_on_a_cut_and_closes_it() -> None:
    detector, follower = _Detector(), _Follower()
    tracker = FaceTracker(detector, None, None, 1.0, -1.0, refitter=follower)
    tracker.seed(_face(10.0), -1)
    grey = np.full((90, 160, 3), 100, np.uint8)
    for n in range(4):
        assert tracker.update(grey, n, n / 30).face is not None
    # Frame 0 detects (nothing detected yet), the next ones follow the face with the follower only.
    assert (detector.detections, detector.refits, follower.refits) == (1, 0, 3)
    resets = follower.resets
    other_shot = np.zeros((90, 160, 3), np.uint8)
    other_shot[..., 2] = 250
    result = tracker.update(other_shot, 4, 4 / 30)
    assert result.scene_cut and follower.resets == resets + 1
    tracker.close()
    assert follower.closed


def test_tracker_without_a_follower_refits_with_the_detector_and_leaves_it_open() -> None:
    detector = _Detector()
    tracker = FaceTracker(detector, None, None, 1.0, -1.0)
    tracker.seed(_face(10.0), -1)
    grey = np.full((90, 160, 3), 100, np.uint8)
    for n in range(3):
        tracker.update(grey, n, n / 30)
    assert (detector.detections, detector.refits) == (1, 2)
    tracker.close()  # nothing to close: the detector is shared


class _Embedder:
    """Embeds every face as the same unit vector; records the frame of each call."""

    name = "fake"

    def __init__(self, frame: Callable[[], int]) -> None:
        self.frame = frame
        self.calls: list[int] = []

    def embed(self, image: np.ndarray, face: Face) -> np.ndarray:
        assert face.box[0] == 10.0  # only the chosen face is ever checked while it is tracked
        self.calls.append(self.frame())
        return np.array([1.0, 0.0], np.float32)


class _Scripted(_Detector):
    """Detects the faces a script gives per detection (the refit follows the chosen face)."""

    def __init__(self, script: Callable[[int], list[Face]]) -> None:
        super().__init__()
        self.script = script
        self.frame = 0

    def detect_faces(self, image: np.ndarray) -> list[Face]:
        self.detections += 1
        return self.script(self.frame)

    def landmarks_in_box(
        self, image: np.ndarray, box: tuple[float, float, float, float], score: float = 1.0
    ) -> Face | None:
        self.refits += 1
        return _face(box[0]) if any(f.box[0] == box[0] for f in self.script(self.frame)) else None


def _run(script: Callable[[int], list[Face]], frames: int, options: TrackerOptions) -> tuple[_Embedder, int]:
    """Track a seeded face at x=10 over ``frames`` frames; (the embedder, reference computations)."""
    detector = _Scripted(script)
    embedder = _Embedder(lambda: detector.frame)
    computed: list[int] = []

    def reference() -> np.ndarray:
        computed.append(1)
        return np.array([1.0, 0.0], np.float32)

    tracker = FaceTracker(detector, embedder, reference, 0.5, 0.2, options)
    tracker.seed(_face(10.0), -1)
    grey = np.full((90, 160, 3), 100, np.uint8)
    for n in range(frames):
        detector.frame = n
        found = tracker.update(grey, n, n / 30).face
        assert (found is not None) == bool(script(n)), n  # followed whenever it is in the frame
    return embedder, len(computed)


def test_a_face_alone_is_re_verified_only_at_the_long_cadence_and_the_reference_embedded_then() -> None:
    options = TrackerOptions(verify_every=30, verify_alone_every=150)
    embedder, computed = _run(lambda n: [_face(10.0)], 149, options)
    assert embedder.calls == [] and computed == 0  # nobody else, no gap, no jump: nothing embedded
    embedder, computed = _run(lambda n: [_face(10.0)], 310, options)
    assert embedder.calls == [149, 299] and computed == 1  # the safety checks; the reference once


def test_another_face_puts_identity_in_doubt_and_restores_the_short_cadence() -> None:
    options = TrackerOptions(verify_every=30, verify_alone_every=150)
    embedder, _ = _run(lambda n: [_face(10.0), _face(100.0)], 95, options)
    assert embedder.calls == [29, 59, 89]  # as before: every 30 frames from the seed (frame -1)
    # Another face detected at frame 40 only (detection every 10 frames; its track lives 15 more): checked
    # at once (the last check is over 30 frames old), once more 30 frames later (the doubt lasted past
    # that check), then no more.
    embedder, _ = _run(lambda n: [_face(10.0)] + ([_face(100.0)] if n == 40 else []), 150, options)
    assert embedder.calls == [40, 70]


def test_a_gap_in_the_chosen_track_puts_identity_in_doubt() -> None:
    options = TrackerOptions(verify_every=30, verify_alone_every=150, detect_every=10)
    # The face is missed by the refit and the detector at frames 20-22, then found again at its place.
    embedder, _ = _run(lambda n: [] if 20 <= n <= 22 else [_face(10.0)], 95, options)
    assert embedder.calls == [29]  # due at the in-doubt cadence after the gap, then never again


class _ByPlace:
    """The face at x=10 is the chosen person; anyone else is not."""

    name = "fake"

    def embed(self, image: np.ndarray, face: Face) -> np.ndarray:
        return np.array([1.0, 0.0] if face.box[0] == 10.0 else [0.0, 1.0], np.float32)


def test_frames_the_cast_says_the_person_is_off_screen_are_not_searched() -> None:
    # The chosen face is in frames 0-9 and 30-39; the cast saw them in 0-9 and 30-39 only.
    present = lambda n: n < 10 or 30 <= n < 40  # noqa: E731
    detector = _Scripted(lambda n: [_face(10.0)] if present(n) else [_face(100.0)])
    hint = lambda n, face: face.box[0] == 10.0  # noqa: E731  (the cast's word on who is who)
    embedder, reference = _ByPlace(), np.array([1.0, 0.0], np.float32)
    tracker = FaceTracker(detector, embedder, reference, 0.5, 0.2, hint=hint, on_screen=present)
    grey = np.full((90, 160, 3), 100, np.uint8)
    found, searched = [], []
    for n in range(45):
        detector.frame = n
        before = detector.detections
        found.append(tracker.update(grey, n, n / 30).face is not None)
        searched.append(detector.detections > before)
    assert found == [present(n) for n in range(45)]
    # Lost at frame 10 (the refit finds nothing, a detection finds only someone else); then no detection
    # at all until the cast says they may be back.
    assert not any(searched[11:30]) and searched[10] and searched[30]
    # Without the cast's ranges, every frame without them is searched.
    detector = _Scripted(lambda n: [_face(10.0)] if present(n) else [_face(100.0)])
    tracker = FaceTracker(detector, embedder, reference, 0.5, 0.2, hint=hint)
    for n in range(45):
        detector.frame = n
        tracker.update(grey, n, n / 30)
    assert detector.detections >= 20 + 1
