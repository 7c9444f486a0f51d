"""The mesh engine's source preparation cached per photo: ``<user cache>/sources/<key>.npz``.

Preparing a source (its face found, its texture cropped, the hair over its forehead filled, an open
mouth closed) is ~0.3-0.4 s of CPU for one 1200 px photo and the last step before a video export's first
swap; exporting again with the same photo (another clip, other settings: the preparation depends on
neither) did all of it again. The cache keeps what it computed: each photo's face (box, score,
keypoints, 478 landmarks) and the engine's :class:`~..core.mesh.mesh_engine.MeshSource` arrays, bit for
bit, so a cached source swaps exactly as a fresh one.

The key hashes the decoded pixels of every photo (in order), the engine, the detector's provider, the
versions of numpy, OpenCV and ONNX Runtime, and the code: the path, size and modification time of every
file of the package (an edited module or model file gives new keys: never a stale preparation). Only
the mesh engine's preparation is cached (other engines' data are theirs); an unreadable entry is
prepared again, never an error; the folder keeps the :data:`MAX_ENTRIES` newest entries.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import logging
import os
import sys
import zipfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from ..core.mesh.mesh_engine import MeshSource
from ..core.pipeline import FacePipeline, PreparedSource
from ..core.roles import SourcePhoto
from ..core.types import Face, Image
from .cast_cache import user_cache_base

log = logging.getLogger(__name__)

SOURCE_CACHE_VERSION = 1
"""Bumped when what an entry holds changes."""

MAX_ENTRIES = 16
"""Entries kept (the newest by use); one 1200 px photo's entry is ~4.5 MB (its texture crop, twice
when its mouth is open: uncompressed, a compressed one costs more to read than to prepare again)."""

_PACKAGE = Path(__file__).resolve().parents[1]


def cache_folder() -> Path:
    """Beside the cast scans: ``<user cache>/sources`` (``FACESWAP_CACHE_DIR`` overrides the base)."""
    return user_cache_base() / "sources"


@functools.lru_cache(maxsize=1)
def code_fingerprint() -> str:
    """What the preparation's result depends on besides its inputs: this package's files (path, size,
    modification time: ~1 ms for the ~350 files) and the numerical libraries' versions."""
    import cv2

    # ONNX Runtime is the inference layer's to import (the layers' contract); by the time a source is
    # prepared its detector has loaded it.
    runtime = getattr(sys.modules.get("onnxruntime"), "__version__", "-")
    digest = hashlib.sha256(f"{SOURCE_CACHE_VERSION}|{np.__version__}|{cv2.__version__}|{runtime}".encode())
    for root, folders, files in os.walk(_PACKAGE):
        folders[:] = sorted(f for f in folders if f != "__pycache__")
        for name in sorted(files):
            path = Path(root, name)
            stat = path.stat()
            digest.update(f"|{path.relative_to(_PACKAGE)}:{stat.st_size}:{stat.st_mtime_ns}".encode())
    return digest.hexdigest()


def cache_key(images: Sequence[Image], engine: str, provider: str) -> str:
    """The key of the preparation of ``images`` (their pixels, in order) by ``engine`` on ``provider``."""
    digest = hashlib.sha256(f"{code_fingerprint()}|{engine}|{provider}".encode())
    for image in images:
        digest.update(f"|{image.shape}|{image.dtype.str}|".encode())
        digest.update(np.ascontiguousarray(image).data)
    return digest.hexdigest()[:32]


def prepare_source_cached(
    pipeline: FacePipeline, images: Sequence[Image], engine: str, provider: str
) -> PreparedSource:
    """``pipeline.prepare_source(images)``, from the cache when these photos were prepared before with
    the same code (then only the identity, when the pipeline scores, is computed again)."""
    if engine != "mesh":
        return pipeline.prepare_source(images)
    swapper = type(pipeline.swapper)
    entry = (
        cache_folder()
        / f"{cache_key(images, f'{engine}|{swapper.__module__}.{swapper.__qualname__}', provider)}.npz"
    )
    cached = _load(entry, images)
    if cached is not None:
        faces, data = cached
        log.info("source preparation from the cache (%s)", entry.name)
        return pipeline.prepared_from([SourcePhoto(i, f) for i, f in zip(images, faces, strict=True)], data)
    prepared = pipeline.prepare_source(images)
    if isinstance(prepared.swapper_data, MeshSource):
        _save(entry, [photo.face for photo in prepared.photos], prepared.swapper_data)
    return prepared


_FACE_ARRAYS = ("keypoints_5", "landmarks_478")


def _save(entry: Path, faces: Sequence[Face], data: MeshSource) -> None:
    """Write the entry under a temporary name, then rename it: a reader never sees half a file."""
    arrays: dict[str, Any] = {
        "texture": data.texture,
        "landmarks": data.landmarks,
        "chosen_index": np.array(data.chosen_index),
        "pose_scores": np.array(data.pose_scores, dtype=np.float64),
        "faces": np.array(len(faces)),
    }
    if data.closed_mouth_texture is not None:
        arrays["closed_mouth_texture"] = data.closed_mouth_texture
    for n, face in enumerate(faces):
        arrays[f"face{n}_box"] = np.array(face.box, dtype=np.float64)
        arrays[f"face{n}_score"] = np.array(face.score, dtype=np.float64)
        arrays[f"face{n}_detector"] = np.array(face.detector)
        for name in _FACE_ARRAYS:
            value = getattr(face, name)
            if value is not None:
                arrays[f"face{n}_{name}"] = value
    try:
        entry.parent.mkdir(parents=True, exist_ok=True)
        temporary = entry.with_name(f".{entry.stem}.{os.getpid()}.partial.npz")
        np.savez(temporary, **arrays)
        os.replace(temporary, entry)
        _prune(entry.parent)
    except OSError as error:
        log.warning("could not cache the source preparation: %s", error)


def _load(entry: Path, images: Sequence[Image]) -> tuple[list[Face], MeshSource] | None:
    try:
        with np.load(entry, allow_pickle=False) as stored:
            count = int(stored["faces"])
            if count != len(images):
                raise ValueError(f"{count} faces for {len(images)} photos")
            faces = [
                Face(
                    box=tuple(float(v) for v in stored[f"face{n}_box"]),  # type: ignore[arg-type]
                    score=float(stored[f"face{n}_score"]),
                    keypoints_5=stored[f"face{n}_keypoints_5"],
                    landmarks_478=stored.get(f"face{n}_landmarks_478"),
                    detector=str(stored[f"face{n}_detector"]),
                )
                for n in range(count)
            ]
            data = MeshSource(
                texture=stored["texture"],
                landmarks=stored["landmarks"],
                chosen_index=int(stored["chosen_index"]),
                pose_scores=tuple(float(v) for v in stored["pose_scores"]),
                closed_mouth_texture=stored.get("closed_mouth_texture"),
            )
    except FileNotFoundError:
        return None
    except (OSError, ValueError, KeyError, TypeError, IndexError, EOFError, zipfile.BadZipFile) as error:
        log.warning("ignoring the unreadable source cache entry %s: %s", entry, error)
        return None
    with contextlib.suppress(OSError):
        os.utime(entry)  # the newest by use are kept
    return faces, data


def _prune(folder: Path) -> None:
    entries = sorted(folder.glob("*.npz"), key=lambda p: p.stat().st_mtime_ns, reverse=True)
    for old in entries[MAX_ENTRIES:]:
        try:
            old.unlink()
        except OSError:
            continue
