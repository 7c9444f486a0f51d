"""The cast cache's content hash (app/cast_cache.py): read once per process for an unchanged file, read
again when the file changes."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest

from faceswap_desktop.app import cast_cache


def test_an_unchanged_file_is_hashed_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    video = tmp_path / "clip.mp4"
    video.write_bytes(b"frames" * 1000)
    digests = []
    sha256 = hashlib.sha256

    def counted(*args: object) -> object:
        digests.append(1)
        return sha256(*args)  # type: ignore[arg-type]

    monkeypatch.setattr(cast_cache.hashlib, "sha256", counted)
    first = cast_cache.content_hash(video)
    assert cast_cache.content_hash(video) == first == hashlib.new("sha256", video.read_bytes()).hexdigest()
    assert len(digests) == 1


def test_a_changed_file_is_hashed_again(tmp_path: Path) -> None:
    video = tmp_path / "clip.mp4"
    video.write_bytes(b"a" * 4096)
    before = cast_cache.content_hash(video)
    stamp = video.stat().st_mtime_ns
    video.write_bytes(b"b" * 4096)  # the same size
    os.utime(video, ns=(stamp + 10**9, stamp + 10**9))  # a later time even on a coarse clock
    after = cast_cache.content_hash(video)
    assert after != before and after == hashlib.sha256(b"b" * 4096).hexdigest()
