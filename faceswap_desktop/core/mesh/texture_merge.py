"""Several source photos merged into one texture, in the mesh's UV space (issue #6).

With one photo, the swap carries that photo's lighting, shading and expression (a smile's cheek folds)
as much as the person's look. Every other photo of the person is warped onto the texture photo's mesh
(the same piecewise-affine warp as the swap's, so each mesh triangle lands on the same triangle) and
averaged in, each triangle weighted by how squarely that photo sees it; the finest detail stays the
texture photo's. Measured on the identity benchmark (docs/likeness.md, MobileFaceNet judge): identity
ratio 0.756 -> 0.795 on the 24 pairs whose source has a second photo, against the same two photos with
the best-posed one alone (0.776 from photo 0 alone, the single-photo protocol).
"""

from __future__ import annotations

from collections.abc import Sequence

import cv2
import numpy as np
from numpy.typing import NDArray

from ..types import FloatArray, Image
from .color import LUMA_BGR
from .mesh_topology import (
    INNER_LIPS_RING,
    LEFT_EYE_RING,
    OUTER_LIPS_RING,
    RIGHT_EYE_RING,
    mesh_triangles,
)
from .warp import Roi, grid_for_face, rasterise_piecewise_affine

FACING_POWER = 2.0
"""A photo's weight on a triangle is the cosine between the triangle's normal and the view axis raised to
this power: a surface seen edge-on (a turned cheek) is smeared and gives way to a photo that faces it."""

REJECT_START = 60.0
REJECT_END = 90.0
"""Luma difference (0-255, after colour normalisation, blurred over 1 % of the face) from the texture
photo at which another photo's weight starts to fall, and where it reaches 0. Something covers the skin
in one of them there (a strand of hair, a hand); the texture photo is kept. Lower limits (20-40, 40-70)
also rejected the photos' different shading, which is what the merge gains by (docs/likeness.md)."""

EDGE_FADE = 0.03
"""Width, as a fraction of the face size, over which the merge fades out inside the mesh's border: the
texture outside the mesh (forehead band, padding) is the texture photo's alone, and the photos' shading
differs there, so a hard border showed as a line across the forehead."""

DETAIL_SIGMA = 0.005
"""Detail finer than this (Gaussian sigma, as a fraction of the face size) comes from the texture photo
alone. The photos never align to the pixel: averaged at full detail, a second lash line showed above the
first (seen at 100 %); at 0.005 it becomes a soft shade, for 0.004 less identity ratio than the full
merge (noise). At 0.01 the merge gave 0.010 less."""


def _facing(
    landmarks: FloatArray, triangles: NDArray[np.int32], front: NDArray[np.float64]
) -> NDArray[np.float64]:
    """Per triangle, the cosine between its 3D normal and the view axis; 0 where it is edge-on or turned
    away. ``front``: +-1 per triangle, the sign the normal's z has when the triangle faces the camera (the
    tessellation's triangles are not consistently wound)."""
    a, b, c = (landmarks[triangles[:, k], :3].astype(np.float64) for k in range(3))
    normal = np.cross(b - a, c - a)
    length = np.linalg.norm(normal, axis=1) + 1e-9
    cosine: NDArray[np.float64] = np.clip(normal[:, 2] * front / length, 0.0, 1.0)
    return cosine


def _signed_areas(points: FloatArray, triangles: NDArray[np.int32]) -> NDArray[np.float64]:
    a, b, c = (points[triangles[:, k], :2].astype(np.float64) for k in range(3))
    e1, e2 = b - a, c - a
    areas: NDArray[np.float64] = e1[:, 0] * e2[:, 1] - e1[:, 1] * e2[:, 0]
    return areas


def _match_colour(image: FloatArray, image_samples: FloatArray, reference_samples: FloatArray) -> FloatArray:
    """``image`` (float BGR) with its LAB mean and spread set to the reference's, both measured on
    ``(N, 3)`` float BGR samples of the same places (the spread's gain held within 0.5-2): photos of one
    person under different light, brought to one tone."""

    def lab(values: FloatArray) -> FloatArray:
        """LAB of float BGR values of any shape (..., 3); OpenCV takes them as one image column."""
        pixels = np.clip(values, 0, 255).astype(np.uint8).reshape(-1, 1, 3)
        converted: FloatArray = cv2.cvtColor(pixels, cv2.COLOR_BGR2LAB).astype(np.float32)
        return converted.reshape(values.shape)

    samples, reference = lab(image_samples), lab(reference_samples)
    mean, spread = samples.mean(0), samples.std(0) + 1e-3
    reference_mean, reference_spread = reference.mean(0), reference.std(0) + 1e-3
    matched = (lab(image) - mean) * np.clip(reference_spread / spread, 0.5, 2.0) + reference_mean
    bgr: FloatArray = cv2.cvtColor(np.clip(matched, 0, 255).astype(np.uint8), cv2.COLOR_LAB2BGR).astype(
        np.float32
    )
    return bgr


def _cells(values: FloatArray, step: int) -> FloatArray:
    """The pixels of a texture-sized array at the work grid's cells (pixel ``(j * step, i * step)``)."""
    cells: FloatArray = np.ascontiguousarray(values[::step, ::step])
    return cells


def _kept_triangles(triangles: NDArray[np.int32]) -> NDArray[np.bool_]:
    """Triangles only the texture photo gives: those touching the lips' or the eyes' contours.

    The mesh follows an open mouth's inner lip loosely, so another photo's open smile put teeth into a
    closed mouth's lower lip (a pale patch, seen on deepface_p02); lashes and eyelid edges never align
    to the pixel between photos (a second lash line). Measured: 0.786 with every triangle merged, 0.779
    without the lips', 0.778 without the lips' and the eyes' (the 30 pairs; noise is ~0.01).
    """
    vertices = list(set(INNER_LIPS_RING) | set(OUTER_LIPS_RING) | set(LEFT_EYE_RING) | set(RIGHT_EYE_RING))
    kept: NDArray[np.bool_] = np.asarray(np.isin(triangles, vertices).any(axis=1))
    return kept


def merge_textures(
    texture: Image,
    landmarks: FloatArray,
    others: Sequence[tuple[Image, FloatArray]],
    face_size: float,
) -> Image:
    """``texture`` (the texture photo's crop, ``landmarks`` (478, 3) in its pixels) with the other photos
    of the same person averaged in over the mesh's surface.

    ``others``: (image, its 478 landmarks in its pixels) per photo. Each is warped onto ``texture``'s mesh
    triangle by triangle (depth-ordered, so a turned face's far side does not cover its near side),
    colour-normalised to the texture photo, and weighted per triangle by :data:`FACING_POWER` of its
    facing; where it disagrees strongly with the texture photo (:data:`REJECT_START`) it gives way. The
    eyes' and mouth's openings are not part of the surface: the irises, teeth and gaze stay the texture
    photo's (the photos' gazes differ, an average would show two irises). Outside the mesh nothing
    changes; inside it the merge fades in over :data:`EDGE_FADE` of the face size.
    """
    if not others:
        return texture
    triangles = mesh_triangles()
    height, width = texture.shape[:2]
    # The maps and weights on the swap's own coarse grid (they are piecewise affine / constant), upsampled:
    # rasterising every pixel of a large face's texture cost ~1 s.
    grid = grid_for_face(Roi(0, 0, width, height), face_size)
    dst = grid.to_grid(landmarks)
    # A triangle's normal has z = its projected signed area (x2): its sign in the texture photo, which
    # is taken to see the whole mesh from the front, says which way each triangle faces.
    front = np.sign(_signed_areas(landmarks, triangles))
    kept = _kept_triangles(triangles)
    weights: list[FloatArray] = []
    images: list[FloatArray] = []
    covered = np.zeros((grid.height, grid.width), dtype=bool)
    surfaces: list[FloatArray] = []
    # Cells next to the mesh's edge mix the surface with what lies outside it once upsampled: left out.
    edge = np.ones((3, 3), np.uint8)
    for image, points in [(texture, landmarks), *others]:
        map_x = np.full((grid.height, grid.width), -1.0, dtype=np.float32)
        map_y = np.full((grid.height, grid.width), -1.0, dtype=np.float32)
        weight = np.zeros((grid.height, grid.width), dtype=np.float32)
        facing = (_facing(points, triangles, front) ** FACING_POWER).astype(np.float32)
        if images:
            facing[kept] = 0.0
        seen = rasterise_piecewise_affine(
            dst,
            points[:, :2].astype(np.float32),
            triangles,
            grid.grid_roi,
            map_x,
            map_y,
            depth=landmarks[:, 2],
            triangle_values=facing,
            values_out=weight,
        )
        covered |= seen
        weights.append(cv2.erode(weight, edge))
        if not images:
            images.append(texture.astype(np.float32))  # its own warp is the identity on the mesh
        else:
            maps = grid.upsample_map(map_x, map_y)
            warped = cv2.remap(image, maps, None, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
            images.append(warped.astype(np.float32))
        surfaces.append(cv2.erode(seen.astype(np.float32), edge))
    inside = cv2.erode(covered.astype(np.float32), edge)
    # The weights, the disagreement test and the edge fade are smooth: computed on the grid, upsampled.
    reference = images[0]
    small_reference = _cells(reference, grid.step)
    blur = max(face_size * 0.01 / grid.step, 0.5)
    reference_luma = cv2.GaussianBlur(small_reference @ LUMA_BGR, (0, 0), blur)
    grow = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * int(blur) + 1, 2 * int(blur) + 1))
    for k in range(1, len(images)):
        both = (weights[0] > 0.3) & (weights[k] > 0.3)
        if both.sum() < 100:  # too little seen by both to compare their colours: left out
            weights[k] = np.zeros_like(weights[k])
            continue
        images[k] = _match_colour(images[k], _cells(images[k], grid.step)[both], small_reference[both])
        # Off the surface (eye and mouth openings, outside the mesh) the warp has nothing: the texture
        # photo's own pixels stand in, so that the smoothed weights below may reach there harmlessly.
        on: FloatArray = grid.upsample(surfaces[k])[..., None]
        filled: FloatArray = images[k] * on + reference * (1.0 - on)
        images[k] = filled
        small = _cells(images[k], grid.step)
        difference = np.abs(cv2.GaussianBlur(small @ LUMA_BGR, (0, 0), blur) - reference_luma)
        weights[k] = weights[k] * np.clip(
            (REJECT_END - cv2.dilate(difference, grow)) / (REJECT_END - REJECT_START), 0.0, 1.0
        )
    # Per-triangle facing and the disagreement test change abruptly: smoothed, so that no triangle's or
    # grid cell's edge shows in the merge.
    weights = [cv2.GaussianBlur(w, (0, 0), blur) for w in weights]
    fade_width = max(face_size * EDGE_FADE / grid.step, 0.5)
    inside = cv2.erode(
        inside,
        cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * int(fade_width) + 1, 2 * int(fade_width) + 1)),
    )
    fade = cv2.GaussianBlur(inside, (0, 0), fade_width)
    total = np.sum(weights, axis=0)
    # Each photo's share of the merge, faded out toward the mesh's edge; the rest stays the texture's.
    out = reference.copy()
    detail = max(face_size * DETAIL_SIGMA, 0.5)
    reference_low = cv2.GaussianBlur(reference, (0, 0), detail)
    for k in range(1, len(images)):
        share = grid.upsample(np.where(total > 1e-3, weights[k] / np.maximum(total, 1e-3), 0.0) * fade)
        low = cv2.GaussianBlur(images[k], (0, 0), detail)
        out += share[..., None] * (low - reference_low)
    merged: Image = np.clip(np.rint(out), 0, 255).astype(np.uint8)
    return merged
