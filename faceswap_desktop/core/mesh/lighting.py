"""The target's lighting direction on the swapped face (issue #19's tone fault).

The swapped face carries the source photo's shading: a cheek lit in the source stays lit on a target whose
light comes from the other side, so one cheek reads 10-20 lightness levels off the target's (the fault
check's "tone" flags on the validation pairs were 46 of 49 times such a one-cheek lightness step, and the
result's zone-to-zone lightness pattern followed the source's with a correlation of 0.88,
docs/likeness.md). A broad masked mean cannot remove it without also blurring away the face's own
features.

Here the shading is modelled from the 3D mesh: on the skin vertices (off the eyes, brows and lips) the
blurred luma is fitted as ``a + b . n`` of the vertex normal ``n`` (a first-order lighting model), once on
the target's own pixels with the target's normals and once on the swapped face with the *source's*
normals (its shading was made by the source's light on the source's surface). The difference of the two
fitted shadings, per vertex, is spread over the face as a smooth luma correction: the target's light
direction replaces the source's, the face's albedo and features stay. Numpy/OpenCV only.
"""

from __future__ import annotations

import functools
from typing import Any

import cv2
import numpy as np
from numpy.typing import NDArray

from ..types import FloatArray
from .mesh_topology import feature_indices, mesh_triangles

RIDGE = 0.05
"""Ridge weight (relative to the normals' own spread) keeping the fit's direction terms small when the
skin vertices' normals barely vary (a tiny or flat-looking face)."""

OUTLIER_LEVELS = 2.5
"""Vertices whose luma is more than this many robust deviations off the first fit (hair over the
forehead, a beard, a shadow cast by glasses) leave the second fit."""

ORDER = 1
"""Spherical-harmonic order of the lighting model: 1 (ambient and one direction, 4 terms per channel) or
2 (9 terms: also the light's spread, e.g. shadows under the brows and beside the nose)."""

TERMS: tuple[int, ...] | None = None
"""Which basis terms' difference is applied (None: all; (1,): the side-to-side light only)."""

STRENGTH = 1.0
"""Share of the shading difference applied."""

MIN_VERTICES = 40
"""Fewer usable skin vertices than this: no correction (the fit would follow noise)."""

MIN_SHOWN = 0.6
"""Share of the skin vertices that must be on the mask (a half-hidden face gets no correction)."""

MIN_IN_FRAME = 0.97
"""Share of the skin vertices that must be inside the frame: a face cut by the photo's edge gets no
correction (one side's light cannot be compared with the other's; on the validation halves relighting
the two cut faces of misc/ lost their pose in 3 pairs)."""


@functools.lru_cache(maxsize=1)
def skin_vertices() -> NDArray[np.int64]:
    """Surface vertices that are skin on most faces: the 468 minus the brows, eyes and lips."""
    excluded = np.zeros(468, dtype=bool)
    for region in feature_indices():
        excluded[region[region < 468]] = True
    return np.flatnonzero(~excluded)


def vertex_normals(landmarks: FloatArray) -> FloatArray:
    """(468, 3) unit normals of the mesh surface in the image's frame (x right, y down, z away from the
    camera), each facing the camera (negative z): triangle normals summed onto their vertices."""
    points = landmarks[:468, :3].astype(np.float64)
    triangles = mesh_triangles()
    # The cross product of the edges per coordinate, on (T,) arrays: the products and differences
    # ``np.cross`` takes, in its order (the same bits), without its cost on (T, 3) rows.
    x, y, z = (np.ascontiguousarray(points[:, axis]) for axis in range(3))
    first, second, third = triangles.T
    ux, uy, uz = x[second] - x[first], y[second] - y[first], z[second] - z[first]
    vx, vy, vz = x[third] - x[first], y[third] - y[first], z[third] - z[first]
    normal_z = ux * vy - uy * vx
    # The tessellation's winding is not consistent: every triangle is turned to face the camera.
    facing = np.where(normal_z > 0, -1.0, 1.0)
    corners = triangles.ravel()
    # Summed per vertex with bincount (np.add.at is ~10x slower for this).
    summed = np.stack(
        [
            np.bincount(corners, np.repeat(normal * facing, 3), minlength=len(points))
            for normal in (uy * vz - uz * vy, uz * vx - ux * vz, normal_z)
        ],
        axis=1,
    )
    length = np.linalg.norm(summed, axis=1, keepdims=True)
    unit: FloatArray = (summed / np.maximum(length, 1e-9)).astype(np.float32)
    return unit


def lighting_basis(normals: FloatArray) -> NDArray[np.float64]:
    """(N, 4) or (N, 9) real spherical-harmonic terms of the unit ``normals`` (see :data:`ORDER`)."""
    n = normals.astype(np.float64)
    x, y, z = n[:, 0], n[:, 1], n[:, 2]
    terms = [np.ones_like(x), x, y, z]
    if ORDER >= 2:
        terms += [x * y, x * z, y * z, x * x - y * y, 3 * z * z - 1]
    return np.stack(terms, axis=1)


def fit_shading(luma: FloatArray, normals: FloatArray) -> NDArray[np.float64] | None:
    """The coefficients of ``values ~ lighting_basis(normal) @ c`` (``values`` (N,) or (N, channels);
    robust: a least-squares fit, then again without the outliers), or None when too few are left."""
    if len(luma) < MIN_VERTICES:
        return None
    design = lighting_basis(normals)
    spread = max(float(design[:, 1:].var(0).sum()), 1e-3)
    ridge = np.eye(design.shape[1]) * RIDGE * spread * len(luma)
    ridge[0, 0] = 0.0
    keep = np.ones(len(luma), dtype=bool)
    coefficients = None
    for _ in range(2):
        if keep.sum() < MIN_VERTICES:
            return coefficients
        x, y = design[keep], luma[keep].astype(np.float64)
        coefficients = np.linalg.solve(x.T @ x + ridge, x.T @ y)
        residual = (luma - design @ coefficients).reshape(len(luma), -1)
        centred = residual - np.median(residual[keep], axis=0)
        deviation = 1.4826 * np.median(np.abs(centred[keep]), axis=0) + 1e-3
        keep = np.asarray((np.abs(centred) < OUTLIER_LEVELS * deviation).all(axis=1), dtype=bool)
    return coefficients


def sample_at_points(image: FloatArray, points: FloatArray) -> tuple[FloatArray, NDArray[np.bool_]]:
    """Values of ``image`` (2-D, or with channels) at the (N, 2) ``points`` (nearest sample) and which
    points fall inside it (the values of points outside are the nearest edge's)."""
    height, width = image.shape[:2]
    xy, inside = _nearest_samples(points, width, height)
    xs, ys = np.clip(xy[:, 0], 0, width - 1), np.clip(xy[:, 1], 0, height - 1)
    return image[ys, xs], inside


def _nearest_samples(
    points: FloatArray, width: int, height: int
) -> tuple[NDArray[np.int64], NDArray[np.bool_]]:
    """The (N, 2) ``points`` rounded to their nearest sample, and which of those lie in a ``width`` x
    ``height`` grid."""
    xy = np.round(points).astype(np.int64)
    inside = (xy[:, 0] >= 0) & (xy[:, 0] < width) & (xy[:, 1] >= 0) & (xy[:, 1] < height)
    return xy, inside


def relight_delta(
    face_luma: FloatArray,
    target_luma: FloatArray,
    mask: FloatArray,
    points: FloatArray,
    face_normals: FloatArray,
    target_normals: FloatArray,
    weight: float = 1.0,
) -> FloatArray | None:
    """A smooth luma correction (same shape as the inputs, levels) that gives the swapped face the
    target's shading in place of the source's, or None when either fit has too few skin vertices.

    ``face_luma``, ``target_luma``, ``mask``: the swapped face, the (liquified) target and the face's mask
    on one coarse sampling (~48 samples across the face); ``points``: the swapped mesh's 468+ vertices
    in that sampling's coordinates; ``face_normals``: :func:`vertex_normals` of the source's mesh (the
    face's shading came from it); ``target_normals``: of the target's own mesh; ``weight``: the share of
    the correction applied (the caller fades it on turned heads, whose far side's normals are a guess).
    """
    fits = fit_skin_shadings(face_luma, target_luma, mask, points, face_normals, target_normals)
    if fits is None or weight <= 0:
        return None
    face_fit, target_fit, usable = fits
    # Per vertex: the target's shading at the target's normal minus the face's at the source's normal.
    # The constant terms cancel in effect (the colour transfer already matched the face's mean).
    everyone = np.arange(468)
    if TERMS is not None:
        chosen = np.zeros(len(target_fit))
        chosen[list(TERMS)] = 1.0
        target_fit = target_fit * (chosen if target_fit.ndim == 1 else chosen[:, None])
        face_fit = face_fit * (chosen if face_fit.ndim == 1 else chosen[:, None])
    wanted = lighting_basis(target_normals[everyone]) @ target_fit * (STRENGTH * weight)
    present = lighting_basis(face_normals[everyone]) @ face_fit * (STRENGTH * weight)
    delta = (wanted - present).reshape(468, -1)
    delta = delta - np.median(delta[skin_vertices()][usable], axis=0)
    field = spread_vertex_values(delta, points, (face_luma.shape[0], face_luma.shape[1]))
    return field if face_luma.ndim == 3 else field[..., 0]


def fit_skin_shadings(
    face: FloatArray,
    target: FloatArray,
    mask: FloatArray,
    points: FloatArray,
    face_normals: FloatArray,
    target_normals: FloatArray,
    exclude: FloatArray | None = None,
) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.bool_]] | None:
    """The face's and the target's :func:`fit_shading` on the skin vertices (:func:`skin_vertices`), and
    which of those vertices were used; None when too few are shown or inside, or a fit fails.

    ``face``, ``target`` (2-D luma or with channels), ``mask``: one coarse sampling; ``points``: the
    swapped mesh's vertices in its coordinates; the normals: :func:`vertex_normals` of the source's mesh
    (the face's shading came from it) and of the target's. ``exclude`` (on the sampling, 0-1): samples
    whose vertices leave the fits (after the shown-share test: a beard, :func:`~.skin_tone.beard_drop`).
    """
    indices = skin_vertices()
    at = points[indices, :2]
    # Blurred over the mask's inside only: the face's samples outside it are not the swap's (the colour
    # transfer corrects only the box the blend shows, see mesh_engine._shown_region).
    inside_mask = (mask > 0.5).astype(np.float32)
    norm = cv2.GaussianBlur(inside_mask, (0, 0), 1.0) + 1e-6
    face_values, inside = sample_at_points(_blur_inside(face, inside_mask, norm), at)
    target_values, _ = sample_at_points(_blur_inside(target, inside_mask, norm), at)
    shown, _ = sample_at_points(mask, at)
    usable = inside & (shown > 0.5)
    if usable.mean() < MIN_SHOWN or inside.mean() < MIN_IN_FRAME:
        return None
    if exclude is not None:
        excluded, _ = sample_at_points(exclude, at)
        usable = usable & (excluded < 0.5)
    face_fit = fit_shading(face_values[usable], face_normals[indices][usable])
    target_fit = fit_shading(target_values[usable], target_normals[indices][usable])
    if face_fit is None or target_fit is None:
        return None
    return face_fit, target_fit, usable


def _blur_inside(image: FloatArray, inside_mask: FloatArray, norm: FloatArray) -> FloatArray:
    """``image`` (2-D or with channels) blurred over ``inside_mask`` only (normalised by ``norm``)."""
    if image.ndim == 3:
        inside_mask, norm = inside_mask[..., None], norm[..., None]
    blurred: FloatArray = cv2.GaussianBlur(image * inside_mask, (0, 0), 1.0).reshape(image.shape) / norm
    return blurred


SPREAD_SIGMA = 1.5
"""Gaussian (in samples, ~1/32 of the face) spreading per-vertex corrections over the face."""


def spread_vertex_values(
    values: NDArray[np.floating[Any]], points: FloatArray, shape: tuple[int, int]
) -> FloatArray:
    """(height, width, channels) float32 field of the (468, channels) per-vertex ``values`` at
    ``points``, by normalised convolution, fading to none where no vertex is near (outside the mesh: the
    skin extension's band, the padding)."""
    height, width = shape
    channels = values.shape[1]
    xy, inside = _nearest_samples(points[:468, :2], width, height)
    flat = xy[inside, 1] * width + xy[inside, 0]
    summed = np.stack(
        [np.bincount(flat, values[inside, c], minlength=height * width) for c in range(channels)], axis=1
    ).reshape(height, width, channels)
    count = np.bincount(flat, minlength=height * width).reshape(height, width).astype(np.float32)
    spread = cv2.GaussianBlur(summed.astype(np.float32), (0, 0), SPREAD_SIGMA)
    spread = spread.reshape(height, width, channels)
    cover = cv2.GaussianBlur(count, (0, 0), SPREAD_SIGMA)
    field = spread / np.maximum(cover, 1e-4)[..., None]
    covered = cover[cover > 1e-3]
    if covered.size == 0:
        return np.zeros((height, width, channels), dtype=np.float32)
    strength = np.clip(cover / max(float(np.median(covered)) * 0.5, 1e-4), 0.0, 1.0)
    result: FloatArray = (field * strength[..., None]).astype(np.float32)
    return result


FACING_FADE_START = 0.45
FACING_FADE_END = 0.2
"""A triangle whose surface faces the camera less than this (|normal z|: its drawn area over its true
area) fades out of the blend: the surface turns away from the view, where a turned head's warp smears the
texture (the target) or samples surface the photo sees edge-on (the source)."""


def triangle_facing(points: FloatArray, triangles: NDArray[np.int32]) -> FloatArray:
    """|z| of each triangle's unit normal over (M, 3) ``points``: 1 facing the camera, 0 edge-on (the
    tessellation's winding is not consistent, so the sign is not used: hidden triangles are already
    drawn under the visible ones by the depth-ordered warp)."""
    corners = points[:, :3].astype(np.float64)[triangles]
    normals = np.cross(corners[:, 1] - corners[:, 0], corners[:, 2] - corners[:, 0])
    length = np.linalg.norm(normals, axis=1)
    facing: FloatArray = (np.abs(normals[:, 2]) / np.maximum(length, 1e-9)).astype(np.float32)
    return facing


def facing_weight(points: FloatArray, triangles: NDArray[np.int32]) -> FloatArray:
    """Per triangle: 1 where it faces the camera by :data:`FACING_FADE_START` or more, fading to 0 at
    :data:`FACING_FADE_END` (see :func:`triangle_facing`)."""
    facing = triangle_facing(points, triangles)
    weight: FloatArray = np.clip(
        (facing - FACING_FADE_END) / (FACING_FADE_START - FACING_FADE_END), 0.0, 1.0
    ).astype(np.float32)
    return weight
