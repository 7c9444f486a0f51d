"""The source preparation's cache (app/source_cache.py): a cached source swaps to the bit as a fresh one;
other photos, other code, another engine or an unreadable entry are prepared again."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

from faceswap_desktop.app import source_cache
from faceswap_desktop.core.media.image_io import read_image
from faceswap_desktop.core.mesh.mesh_engine import MeshSource, MeshSwapper
from faceswap_desktop.core.settings import SwapSettings

SOURCE = "identity/biden/biden2.jpg"
TARGET = "identity/obama/obama.jpg"


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("FACESWAP_CACHE_DIR", str(tmp_path))
    return tmp_path / "sources"


@pytest.fixture
def counted(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    calls: list[int] = []
    prepare = MeshSwapper.prepare_source
    monkeypatch.setattr(
        MeshSwapper,
        "prepare_source",
        lambda self, photos: (calls.append(len(photos)), prepare(self, photos))[1],
    )
    return calls


def test_a_cached_preparation_swaps_exactly_as_a_fresh_one(
    context, media: Path, cache: Path, counted
) -> None:  # type: ignore[no-untyped-def]
    pipeline = context.build_pipeline("mesh", None)
    images = [read_image(media / SOURCE)]
    fresh = source_cache.prepare_source_cached(pipeline, images, "mesh", "auto")
    cached = source_cache.prepare_source_cached(pipeline, images, "mesh", "auto")
    assert counted == [1] and len(list(cache.glob("*.npz"))) == 1
    a, b = fresh.swapper_data, cached.swapper_data
    assert isinstance(a, MeshSource) and isinstance(b, MeshSource)
    assert a.closed_mouth_texture is not None and b.closed_mouth_texture is not None  # biden2's mouth is open
    for name in ("texture", "landmarks", "closed_mouth_texture", "hubbed", "normals"):
        first, second = getattr(a, name), getattr(b, name)
        assert first.dtype == second.dtype and np.array_equal(first, second)
    assert (a.chosen_index, a.pose_scores, a.spread) == (b.chosen_index, b.pose_scores, b.spread)
    face, again = fresh.photos[0].face, cached.photos[0].face
    assert (face.box, face.score, face.detector) == (again.box, again.score, again.detector)
    assert np.array_equal(face.keypoints_5, again.keypoints_5)
    assert np.array_equal(face.landmarks_478, again.landmarks_478)  # type: ignore[arg-type]
    target = read_image(media / TARGET)
    faces = pipeline.detect(target)
    outputs = [
        pipeline.swapper.swap(target, faces[0], p.swapper_data, SwapSettings()) for p in (fresh, cached)
    ]
    assert np.array_equal(outputs[0].frame, outputs[1].frame) and np.array_equal(
        outputs[0].mask, outputs[1].mask
    )


def test_other_pixels_or_other_code_are_prepared_again(
    context, media: Path, cache: Path, counted, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    pipeline = context.build_pipeline("mesh", None)
    image = read_image(media / SOURCE)
    source_cache.prepare_source_cached(pipeline, [image], "mesh", "auto")
    edited = image.copy()
    edited[0, 0, 0] ^= 1
    source_cache.prepare_source_cached(pipeline, [edited], "mesh", "auto")
    source_cache.prepare_source_cached(pipeline, [image], "mesh", "cuda")  # another provider
    assert counted == [1, 1, 1]
    # The code: a package file that changes (here a stand-in package) changes every key.
    package = tmp_path / "package"
    package.mkdir()
    (package / "module.py").write_text("x = 1\n")
    monkeypatch.setattr(source_cache, "_PACKAGE", package)
    source_cache.code_fingerprint.cache_clear()
    try:
        before = source_cache.cache_key([image], "mesh", "auto")
        (package / "module.py").write_text("x = 2\n")
        os.utime(package / "module.py", ns=(1, 1))
        source_cache.code_fingerprint.cache_clear()
        assert source_cache.cache_key([image], "mesh", "auto") != before
    finally:
        source_cache.code_fingerprint.cache_clear()


def test_an_unreadable_entry_is_prepared_again_and_replaced(
    context, media: Path, cache: Path, counted
) -> None:  # type: ignore[no-untyped-def]
    pipeline = context.build_pipeline("mesh", None)
    images = [read_image(media / SOURCE)]
    source_cache.prepare_source_cached(pipeline, images, "mesh", "auto")
    (entry,) = cache.glob("*.npz")
    entry.write_bytes(entry.read_bytes()[:1000])  # truncated
    prepared = source_cache.prepare_source_cached(pipeline, images, "mesh", "auto")
    assert counted == [1, 1] and isinstance(prepared.swapper_data, MeshSource)
    source_cache.prepare_source_cached(pipeline, images, "mesh", "auto")
    assert counted == [1, 1]  # the entry was written again


def test_only_the_newest_entries_are_kept(
    context, media: Path, cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(source_cache, "MAX_ENTRIES", 2)
    pipeline = context.build_pipeline("mesh", None)
    image = read_image(media / SOURCE)
    keys = []
    for n in range(3):
        edited = image.copy()
        edited[0, 0, 0] ^= n
        keys.append(source_cache.cache_key([edited], f"mesh|{MeshSwapper.__module__}.MeshSwapper", "auto"))
        source_cache.prepare_source_cached(pipeline, [edited], "mesh", "auto")
        os.utime(cache / f"{keys[-1]}.npz", ns=(10**9 * (n + 1), 10**9 * (n + 1)))
    assert sorted(p.stem for p in cache.glob("*.npz")) == sorted(keys[1:])
