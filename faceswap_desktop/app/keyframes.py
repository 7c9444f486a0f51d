"""Keyframed blend settings for a video: settings snapshots pinned to frames, interpolated in between.

Between two keyframes every integer setting moves linearly (rounded to the nearest integer, clamped to
its range); choices and switches step, keeping the earlier keyframe's value until the next keyframe.
Before the first keyframe the first one holds, after the last one the last one holds. A track with no
keyframe gives its ``base`` settings everywhere. No Qt: the timeline and the export share this.
"""

from __future__ import annotations

import bisect
import dataclasses
from dataclasses import dataclass, field

from ..core.settings import SETTING_SPECS, SwapSettings


def interpolate_settings(before: SwapSettings, after: SwapSettings, fraction: float) -> SwapSettings:
    """Settings ``fraction`` (0..1) of the way from ``before`` to ``after``: ints linear, the rest step."""
    fraction = min(max(fraction, 0.0), 1.0)
    changes: dict[str, object] = {}
    for name, spec in SETTING_SPECS.items():
        start, end = getattr(before, name), getattr(after, name)
        if spec.kind == "int":
            value = round(start + (end - start) * fraction)
            changes[name] = min(max(value, spec.minimum), spec.maximum)
        else:
            changes[name] = end if fraction >= 1.0 else start
    return before.replace(**changes)


@dataclass(frozen=True)
class KeyframeTrack:
    """Immutable keyframes (frame index -> settings), sorted by frame; edits return a new track."""

    base: SwapSettings = field(default_factory=SwapSettings)
    """The settings used everywhere while the track has no keyframe."""
    keys: tuple[tuple[int, SwapSettings], ...] = ()

    @property
    def frames(self) -> tuple[int, ...]:
        """Frame indices that hold a keyframe, ascending."""
        return tuple(frame for frame, _ in self.keys)

    def __bool__(self) -> bool:
        return bool(self.keys)

    def with_key(self, frame: int, settings: SwapSettings) -> KeyframeTrack:
        """A track with ``settings`` pinned at ``frame`` (replacing a keyframe already there)."""
        if frame < 0:
            raise ValueError(f"keyframe index must be >= 0, got {frame}")
        kept = [(f, s) for f, s in self.keys if f != frame]
        kept.append((frame, settings))
        return dataclasses.replace(self, keys=tuple(sorted(kept, key=lambda key: key[0])))

    def without_key(self, frame: int) -> KeyframeTrack:
        """A track without the keyframe at ``frame`` (unchanged when there is none)."""
        return dataclasses.replace(self, keys=tuple((f, s) for f, s in self.keys if f != frame))

    def with_base(self, base: SwapSettings) -> KeyframeTrack:
        return dataclasses.replace(self, base=base)

    def settings_at(self, frame: int) -> SwapSettings:
        """The settings for ``frame``: the base, a keyframe, or an interpolation between two keyframes."""
        if not self.keys:
            return self.base
        frames = self.frames
        position = bisect.bisect_right(frames, frame)
        if position == 0:
            return self.keys[0][1]
        if position == len(frames):
            return self.keys[-1][1]
        (first, before), (last, after) = self.keys[position - 1], self.keys[position]
        if frame == first:
            return before
        return interpolate_settings(before, after, (frame - first) / (last - first))

    def neighbours(self, frame: int) -> tuple[int | None, int | None]:
        """The keyframe strictly before and strictly after ``frame`` (for jump-to-keyframe)."""
        frames = self.frames
        left = bisect.bisect_left(frames, frame)
        right = bisect.bisect_right(frames, frame)
        return (frames[left - 1] if left > 0 else None, frames[right] if right < len(frames) else None)
