"""Learned swappers align on SCRFD's keypoints when an SCRFD model is installed (the keypoints inswapper
was trained on), on the mesh keypoints otherwise; the real SCRFD model and MediaPipe faces."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from faceswap_desktop.app.context import create_context
from faceswap_desktop.core.roles import SourcePhoto, SwapOutput
from faceswap_desktop.core.settings import SwapSettings
from faceswap_desktop.core.types import Face, Image
from faceswap_desktop.inference.registry import load_registry
from faceswap_desktop.inference.scrfd import ScrfdDetector
from faceswap_desktop.inference.scrfd_keypoints import ScrfdKeypointSwapper
from faceswap_desktop.inference.store import ModelStore
from faceswap_desktop.inference.user_models import add_user_model

from .conftest import SCRFD_MODEL
from .zoo_fakes import inswapper_graph


class RecordingSwapper:
    name = "recording"

    def __init__(self) -> None:
        self.targets: list[Face] = []
        self.sources: list[Face] = []

    def prepare_source(self, photos: list[SourcePhoto]) -> str:
        self.sources.extend(photo.face for photo in photos)
        return "prepared"

    def swap(self, frame: Image, target: Face, prepared: object, settings: SwapSettings) -> SwapOutput:
        self.targets.append(target)
        return SwapOutput(frame, np.zeros(frame.shape[:2], np.float32))


@pytest.mark.parametrize("photo", ["identity/obama/obama.jpg", "identity/biden/biden2.jpg"])
def test_the_swapper_gets_scrfds_keypoints_for_a_mesh_face(analysed, cpu_sessions, photo: str) -> None:  # type: ignore[no-untyped-def]
    image, faces = analysed(photo)
    mesh_face = faces[0]
    full = ScrfdDetector(cpu_sessions.session(SCRFD_MODEL)).detect_faces(image)[0]
    inner = RecordingSwapper()
    swapper = ScrfdKeypointSwapper(inner, ScrfdDetector(cpu_sessions.session(SCRFD_MODEL)))
    swapper.prepare_source([SourcePhoto(image, mesh_face)])
    swapper.swap(image, mesh_face, "prepared", SwapSettings())
    (used,) = inner.targets
    eyes = float(np.linalg.norm(full.keypoints_5[0] - full.keypoints_5[1]))
    # SCRFD on the face region agrees with SCRFD on the whole photo far better than the mesh points do.
    to_scrfd = float(np.linalg.norm(used.keypoints_5 - full.keypoints_5, axis=1).mean())
    mesh_to_scrfd = float(np.linalg.norm(mesh_face.keypoints_5 - full.keypoints_5, axis=1).mean())
    assert to_scrfd < 0.03 * eyes and to_scrfd < 0.5 * mesh_to_scrfd
    assert used.box == mesh_face.box and used.landmarks_478 is mesh_face.landmarks_478
    np.testing.assert_array_equal(inner.sources[0].keypoints_5, used.keypoints_5)


def test_a_face_scrfd_does_not_find_keeps_its_mesh_keypoints(cpu_sessions) -> None:  # type: ignore[no-untyped-def]
    blank = np.full((300, 300, 3), 128, np.uint8)
    face = Face(
        (100.0, 100.0, 200.0, 200.0),
        1.0,
        np.array([[130, 140], [170, 140], [150, 160], [135, 180], [165, 180]], np.float32),
    )
    inner = RecordingSwapper()
    ScrfdKeypointSwapper(inner, ScrfdDetector(cpu_sessions.session(SCRFD_MODEL))).swap(
        blank, face, "p", SwapSettings()
    )
    assert inner.targets[0] is face


def test_the_context_aligns_learned_engines_on_scrfd_only_when_it_is_installed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FACESWAP_DATA_DIR", str(tmp_path / "data"))
    store = ModelStore(load_registry())
    emap = np.random.default_rng(0).normal(size=(512, 512)).astype(np.float32)
    add_user_model(store, inswapper_graph(tmp_path / "s.onnx", emap), "swapper", "learned", recognizer=None)
    context = create_context("cpu")
    context.recognizers._factories["arcface"] = lambda: RecordingRecognizer()  # no w600k_r50 here

    def swapper(engine: str, detector: str = "mediapipe") -> object:
        return context.aligned_swapper(engine, detector)

    assert not isinstance(swapper("learned"), ScrfdKeypointSwapper)  # no SCRFD installed: mesh keypoints
    shutil.copyfile(SCRFD_MODEL, tmp_path / "scrfd copy.onnx")
    store.import_file("scrfd_2.5g_bnkps", tmp_path / "scrfd copy.onnx")
    assert isinstance(swapper("learned"), ScrfdKeypointSwapper)
    assert not isinstance(swapper("learned", "scrfd"), ScrfdKeypointSwapper)  # already SCRFD faces
    assert not isinstance(swapper("mesh"), ScrfdKeypointSwapper)  # the mesh engine uses its landmarks


class RecordingRecognizer:
    name = "fake arcface"

    def embed(self, image: Image, face: Face) -> np.ndarray:
        return np.ones(512, np.float32)


class JitteryScrfd:
    """A stand-in SCRFD that finds the face with keypoints a fixed offset from the truth plus noise."""

    input_size = 640

    def __init__(self, truth: np.ndarray, noise_px: float) -> None:
        self.truth, self.noise_px = truth, noise_px
        self.rng = np.random.default_rng(4)
        self.origin = np.zeros(2, np.float32)

    def at_input_size(self, size: int) -> JitteryScrfd:
        return self

    def detect_faces(self, image: Image) -> list[Face]:
        noise = self.rng.normal(scale=self.noise_px, size=(5, 2))
        points = (self.truth + np.array([0.0, 3.0]) + noise - self.origin).astype(np.float32)
        return [Face((0.0, 0.0, 10.0, 10.0), 0.9, points, None, "scrfd")]


def test_consecutive_video_frames_get_a_smoothed_scrfd_correction() -> None:
    """The tracker hands over smoothed mesh points; SCRFD's per-frame points jitter. The first call uses
    SCRFD's points as they are, later calls on the same face low-pass the correction."""
    frame = np.zeros((400, 400, 3), np.uint8)
    mesh = np.array([[170, 180], [230, 180], [200, 215], [178, 245], [222, 245]], np.float32)
    face = Face((150.0, 140.0, 250.0, 270.0), 1.0, mesh, np.zeros((478, 3), np.float32), "mediapipe")
    fake = JitteryScrfd(mesh, noise_px=2.0)
    # The region the wrapper gives SCRFD: 2 face sizes (260 px) at the frame's letterbox scale (1.6)
    # make a 416 px input, i.e. 260 frame px around the face centre (200, 205).
    fake.origin = np.array([70.0, 75.0], np.float32)
    swapper = ScrfdKeypointSwapper(RecordingSwapper(), fake)  # type: ignore[arg-type]
    first = swapper.refine(frame, face, smooth=True).keypoints_5
    assert 0 < np.abs(first - mesh - [0.0, 3.0]).max() < 8.0  # SCRFD's own (noisy) points
    errors = [swapper.refine(frame, face, smooth=True).keypoints_5 - (mesh + [0.0, 3.0]) for _ in range(60)]
    late = np.linalg.norm(np.array(errors[20:]), axis=2)
    raw = np.linalg.norm(np.random.default_rng(5).normal(scale=2.0, size=(40, 5, 2)), axis=2)
    assert late.mean() < 0.6 * raw.mean()  # the correction converged and its jitter is damped
