"""The mirrored fill of the source's occluded upper face: the other half of the forehead, re-toned.

A fringe usually covers one side of the forehead. Filling it from the skin around it (a smooth push-pull)
leaves a flat cap without the skin's grain, whose edge shows as a line once the swap's tone and detail
steps have run (deepface_p04's fringe, issue #19). The face is close to mirror-symmetric, so a masked
pixel whose mirror image across the face's symmetry plane is clean skin takes that pixel instead: the
grain, pores and fine shading stay skin's. The two sides are lit differently, so the difference between
the texture and its mirror image, measured where both are clean skin, is carried in at low frequency and
added (a left-lit forehead does not get the right side's tone).

The mirror map is found on the source's own mesh: MediaPipe's landmarks come in left/right pairs (the
face oval's ring read backwards, the brows, the eyes' corners and lids, the forehead's vertices; the
midline maps onto itself). A thin-plate spline through those pairs maps each pixel to its mirror image,
so a turned head's foreshortened far side maps correctly, not by one global reflection.
"""

from __future__ import annotations

import functools

import cv2
import numpy as np
from numpy.typing import NDArray

from ..types import FloatArray, Image
from .skin_extension import oval_ring

_PAIRS = (
    # Brows (upper and lower edge), eyes (corners, lids, irises), the forehead and temples.
    (70, 300), (63, 293), (105, 334), (66, 296), (107, 336), (46, 276), (53, 283), (52, 282),
    (65, 295), (55, 285), (33, 263), (133, 362), (159, 386), (145, 374), (468, 473), (108, 337),
    (69, 299), (104, 333), (71, 301), (68, 298), (139, 368), (113, 342), (226, 446), (35, 265),
    (143, 372),
)  # fmt: skip
_MIDLINE = (151, 9, 8, 168, 6)
"""Vertices on the face's symmetry plane (each is its own mirror image), besides the oval's top and
bottom."""

MIRROR_TONE_SIGMA = 0.02
"""The mirror image's local mean is taken over this much (face sizes) and left out: its grain, not the
other side's shading. At 0.04 the forehead's curvature of shading left a bias of 2-3 levels (obama)."""


@functools.lru_cache(maxsize=1)
def mirror_pairs() -> NDArray[np.int32]:
    """(N, 2) landmark indices (i, mirror of i), both ways round: the oval ring read backwards from its
    top (10), the pairs above and the midline's vertices."""
    ring = oval_ring()
    count = len(ring)
    pairs = [(int(ring[k]), int(ring[(count - k) % count])) for k in range(count)]
    for left, right in _PAIRS:
        pairs += [(left, right), (right, left)]
    pairs += [(index, index) for index in _MIDLINE]
    return np.array(pairs, dtype=np.int32)


def _tps_kernel(distance: NDArray[np.float64]) -> NDArray[np.float64]:
    with np.errstate(divide="ignore", invalid="ignore"):
        kernel = distance * distance * np.log(distance)
    return np.nan_to_num(kernel)


def mirror_map(
    landmarks: FloatArray, box: tuple[slice, slice], face_size: float, stride: int = 4
) -> tuple[NDArray[np.float32], NDArray[np.float32]]:
    """For every pixel of ``box`` (the texture's rows and columns), the x and y of its mirror image
    (texture coordinates, for ``cv2.remap``): a thin-plate spline through :func:`mirror_pairs`, fitted
    with a little smoothing (landmarks jitter by a pixel or two), evaluated every ``stride`` px."""
    pairs = mirror_pairs()
    points = landmarks[:, :2].astype(np.float64)
    origin = points[pairs[:, 0]].mean(0)
    source = (points[pairs[:, 0]] - origin) / face_size
    target = (points[pairs[:, 1]] - origin) / face_size
    count = len(source)
    kernel = _tps_kernel(np.linalg.norm(source[:, None] - source[None], axis=2))
    affine = np.hstack([np.ones((count, 1)), source])
    system = np.zeros((count + 3, count + 3))
    system[:count, :count] = kernel + 1e-3 * np.eye(count)
    system[:count, count:] = affine
    system[count:, :count] = affine.T
    rhs = np.zeros((count + 3, 2))
    rhs[:count] = target
    weights = np.linalg.lstsq(system, rhs, rcond=None)[0]
    rows, cols = box
    height, width = rows.stop - rows.start, cols.stop - cols.start
    ys = np.arange(rows.start, rows.stop + stride, stride, dtype=np.float64)
    xs = np.arange(cols.start, cols.stop + stride, stride, dtype=np.float64)
    grid = np.stack(np.meshgrid(xs, ys), axis=-1).reshape(-1, 2)
    grid_n = (grid - origin) / face_size
    values = _tps_kernel(np.linalg.norm(grid_n[:, None] - source[None], axis=2)) @ weights[:count]
    values += np.hstack([np.ones((len(grid_n), 1)), grid_n]) @ weights[count:]
    mapped = (values * face_size + origin).reshape(len(ys), len(xs), 2).astype(np.float32)
    # The coarse grid's sample k sits at box pixel k * stride: box pixel u reads the grid at u / stride.
    scale = np.array([[1.0 / stride, 0.0, 0.0], [0.0, 1.0 / stride, 0.0]])
    full = cv2.warpAffine(
        mapped,
        scale,
        (width, height),
        flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP,
        borderMode=cv2.BORDER_REPLICATE,
    )
    return np.ascontiguousarray(full[..., 0]), np.ascontiguousarray(full[..., 1])


def _smooth_within(values: FloatArray, weight: FloatArray, sigma: float) -> FloatArray:
    """The ``weight``-masked Gaussian mean of ``values`` (H x W x C); 0 weight where nothing is near."""
    blurred_weight = cv2.GaussianBlur(weight, (0, 0), sigma)
    blurred = cv2.GaussianBlur(values * weight[..., None], (0, 0), sigma)
    out: FloatArray = blurred / np.maximum(blurred_weight, 1e-4)[..., None]
    return out


def mirrored_detail(
    texture: Image,
    clean: NDArray[np.bool_],
    box: tuple[slice, slice],
    landmarks: FloatArray,
    face_size: float,
) -> tuple[FloatArray, FloatArray]:
    """The mirror image's fine detail over ``box``: (detail, weight). ``clean`` (the whole texture's
    shape) is where the texture is visible face skin; the weight is where the mirror image of a box pixel
    is clean (softened at its edge), and the detail there is the mirror image less its own local mean
    (a Gaussian of :data:`MIRROR_TONE_SIGMA` over the clean pixels only): the grain, without the other
    side's tone or light, which the caller's smooth fill supplies."""
    # The map is smooth: sampled ~64 times across the face whatever its size (a stride of 4 took 0.2 s of
    # the spline at an 800 px face).
    map_x, map_y = mirror_map(landmarks, box, face_size, stride=max(4, int(face_size / 64)))
    # Nearest, not linear: interpolating at a fractional offset blurs away half the grain it is taken for.
    mirrored = cv2.remap(texture, map_x, map_y, cv2.INTER_NEAREST, borderMode=cv2.BORDER_REFLECT).astype(
        np.float32
    )
    # Off the clean skin's very edge: the mirror of a pixel next to a strand is not taken.
    eroded = cv2.erode(clean.astype(np.float32), np.ones((3, 3), np.uint8))
    mirror_clean = cv2.remap(eroded, map_x, map_y, cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT)
    mirror_clean = (mirror_clean > 0.99).astype(np.float32)
    sigma = max(face_size * MIRROR_TONE_SIGMA, 1.0)
    detail = mirrored - _smooth_within(mirrored, mirror_clean, sigma)
    weight = cv2.GaussianBlur(mirror_clean, (0, 0), max(face_size * 0.01, 0.7)) * mirror_clean
    return detail * weight[..., None], weight
