"""Fixtures for the model zoo tests: real media and the real SCRFD/YuNet models from ../shared."""

from __future__ import annotations

import os
from pathlib import Path

import cv2
import numpy as np
import pytest

from faceswap_desktop.core.types import Face, Image
from faceswap_desktop.inference.scrfd import ScrfdDetector
from faceswap_desktop.inference.sessions import SessionCache

SHARED = Path(os.environ.get("FACESWAP_SHARED_DIR", Path(__file__).resolve().parents[2].parent / "shared"))
MEDIA = SHARED / "media" / "images"
SCRFD_MODEL = SHARED / "models" / "detection" / "scrfd_2.5g_bnkps.onnx"
YUNET_MODEL = SHARED / "models" / "detection" / "face_detection_yunet_2023mar.onnx"


def read(path: Path) -> Image:
    image = cv2.imread(str(path), cv2.IMREAD_COLOR)
    assert image is not None, path
    return np.asarray(image, np.uint8)


@pytest.fixture(scope="session")
def cpu_sessions() -> SessionCache:
    return SessionCache("cpu")


@pytest.fixture(scope="session")
def scrfd(cpu_sessions: SessionCache) -> ScrfdDetector:
    return ScrfdDetector(cpu_sessions.session(SCRFD_MODEL))


@pytest.fixture(scope="session")
def obama(scrfd: ScrfdDetector) -> tuple[Image, Face]:
    """obama.jpg and its one SCRFD face."""
    image = read(MEDIA / "identity" / "obama" / "obama.jpg")
    faces = scrfd.detect_faces(image)
    assert len(faces) == 1
    return image, faces[0]


@pytest.fixture(scope="session")
def obama_small(scrfd: ScrfdDetector) -> tuple[Image, Face]:
    """obama.jpg scaled so the face is about 128 px: the inswapper crop then keeps the frame's detail."""
    image = read(MEDIA / "identity" / "obama" / "obama.jpg")
    first = scrfd.detect_faces(image)[0]
    scale = 128.0 / first.size * 1.1
    small = np.asarray(cv2.resize(image, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA), np.uint8)
    faces = scrfd.detect_faces(small)
    assert len(faces) == 1
    return small, faces[0]
