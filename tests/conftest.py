"""Shared fixtures: paths into ../shared (real media and small real models) and session-wide components."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from faceswap_desktop.core.media.image_io import read_image
from faceswap_desktop.core.types import Face, Image

SHARED = Path(os.environ.get("FACESWAP_SHARED_DIR", Path(__file__).resolve().parents[1].parent / "shared"))
MEDIA = SHARED / "media" / "images"
MOBILEFACENET = SHARED / "models" / "recognition" / "mobilefacenet_paddlex_128d.onnx"
YUNET = SHARED / "models" / "detection" / "face_detection_yunet_2023mar.onnx"


def pytest_configure(config: pytest.Config) -> None:
    if not MEDIA.is_dir():
        raise pytest.UsageError(f"shared test media not found at {SHARED} (set FACESWAP_SHARED_DIR)")


@pytest.fixture(scope="session")
def media() -> Path:
    return MEDIA


@pytest.fixture(scope="session")
def context():  # type: ignore[no-untyped-def]
    from faceswap_desktop.app.context import create_context

    return create_context()


@pytest.fixture(scope="session")
def analyser(context):  # type: ignore[no-untyped-def]
    return context.detector("mediapipe")


@pytest.fixture(scope="session")
def mobilefacenet():  # type: ignore[no-untyped-def]
    from faceswap_desktop.inference.onnx_recognizer import OnnxRecognizer

    return OnnxRecognizer(MOBILEFACENET, "MobileFaceNet PaddleX (128-d)", mean=127.5, std=128.0)


@pytest.fixture(scope="session")
def analysed(analyser):  # type: ignore[no-untyped-def]
    """read + detect with a cache: (image, faces) by path relative to media/images."""
    cache: dict[str, tuple[Image, list[Face]]] = {}

    def get(relative: str) -> tuple[Image, list[Face]]:
        if relative not in cache:
            image = read_image(MEDIA / relative)
            cache[relative] = (image, analyser.detect_faces(image))
        return cache[relative]

    return get


@pytest.fixture(scope="session", autouse=True)
def _test_signing_identity(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    """Exports are C2PA-signed with a certificate made on first use: keep the run's out of the user's
    data folder (CLI subprocesses inherit the variable)."""
    folder = tmp_path_factory.mktemp("credentials") / "c2pa"
    previous = os.environ.get("FACESWAP_CREDENTIALS_DIR")
    os.environ["FACESWAP_CREDENTIALS_DIR"] = str(folder)
    yield folder
    if previous is None:
        os.environ.pop("FACESWAP_CREDENTIALS_DIR", None)
    else:
        os.environ["FACESWAP_CREDENTIALS_DIR"] = previous
