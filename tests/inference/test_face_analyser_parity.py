"""The ONNX face analyser against MediaPipe's own results, recorded by
``scripts/record_mediapipe_fixtures.py`` (``tests/fixtures/mediapipe_faces.npz``): every shared photo,
sampled frames of the shared clips, and the video-mode follower over each clip's first frames.

Runs without mediapipe. Landmark error is in percent of the inter-ocular distance (eye centres of the
recorded face); faces are matched by box overlap. Run with ``-s`` to see the numbers.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pytest

from faceswap_desktop.core.geometry import box_iou, keypoints_from_mesh
from faceswap_desktop.core.media.image_io import read_image
from faceswap_desktop.core.media.video_io import VideoReader
from faceswap_desktop.core.types import Face, FloatArray, Image
from faceswap_desktop.inference.face_analyser import OnnxFaceAnalyser
from faceswap_desktop.inference.sessions import SessionCache

from ..conftest import SHARED

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "mediapipe_faces.npz"
MEDIA = SHARED / "media"


@dataclass
class Tally:
    errors: list[float] = field(default_factory=list)
    worst: list[float] = field(default_factory=list)
    missed: list[str] = field(default_factory=list)
    extra: list[str] = field(default_factory=list)

    def summary(self) -> str:
        errors = np.array(self.errors)
        return (
            f"{errors.size} faces: mean {errors.mean():.3f}% IOD, worst face mean {errors.max():.3f}%, "
            f"worst point {max(self.worst):.2f}%; missed {len(self.missed)} {self.missed}, "
            f"extra {len(self.extra)} {self.extra}"
        )


def _error(reference: FloatArray, ours: FloatArray) -> tuple[float, float]:
    """(mean, max) point distance in percent of the reference's inter-ocular distance."""
    eyes = keypoints_from_mesh(reference)
    iod = float(np.linalg.norm(eyes[0] - eyes[1]))
    distances = np.linalg.norm(reference[:, :2] - ours[:, :2], axis=1)
    return 100 * float(distances.mean()) / iod, 100 * float(distances.max()) / iod


def _compare(tag: str, data: np.lib.npyio.NpzFile, faces: list[Face], tally: Tally) -> None:
    boxes, landmarks = data[f"{tag}:boxes"], data[f"{tag}:landmarks"]
    used: set[int] = set()
    for i, box in enumerate(boxes):
        overlaps = [(box_iou(tuple(box), f.box), j) for j, f in enumerate(faces) if j not in used]
        best = max(overlaps, default=(0.0, -1))
        if best[0] < 0.5:
            tally.missed.append(f"{tag}#{i}")
            continue
        used.add(best[1])
        ours = faces[best[1]].landmarks_478
        assert ours is not None
        mean, worst = _error(landmarks[i], ours)
        tally.errors.append(mean)
        tally.worst.append(worst)
    tally.extra += [f"{tag}+{j}" for j in range(len(faces)) if j not in used]


def _tags(data: np.lib.npyio.NpzFile, prefix: str) -> list[str]:
    return sorted({key.rsplit(":", 1)[0] for key in data.files if key.startswith(prefix)})


def _video_frames(data: np.lib.npyio.NpzFile) -> Iterator[tuple[str, Image]]:
    by_clip: dict[str, list[int]] = {}
    for tag in _tags(data, "videos/"):
        name, index = tag.removeprefix("videos/").rsplit("@", 1)
        by_clip.setdefault(name, []).append(int(index))
    for name, indices in by_clip.items():
        reader = VideoReader(MEDIA / "videos" / name)
        try:
            for index in sorted(indices):
                yield f"videos/{name}@{index}", reader.frame_at(index)
        finally:
            reader.close()


@pytest.fixture(scope="module")
def recorded() -> Iterator[np.lib.npyio.NpzFile]:
    with np.load(FIXTURE) as data:
        yield data


@pytest.fixture(scope="module")
def onnx_analyser() -> OnnxFaceAnalyser:
    return OnnxFaceAnalyser(SessionCache("cpu"))


def test_photos_and_clip_frames_match_mediapipe(recorded, onnx_analyser: OnnxFaceAnalyser) -> None:
    tally = Tally()
    for tag in _tags(recorded, "images/"):
        image = read_image(MEDIA / "images" / tag.removeprefix("images/"))
        _compare(tag, recorded, onnx_analyser.detect_faces(image), tally)
    for tag, frame in _video_frames(recorded):
        _compare(tag, recorded, onnx_analyser.detect_faces(frame), tally)
    print(f"\ndetect_faces vs MediaPipe: {tally.summary()}")
    assert len(tally.errors) >= 60, "the fixture covers every shared photo and the sampled frames"
    assert not tally.missed and not tally.extra
    assert float(np.mean(tally.errors)) < 1.0
    assert max(tally.errors) < 5.0, "no single face far off"


def test_video_follower_matches_mediapipe(recorded, onnx_analyser: OnnxFaceAnalyser) -> None:
    # Frames where MediaPipe's follower itself was off the face (its image mode finds no face there:
    # 8 frames after a cut in the Hamilton clip, 1 in the facenet clip) are counted apart: there is no
    # landmark to agree on, and both followers drift on whatever they hold.
    tally, off_face = Tally(), Tally()
    lost_differently: list[str] = []
    for tag in _tags(recorded, "follow/"):
        frames = recorded[f"{tag}:frames"]
        boxes = recorded[f"{tag}:boxes_in"]
        expected = recorded[f"{tag}:landmarks"]
        on_face = recorded[f"{tag}:on_face"]
        follower = onnx_analyser.landmark_follower()
        reader = VideoReader(MEDIA / "videos" / tag.removeprefix("follow/"))
        try:
            wanted = dict(zip(frames.tolist(), range(len(frames)), strict=True))
            for index, frame in reader.frames(0, int(frames.max()) + 1):
                k = wanted.get(index)
                if k is None:
                    continue
                face = follower.landmarks_in_box(frame, tuple(boxes[k]))
                lost = bool(np.isnan(expected[k, 0, 0]))
                if lost or face is None:
                    if lost != (face is None):
                        if on_face[k]:
                            lost_differently.append(f"{tag}@{index}")
                        if lost:
                            follower.reset()  # MediaPipe lost it and detects again on the next frame
                    continue
                assert face.landmarks_478 is not None
                mean, worst = _error(expected[k], face.landmarks_478)
                target = tally if on_face[k] else off_face
                target.errors.append(mean)
                target.worst.append(worst)
        finally:
            reader.close()
            follower.close()
    print(f"\nfollower vs MediaPipe, on the face: {tally.summary()}; lost differently: {lost_differently}")
    print(f"off the face (MediaPipe's image mode finds none there): {off_face.summary()}")
    assert len(tally.errors) >= 80
    # Lost by one follower and not the other, where MediaPipe's follower was on the face. Where it was
    # off the face there is no truth to agree on: measured 2-3 such frames with OpenCV 4.11 and 7 with
    # OpenCV 5.1 (its crops differ in the last bits), all after the Hamilton clip's cut and in the
    # facenet clip's first frames, none on the face.
    assert len(lost_differently) <= 3
    assert float(np.mean(tally.errors)) < 1.0
    assert max(tally.errors) < 5.0
