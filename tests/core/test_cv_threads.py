"""OpenCV's thread count is 1 inside any holder and comes back when the last one leaves."""

import cv2

from faceswap_desktop.core.cv_threads import opencv_single_threaded


def test_nested_holders_restore_the_previous_thread_count() -> None:
    before = cv2.getNumThreads()
    with opencv_single_threaded():
        assert cv2.getNumThreads() == 1
        with opencv_single_threaded():
            assert cv2.getNumThreads() == 1
        assert cv2.getNumThreads() == 1
    assert cv2.getNumThreads() == before
