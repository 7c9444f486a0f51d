import cv2
import numpy as np
import pytest

from faceswap_desktop.core.mesh.warp import (
    Roi,
    WorkGrid,
    rasterise_piecewise_affine,
    remap,
    remap_bgr,
    remap_bgr_window,
    rows_where,
    similarity_maps,
)

SQUARE = np.array([[10, 10], [90, 10], [90, 70], [10, 70]], dtype=np.float32)
TRIANGLES = np.array([[0, 1, 2], [0, 2, 3]], dtype=np.int32)
ROI = Roi(0, 0, 100, 80)


def _empty_maps() -> tuple[np.ndarray, np.ndarray]:
    return np.full((80, 100), -1, np.float32), np.full((80, 100), -1, np.float32)


def test_identity_warp_maps_each_covered_pixel_to_itself() -> None:
    map_x, map_y = _empty_maps()
    coverage = rasterise_piecewise_affine(SQUARE, SQUARE, TRIANGLES, ROI, map_x, map_y)
    ys, xs = np.nonzero(coverage)
    np.testing.assert_allclose(map_x[ys, xs], xs, atol=1e-3)
    np.testing.assert_allclose(map_y[ys, xs], ys, atol=1e-3)
    # The square 10..90 x 10..70 inclusive is covered, nothing outside it.
    assert coverage.sum() == 81 * 61
    assert not coverage[:10].any() and not coverage[:, 91:].any()


def test_piecewise_warp_reproduces_a_global_affine() -> None:
    affine = np.array([[0.5, 0.1, 3.0], [-0.2, 0.8, 7.0]], dtype=np.float32)
    src = SQUARE @ affine[:, :2].T + affine[:, 2]
    map_x, map_y = _empty_maps()
    coverage = rasterise_piecewise_affine(SQUARE, src, TRIANGLES, ROI, map_x, map_y)
    ys, xs = np.nonzero(coverage)
    np.testing.assert_allclose(map_x[ys, xs], affine[0, 0] * xs + affine[0, 1] * ys + affine[0, 2], atol=1e-3)
    np.testing.assert_allclose(map_y[ys, xs], affine[1, 0] * xs + affine[1, 1] * ys + affine[1, 2], atol=1e-3)


def test_nearer_triangle_wins_where_two_overlap() -> None:
    points = np.array([[0, 0], [60, 0], [0, 60], [10, 10], [70, 10], [10, 70]], dtype=np.float32)
    triangles = np.array([[0, 1, 2], [3, 4, 5]], dtype=np.int32)
    src = points.copy()
    src[3:] += 1000  # the second triangle samples far away: easy to tell which one wrote a pixel
    for near_second, expected_offset in ((True, 1000), (False, 0)):
        depth = np.array([5, 5, 5, 1, 1, 1] if near_second else [1, 1, 1, 5, 5, 5], dtype=np.float32)
        map_x, map_y = _empty_maps()
        rasterise_piecewise_affine(points, src, triangles, ROI, map_x, map_y, depth=depth)
        assert abs(map_x[20, 20] - (20 + expected_offset)) < 1e-3


@pytest.mark.parametrize("step", [2, 3, 4, 5, 6, 8])
def test_grid_upsample_is_exact_for_affine_maps(step: int) -> None:
    roi = Roi(5, 7, 205, 157)
    grid = WorkGrid(roi, step)
    inverse = np.array([[1.3, 0.2, -4.0], [-0.1, 0.9, 12.0]], dtype=np.float32)
    to_frame = np.array([[step, 0, roi.x0], [0, step, roi.y0]], dtype=np.float32)
    combined = np.vstack([inverse, [0, 0, 1]]) @ np.vstack([to_frame, [0, 0, 1]])
    coarse_x, coarse_y = similarity_maps(combined[:2].astype(np.float32), grid.grid_roi)
    fine_x, fine_y = similarity_maps(inverse, roi)
    # Past the last grid row/column the last one's value holds (as warpAffine's replicated border did).
    last_x, last_y = (grid.width - 1) * step, (grid.height - 1) * step
    for fine in (fine_x, fine_y):
        fine[:, last_x + 1 :] = fine[:, last_x : last_x + 1]
        fine[last_y + 1 :] = fine[last_y : last_y + 1]
    np.testing.assert_allclose(grid.upsample(coarse_x), fine_x, atol=1e-3)
    both = grid.upsample_map(coarse_x, coarse_y)
    np.testing.assert_allclose(both[..., 0], fine_x, atol=1e-3)
    np.testing.assert_allclose(both[..., 1], fine_y, atol=1e-3)
    # The warpAffine reference quantises bilinear weights to 1/32: ~1.3 px per cell * step / 64.
    np.testing.assert_allclose(grid.upsample_exact(coarse_x), fine_x, atol=0.03 * step)


def test_remap_samples_bilinearly() -> None:
    image = np.tile(np.arange(100, dtype=np.uint8), (80, 1))[..., None].repeat(3, 2)
    map_x, map_y = similarity_maps(np.array([[1, 0, 10.5], [0, 1, 0]], np.float32), Roi(0, 0, 50, 50))
    out = remap(image, map_x, map_y)
    assert abs(int(out[5, 5, 0]) - 15) <= 1
    assert cv2.absdiff(out[:, :, 0], out[:, :, 1]).max() == 0


@pytest.mark.parametrize("step", [2, 4])
@pytest.mark.parametrize("channels", [1, 2])
def test_grid_upsample_even_step_matches_the_add_weighted_means(step: int, channels: int) -> None:
    # The 2x2 means are float32 sums halved: bit-identical to the addWeighted(a, 0.5, b, 0.5, 0) passes
    # they replaced (halving commutes with rounding), on coordinate-sized values and on mask values.
    rng = np.random.default_rng(step * 10 + channels)
    roi = Roi(3, 5, 3 + 301, 5 + 257)
    grid = WorkGrid(roi, step)
    shape = (grid.height, grid.width) if channels == 1 else (grid.height, grid.width, channels)
    for scale in (1.0, 1280.0):
        values = (rng.random(shape) * scale).astype(np.float32)
        padded = cv2.copyMakeBorder(values, 1, 1, 1, 1, cv2.BORDER_REPLICATE)
        padded[0], padded[-1] = 2.0 * padded[1] - padded[2], 2.0 * padded[-2] - padded[-3]
        padded[:, 0], padded[:, -1] = 2.0 * padded[:, 1] - padded[:, 2], 2.0 * padded[:, -2] - padded[:, -3]
        resized = cv2.resize(padded, (padded.shape[1] * step, padded.shape[0] * step))
        offset = (3 * step - 1) // 2
        window = resized[offset : offset + roi.height + 1, offset : offset + roi.width + 1]
        across = cv2.addWeighted(window[:, :-1], 0.5, window[:, 1:], 0.5, 0.0)
        expected = cv2.addWeighted(across[:-1], 0.5, across[1:], 0.5, 0.0)
        last_y, last_x = (grid.height - 1) * step, (grid.width - 1) * step
        expected[last_y + 1 :] = expected[last_y : last_y + 1]
        expected[:, last_x + 1 :] = expected[:, last_x : last_x + 1]
        assert np.array_equal(grid.upsample(values), expected)


def _jittered_mesh(rng: np.random.Generator, x0: int, y0: int, cell: float) -> tuple[np.ndarray, np.ndarray]:
    """A triangulated grid of ``cell``-px squares over a 120x90 ROI at (x0, y0), its vertices jittered."""
    nx, ny = int(130 / cell) + 1, int(100 / cell) + 1
    gy, gx = np.mgrid[0:ny, 0:nx].astype(np.float64)
    points = np.stack([x0 - 5 + gx * cell, y0 - 5 + gy * cell], -1).reshape(-1, 2)
    points += rng.uniform(-0.3, 0.3, size=points.shape) * cell
    index = np.arange(nx * ny).reshape(ny, nx)
    a, b = index[:-1, :-1].ravel(), index[:-1, 1:].ravel()
    c, d = index[1:, :-1].ravel(), index[1:, 1:].ravel()
    triangles = np.concatenate([np.stack([a, b, c], 1), np.stack([b, d, c], 1)]).astype(np.int32)
    return points.astype(np.float32), triangles


@pytest.mark.parametrize(
    ("x0", "y0", "mesh"), [(0, 0, None), (600, 410, None), (0, 0, 3.0), (1170, 620, 1.3)]
)
def test_rasterise_covers_exactly_the_pixels_of_a_full_roi_inside_test(
    x0: int, y0: int, mesh: float | None
) -> None:
    # The candidates are cut to per-row runs of the pixels the inside test can accept: the maps must
    # equal a brute force test of every ROI pixel against every triangle (same float32 formulas, later
    # triangles win), for ordinary, large, thin and nearly degenerate triangles and ones crossing the
    # ROI's edge, far from the origin (larger float32 rounding) and on fine meshes like a face's grid.
    from faceswap_desktop.core.mesh.warp import _triangle_coefficients

    rng = np.random.default_rng(7 + x0)
    roi = Roi(x0, y0, x0 + 120, y0 + 90)
    if mesh is None:
        points = rng.uniform(-10, 130, size=(60, 2)).astype(np.float32)
        points[40:50] = np.round(points[40:50])  # vertices on pixel centres: edges through pixels
        points[50:] = points[:10] + rng.uniform(-1e-3, 1e-3, size=(10, 2)).astype(np.float32)
        points += np.array([x0, y0], dtype=np.float32)
        triangles = np.concatenate(
            [
                rng.integers(0, 60, size=(150, 3)),
                np.stack([np.arange(10), np.arange(50, 60), np.arange(10, 20)], 1),  # thin slivers
            ]
        ).astype(np.int32)
    else:
        points, triangles = _jittered_mesh(rng, x0, y0, mesh)
    src = points * 1.7 + 3.0
    map_x, map_y = np.full((90, 120), -1, np.float32), np.full((90, 120), -1, np.float32)
    coverage = rasterise_piecewise_affine(points, src, triangles, roi, map_x, map_y)
    coefficients, keep = _triangle_coefficients(points, src, triangles)
    ys, xs = np.mgrid[y0 : y0 + 90, x0 : x0 + 120].astype(np.float32)
    want_x, want_y = np.full_like(map_x, -1), np.full_like(map_y, -1)
    want_coverage = np.zeros_like(coverage)
    for c in coefficients:
        l1 = c[0] * xs + c[1] * ys + c[2]
        l2 = c[3] * xs + c[4] * ys + c[5]
        inside = (l1 >= -1e-4) & (l2 >= -1e-4) & (l1 + l2 <= 1.0 + 1e-4)
        want_x[inside] = (c[6] * xs + c[7] * ys + c[8])[inside]
        want_y[inside] = (c[9] * xs + c[10] * ys + c[11])[inside]
        want_coverage |= inside
    assert keep.sum() > 140
    assert want_coverage.mean() > 0.5
    assert np.array_equal(coverage, want_coverage)
    assert np.array_equal(map_x, want_x) and np.array_equal(map_y, want_y)


@pytest.mark.parametrize("step", [1, 2, 3, 7])
def test_subsample_matches_a_strided_copy(step: int) -> None:
    from faceswap_desktop.core.mesh.warp import subsample

    rng = np.random.default_rng(step)
    frame = rng.integers(0, 256, size=(97, 131, 3), dtype=np.uint8)
    floats = rng.random((40, 50, 2)).astype(np.float32)
    for image in (frame, frame[5:90, 7:120], frame[:, :, 0], floats, floats[3:, 1:]):
        got = subsample(image, step)
        want = np.ascontiguousarray(image[::step, ::step])
        assert got.dtype == want.dtype and got.flags.c_contiguous
        assert np.array_equal(got, want)


@pytest.mark.parametrize("step", list(range(1, 11)))
@pytest.mark.parametrize("channels", [1, 2])
def test_grid_upsample_of_a_window_is_that_window_of_the_whole_result(step: int, channels: int) -> None:
    # Only the window's cells are resized (power-of-two steps) or the whole result is cut (others): the
    # same values to the bit either way, the held rows and columns past the last cell included.
    rng = np.random.default_rng(step * 10 + channels)
    for _ in range(12):
        height, width = (int(v) for v in rng.integers(step * 3, step * 40, size=2))
        x0, y0 = (int(v) for v in rng.integers(0, 900, size=2))
        grid = WorkGrid(Roi(x0, y0, x0 + width, y0 + height), step)
        shape = (grid.height, grid.width) if channels == 1 else (grid.height, grid.width, channels)
        values = (rng.random(shape) * 1000).astype(np.float32)
        whole = grid.upsample(values)
        for _ in range(6):
            row0 = int(rng.integers(0, grid.height))
            row1 = int(rng.integers(row0 + 1, grid.height + 1))
            col0 = int(rng.integers(0, grid.width))
            col1 = int(rng.integers(col0 + 1, grid.width + 1))
            rows, cols = grid.window((row0, row1, col0, col1))
            assert rows.start == row0 * step and cols.start == col0 * step
            assert np.array_equal(grid.upsample(values, (row0, row1, col0, col1)), whole[rows, cols])
    assert grid.window() == (slice(0, height), slice(0, width))


def test_remap_bgr_of_the_bgra_image_is_the_bgr_remap_to_the_bit() -> None:
    rng = np.random.default_rng(3)
    image = rng.integers(0, 256, (90, 120, 3), dtype=np.uint8)
    ys, xs = np.mgrid[0:70, 0:80].astype(np.float32)
    # A shrink, a shear, fractional positions and positions past every border (replicated).
    map_xy = cv2.merge([xs * 1.37 - 5.3 + 0.21 * ys, ys * 1.21 - 4.7 + 0.05 * xs])
    map_xy += rng.normal(0, 0.3, map_xy.shape).astype(np.float32)
    expected = remap(image, map_xy)
    bgra = cv2.cvtColor(image, cv2.COLOR_BGR2BGRA)
    assert np.array_equal(remap_bgr(bgra, map_xy), expected)
    out = np.zeros((100, 100, 3), np.uint8)
    remap_bgr(bgra, map_xy, dst=out[10:80, 5:85])  # into a row-strided view
    assert np.array_equal(out[10:80, 5:85], expected) and not out[:10].any()


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.uint8])
def test_rows_where_is_boolean_indexing(dtype: type) -> None:
    rng = np.random.default_rng(4)
    values = (rng.random((40, 30, 3)) * 200).astype(dtype)
    where = rng.random((40, 30)) < 0.4
    assert np.array_equal(rows_where(values, where), values[where])
    assert rows_where(values, np.zeros_like(where)).shape == (0, 3)
    flat = values.reshape(-1, 3)
    assert np.array_equal(rows_where(flat, where.ravel()), flat[where.ravel()])
    strided = values[:, ::2]  # not contiguous: plain indexing
    assert np.array_equal(rows_where(strided, where[:, ::2]), strided[where[:, ::2]])


@pytest.mark.parametrize("shift", [(0.0, 0.0), (37.25, 21.5), (-30.0, -25.0), (200.0, 150.0)])
def test_remap_bgr_window_is_the_whole_frame_remap_to_the_bit(shift: tuple[float, float]) -> None:
    rng = np.random.default_rng(5)
    frame = rng.integers(0, 256, (180, 240, 3), dtype=np.uint8)
    ys, xs = np.mgrid[0:60, 0:70].astype(np.float32)
    # A local squeeze around a point, shifted: windows inside the frame, at its corner and past its edges.
    map_xy = cv2.merge([xs * 0.9 + 0.02 * ys + shift[0], ys * 1.1 - 0.03 * xs + shift[1]])
    map_xy += rng.normal(0, 0.4, map_xy.shape).astype(np.float32)
    map_xy[::7, ::5] = np.round(map_xy[::7, ::5]) - 1 / 64  # just below whole pixels (rounding up)
    expected = np.zeros((60, 70, 3), np.uint8)
    remap(frame, map_xy, dst=expected)
    out = np.zeros((60, 70, 3), np.uint8)
    remap_bgr_window(frame, map_xy, out)
    assert np.array_equal(out, expected)


def test_remap_bgr_window_may_write_into_its_own_source() -> None:
    rng = np.random.default_rng(7)
    frame = rng.integers(0, 256, (120, 160, 3), dtype=np.uint8)
    ys, xs = np.mgrid[0:50, 0:60].astype(np.float32)
    # The window at (40, 30) samples a shifted, squeezed part of the frame that overlaps it.
    map_xy = cv2.merge([xs * 0.8 + 52.3, ys * 0.9 + 36.6])
    expected = frame.copy()
    remap(frame, map_xy, dst=expected[30:80, 40:100])
    remap_bgr_window(frame, map_xy, frame[30:80, 40:100])
    assert np.array_equal(frame, expected)
