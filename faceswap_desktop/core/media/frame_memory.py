"""How many frames a video export keeps in memory at once, chosen by frame size: the memory plan.

A video export holds frames in several places at once: the decoder's own reference and thread frames
and the batch the decoding helper sends back (helper process); the decode and encode queues, the frames
being swapped and the encoder's look-ahead and reference frames (app process). At 720p a frame is
2.7 MB and none of that matters; an 8K frame is 99.5 MB as BGR, and the defaults that suit 720p (queues
of 8, batches of 4, x264's 40-frame look-ahead with 3 frame threads) took the process tree past 5 GB.

So every place that holds frames takes its count from :func:`plan_for_frame`: frames up to
:data:`SMALL_FRAME_PIXELS` keep the fast defaults; larger ones keep fewer frames in flight, decode with
slice threads (no extra frames held) and encode with a short look-ahead. :attr:`MemoryPlan.estimate_bytes`
is the peak the plan is built to stay under (the whole process tree); ``benchmarks/bench_export_memory.py``
measures the real peak against it for 720p, 1080p, 4K and 8K.
"""

from __future__ import annotations

from dataclasses import dataclass

SMALL_FRAME_PIXELS = 2560 * 1440
"""Up to this (1440p), exports use the fast defaults: the frames in flight cost under 200 MB."""

LARGE_FRAME_PIXELS = 3840 * 2160
"""Above this (beyond 4K UHD), exports hold the fewest frames that keep every stage busy."""

BASE_BYTES = 700 * 2**20
"""The process tree without its frames: interpreter, OpenCV, PyAV, MediaPipe and the swap engine in the
app process (~550 MB measured at 720p) and the decoding helper (~150 MB)."""


@dataclass(frozen=True)
class MemoryPlan:
    """Frames held at each stage of an export, for one frame size."""

    frame_bytes: int
    """One BGR frame."""
    queue_frames: int
    """Frames each of the export's two queues (decoded, swapped) holds."""
    decode_batch: int
    """Frames the decoding helper sends per reply (it decodes the next batch meanwhile)."""
    max_workers: int
    """Frames swapped at once."""
    decoder_threads: str
    """FFmpeg's thread type for decoding: "AUTO" (frame threads hold a frame each) or "SLICE"."""
    encoder_frames: int
    """Frames the encoder holds (look-ahead, threads, references), in BGR-frame-sized units."""
    estimate_bytes: int
    """The peak of the whole process tree this plan is built to stay under."""


ESTIMATE_MARGIN = 1.1
"""The bare sum below was up to 7% under the measured peaks at 4K and 8K (and well over them at 720p and
1080p, where x264 holds fewer frames than its settings allow); the margin covers that."""


def _estimate(frame_bytes: int, in_flight: int, encoder_frames: int, decoder_frames: int) -> int:
    # An encoder or decoder frame is 4:2:0 (half a BGR frame) plus x264's padding, half-pixel planes
    # and per-macroblock data: about a BGR frame each (x264 at 8K: ~0.9 GB with no look-ahead).
    frames = in_flight + encoder_frames + decoder_frames
    return int((BASE_BYTES + frame_bytes * frames) * ESTIMATE_MARGIN)


def plan_for_frame(width: int, height: int, workers: int = 2) -> MemoryPlan:
    """The memory plan for ``width`` x ``height`` frames and up to ``workers`` swap workers."""
    pixels = width * height
    frame_bytes = pixels * 3
    workers = max(workers, 1)
    if pixels <= SMALL_FRAME_PIXELS:  # x264's defaults: 40 frames of look-ahead, 3 frame threads
        queue, batch, threads, encoder, decoder = 8, 4, "AUTO", 50, 8
    elif pixels <= LARGE_FRAME_PIXELS:
        queue, batch, threads, encoder, decoder = 2, 2, "SLICE", 24, 3
        workers = min(workers, 2)
    else:
        queue, batch, threads, encoder, decoder = 1, 1, "SLICE", 9, 3
        workers = 1
    # the decoded and swapped queues, one batch received and one copied out of shared memory, the
    # frames being swapped, the one being encoded and the reference frame kept by the tracker
    in_flight = 2 * queue + 2 * batch + workers + 2
    estimate = _estimate(frame_bytes, in_flight, encoder, decoder)
    return MemoryPlan(frame_bytes, queue, batch, workers, threads, encoder, estimate)


def encoder_memory_options(encoder: str, width: int, height: int) -> dict[str, str]:
    """Encoder options that cap the frames an encoder keeps, for frames above :data:`SMALL_FRAME_PIXELS`
    (none below: the codec's defaults). Returned options are merged with the codec's own."""
    if width * height <= SMALL_FRAME_PIXELS:
        return {}
    large = width * height > LARGE_FRAME_PIXELS
    if encoder == "libx264":
        # x264 keeps ~85 MB per 8K frame it holds: with its defaults (40-frame look-ahead, 3 frame
        # threads) that was 2.9 GB. Beyond 4K: no look-ahead, no B-frames, one reference (~0.9 GB
        # measured; the same CRF then gives a somewhat bigger file); at 4K a short look-ahead.
        if large:
            return {"x264-params": "rc-lookahead=0:sync-lookahead=0:threads=2:bframes=0:ref=1"}
        return {"x264-params": "rc-lookahead=10:sync-lookahead=0:threads=2:bframes=2:ref=2"}
    if encoder == "libx265":
        if large:
            return {"x265-params": "rc-lookahead=0:frame-threads=1:bframes=0:ref=1"}
        return {"x265-params": "rc-lookahead=10:frame-threads=1:bframes=2:ref=2"}
    if encoder == "libvpx-vp9":
        return {"lag-in-frames": "0" if large else "10"}
    return {}  # ProRes is intra-only: one frame at a time
