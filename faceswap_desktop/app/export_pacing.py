"""How many swaps a video export runs at once, and how far its tracking runs ahead of them.

The export's threads share the machine's cores: the swap workers, the job's thread (tracking), the
encoder's own threads and the decoding helper. Two facts measured on the 2-core benchmark machine
(docs/video_performance.md, "Round 9") set the pace:

- The mesh engine's swap holds the GIL about half its time (``py-spy --gil``: 46 % of its samples),
  so two swap threads run barely faster than one: 90 swaps of the one-face 720p clip in one process
  ran at 37-39 swaps/s on one thread and 36-41 on two. Beside tracking and x264 in an export, the
  second worker bought ~10 % more swaps while x264 was idle and cost ~30 % more CPU a swap (GIL
  hand-offs between the workers: the scheduler's share of their samples rose from 3-4 % to 11-12 %).
- x264 encodes nothing until its look-ahead is full (40 frames at the default preset): until then the
  export's cores are short of work, and the last ~40 frames are encoded after the last swap.

So on two cores or fewer a single worker swaps (:func:`swap_workers`), and while the encoder is still
filling its look-ahead the job's thread tracks frames ahead of the swaps
(:func:`tracked_ahead_while_encoder_fills`) on the core the second worker would have used: the
tracking done then is not left for the stretch where x264 and the swap share the cores. Which frames
are tracked, swapped and written, and how, does not change: only when.
"""

from __future__ import annotations

import os

from ..core.media.frame_memory import MemoryPlan


def usable_cores() -> int:
    """The cores this process may run on."""
    try:
        return max(len(os.sched_getaffinity(0)), 1)
    except AttributeError:  # macOS, Windows
        return max(os.cpu_count() or 1, 1)


def swap_workers(allowed: int, cores: int | None = None) -> int:
    """Swap workers for an export that the memory plan allows ``allowed`` of: one on two cores or
    fewer (a second one costs more CPU than it gains there, see the module's note), else ``allowed``."""
    cores = usable_cores() if cores is None else cores
    return 1 if cores <= 2 else max(allowed, 1)


def tracked_ahead_while_encoder_fills(plan: MemoryPlan, frames_encoded: int, allowance: int) -> int:
    """Frames the job's thread may hold tracked, waiting for their swap, while the encoder has given
    back nothing yet (its look-ahead is filling): up to ``allowance`` (the allowance while the source
    is prepared), and no more than the part of the plan's encoder frames that the ``frames_encoded``
    frames it was given do not take, so that the plan's peak still holds."""
    return max(0, min(allowance, plan.encoder_frames - frames_encoded))
