"""The timeline's state: frames and their times, playhead, in/out range, keyframes, identity and thumbs.

Views (the track, the control bar) subscribe to its signals; the video workspace feeds it results.
"""

from __future__ import annotations

import math

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QImage

from ..app.keyframes import KeyframeTrack
from ..core.settings import SwapSettings

NOT_MEASURED = math.nan
"""Identity value of a frame whose face was found but not scored (export scores every Nth frame)."""


def format_time(seconds: float) -> str:
    """``m:ss.cc`` (``h:mm:ss.cc`` past an hour)."""
    seconds = max(seconds, 0.0)
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{int(hours)}:{int(minutes):02d}:{secs:05.2f}"
    return f"{int(minutes)}:{secs:05.2f}"


class TimelineModel(QObject):
    """Everything the timeline shows; frame indices are 0-based and the out point is inclusive."""

    video_changed = Signal()
    position_changed = Signal(int)
    range_changed = Signal(int, int)
    keyframes_changed = Signal()
    identity_changed = Signal()
    thumbnails_changed = Signal()
    playing_changed = Signal(bool)
    presence_changed = Signal()

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.times: tuple[float, ...] = ()
        self.duration = 0.0
        self.position = 0
        self.in_point = 0
        self.out_point = 0
        self.track = KeyframeTrack()
        self.identity: dict[int, float | None] = {}
        """Frame -> similarity percent; None: the person was not found; NaN: found, not measured."""
        self.people_identity: dict[int, dict[int, float | None]] = {}
        """The same for each further mapped person (cast number -> frame -> percent), from exports."""
        self.plotted_person: int | None = None
        """Whose identity the plot shows: a further person's cast number, or None (the main person)."""
        self.thumbnails: list[tuple[int, QImage]] = []
        self.playing = False
        self.presence: tuple[tuple[int, int], ...] = ()
        """Inclusive frame ranges where the person to replace appears (from the cast scan)."""

    # -- video ---------------------------------------------------------------------------------------
    def set_video(self, times: tuple[float, ...], duration: float, base: SwapSettings) -> None:
        """A new video: the playhead at 0, the whole range, no keyframes, identity or thumbnails."""
        self.times, self.duration = times, duration
        self.position, self.in_point, self.out_point = 0, 0, max(len(times) - 1, 0)
        self.track = KeyframeTrack(base)
        self.identity, self.thumbnails, self.presence = {}, [], ()
        self.people_identity, self.plotted_person = {}, None
        self.set_playing(False)
        self.video_changed.emit()
        self.range_changed.emit(self.in_point, self.out_point)
        self.keyframes_changed.emit()
        self.identity_changed.emit()
        self.thumbnails_changed.emit()
        self.position_changed.emit(0)

    @property
    def frame_count(self) -> int:
        return len(self.times)

    @property
    def fps(self) -> float:
        return self.frame_count / self.duration if self.duration > 0 else 30.0

    def time_of(self, frame: int) -> float:
        return self.times[frame] if 0 <= frame < len(self.times) else 0.0

    def clamp(self, frame: int) -> int:
        return min(max(frame, 0), max(self.frame_count - 1, 0))

    # -- playhead ------------------------------------------------------------------------------------
    def set_position(self, frame: int) -> None:
        frame = self.clamp(frame)
        if frame != self.position:
            self.position = frame
            self.position_changed.emit(frame)

    def step(self, frames: int) -> None:
        self.set_position(self.position + frames)

    def set_playing(self, playing: bool) -> None:
        playing = playing and self.frame_count > 1
        if playing != self.playing:
            self.playing = playing
            self.playing_changed.emit(playing)

    # -- range ---------------------------------------------------------------------------------------
    def set_in(self, frame: int | None = None) -> None:
        """In point at ``frame`` (default: the playhead); the out point moves along if it was before."""
        frame = self.clamp(self.position if frame is None else frame)
        self.in_point, self.out_point = frame, max(self.out_point, frame)
        self.range_changed.emit(self.in_point, self.out_point)

    def set_out(self, frame: int | None = None) -> None:
        """Out point (inclusive) at ``frame`` (default: the playhead); the in point moves along if after."""
        frame = self.clamp(self.position if frame is None else frame)
        self.out_point, self.in_point = frame, min(self.in_point, frame)
        self.range_changed.emit(self.in_point, self.out_point)

    def clear_range(self) -> None:
        self.in_point, self.out_point = 0, max(self.frame_count - 1, 0)
        self.range_changed.emit(self.in_point, self.out_point)

    @property
    def has_range(self) -> bool:
        return (self.in_point, self.out_point) != (0, max(self.frame_count - 1, 0))

    def range_seconds(self) -> tuple[float | None, float | None]:
        """(start, end) seconds of the in/out range for the export (None: the video's own end)."""
        start = self.time_of(self.in_point) if self.in_point > 0 else None
        end = self.time_of(self.out_point + 1) if self.out_point + 1 < self.frame_count else None
        return start, end

    # -- keyframes -----------------------------------------------------------------------------------
    def set_keyframe(self, settings: SwapSettings, frame: int | None = None) -> None:
        self.track = self.track.with_key(self.position if frame is None else frame, settings)
        self.keyframes_changed.emit()

    def remove_keyframe(self, frame: int | None = None) -> None:
        self.track = self.track.without_key(self.position if frame is None else frame)
        self.keyframes_changed.emit()

    def set_base(self, settings: SwapSettings) -> None:
        self.track = self.track.with_base(settings)

    # -- identity and thumbnails ---------------------------------------------------------------------
    def set_identity(self, frame: int, value: float | None) -> None:
        """Record a frame's identity; a measured percent is never replaced by "not measured"."""
        if value is not None and math.isnan(value) and isinstance(self.identity.get(frame), float):
            return
        self.identity[frame] = value
        self.identity_changed.emit()

    def clear_identity(self) -> None:
        """Forget every frame's identity (another person is being replaced)."""
        self.identity = {}
        self.identity_changed.emit()

    def set_person_identity(self, person: int, frame: int, value: float) -> None:
        """Record further person ``person``'s identity in ``frame`` (a percent, or NaN: not measured;
        a measured percent is never replaced by NaN)."""
        series = self.people_identity.setdefault(person, {})
        old = series.get(frame)
        if math.isnan(value) and old is not None and not math.isnan(old):
            return
        series[frame] = value
        if person == self.plotted_person:
            self.identity_changed.emit()

    def plot_person(self, person: int | None) -> None:
        """Plot further person ``person``'s identity (None: the main person's)."""
        if person != self.plotted_person:
            self.plotted_person = person
            self.identity_changed.emit()

    def plotted_identity(self) -> dict[int, float | None]:
        """The series the identity plot shows (see :attr:`plotted_person`)."""
        if self.plotted_person is None:
            return self.identity
        return self.people_identity.get(self.plotted_person, {})

    def set_presence(self, ranges: tuple[tuple[int, int], ...]) -> None:
        """Where the person to replace appears (inclusive frame ranges; empty: not known)."""
        self.presence = ranges
        self.presence_changed.emit()

    def set_thumbnails(self, thumbnails: list[tuple[int, QImage]]) -> None:
        self.thumbnails = thumbnails
        self.thumbnails_changed.emit()
