"""Cast scans cached per file: ``<user cache>/cast/<key>.json``, one JSON file per scan.

The key hashes the video's content (SHA-256 of every byte: a renamed or touched file keeps its cast, an
edited one gets a new scan), the scan settings, the embedder and :data:`~.cast.CAST_VERSION`. Thumbnails
travel inside the JSON as PNG (base64). An unreadable or stale entry is scanned again, never an error.
"""

from __future__ import annotations

import base64
import hashlib
import json
import logging
import os
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import platformdirs

from ..core.file_digest import file_sha256
from ..core.media.video_io import VideoSource
from ..core.roles import Recognizer
from ..core.video.cast import Sighting
from .cast import (
    CAST_VERSION,
    CancelToken,
    Cast,
    CastMember,
    CastOptions,
    CastProgress,
    FaceFinder,
    SampleSink,
    scan_cast,
)

log = logging.getLogger(__name__)

APP_NAME = "faceswap-desktop"


def user_cache_base() -> Path:
    """The app's per-user cache folder (``FACESWAP_CACHE_DIR`` overrides it); each kind of cached entry
    has a folder of its own in it (cast scans here, source preparations in :mod:`.source_cache`)."""
    override = os.environ.get("FACESWAP_CACHE_DIR")
    return Path(override) if override else Path(platformdirs.user_cache_dir(APP_NAME))


def cache_folder() -> Path:
    """The per-user cache folder of cast scans."""
    return user_cache_base() / "cast"


def content_hash(path: Path) -> str:
    """SHA-256 of the file's bytes (about 1 s a GB), once per process for a file left unchanged: a CLI
    export with a progress bar asks three times (its scan, the export, the summary's person)."""
    return file_sha256(path)


def cache_key(path: Path, options: CastOptions, embedder: Recognizer | None) -> str:
    """The cache key of a scan of ``path`` with these settings and embedder."""
    settings = json.dumps(
        {
            "version": CAST_VERSION,
            "options": asdict(options),
            "embedder": embedder.name if embedder is not None else None,
            "content": content_hash(path),
        },
        sort_keys=True,
    )
    return hashlib.sha256(settings.encode()).hexdigest()[:32]


def load_or_scan_cast(
    reader: VideoSource,
    detector: FaceFinder,
    embedder: Recognizer | None,
    options: CastOptions | None = None,
    cancel: CancelToken | None = None,
    progress: Callable[[CastProgress], None] | None = None,
    sampled: SampleSink | None = None,
) -> Cast:
    """The clip's cast from the cache, or a new scan (then cached; ``sampled``: see
    :func:`~.cast.scan_cast`)."""
    options = options or CastOptions()
    entry = cache_folder() / f"{cache_key(reader.path, options, embedder)}.json"
    cached = _load(entry, reader.path)
    if cached is not None:
        log.info("cast of %s from the cache (%s)", reader.path.name, entry.name)
        return cached
    cast = scan_cast(reader, detector, embedder, options, cancel, progress, sampled=sampled)
    _save(entry, cast)
    return cast


def cached_cast(path: Path, embedder: Recognizer | None, options: CastOptions | None = None) -> Cast | None:
    """The cast of ``path`` from the cache (None when it was not scanned with these settings)."""
    return _load(cache_folder() / f"{cache_key(path, options or CastOptions(), embedder)}.json", path)


def cast_to_json(cast: Cast) -> dict[str, Any]:
    """Everything a cached cast needs, JSON-ready."""
    data = cast.to_dict()
    data["height"] = cast.height
    data["fps_exact"] = cast.fps
    summaries = data["people"] + data["others"]
    for summary, member in zip(summaries, cast.members, strict=True):
        ok, png = cv2.imencode(".png", member.thumbnail)
        summary["thumbnail_png"] = base64.b64encode(png.tobytes()).decode() if ok else ""
        summary["mean_size"] = member.mean_size
        summary["presence_exact"] = member.presence
        summary["seconds_exact"] = member.seconds
        summary["sightings"] = [[s.frame, *s.box, s.size, s.quality] for s in member.sightings]
    return data


def cast_from_json(data: dict[str, Any], path: Path) -> Cast:
    """The cast :func:`cast_to_json` wrote (for the file now at ``path``)."""
    return Cast(
        path,
        int(data["frames"]),
        float(data["fps_exact"]),
        int(data["height"]),
        int(data["sampled_every"]),
        data["embedder"],
        tuple(_member_from_json(item) for item in data["people"]),
        float(data["scan_seconds"]),
        cached=True,
        others=tuple(_member_from_json(item) for item in data["others"]),
    )


def _member_from_json(item: dict[str, Any]) -> CastMember:
    """One member as :func:`cast_to_json` wrote it."""
    png = np.frombuffer(base64.b64decode(item["thumbnail_png"]), np.uint8)
    thumbnail = cv2.imdecode(png, cv2.IMREAD_COLOR)
    if thumbnail is None:
        raise ValueError("thumbnail unreadable")
    sightings = tuple(
        Sighting(int(row[0]), (row[1], row[2], row[3], row[4]), row[5], row[6]) for row in item["sightings"]
    )
    return CastMember(
        int(item["person"]),
        sightings,
        thumbnail,
        int(item["thumbnail_frame"]),
        int(item["frames"]),
        float(item["seconds_exact"]),
        float(item["mean_size"]),
        tuple((int(a), int(b)) for a, b in item["ranges"]),
        float(item["presence_exact"]),
        int(item["tracks"]),
    )


def _load(entry: Path, path: Path) -> Cast | None:
    try:
        return cast_from_json(json.loads(entry.read_text()), path)
    except FileNotFoundError:
        return None
    except (OSError, ValueError, KeyError, TypeError, IndexError) as error:
        log.warning("ignoring the unreadable cast cache entry %s: %s", entry, error)
        return None


def _save(entry: Path, cast: Cast) -> None:
    """Write the entry under a temporary name, then rename it: a reader never sees half a file."""
    try:
        entry.parent.mkdir(parents=True, exist_ok=True)
        temporary = entry.with_name(f".{entry.stem}.{os.getpid()}.partial")
        temporary.write_text(json.dumps(cast_to_json(cast)))
        os.replace(temporary, entry)
    except OSError as error:
        log.warning("could not cache the cast of %s: %s", cast.path.name, error)
