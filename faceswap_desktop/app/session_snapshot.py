"""The window's working state saved whenever it changes, so that a crash or a kill loses nothing.

A :class:`SessionSnapshot` holds what the user set up: source photos, the target (photo or video), the
faces chosen, blend settings and components, and for a video the playhead, the in/out marks, the person
chosen and the keyframes. :class:`SnapshotWriter` writes it atomically on a thread of its own (the GUI
thread never waits for the disk), the newest snapshot replacing any still waiting.

:class:`SessionGuard` tells whether the previous session ended without a clean exit: each session holds
a lock on ``session.lock`` (the OS drops it when the process dies, even on SIGKILL) and leaves a
``session.running`` marker that only a clean exit removes. A marker found while the lock is free means
its session died; a lock held means another window is running, which then keeps the autosave.
"""

from __future__ import annotations

import json
import logging
import os
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..core.media.image_io import write_bytes_atomic
from .file_lock import FileLock

log = logging.getLogger(__name__)

SNAPSHOT_FILE = "session.json"
MARKER_FILE = "session.running"
LOCK_FILE = "session.lock"
SNAPSHOT_VERSION = 1


@dataclass(frozen=True)
class VideoState:
    """The timeline of an open video: playhead, inclusive in/out marks, person chosen, keyframes."""

    position: int = 0
    in_point: int = 0
    out_point: int = 0
    reference_frame: int | None = None
    reference_face: int | None = None
    reference_person: int | None = None
    """The cast member chosen (``ReferenceChoice.person``), when one was."""
    keyframes: tuple[tuple[int, Mapping[str, Any]], ...] = ()
    """(frame, settings as a mapping) per keyframe, ascending."""
    more_people: tuple[tuple[tuple[str, ...], int], ...] = ()
    """Further source identities: (photos, cast member they replace) each."""


@dataclass(frozen=True)
class SessionSnapshot:
    """What the user set up in the window (paths as text, settings as mappings)."""

    sources: tuple[str, ...] = ()
    target: str | None = None
    selection: tuple[int, ...] = ()
    settings: Mapping[str, Any] = field(default_factory=dict)
    components: Mapping[str, Any] = field(default_factory=dict)
    video: VideoState | None = None

    @property
    def is_empty(self) -> bool:
        """Nothing worth offering back: no source and no target."""
        return not self.sources and self.target is None

    def describe(self) -> str:
        """One line for the restore offer, e.g. "2 source photos · target clip.mp4 · frames 11–70"."""
        parts = []
        if self.sources:
            parts.append(f"{len(self.sources)} source photo{'s' if len(self.sources) != 1 else ''}")
        if self.target is not None:
            parts.append(f"target {Path(self.target).name}")
        video = self.video
        if video is not None:
            parts.append(f"frames {video.in_point + 1}–{video.out_point + 1}")
            if video.keyframes:
                parts.append(f"{len(video.keyframes)} keyframe{'s' if len(video.keyframes) != 1 else ''}")
            if video.reference_frame is not None:
                parts.append(f"person chosen at frame {video.reference_frame + 1}")
            elif video.reference_person is not None:
                parts.append(f"person {video.reference_person} of the cast")
            if video.more_people:
                people = ", ".join(str(person) for _photos, person in video.more_people)
                parts.append(f"more people replaced: {people}")
        return " · ".join(parts) if parts else "nothing"

    def to_dict(self) -> dict[str, Any]:
        video = self.video
        return {
            "version": SNAPSHOT_VERSION,
            "sources": list(self.sources),
            "target": self.target,
            "selection": list(self.selection),
            "settings": dict(self.settings),
            "components": dict(self.components),
            "video": None
            if video is None
            else {
                "position": video.position,
                "in_point": video.in_point,
                "out_point": video.out_point,
                "reference_frame": video.reference_frame,
                "reference_face": video.reference_face,
                "reference_person": video.reference_person,
                "keyframes": [[frame, dict(settings)] for frame, settings in video.keyframes],
                "more_people": [
                    {"photos": list(photos), "person": person} for photos, person in video.more_people
                ],
            },
        }


def snapshot_from_dict(data: Mapping[str, Any]) -> SessionSnapshot:
    """The snapshot in ``data``; raises ValueError (or TypeError) when it is not one this app wrote."""
    if data.get("version") != SNAPSHOT_VERSION:
        raise ValueError(f"unknown session snapshot version {data.get('version')!r}")
    sources = tuple(_text(item) for item in data.get("sources", []))
    target = data.get("target")
    video_data = data.get("video")
    video = None
    if video_data is not None:
        video = VideoState(
            position=_count(video_data["position"]),
            in_point=_count(video_data["in_point"]),
            out_point=_count(video_data["out_point"]),
            reference_frame=_optional_count(video_data.get("reference_frame")),
            reference_face=_optional_count(video_data.get("reference_face")),
            reference_person=_optional_count(video_data.get("reference_person")),
            keyframes=tuple(
                (_count(frame), _mapping(settings)) for frame, settings in video_data.get("keyframes", [])
            ),
            more_people=tuple(
                (tuple(_text(photo) for photo in entry["photos"]), _count(entry["person"]))
                for entry in video_data.get("more_people", [])
            ),
        )
    return SessionSnapshot(
        sources=sources,
        target=None if target is None else _text(target),
        selection=tuple(_count(index) for index in data.get("selection", [])),
        settings=_mapping(data.get("settings", {})),
        components=_mapping(data.get("components", {})),
        video=video,
    )


def _text(value: object) -> str:
    if not isinstance(value, str) or not value:
        raise ValueError(f"expected a path, got {value!r}")
    return value


def _count(value: object) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise ValueError(f"expected a non-negative integer, got {value!r}")
    return value


def _optional_count(value: object) -> int | None:
    return None if value is None else _count(value)


def _mapping(value: object) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise ValueError(f"expected an object, got {type(value).__name__}")
    return dict(value)


def write_snapshot(path: Path, snapshot: SessionSnapshot) -> None:
    """Write ``snapshot`` atomically (a crash mid-write leaves the previous file)."""
    write_bytes_atomic(path, json.dumps(snapshot.to_dict(), indent=1, sort_keys=True).encode("utf-8"))


def read_snapshot(path: Path) -> SessionSnapshot | None:
    """The snapshot saved at ``path``; None when there is none or it cannot be read (logged)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return snapshot_from_dict(data)
    except FileNotFoundError:
        return None
    except (OSError, ValueError, TypeError, KeyError) as error:
        log.warning("ignoring the saved session: %s", error)
        return None


class SnapshotWriter:
    """Writes snapshots on its own thread, newest wins; :meth:`close` writes what waits and stops."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._pending: SessionSnapshot | None = None
        self._condition = threading.Condition()
        self._closed = False
        self._busy = False
        self.writes = 0
        """Snapshots written so far (tests read it)."""
        self._thread = threading.Thread(target=self._run, name="session-autosave", daemon=True)
        self._thread.start()

    def submit(self, snapshot: SessionSnapshot) -> None:
        """Save ``snapshot`` soon (replacing one not yet written)."""
        with self._condition:
            if self._closed:
                return
            self._pending = snapshot
            self._condition.notify()

    def flush(self, timeout: float = 5.0) -> bool:
        """Wait until every submitted snapshot is written; False on time-out."""
        deadline = time.monotonic() + timeout
        with self._condition:
            while self._pending is not None or self._busy:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                self._condition.wait(remaining)
        return True

    def close(self) -> None:
        """Write what is pending and stop the thread (idempotent)."""
        with self._condition:
            self._closed = True
            self._condition.notify_all()
        self._thread.join(timeout=10)

    def _run(self) -> None:
        while True:
            with self._condition:
                while self._pending is None and not self._closed:
                    self._condition.wait()
                snapshot, self._pending = self._pending, None
                if snapshot is None:
                    return  # closed with nothing left to write
                self._busy = True
            try:
                write_snapshot(self.path, snapshot)
                self.writes += 1
            except OSError as error:  # a full or read-only disk must not stop the window
                log.warning("could not save the session: %s", error)
            finally:
                with self._condition:
                    self._busy = False
                    self._condition.notify_all()


@dataclass(frozen=True)
class SessionStart:
    """What :meth:`SessionGuard.start` found."""

    owner: bool
    """This window keeps the autosave (False: another window is running and does)."""
    previous_unclean: bool
    """The previous session ended without a clean exit (a crash, a kill, a power cut)."""
    snapshot: SessionSnapshot | None
    """Its saved state, when it ended uncleanly and saved something worth offering."""


class SessionGuard:
    """Detects an unclean end of the previous session and owns this session's autosave file."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.snapshot_path = folder / SNAPSHOT_FILE
        self.marker_path = folder / MARKER_FILE
        self._lock = FileLock(folder / LOCK_FILE)
        self.writer: SnapshotWriter | None = None

    def start(self) -> SessionStart:
        """Take the session lock, read what an unclean previous session left, and mark this one running."""
        if not self._lock.acquire():
            log.info("another window owns the session autosave")
            return SessionStart(False, False, None)
        unclean = self.marker_path.exists()
        snapshot = read_snapshot(self.snapshot_path) if unclean else None
        if snapshot is not None and snapshot.is_empty:
            snapshot = None
        try:
            write_bytes_atomic(self.marker_path, f"{os.getpid()} {time.time():.0f}\n".encode())
        except OSError as error:
            log.warning("could not mark the session as running: %s", error)
        self.writer = SnapshotWriter(self.snapshot_path)
        if unclean:
            log.warning("the previous session did not exit cleanly")
        return SessionStart(True, unclean, snapshot)

    def save(self, snapshot: SessionSnapshot) -> None:
        """Save ``snapshot`` in the background (only the owner saves)."""
        if self.writer is not None:
            self.writer.submit(snapshot)

    def finish(self) -> None:
        """A clean exit: stop saving, forget the snapshot and the marker, release the lock (idempotent)."""
        if self.writer is not None:
            self.writer.close()
            self.writer = None
        if self._lock.held:
            for path in (self.snapshot_path, self.marker_path):
                try:
                    path.unlink(missing_ok=True)
                except OSError as error:
                    log.warning("could not remove %s: %s", path.name, error)
        self._lock.release()
