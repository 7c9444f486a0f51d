"""Statistics of a video's swapped person that change slowly from frame to frame, kept between frames.

The mesh swap measures, every frame, a few statistics of the face and of the target's skin under it:
the colour transfer's LAB means and spreads (:func:`~.color.transfer_lab_mean_std`), the tone step's
lighting fits (:func:`~.lighting.fit_skin_shadings`), its beard test (:func:`~.skin_tone.beard_drop`)
and its skin weights' luma spreads (:func:`~.skin_tone.skin_weights`), how far the skin extension's rays
reach before the target's hairline (:func:`~.skin_extension.extension_coverage`), and the occluder
search's skin model (:class:`SkinModel`, :func:`~.occluders.target_occluders`).
In a video they follow the person's lighting and pose, which change slowly: a video's swap may measure
them on some frames (*measuring* frames) and reuse them on the frames between (*reusing* frames). A
photo swap, or a swap given no :class:`StatsTicket`, measures them as it always did.

A :class:`StatsTicket` is one frame's link to its person's memory (``core/video/person_memory.py``
hands them out in frame order). The swaps of an export run on several workers, out of step: a reusing
frame waits for the measuring frame it reuses, so what a frame gets never depends on thread timing.

A measuring frame uses and passes on its own values, not an average with earlier measuring frames: an
average would make every frame depend on all the measuring frames since the last reset, and a preview
that renders one frame as the export does (``VideoSession.preview_as_export``) would have to swap them
all; this way it swaps one (the frame's measuring frame) before the frame itself.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

LabStats = tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]
"""The colour transfer's statistics: the face's LAB mean and std, then the target's (see
:func:`~.color.transfer_lab_mean_std`)."""

SkinSpreads = tuple[tuple[float, float], tuple[float, float]]
"""The tone's skin weights' luma median and robust deviation of the swapped face's skin, then of the
target's (see :func:`~.skin_tone.skin_weights`)."""


@dataclass(frozen=True)
class SkinModel:
    """The target's skin model of the occluder search's skin test (:func:`~.skin_extension.skin_likelihood`):
    the reference skin's mean LAB (where the local mean falls back to it), the inverse covariance of its
    trimmed residuals and its typical gradient energy (median)."""

    mean: NDArray[np.float32]
    inverse: NDArray[np.float64]
    typical: float


ShadingFits = tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.bool_]]
""":func:`~.lighting.fit_skin_shadings`' result: the face's and the target's fit and the usable skin
vertices."""


@dataclass
class SlowStats:
    """What one measuring frame measured. ``None`` values are
    results too (too little skin shown: no transfer, no fit), as on the measuring frame itself."""

    colour: LabStats | None = None
    shading: ShadingFits | None = None
    beard: bool = False
    reach: NDArray[np.float32] | None = None
    """The skin extension's rays' reach (:func:`~.skin_extension.extension_coverage`): where the
    target's hairline lies along the face's own rays."""
    colour_known: bool = False
    shading_known: bool = False
    beard_known: bool = False
    spreads: SkinSpreads | None = None
    """The tone's skin weights' luma spreads (:data:`SkinSpreads`)."""
    reach_known: bool = False
    spreads_known: bool = False
    """Which of these the measuring frame measured: a frame that reuses the statistics measures
    those its measuring frame did not (a face that crossed the relighting's size limit, say)."""


class StatsSlot:
    """One measuring frame's statistics, published once (or abandoned when its swap failed).

    The occluder search's skin model is published on its own, as soon as the measuring frame has it (the
    search is the swap's first step): a reusing frame waits for it there, not for the whole swap."""

    def __init__(self) -> None:
        self._ready = threading.Event()
        self._value: SlowStats | None = None
        self._model_ready = threading.Event()
        self._model: SkinModel | None = None

    def publish_model(self, model: SkinModel | None) -> None:
        """Publish the skin model (once: later calls change nothing)."""
        if not self._model_ready.is_set():
            self._model = model
            self._model_ready.set()

    def wait_model(self) -> SkinModel | None:
        self._model_ready.wait()
        return self._model

    def publish(self, value: SlowStats | None) -> None:
        self._value = value
        self._ready.set()

    def wait(self) -> SlowStats | None:
        self._ready.wait()
        return self._value


class StatsTicket:
    """One frame's access to its person's slow statistics: either it reuses a measuring frame's
    (:meth:`recall` returns them, waiting for that frame if needed) or it measures and publishes its own
    (:meth:`recall` returns None; the swap passes each fresh value through the ``settle_*`` methods and
    calls :meth:`finish`).

    Every ticket must be finished (the video code does it in a ``finally``): a frame whose swap failed
    publishes nothing, and the frames that would reuse it measure for themselves.
    """

    def __init__(self, reuse: StatsSlot | None, fill: StatsSlot | None) -> None:
        self._reuse, self._fill = reuse, fill
        self._measured = SlowStats()
        self._finished = False

    @classmethod
    def measuring(cls) -> StatsTicket:
        """A ticket that measures and publishes (to :attr:`slot`)."""
        return cls(None, StatsSlot())

    @classmethod
    def reusing(cls, slot: StatsSlot) -> StatsTicket:
        """A ticket that reuses ``slot``'s statistics."""
        return cls(slot, None)

    @property
    def slot(self) -> StatsSlot | None:
        """Where a measuring ticket publishes (None for a reusing one)."""
        return self._fill

    @property
    def measures(self) -> bool:
        """Whether this frame measures (and publishes) the statistics."""
        return self._fill is not None

    def recall(self) -> SlowStats | None:
        """The statistics to reuse, or None: this frame measures. A reusing frame whose measuring frame
        failed gets None too (it measures for itself and publishes nothing)."""
        if self._reuse is None:
            return None
        return self._reuse.wait()

    def recall_skin_model(self) -> SkinModel | None:
        """The occluder search's skin model to reuse, or None: this frame measures it (a measuring frame,
        or one whose measuring frame had none: too little skin shown, or its swap failed first)."""
        if self._reuse is None:
            return None
        return self._reuse.wait_model()

    def settle_skin_model(self, fresh: SkinModel | None) -> None:
        """Publish a measuring frame's skin model at once (a reusing frame's own is not passed on)."""
        if self._fill is not None:
            self._fill.publish_model(fresh)

    def settle_colour(self, fresh: LabStats | None) -> LabStats | None:
        """Record the colour transfer's statistics (returned as they are, for the swap to use)."""
        self._measured.colour, self._measured.colour_known = fresh, True
        return fresh

    def settle_shading(self, fresh: ShadingFits | None) -> ShadingFits | None:
        """Record the lighting fits (returned as they are)."""
        self._measured.shading, self._measured.shading_known = fresh, True
        return fresh

    def settle_beard(self, fresh: bool) -> bool:
        """Record the beard test's answer (returned as it is)."""
        self._measured.beard, self._measured.beard_known = fresh, True
        return fresh

    def settle_spreads(self, fresh: SkinSpreads | None) -> SkinSpreads | None:
        """Record the tone's skin spreads (returned as they are)."""
        self._measured.spreads, self._measured.spreads_known = fresh, True
        return fresh

    def settle_reach(self, fresh: NDArray[np.float32]) -> NDArray[np.float32]:
        """Record the skin extension's reach (returned as it is)."""
        self._measured.reach, self._measured.reach_known = fresh, True
        return fresh

    def finish(self, ok: bool = True) -> None:
        """Publish what this frame measured (``ok``) or nothing (its swap failed). Idempotent; a reusing
        ticket has nothing to publish."""
        if self._finished:
            return
        self._finished = True
        if self._fill is not None:
            self._fill.publish_model(None)  # (a no-op when the search published its model)
            self._fill.publish(self._measured if ok else None)
