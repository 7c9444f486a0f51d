"""Colour transfer of a swapped face onto the target's skin tone, inside a mask."""

from __future__ import annotations

import cv2
import numpy as np
from numpy.typing import NDArray

from ..errors import BadInput
from ..types import FloatArray, Image
from .slow_stats import LabStats, SlowStats, StatsTicket
from .warp import subsample

Region = tuple[slice, slice]
"""A rectangle of an image as (rows, columns) slices with explicit, non-negative bounds."""

LUMA_BGR = np.array([0.114, 0.587, 0.299], dtype=np.float32)
"""BGR weights of luma (Rec. 601): ``image @ LUMA_BGR`` is a float BGR image's luma; a BGR shift minus its
luma on every channel changes hue, not shading."""


def _lab_mean_std(lab: Image, mask: Image) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Per-channel mean and (population) standard deviation of a LAB image where ``mask`` is set."""
    mean, std = cv2.meanStdDev(lab, mask=mask)
    return mean.reshape(3), std.reshape(3)


def _box_of(mask: Image) -> Region:
    """The bounding rectangle of a uint8 mask's nonzero pixels (empty slices when there are none)."""
    x, y, w, h = cv2.boundingRect(mask)
    return slice(y, y + h), slice(x, x + w)


def _contains(outer: Region, inner: Region) -> bool:
    return all(o.start <= i.start and i.stop <= o.stop for o, i in zip(outer, inner, strict=True))


def _masked_lab_stats(
    source: Image, target: Image, mask: FloatArray, region: Region
) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64], NDArray[np.float64], Image] | None:
    """LAB mean and std of ``source`` and ``target`` under ``mask > 0.5`` on a subsample (the statistics
    are global; this keeps their cost flat for big faces), and ``source`` converted to LAB over
    ``region``; None when fewer than 16 subsampled pixels are masked.

    The statistics read only the masked samples, so they are taken on the crop of the subsample around
    those (``cv2.meanStdDev`` of 8-bit data sums integers: the same pixels give the same numbers), and
    the source's from its LAB over ``region`` when that holds every masked sample (LAB is per pixel:
    the subsample of the conversion is the conversion of the subsample), saving a conversion.
    """
    step = max(1, int(np.sqrt(mask.size / 40_000)))
    sub_mask = (mask[::step, ::step] > 0.5).astype(np.uint8)
    if cv2.countNonZero(sub_mask) < 16:
        return None
    rows, cols = _box_of(sub_mask)
    crop_mask = sub_mask[rows, cols]
    # The crop in full-image pixels: rows r0 * step ... (r1 - 1) * step.
    full_rows = slice(rows.start * step, (rows.stop - 1) * step + 1)
    full_cols = slice(cols.start * step, (cols.stop - 1) * step + 1)
    # (OpenCV reads the region's row-strided view directly: no contiguous copy first.)
    source_lab = cv2.cvtColor(source[region], cv2.COLOR_BGR2LAB)
    target_lab = cv2.cvtColor(subsample(target[full_rows, full_cols], step), cv2.COLOR_BGR2LAB)
    if _contains(region, (full_rows, full_cols)):
        top, left = region[0].start, region[1].start
        crop = source_lab[
            full_rows.start - top : full_rows.stop - top, full_cols.start - left : full_cols.stop - left
        ]
        source_sub = subsample(crop, step)
    else:
        source_sub = cv2.cvtColor(subsample(source[full_rows, full_cols], step), cv2.COLOR_BGR2LAB)
    src_mean, src_std = _lab_mean_std(source_sub, crop_mask)
    tgt_mean, tgt_std = _lab_mean_std(target_lab, crop_mask)
    return src_mean, src_std, tgt_mean, tgt_std, source_lab


def _stats_for(
    source: Image,
    target: Image,
    mask: FloatArray,
    region: Region,
    remembered: SlowStats | None,
    ticket: StatsTicket | None,
) -> tuple[LabStats, Image] | None:
    """The LAB statistics a transfer applies and ``source`` in LAB over ``region``: measured (through
    ``ticket`` when given), or ``remembered`` ones (then only the conversion is done); None: no
    transfer (too few masked pixels, on this frame or on the remembered one)."""
    if remembered is not None and remembered.colour_known:
        if remembered.colour is None:
            return None
        return remembered.colour, cv2.cvtColor(source[region], cv2.COLOR_BGR2LAB)
    stats = _masked_lab_stats(source, target, mask, region)
    values: LabStats | None = None if stats is None else stats[:4]
    if ticket is not None:
        values = ticket.settle_colour(values)
    if stats is None or values is None:
        return None
    return values, stats[4]


def _whole(image: Image) -> Region:
    return slice(0, image.shape[0]), slice(0, image.shape[1])


def _apply_lab_lut(
    source: Image, source_lab: Image, lut: Image, region: Region, in_place: bool = False
) -> Image:
    """``source`` with its ``region`` (already in LAB: ``source_lab``, which this overwrites) mapped
    through a per-channel LAB table and back to BGR; the rest of the image as it was. ``in_place``:
    written into ``source`` itself (no copy of the rest)."""
    mapped = cv2.LUT(source_lab, lut.reshape(256, 1, 3), dst=source_lab)
    if in_place:
        # Straight into the caller's pixels: OpenCV writes through a row-strided view (and raises, rather
        # than writing a copy, for a layout it cannot take as its output).
        target = source[region]
        cv2.cvtColor(mapped, cv2.COLOR_LAB2BGR, dst=target)
        return source
    converted = cv2.cvtColor(mapped, cv2.COLOR_LAB2BGR)
    if _contains(region, _whole(source)) and converted.shape == source.shape:
        return converted
    out = source.copy()
    out[region] = converted
    return out


CHROMA_CONTRAST_MAX = 1.0
"""Largest gain :func:`transfer_lab_mean_std` applies to the source's a*/b* spread.

A target whose face varies more in colour (make-up, lipstick, flushed cheeks) asked for up to 2x: every
colour in the source face moved twice as far from the skin's mean, so dark brown irises and brows turned
vivid blue and the skin pink (Alex Lacamoire onto a made-up target, docs/likeness.md strips row 1).
Capped at 1 the source's colours are never exaggerated; the identity ratio is unchanged (0.760 both)."""


def transfer_lab_mean_std(
    source: Image,
    target: Image,
    mask: FloatArray,
    region: Region | None = None,
    in_place: bool = False,
    remembered: SlowStats | None = None,
    ticket: StatsTicket | None = None,
) -> Image:
    """Reinhard transfer: match the source's LAB mean and std to the target's, inside the mask (the
    chroma spread only ever shrinks, see :data:`CHROMA_CONTRAST_MAX`).

    With ``region`` only that rectangle is transferred; the rest of ``source`` is returned as it was (for a
    caller that shows nothing else: the mesh engine passes the box of its blend mask's support, saving
    the conversions of the rest of the face's region). ``in_place``: the result is written into
    ``source`` (and ``source`` returned), for a caller that owns it and needs no copy.
    ``remembered``: a video's statistics of an earlier frame, used instead of measuring them;
    ``ticket``: a measuring frame's, through which the fresh statistics pass (see :mod:`.slow_stats`).
    """
    region = _whole(source) if region is None else region
    found = _stats_for(source, target, mask, region, remembered, ticket)
    if found is None:
        return source
    values, source_lab = found
    src_mean, src_std, tgt_mean, tgt_std = (v.astype(np.float32) for v in values)
    src_std, tgt_std = src_std + 1e-3, tgt_std + 1e-3
    # Limit the contrast change: a large std ratio amplifies noise and JPEG blocks.
    ratio = np.clip(tgt_std / src_std, 0.5, 2.0)
    ratio[1:] = np.minimum(ratio[1:], CHROMA_CONTRAST_MAX)
    # The per-channel affine map is applied through a 256-entry table per LAB channel.
    levels = np.arange(256, dtype=np.float32)[:, None]
    lut = np.clip((levels - src_mean) * ratio + tgt_mean + 0.5, 0, 255).astype(np.uint8)
    return _apply_lab_lut(source, source_lab, lut, region, in_place)


def transfer_histogram(source: Image, target: Image, mask: FloatArray) -> Image:
    """Per-channel histogram matching (BGR) of the masked source to the masked target."""
    out = source.copy()
    select = mask > 0.5
    if select.sum() < 16:
        return source
    for channel in range(3):
        src_values = source[..., channel][select]
        tgt_values = target[..., channel][select]
        src_cdf = np.cumsum(np.bincount(src_values, minlength=256)).astype(np.float64)
        tgt_cdf = np.cumsum(np.bincount(tgt_values, minlength=256)).astype(np.float64)
        src_cdf /= src_cdf[-1]
        tgt_cdf /= tgt_cdf[-1]
        lut = np.interp(src_cdf, tgt_cdf, np.arange(256)).astype(np.uint8)
        out[..., channel] = lut[source[..., channel]]
    return out


def transfer_low_frequency(source: Image, target: Image, mask: FloatArray, sigma: float) -> Image:
    """Keep the source's detail but the target's low-frequency colour and shading (lighting).

    Masked Gaussian blurs (normalised convolution) so pixels outside the face do not bleed in.
    """
    weight = cv2.GaussianBlur(mask, (0, 0), sigma) + 1e-4
    src_low = cv2.GaussianBlur(source.astype(np.float32) * mask[..., None], (0, 0), sigma) / weight[..., None]
    tgt_low = cv2.GaussianBlur(target.astype(np.float32) * mask[..., None], (0, 0), sigma) / weight[..., None]
    out = source.astype(np.float32) + (tgt_low - src_low)
    return np.clip(out, 0, 255).astype(np.uint8)


def transfer_lab_mean(
    source: Image,
    target: Image,
    mask: FloatArray,
    region: Region | None = None,
    in_place: bool = False,
    remembered: SlowStats | None = None,
    ticket: StatsTicket | None = None,
) -> Image:
    """Shift the source's LAB mean to the target's inside the mask; keep the source's own contrast.

    Matching the spread as well (:func:`transfer_lab_mean_std`) flattens or stretches the source's
    shading and skin texture toward the target's, which is part of what makes the face recognisable. On
    the identity benchmark (docs/likeness.md) it gave +0.008 on the engine before the skin extension and
    +0.002 (within noise) after, so it is an option and a candidate of 'maximise likeness', not the default.
    ``region``, ``in_place``, ``remembered`` and ``ticket`` as for :func:`transfer_lab_mean_std`.
    """
    region = _whole(source) if region is None else region
    found = _stats_for(source, target, mask, region, remembered, ticket)
    if found is None:
        return source
    (src_mean, _src_std, tgt_mean, _tgt_std), source_lab = found
    levels = np.arange(256, dtype=np.float32)[:, None]
    lut = np.clip(levels + (tgt_mean - src_mean) + 0.5, 0, 255).astype(np.uint8)
    return _apply_lab_lut(source, source_lab, lut, region, in_place)


def transfer_colour(
    method: str,
    source: Image,
    target: Image,
    mask: FloatArray,
    face_size: float,
    region: Region | None = None,
    in_place: bool = False,
    remembered: SlowStats | None = None,
    ticket: StatsTicket | None = None,
) -> Image:
    """Dispatch by the ``color_transfer`` setting's value. ``region``: the rectangle the caller will use
    (see :func:`transfer_lab_mean_std`); the LAB methods transfer only that, the others everything.
    ``in_place``: the LAB methods may write their result into ``source`` (a caller that owns it and
    reads only the result); the others return a new image as always. ``remembered`` / ``ticket``: a
    video's slow statistics (see :func:`transfer_lab_mean_std`; the LAB methods only)."""
    if method == "none":
        return source
    if method == "lab":
        return transfer_lab_mean_std(source, target, mask, region, in_place, remembered, ticket)
    if method == "lab_mean":
        return transfer_lab_mean(source, target, mask, region, in_place, remembered, ticket)
    if method == "histogram":
        return transfer_histogram(source, target, mask)
    if method == "lowfreq":
        return transfer_low_frequency(source, target, mask, sigma=max(face_size / 12.0, 2.0))
    raise BadInput(f"unknown colour transfer {method!r}")
