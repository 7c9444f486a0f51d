"""Piecewise-affine warping as one vectorised rasterisation plus a single ``cv2.remap``.

For every destination pixel inside a destination triangle we compute its barycentric coordinates and
the matching source position; no Python loop runs per triangle. Candidate (triangle, pixel) pairs come
from each triangle's bounding box, generated with ``np.repeat`` arithmetic, so the work is proportional
to the face's area (about twice it), not to image size times triangle count.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import cv2
import numpy as np
from numpy.typing import NDArray

from ..types import FloatArray, Image


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

    def window(self, cells: tuple[int, int, int, int] | None = None) -> tuple[slice, slice]:
        """The ROI pixels (rows, columns) that :meth:`upsample` with ``cells`` returns.

        ``cells`` = (row0, row1, col0, col1): grid cells [row0, row1) x [col0, col1); None: all of them.
        The window runs from the first cell's pixel to the last cell's (past the grid's last cell, to the
        ROI's end): every pixel whose interpolant reads only those cells (with the 2x2 means of an even
        step, a pixel on a cell's line reads the next cell too: so only cells that an interpolation
        outside the window may read need be alike outside it, see :func:`_liquify`'s use).
        """
        row0, row1, col0, col1 = (0, self.height, 0, self.width) if cells is None else cells
        step = self.step
        y1 = self.roi.height if row1 >= self.height else (row1 - 1) * step + 1
        x1 = self.roi.width if col1 >= self.width else (col1 - 1) * step + 1
        return slice(row0 * step, y1), slice(col0 * step, x1)

    def upsample(self, values: FloatArray, cells: tuple[int, int, int, int] | None = None) -> FloatArray:
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

        With ``cells`` (see :meth:`window`) only that window of the ROI is returned, and only its rows
        of the padded grid are resized (its first output row samples the same cells at the same offset,
        so the same offset cuts it) and only the window averaged. Rows only: each output row is computed
        across the full width as before, so SIMD lanes and scalar tails fall on the same columns and the
        values are those of the whole result to the bit (tested), for a power-of-two step, where every
        row weight is a dyadic fraction whatever the row's index; for other steps the whole result cut.
        """
        step = self.step
        rows, cols = self.window(cells)
        if step == 1:
            return values if cells is None else values[rows, cols]
        if cells is not None and step & (step - 1):
            return np.ascontiguousarray(self.upsample(values)[rows, cols])
        row0, row1 = (0, self.height) if cells is None else cells[:2]
        height, width = rows.stop - rows.start, cols.stop - cols.start
        padded = cv2.copyMakeBorder(values, 1, 1, 1, 1, cv2.BORDER_REPLICATE)
        if step % 2 == 0:
            # The 2x2 means' quarter taken here, on the small grid, instead of over the ROI-sized result:
            # every step below (the extrapolation 2a - b, the resize's weighted sums, the two adds) is
            # linear, and scaling by a power of two commutes with float32 rounding (short of subnormals,
            # which these maps and masks do not reach), so the result is the same to the bit.
            padded *= np.float32(0.25)
        # Border cells extrapolated linearly (rows first, then columns, corners included): 2a - b.
        padded[0], padded[-1] = 2.0 * padded[1] - padded[2], 2.0 * padded[-2] - padded[-3]
        padded[:, 0], padded[:, -1] = 2.0 * padded[:, 1] - padded[:, 2], 2.0 * padded[:, -2] - padded[:, -3]
        # The window's pixels read padded rows row0 ... row1 + 1 (grid row k is padded row k + 1).
        cut = padded[row0 : min(row1 + 2, self.height + 2)]
        grid_h, grid_w = cut.shape[:2]
        resized = cv2.resize(cut, (grid_w * step, grid_h * step), interpolation=cv2.INTER_LINEAR)
        # Resized pixel r samples padded cell (r + 0.5) / step - 0.5, i.e. ROI pixel r - (3 * step - 1) / 2
        # (rows: of the window, whose first cell the cut starts at).
        offset = (3 * step - 1) // 2
        left = offset + cols.start
        if step % 2:
            out = np.ascontiguousarray(resized[offset : offset + height, left : left + width])
        else:
            # The mean of each 2x2 block, as two pairwise means on views (~3x cheaper than cv2.blur): the
            # mean of two pairwise means ((a + b) / 2 + (c + d) / 2) / 2, bit-identical to
            # addWeighted(a, 0.5, b, 0.5, 0) twice, is ((a + b) + (c + d)) / 4 in float32: scaling by a
            # power of two commutes with rounding (short of subnormals, which these maps and masks do
            # not reach), so no scaling pass here: the grid was scaled by 1/4 above.
            window = resized[offset : offset + height + 1, left : left + width + 1]
            across = cv2.add(window[:, :-1], window[:, 1:])
            out = cv2.add(across[:-1], across[1:])
        # Past the last grid row/column the last one's values hold.
        last_y, last_x = (self.height - 1) * step - rows.start, (self.width - 1) * step - cols.start
        if 0 <= last_y < height - 1:
            out[last_y + 1 :] = out[last_y : last_y + 1]
        if 0 <= last_x < width - 1:
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

    def upsample_map(
        self, map_x: FloatArray, map_y: FloatArray, cells: tuple[int, int, int, int] | None = None
    ) -> FloatArray:
        """Both coordinate maps upsampled in one call, as the 2-channel map ``cv2.remap`` takes directly
        (``cells``: only that window, as for :meth:`upsample`)."""
        return self.upsample(cv2.merge([map_x, map_y]), cells)


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
    corners = triangles.T
    corner_x, corner_y = dst_points[:, 0][corners], dst_points[:, 1][corners]

    # Candidate boxes: the pixels within reach of the inside test below. A pixel passing it has every
    # barycentric weight >= -1e-4 (l0 = 1 - l1 - l2 too), so it lies at most 2e-4 of the triangle's extent
    # past the triangle's own bounds in x and y (float32's error in l1, l2 is orders of magnitude less in
    # pixels): the slack of 1e-3 of the extent plus 0.01 px keeps every such pixel while dropping the
    # floor/ceil rows and columns no triangle reaches. Held inside the plain floor/ceil bounds, so the
    # covered pixels are exactly those of the plain boxes. (Elementwise minima and maxima of the three
    # corners, x and y as separate (T,) arrays: numpy's reductions over a short axis, and its loops over
    # short inner axes, cost ~10x more here.)
    lo_x = np.minimum(np.minimum(corner_x[0], corner_x[1]), corner_x[2])
    lo_y = np.minimum(np.minimum(corner_y[0], corner_y[1]), corner_y[2])
    hi_x = np.maximum(np.maximum(corner_x[0], corner_x[1]), corner_x[2])
    hi_y = np.maximum(np.maximum(corner_y[0], corner_y[1]), corner_y[2])
    slack = np.maximum(hi_x - lo_x, hi_y - lo_y) * 1e-3 + 1e-2
    bx0, by0 = (
        np.minimum(np.maximum(np.maximum(np.floor(lo), np.ceil(lo - slack)).astype(np.int64), first), last)
        for lo, first, last in ((lo_x, roi.x0, roi.x1), (lo_y, roi.y0, roi.y1))
    )
    bx1, by1 = (
        np.minimum(
            np.maximum(np.minimum(np.ceil(hi), np.floor(hi + slack)).astype(np.int64) + 1, first), last
        )
        for hi, first, last in ((hi_x, roi.x0, roi.x1), (hi_y, roi.y0, roi.y1))
    )
    heights = np.where(bx1 > bx0, by1 - by0, 0)
    coverage = np.zeros((roi.height, roi.width), dtype=bool)
    if int(heights.sum()) == 0:
        return coverage
    c = np.ascontiguousarray(coefficients.T)

    # Per box row, only the run of columns the inside test can accept (about half a box's candidates
    # are outside its triangle otherwise). On one row each of the three tests is linear in x, so its
    # accepted columns are a half-line; the run is their intersection, widened by a bound on the float32
    # evaluation's error below, so every pixel the test accepts stays a candidate and the test itself
    # (unchanged) still decides: the same pixels, maps and write order as testing the whole box.
    span_y = _box_rows(by0, heights)
    span_x0, span_x1 = _row_runs(c, heights, span_y, bx0, bx1, roi)
    counts = np.maximum(span_x1 - span_x0, 0)
    total = int(counts.sum())
    if total == 0:
        return coverage
    # Candidates come triangle by triangle, so per-triangle values reach them by np.repeat (~3x cheaper
    # than gathering by a per-candidate triangle index).
    ends = np.cumsum(counts)
    run_ends = np.concatenate([[0], ends])[np.cumsum(heights)]
    per_triangle = np.diff(run_ends, prepend=0)
    column = np.repeat(span_x0 - (ends - counts), counts) + np.arange(total, dtype=np.int64)
    px = column.astype(np.float32)

    # Barycentric l1, l2 and the source position are all affine in (px, py) within one triangle, so 12
    # coefficients per triangle give everything: each is a * px + b * py + d in float32, evaluated in
    # that order. b * py is one product per row of a triangle, taken there and repeated to its
    # candidates (the same float32 product). The runs leave few candidates outside (~1 %), so the source
    # position is computed for all of them and the inside ones picked once.
    span_py = span_y.astype(np.float32)

    def affine(k: int) -> FloatArray:
        per_row: FloatArray = np.repeat(c[k + 1], heights) * span_py
        values: FloatArray = np.repeat(c[k], per_triangle) * px + np.repeat(per_row, counts)
        values += np.repeat(c[k + 2], per_triangle)
        return values

    l1, l2 = affine(0), affine(3)
    eps = -1e-4
    inside = np.flatnonzero((l1 >= eps) & (l2 >= eps) & (l1 + l2 <= 1.0 - eps))
    flat = (np.repeat((span_y - roi.y0) * roi.width - roi.x0, counts) + column)[inside]
    # Plain fancy assignment: with repeated indices the last write wins, i.e. the nearest triangle.
    _flat(map_x)[flat] = affine(6)[inside]
    _flat(map_y)[flat] = affine(9)[inside]
    coverage.reshape(-1)[flat] = True
    if triangle_values is not None and values_out is not None:
        _flat(values_out)[flat] = np.repeat(triangle_values, per_triangle)[inside]
    return coverage


_RUN_ERROR = 1e-6
"""Bound on float32's error in the inside test's l1, l2, relative to the sum of its terms' magnitudes
(three roundings of 2**-24 each, with room to spare)."""


def _box_rows(by0: NDArray[np.int64], heights: NDArray[np.int64]) -> NDArray[np.int64]:
    """The y of every (triangle, row) of the candidate boxes, triangle by triangle, rows in order."""
    rows = int(heights.sum())
    first: NDArray[np.int64] = np.repeat(by0 - (np.cumsum(heights) - heights), heights)
    return first + np.arange(rows, dtype=np.int64)


def _row_runs(
    c: FloatArray,
    heights: NDArray[np.int64],
    span_y: NDArray[np.int64],
    bx0: NDArray[np.int64],
    bx1: NDArray[np.int64],
    roi: Roi,
) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """Per (triangle, row): the columns [x0, x1) within the box that the inside test may accept (rows as
    :func:`_box_rows` lists them, ``heights`` per triangle).

    Each test is ``a * x + b * y + d >= e`` (l1 >= -1e-4, l2 >= -1e-4, -(l1 + l2) >= -(1 + 1e-4)), taken
    in float64 from the float32 coefficients the test uses and relaxed by a bound on the test's float32
    rounding (:data:`_RUN_ERROR` times its terms' magnitudes): a superset of the accepted columns. Per
    triangle each test with a != 0 bounds x from one side by a line in y (slope, intercept); a row takes
    the tightest bound on either side, widened by a bound on this float64 arithmetic's own error.
    """
    coef = c[:6].astype(np.float64)
    x_far = float(max(abs(roi.x0), abs(roi.x1)))
    y_far = float(max(abs(roi.y0), abs(roi.y1)))
    size = np.abs(coef)
    error = _RUN_ERROR * (size[0::3] * x_far + size[1::3] * y_far + size[2::3]) + 1e-12
    # (3, T) each: the tests l1 >= e, l2 >= e and -(l1 + l2) >= -(1 + 1e-4), as a * x + b * y + d >= e.
    a = np.stack([coef[0], coef[3], -(coef[0] + coef[3])])
    b = np.stack([coef[1], coef[4], -(coef[1] + coef[4])])
    d = np.stack([coef[2], coef[5], -(coef[2] + coef[5])])
    e = np.stack([-1e-4 - error[0], -1e-4 - error[1], -(1.0 + 1e-4) - error[0] - error[1] - 1e-6])
    lines = np.empty((12, a.shape[1]), dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        slope, intercept = -b / a, (e - d) / a
        margin = 1e-6 + 1e-9 * (np.abs(slope) * y_far + np.abs(intercept))
        lower, upper = a > 0, a < 0
        # Rows 0-5: slopes of the three lower bounds, then of the three upper bounds; rows 6-11 their
        # intercepts. A test that bounds nothing on that side gives -inf / +inf.
        lines[0:3] = np.where(lower, slope, 0.0)
        lines[3:6] = np.where(upper, slope, 0.0)
        lines[6:9] = np.where(lower, intercept - margin, -np.inf)
        lines[9:12] = np.where(upper, intercept + margin, np.inf)
        per_row = np.repeat(lines, heights, axis=1)
        bounds = per_row[:6] * span_y.astype(np.float64) + per_row[6:]
    x_lo = np.maximum(np.maximum(bounds[0], bounds[1]), bounds[2])
    x_hi = np.minimum(np.minimum(bounds[3], bounds[4]), bounds[5])
    # (Clipped into the int64 range before rounding; np.minimum/maximum: np.clip's overhead is larger.)
    x0 = np.ceil(np.minimum(np.maximum(x_lo, roi.x0 - 1.0), roi.x1 + 1.0)).astype(np.int64)
    x1 = np.floor(np.minimum(np.maximum(x_hi, roi.x0 - 2.0), roi.x1 + 1.0)).astype(np.int64) + 1
    return np.maximum(x0, np.repeat(bx0, heights)), np.minimum(x1, np.repeat(bx1, heights))


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
    # The same float64 operations as before, per coefficient, on (k, T) arrays: numpy's per-call cost
    # dominates at ~1000 triangles, and short inner axes (a vertex's x, y) multiply it. Degenerate
    # triangles are computed too (their inf/nan columns are dropped at the end), so every kept row is
    # what it was, to the bit.
    corners = triangles.T
    dst = np.ascontiguousarray(dst_points[:, :2].T, dtype=np.float64)
    xs, ys = dst[0][corners], dst[1][corners]
    ax, ay = xs[0], ys[0]
    e1x, e2x = xs[1] - ax, xs[2] - ax
    e1y, e2y = ys[1] - ay, ys[2] - ay
    det = e1x * e2y - e1y * e2x
    keep = np.abs(det) > 1e-6
    out = np.empty((12, len(triangles)), dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        inv = 1.0 / det
        # l1 = ((x - ax) * e2y - (y - ay) * e2x) / det ; l2 = (e1x * (y - ay) - e1y * (x - ax)) / det
        out[0], out[1], out[2] = e2y * inv, -e2x * inv, (-ax * e2y + ay * e2x) * inv
        out[3], out[4], out[5] = -e1y * inv, e1x * inv, (ax * e1y - ay * e1x) * inv
        src = np.ascontiguousarray(src_points[:, :2].T, dtype=np.float64)
        # source = sa + l1 * (sb - sa) + l2 * (sc - sa)
        for row, along in ((6, src[0][corners]), (9, src[1][corners])):
            d1, d2 = along[1] - along[0], along[2] - along[0]
            out[row : row + 3] = d1 * out[0:3] + d2 * out[3:6]
            out[row + 2] += along[0]
    # (T', 12), Fortran-ordered: its transpose (what the rasteriser reads) is C-contiguous.
    return out[:, keep].astype(np.float32).T, keep


def triangle_areas(points: FloatArray, triangles: NDArray[np.int32]) -> FloatArray:
    """Absolute area of each triangle (N, 3 indices) over (M, 2+) points."""
    # On (3, T) corner arrays, x and y apart: the same float64 operations as on (T, 2) rows, without
    # numpy's cost per short inner axis.
    corners = triangles.T
    xs = points[:, 0].astype(np.float64)[corners]
    ys = points[:, 1].astype(np.float64)[corners]
    e1x, e2x, e1y, e2y = xs[1] - xs[0], xs[2] - xs[0], ys[1] - ys[0], ys[2] - ys[0]
    cross: NDArray[np.float64] = e1x * e2y - e1y * e2x
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


def rows_where(values: NDArray[Any], where: NDArray[np.bool_]) -> NDArray[Any]:
    """``values[where]`` for a C-contiguous ``values`` of shape ``where.shape + (channels,)``: the rows
    (pixels, samples) where ``where`` is set, in order, as (N, channels). Same values; ~5-10x faster.

    numpy gathers a boolean selection of short rows element by element; seen as one item per row (as
    :func:`subsample` does) it moves whole rows.
    """
    if not values.flags.c_contiguous or values.shape[:-1] != where.shape:
        return values[where]
    channels = values.shape[-1]
    items = values.view(np.dtype((np.void, channels * values.itemsize)))[..., 0]
    picked: NDArray[Any] = items[where].view(values.dtype).reshape(-1, channels)
    return picked


def remap(
    source: Image, map_x: FloatArray, map_y: FloatArray | None = None, dst: Image | None = None
) -> Image:
    """Sample ``source`` at the given positions (bilinear, replicated border).

    ``map_x`` alone may be a 2-channel (x, y) map, as :meth:`WorkGrid.upsample_map` returns. ``dst``: an
    array of the result's shape and type (a row-strided view will do) to write into instead of a new one.
    """
    out: Image = cv2.remap(
        source, map_x, map_y, dst=dst, interpolation=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE
    )
    return out


def remap_bgr(source_bgra: Image, map_xy: FloatArray, dst: Image | None = None) -> Image:
    """:func:`remap` of a BGR image given as BGRA (``source_bgra``: the image with a fourth channel),
    returned as BGR (into ``dst`` when given): the same values to the bit as remapping the BGR image.

    OpenCV's bilinear remap of 8-bit pixels is vectorised for four channels and not for three: the four
    channel remap plus the conversion back costs about half the three channel one (each channel is
    interpolated on its own with the same fixed-point weights, so the first three are the BGR result).
    """
    remapped = remap(source_bgra, map_xy)
    out: Image = cv2.cvtColor(remapped, cv2.COLOR_BGRA2BGR, dst=dst)
    return out


def remap_bgr_window(source: Image, map_xy: FloatArray, dst: Image) -> None:
    """``remap(source, map_xy, dst=dst)`` for a BGR ``source`` (a whole frame) through :func:`remap_bgr`:
    only the box of ``source`` that the map reads is converted to BGRA, the same values to the bit.

    The box is the map's range plus the bilinear neighbour (and a pixel for the fixed-point rounding of
    positions); its corner is subtracted from the map exactly (every position is at least one pixel past
    it and below 2**23, so ``x - x0`` is representable: the fractional parts and the rounding are those of
    ``x``). Where the box meets the frame's edge, the replicated border is the frame's own.

    The box is copied before ``dst`` is written: ``dst`` may be a view of ``source`` itself.
    """
    height, width = source.shape[:2]
    # (Per channel through cv2.split and minMaxLoc: ~0.25 ms; cv2.reduce over the pairs ~0.8 ms.)
    (low_x, high_x, _, _), (low_y, high_y, _, _) = (cv2.minMaxLoc(axis) for axis in cv2.split(map_xy))
    bounds = np.array([low_x, high_x, low_y, high_y])
    if not np.isfinite(bounds).all() or float(np.abs(bounds).max()) > 2**22:
        remap_bgr(cv2.cvtColor(source, cv2.COLOR_BGR2BGRA), map_xy, dst=dst)
        return
    x0 = min(max(int(np.floor(low_x)) - 1, 0), width - 1)
    y0 = min(max(int(np.floor(low_y)) - 1, 0), height - 1)
    x1 = max(min(int(np.floor(high_x)) + 3, width), x0 + 1)
    y1 = max(min(int(np.floor(high_y)) + 3, height), y0 + 1)
    box = cv2.cvtColor(source[y0:y1, x0:x1], cv2.COLOR_BGR2BGRA)
    if x0 or y0:
        map_xy = cv2.subtract(map_xy, (float(x0), float(y0), 0.0, 0.0))
    remap_bgr(box, map_xy, dst=dst)
