"""A first export's reference (app/video_session.py): when the cast is scanned there, frame 0 and the
faces found in it come from the scan (no seek, no second detection), and they are what the cached cast's
export finds by decoding and detecting frame 0 again."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import pytest

from faceswap_desktop.app.remembered_faces import RememberedFaces
from faceswap_desktop.app.video_session import ReferenceChoice, find_reference
from faceswap_desktop.core.media.video_io import VideoReader

from .conftest import BIDEN

FRAMES = 10  # samples at 0, 3, 6 and 9 (30 fps: every third frame)


class Counting:
    """Counts the calls of one method of ``inner``; everything else is ``inner``'s."""

    def __init__(self, inner: Any, method: str) -> None:
        self.inner, self.method, self.calls = inner, method, 0

    def __getattr__(self, name: str) -> Any:
        attribute = getattr(self.inner, name)
        if name != self.method:
            return attribute

        def counted(*args: Any) -> Any:
            self.calls += 1
            return attribute(*args)

        return counted


@pytest.fixture
def clip(make_clip: Callable[..., Path]) -> Path:
    photo = cv2.imread(str(BIDEN))
    scale = 480 / min(photo.shape[:2])  # scanned at its own size (no working scale): 480 px or more
    photo = cv2.resize(
        photo, (round(photo.shape[1] * scale) // 2 * 2, round(photo.shape[0] * scale) // 2 * 2)
    )
    return make_clip("face.mp4", [cv2.add(photo, np.full_like(photo, 3 * n)) for n in range(FRAMES)])


def test_the_scans_frame_0_is_the_reference(
    analyser, clip: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("FACESWAP_CACHE_DIR", str(tmp_path / "cache"))  # a first export: no cast yet
    with VideoReader(clip) as opened:
        reader = Counting(opened, "frame_at")
        detector = Counting(analyser, "detect_faces")
        finder = RememberedFaces(detector)
        scanned = find_reference(reader, finder, None, ReferenceChoice(), 0, True)  # type: ignore[arg-type]
        assert reader.calls == 0 and detector.calls == 4  # the four samples, frame 0 among them
        # The tracker's first update (the same array) gets the scan's faces back, undetected.
        assert finder.detect_faces(scanned.image) and detector.calls == 4

        # The same export with the cast cached seeks to frame 0 and detects it.
        cached = find_reference(reader, RememberedFaces(detector), None, ReferenceChoice(), 0, True)  # type: ignore[arg-type]
        assert reader.calls == 1 and detector.calls == 5
    assert scanned.frame_index == cached.frame_index == 0
    assert scanned.image is not None and cached.image is not None
    assert np.array_equal(scanned.image, cached.image)
    assert scanned.face.box == cached.face.box and scanned.face.score == cached.face.score
    assert np.array_equal(scanned.face.landmarks_478, cached.face.landmarks_478)  # type: ignore[arg-type]
