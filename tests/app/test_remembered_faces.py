"""The export's detector memo (app/remembered_faces.py): the reference's frame is detected once."""

from __future__ import annotations

import numpy as np

from faceswap_desktop.app.remembered_faces import KEPT_ANSWERS, RememberedFaces
from faceswap_desktop.core.types import Face


class CountingDetector:
    def __init__(self) -> None:
        self.calls = 0
        self.follower_calls = 0

    def detect_faces(self, image: np.ndarray) -> list[Face]:
        self.calls += 1
        return [Face((float(image[0, 0, 0]), 0.0, 10.0, 10.0), 0.9, np.zeros((5, 2)))]

    def landmark_follower(self) -> str:
        self.follower_calls += 1
        return "follower"


def frame(value: int) -> np.ndarray:
    return np.full((4, 4, 3), value, np.uint8)


def test_the_same_frame_is_answered_again_once() -> None:
    detector = CountingDetector()
    finder = RememberedFaces(detector)
    image = frame(1)
    first = finder.detect_faces(image)
    again = finder.detect_faces(image)
    assert detector.calls == 1
    assert again == first  # the same Face objects (Face compares by identity), in a new list
    assert again is not first
    third = finder.detect_faces(image)  # given back once: asked a third time, it detects
    assert detector.calls == 2
    assert third[0] is not first[0]


def test_an_equal_but_other_array_is_detected() -> None:
    detector = CountingDetector()
    finder = RememberedFaces(detector)
    finder.detect_faces(frame(2))
    finder.detect_faces(frame(2))
    assert detector.calls == 2


def test_only_the_last_answers_are_kept() -> None:
    detector = CountingDetector()
    finder = RememberedFaces(detector)
    images = [frame(value) for value in range(KEPT_ANSWERS + 3)]
    for image in images:  # a cast scan through the same detector: many samples
        finder.detect_faces(image)
    calls = detector.calls
    for image in images[-KEPT_ANSWERS:]:
        finder.detect_faces(image)
    assert detector.calls == calls
    finder.detect_faces(images[0])  # long dropped
    assert detector.calls == calls + 1


def test_forget_drops_the_frames_and_keeps_no_more() -> None:
    detector = CountingDetector()
    finder = RememberedFaces(detector)
    image = frame(3)
    finder.detect_faces(image)
    finder.forget()
    finder.detect_faces(image)
    finder.detect_faces(image)
    assert detector.calls == 3


def test_other_attributes_are_the_detectors() -> None:
    detector = CountingDetector()
    finder = RememberedFaces(detector)
    assert finder.landmark_follower() == "follower"
    assert detector.follower_calls == 1


def test_remembered_faces_are_given_back_once_for_that_array() -> None:
    detector = CountingDetector()
    finder = RememberedFaces(detector)
    image = frame(4)
    found = CountingDetector().detect_faces(image)  # found elsewhere (a cast scan's sample)
    finder.remember(image, found)
    assert finder.detect_faces(image) == found and detector.calls == 0
    finder.detect_faces(image)
    assert detector.calls == 1


def test_nothing_is_remembered_after_forget() -> None:
    detector = CountingDetector()
    finder = RememberedFaces(detector)
    image = frame(5)
    finder.forget()
    finder.remember(image, CountingDetector().detect_faces(image))
    finder.detect_faces(image)
    assert detector.calls == 1
