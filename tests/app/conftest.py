"""Shared fixtures of the app-layer tests: real media and one context per session."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from faceswap_desktop.app.context import AppContext, create_context

SHARED = Path(__file__).resolve().parents[2].parent / "shared"
MEDIA = SHARED / "media" / "images"


@pytest.fixture(scope="session")
def media() -> Path:
    if not MEDIA.is_dir():
        pytest.skip(f"shared media not found at {MEDIA}")
    return MEDIA


@pytest.fixture(scope="session")
def context() -> Iterator[AppContext]:
    yield create_context()
