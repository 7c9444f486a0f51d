"""One tracked person's slow statistics in a video: which frames measure them, which reuse them.

The mesh swap's colour transfer statistics, lighting fits, beard test, skin-weight spreads, hairline
reach and occluder skin model (:mod:`..mesh.slow_stats`) follow the person's lighting and pose, which
change slowly. An export keeps one :class:`PersonMemory` per swapped person and asks it, in frame
order, for each frame's :class:`~..mesh.slow_stats.StatsTicket`: a frame measures every
:data:`REFRESH_EVERY` frames, and at once whenever what the statistics depend on has moved since the
last measuring frame (:func:`changed`): the face's scale, place or pose, the light on it (the target's
mean colour over the face's middle), or the swap's settings. The export resets the memory at a scene
cut and when the person is lost, so the next frame measures afresh.

Each measuring frame uses its own statistics (see :mod:`..mesh.slow_stats` for why they are not
averaged over measuring frames).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import cv2
import numpy as np

from ..geometry import head_pose_proxies
from ..mesh.slow_stats import StatsSlot, StatsTicket
from ..types import Face, Image

REFRESH_EVERY = 6
"""A frame measures at least every this many frames (0.2 s at 30 fps)."""

LIGHT_CHANGE = 3.0
"""Levels (0-255) by which the mean of any colour channel over the face's middle may move from the last
measuring frame's before a frame measures again: about one step of CIE lightness's just noticeable
difference (~1 L* unit is ~2.5 levels here), so a stale tone is never off by more than about that."""

SIZE_CHANGE = 0.1
"""Relative change of the face's size that makes a frame measure again."""

MOVE_CHANGE = 0.25
"""Move of the face's centre, in face sizes, that makes a frame measure again."""

POSE_CHANGE = 0.08
"""Change of the yaw or pitch proxy (:func:`~..geometry.head_pose_proxies`; ~0.08 is ~5 degrees of
yaw) or of the roll over 45 degrees that makes a frame measure again: the fits' skin vertices and the
light on them move with the pose."""


@dataclass(frozen=True)
class Signature:
    """What a frame's slow statistics depend on (see :func:`signature`)."""

    size: float
    centre: tuple[float, float]
    pose: tuple[float, float, float]
    light: tuple[float, float, float]


def signature(frame: Image, face: Face) -> Signature:
    """The face's size, centre and pose, and the mean BGR of ``frame`` over the middle of its box (the
    box's central half in each direction, ~32 samples across: ~0.05 ms)."""
    x0, y0, x1, y1 = face.box
    width, height = x1 - x0, y1 - y0
    left, right = int(max(x0 + width / 4, 0)), int(min(x1 - width / 4, frame.shape[1]))
    top, bottom = int(max(y0 + height / 4, 0)), int(min(y1 - height / 4, frame.shape[0]))
    light = (0.0, 0.0, 0.0)
    if right > left and bottom > top:
        step = max(1, (right - left) // 32)
        mean = cv2.mean(np.ascontiguousarray(frame[top:bottom:step, left:right:step]))
        light = (float(mean[0]), float(mean[1]), float(mean[2]))
    roll, yaw, pitch = head_pose_proxies(face.keypoints_5)
    return Signature(face.size, face.center, (roll, yaw, pitch), light)


def changed(now: Signature, then: Signature) -> bool:
    """Whether the statistics measured at ``then`` are stale at ``now`` (see the thresholds above)."""
    if abs(now.size - then.size) > SIZE_CHANGE * then.size:
        return True
    if math.dist(now.centre, then.centre) > MOVE_CHANGE * then.size:
        return True
    roll = abs(now.pose[0] - then.pose[0]) / 45.0
    if max(roll, abs(now.pose[1] - then.pose[1]), abs(now.pose[2] - then.pose[2])) > POSE_CHANGE:
        return True
    return max(abs(a - b) for a, b in zip(now.light, then.light, strict=True)) > LIGHT_CHANGE


class PersonMemory:
    """One person's slow statistics over a video; :meth:`ticket` is called in frame order (one thread),
    the tickets are used by the swaps (any thread)."""

    def __init__(self, refresh_every: int = REFRESH_EVERY) -> None:
        self.refresh_every = max(1, refresh_every)
        self._slot: StatsSlot | None = None
        self._signature: Signature | None = None
        self._settings: object = None
        self._age = 0
        self.measured = 0
        """How many frames measured (for reports and tests)."""
        self.changes = 0
        """How many of those measured because something changed (not the period, not a reset)."""

    def reset(self) -> None:
        """Forget the statistics (a scene cut, the person lost): the next frame measures afresh."""
        self._slot, self._signature = None, None

    def ticket(self, frame: Image, face: Face, settings: object = None) -> StatsTicket:
        """The ticket of the next frame (``frame`` before the swap, ``face`` the person's face in it,
        ``settings`` the frame's swap settings: a change of settings measures afresh)."""
        now = signature(frame, face)
        then = self._signature
        fresh = self._slot is None or then is None or settings != self._settings
        moved = not fresh and then is not None and changed(now, then)
        if not fresh and not moved and self._age < self.refresh_every:
            self._age += 1
            assert self._slot is not None
            return StatsTicket.reusing(self._slot)
        ticket = StatsTicket.measuring()
        self.changes += int(moved)
        self._slot, self._signature, self._settings, self._age = ticket.slot, now, settings, 1
        self.measured += 1
        return ticket
