"""Piecewise-affine warping as one vectorised rasterisation plus a single ``cv2.remap``.

For every destination pixel inside a destination triangle we compute its barycentric coordinates and
the matching source position; no Python loop runs per triangle. Candidate (triangle, pixel) pairs come
from each triangle's bounding box, generated with ``np.repeat`` arithmetic, so the work is proportional
to the face's area (about twice it), not to image size times triangle count.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np
from numpy.typing import NDArray

from .types import FloatArray, Image


@dataclass(frozen=True)
class Roi:
    """An integer pixel rectangle [x0, x1) x [y0, y1)."""

    x0: int
    y0: int
    x1: int
    y1: int

    @property
    def width(self) -> int:
        return self.x1 - self.x0

    @property
    def height(self) -> int:
        return self.y1 - self.y0

    @property
    def slices(self) -> tuple[slice, slice]:
        return slice(self.y0, self.y1), slice(self.x0, self.x1)


def roi_around(points: FloatArray, margin: float, width: int, height: int) -> Roi:
    """The bounding rectangle of points grown by ``margin`` px, clipped to the image."""
    x0 = int(np.floor(points[:, 0].min() - margin))
    y0 = int(np.floor(points[:, 1].min() - margin))
    x1 = int(np.ceil(points[:, 0].max() + margin)) + 1
    y1 = int(np.ceil(points[:, 1].max() + margin)) + 1
    return Roi(max(x0, 0), max(y0, 0), min(x1, width), min(y1, height))


@dataclass(frozen=True)
class WorkGrid:
    """A coarse sampling grid over a frame ROI: cell (j, i) sits at frame pixel (x0 + j*step, y0 + i*step).

    Piecewise-affine maps and feathered masks are smooth, so they are computed on this grid and upsampled
    exactly by :meth:`upsample`; the cost of the warp then no longer grows with the face's pixel area.
    """

    roi: Roi
    step: int

    @property
    def width(self) -> int:
        return (self.roi.width - 1) // self.step + 1

    @property
    def height(self) -> int:
        return (self.roi.height - 1) // self.step + 1

    @property
    def grid_roi(self) -> Roi:
        return Roi(0, 0, self.width, self.height)

    def to_grid(self, points: FloatArray) -> FloatArray:
        """Frame pixel coordinates -> grid coordinates (x, y only)."""
        return ((points[:, :2] - (self.roi.x0, self.roi.y0)) / self.step).astype(np.float32)

    def upsample(self, values: FloatArray) -> FloatArray:
        """Grid-sized float32 array -> ROI-sized, bilinear, aligned exactly with :meth:`to_grid`.

        ROI pixel x takes the grid's bilinear interpolant at x / step; past the last grid cell the last
        value holds (as ``warpAffine``'s replicated border did). ``cv2.resize`` by the integer factor
        ``step`` does the interpolation (5-7x faster than ``warpAffine`` here, and unquantised weights)
        but samples at pixel centres, x' / step + (1 / step - 1) / 2 in grid cells: the grid gets one
        linearly extrapolated cell on every side (so no pixel is clamped) and the result is cut at the
        matching integer offset. For an even step that offset falls half a pixel between two resized
        pixels, whose mean is the interpolant there except within half a pixel of a grid line, where it
        blends the two cells' slopes (a few hundredths of a pixel on a face's coordinate maps, as much as
        the 1/32 weight quantisation of the ``warpAffine`` this replaced; tested against it on a real
        swap).
        """
        step = self.step
        if step == 1:
            return values
        height, width = self.roi.height, self.roi.width
        padded = cv2.copyMakeBorder(values, 1, 1, 1, 1, cv2.BORDER_REPLICATE)
        # Border cells extrapolated linearly (rows first, then columns, corners included): 2a - b.
        padded[0], padded[-1] = 2.0 * padded[1] - padded[2], 2.0 * padded[-2] - padded[-3]
        padded[:, 0], padded[:, -1] = 2.0 * padded[:, 1] - padded[:, 2], 2.0 * padded[:, -2] - padded[:, -3]
        grid_h, grid_w = padded.shape[:2]
        resized = cv2.resize(padded, (grid_w * step, grid_h * step), interpolation=cv2.INTER_LINEAR)
        # Resized pixel r samples padded cell (r + 0.5) / step - 0.5, i.e. ROI pixel r - (3 * step - 1) / 2.
        offset = (3 * step - 1) // 2
        if step % 2:
            out = np.ascontiguousarray(resized[offset : offset + height, offset : offset + width])
        else:
            # The mean of each 2x2 block, as two pairwise means on views (~3x cheaper than cv2.blur). Each
            # is a float32 sum then an exact halving: bit-identical to addWeighted(a, 0.5, b, 0.5, 0)
            # (halving commutes with rounding) and ~35 % cheaper.
            window = resized[offset : offset + height + 1, offset : offset + width + 1]
            across = cv2.add(window[:, :-1], window[:, 1:])
            across *= np.float32(0.5)
            out = cv2.add(across[:-1], across[1:])
            out *= np.float32(0.5)
        # Past the last grid row/column the last one's values hold.
        last_y, last_x = (self.height - 1) * step, (self.width - 1) * step
        out[last_y + 1 :] = out[last_y : last_y + 1]
        out[:, last_x + 1 :] = out[:, last_x : last_x + 1]
        return out

    def upsample_exact(self, values: FloatArray) -> FloatArray:
        """The same upsampling through ``cv2.warpAffine`` (weights quantised to 1/32): the reference the
        faster :meth:`upsample` is tested against."""
        if self.step == 1:
            return values
        matrix = np.array([[1.0 / self.step, 0, 0], [0, 1.0 / self.step, 0]], dtype=np.float64)
        return cv2.warpAffine(
            values,
            matrix,
            (self.roi.width, self.roi.height),
            flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP,
            borderMode=cv2.BORDER_REPLICATE,
        )

    def upsample_map(self, map_x: FloatArray, map_y: FloatArray) -> FloatArray:
        """Both coordinate maps upsampled in one call, as the 2-channel map ``cv2.remap`` takes directly."""
        return self.upsample(cv2.merge([map_x, map_y]))


def grid_for_face(roi: Roi, face_size: float, cells_per_face: float = 128.0) -> WorkGrid:
    """A grid with about ``cells_per_face`` cells across the face (step 1 for small faces)."""
    return WorkGrid(roi, max(1, int(face_size // cells_per_face)))


def similarity_maps(inverse: FloatArray, roi: Roi) -> tuple[FloatArray, FloatArray]:
    """Remap grids for a global affine: each ROI pixel maps through the 2x3 ``inverse`` (dst -> src)."""
    xs = np.arange(roi.x0, roi.x1, dtype=np.float32)
    ys = np.arange(roi.y0, roi.y1, dtype=np.float32)
    # a * x + b * y + c per pixel, the products taken once per column and per row and broadcast: the same
    # float32 operations in the same order as on full meshgrids, at a third of the passes over the grid.
    map_x = ((inverse[0, 0] * xs)[None, :] + (inverse[0, 1] * ys)[:, None]) + inverse[0, 2]
    map_y = ((inverse[1, 0] * xs)[None, :] + (inverse[1, 1] * ys)[:, None]) + inverse[1, 2]
    return map_x.astype(np.float32, copy=False), map_y.astype(np.float32, copy=False)


def rasterise_piecewise_affine(
    dst_points: FloatArray,
    src_points: FloatArray,
    triangles: NDArray[np.int32],
    roi: Roi,
    map_x: FloatArray,
    map_y: FloatArray,
    depth: FloatArray | None = None,
    triangle_values: FloatArray | None = None,
    values_out: FloatArray | None = None,
) -> NDArray[np.bool_]:
    """Write, into ``map_x``/``map_y`` (ROI-sized), the source position of every pixel covered by a triangle.

    ``dst_points``/``src_points`` are (N, 2) pixel positions of the same vertices in the destination and
    source images. With ``depth`` (per vertex, smaller is nearer) far triangles are written first so the
    nearer surface wins where a turned face folds over itself. With ``triangle_values`` (one per triangle)
    each covered pixel of ``values_out`` gets its triangle's value. Returns the coverage mask (ROI-sized).
    """
    if depth is not None:
        # The corners' mean depth as two adds and a division (what .mean(axis=1) computes, in that order;
        # numpy's reduction over a 3-long axis costs ~10x more).
        corner_depth = depth[triangles]
        mean_depth = (corner_depth[:, 0] + corner_depth[:, 1] + corner_depth[:, 2]) / 3
        order = np.argsort(-mean_depth, kind="stable")
        triangles = triangles[order]
        if triangle_values is not None:
            triangle_values = triangle_values[order]
    coefficients, keep = _triangle_coefficients(dst_points, src_points, triangles)
    triangles = triangles[keep]
    if triangle_values is not None:
        triangle_values = triangle_values[keep]
    tri = dst_points[triangles, :2]

    # Candidate boxes: the pixels within reach of the inside test below. A pixel passing it has every
    # barycentric weight >= -1e-4 (l0 = 1 - l1 - l2 too), so it lies at most 2e-4 of the triangle's extent
    # past the triangle's own bounds in x and y (float32's error in l1, l2 is orders of magnitude less in
    # pixels): the slack of 1e-3 of the extent plus 0.01 px keeps every such pixel while dropping the
    # floor/ceil rows and columns no triangle reaches (~30 % of the candidates on a face's grid). Held
    # inside the plain floor/ceil bounds, so the covered pixels are exactly those of the plain boxes.
    # (Elementwise minima and maxima of the three corners: numpy's reductions over a short axis cost
    # ~10x more here.)
    lo = np.minimum(np.minimum(tri[:, 0], tri[:, 1]), tri[:, 2])
    hi = np.maximum(np.maximum(tri[:, 0], tri[:, 1]), tri[:, 2])
    extent = hi - lo
    slack = (np.maximum(extent[:, 0], extent[:, 1]) * 1e-3 + 1e-2)[:, None]
    start = np.maximum(np.floor(lo), np.ceil(lo - slack)).astype(np.int64)
    stop = np.minimum(np.ceil(hi), np.floor(hi + slack)).astype(np.int64) + 1
    bx0, bx1 = np.clip(start[:, 0], roi.x0, roi.x1), np.clip(stop[:, 0], roi.x0, roi.x1)
    by0, by1 = np.clip(start[:, 1], roi.y0, roi.y1), np.clip(stop[:, 1], roi.y0, roi.y1)
    widths, heights = bx1 - bx0, by1 - by0
    counts = widths * heights
    coverage = np.zeros((roi.height, roi.width), dtype=bool)
    total = int(counts.sum())
    if total == 0:
        return coverage

    # Candidate pixels of every triangle's bounding box, row-major within the box. Row and column come
    # from float arithmetic rather than int64 division: with q = local // width, (local + 0.5) / width
    # is at least 0.5 / width from an integer, and float32's error stays under q * 2**-24 <= 1 / (4 *
    # width) while total < 2**22 (float64 beyond). Coefficients are gathered per column rather than as
    # a (candidates, 12) block and writes use flat indices: ~3x faster than the plain version, and the
    # same output to the bit.
    real = np.float32 if total < 2**22 else np.float64
    tri_index = np.repeat(np.arange(len(triangles), dtype=np.int32), counts)
    local = np.arange(total, dtype=real) - np.repeat((np.cumsum(counts) - counts).astype(real), counts)
    row_width = np.repeat(widths.astype(real), counts)
    row = np.floor((local + 0.5) / row_width)
    px = (np.repeat(bx0.astype(real), counts) + (local - row * row_width)).astype(np.float32)
    py = (np.repeat(by0.astype(real), counts) + row).astype(np.float32)

    # Barycentric l1, l2 and the source position are all affine in (px, py) within one triangle, so 12
    # coefficients per triangle give everything.
    c = np.ascontiguousarray(coefficients.T)
    l1 = c[0][tri_index] * px + c[1][tri_index] * py + c[2][tri_index]
    l2 = c[3][tri_index] * px + c[4][tri_index] * py + c[5][tri_index]
    eps = -1e-4
    inside = np.flatnonzero((l1 >= eps) & (l2 >= eps) & (l1 + l2 <= 1.0 - eps))
    t, px, py = tri_index[inside], px[inside], py[inside]
    flat = (py.astype(np.int64) - roi.y0) * roi.width + (px.astype(np.int64) - roi.x0)
    # Plain fancy assignment: with repeated indices the last write wins, i.e. the nearest triangle.
    _flat(map_x)[flat] = c[6][t] * px + c[7][t] * py + c[8][t]
    _flat(map_y)[flat] = c[9][t] * px + c[10][t] * py + c[11][t]
    coverage.reshape(-1)[flat] = True
    if triangle_values is not None and values_out is not None:
        _flat(values_out)[flat] = triangle_values[t]
    return coverage


def _flat(array: FloatArray) -> FloatArray:
    """A 1-D view of a C-contiguous ROI-sized output array (writes must reach the caller's array)."""
    if not array.flags.c_contiguous:
        raise ValueError("rasterise_piecewise_affine writes into C-contiguous arrays only")
    return array.reshape(-1)


def _triangle_coefficients(
    dst_points: FloatArray, src_points: FloatArray, triangles: NDArray[np.int32]
) -> tuple[FloatArray, NDArray[np.bool_]]:
    """Per triangle: barycentric (l1, l2) and source (x, y) as affine functions of the destination pixel.

    Returns (T', 12) float32 rows [l1 a, b, c, l2 a, b, c, sx a, b, c, sy a, b, c] for the non-degenerate
    triangles, and the boolean mask of which input triangles those are.
    """
    a, b, c = (dst_points[triangles[:, k], :2].astype(np.float64) for k in range(3))
    e1, e2 = b - a, c - a
    det = e1[:, 0] * e2[:, 1] - e1[:, 1] * e2[:, 0]
    keep = np.abs(det) > 1e-6
    a, e1, e2, det = a[keep], e1[keep], e2[keep], det[keep]
    inv = 1.0 / det
    # l1 = ((x - ax) * e2y - (y - ay) * e2x) / det ; l2 = (e1x * (y - ay) - e1y * (x - ax)) / det
    l1 = np.stack([e2[:, 1] * inv, -e2[:, 0] * inv, (-a[:, 0] * e2[:, 1] + a[:, 1] * e2[:, 0]) * inv], 1)
    l2 = np.stack([-e1[:, 1] * inv, e1[:, 0] * inv, (a[:, 0] * e1[:, 1] - a[:, 1] * e1[:, 0]) * inv], 1)
    src = src_points[:, :2].astype(np.float64)
    sa, sb, sc = (src[triangles[keep, k]] for k in range(3))
    # source = sa + l1 * (sb - sa) + l2 * (sc - sa)
    d1, d2 = sb - sa, sc - sa
    sx = d1[:, 0:1] * l1 + d2[:, 0:1] * l2
    sy = d1[:, 1:2] * l1 + d2[:, 1:2] * l2
    sx[:, 2] += sa[:, 0]
    sy[:, 2] += sa[:, 1]
    return np.concatenate([l1, l2, sx, sy], axis=1).astype(np.float32), keep


def triangle_areas(points: FloatArray, triangles: NDArray[np.int32]) -> FloatArray:
    """Absolute area of each triangle (N, 3 indices) over (M, 2+) points."""
    a, b, c = (points[triangles[:, k], :2].astype(np.float64) for k in range(3))
    e1, e2 = b - a, c - a
    cross: NDArray[np.float64] = e1[:, 0] * e2[:, 1] - e1[:, 1] * e2[:, 0]
    return (np.abs(cross) / 2.0).astype(np.float32)


def subsample(image: Image, step: int) -> Image:
    """``np.ascontiguousarray(image[::step, ::step])``, 2-3x faster for a multi-channel image.

    numpy copies a strided 3-channel uint8 view one byte at a time (~350 us for a 720p face's region at
    step 2); seen as one 3-byte item per pixel the same copy moves whole pixels. Same bytes.
    """
    if image.ndim == 3 and image.strides[2] == image.itemsize and step > 1:
        channels = image.shape[2]
        pixels = image.view(np.dtype((np.void, channels * image.itemsize)))[..., 0]
        small = np.ascontiguousarray(pixels[::step, ::step])
        out: Image = small.view(image.dtype).reshape(small.shape[0], small.shape[1], channels)
        return out
    return np.ascontiguousarray(image[::step, ::step])


def remap(source: Image, map_x: FloatArray, map_y: FloatArray | None = None) -> Image:
    """Sample ``source`` at the given positions (bilinear, replicated border).

    ``map_x`` alone may be a 2-channel (x, y) map, as :meth:`WorkGrid.upsample_map` returns.
    """
    return cv2.remap(source, map_x, map_y, interpolation=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
