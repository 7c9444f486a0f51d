"""Triangles and regions of MediaPipe's 478-point face mesh.

The triangle list is derived from MediaPipe's own ``FACEMESH_TESSELATION`` edge set (every 3-cycle of
edges that is a face of the mesh). The eye and mouth openings are holes in that mesh; we close them with
fans around their centres so a warp can carry the source's eyes and mouth when the user asks for them.
"""

from __future__ import annotations

import functools
from collections import defaultdict

import numpy as np
from numpy.typing import NDArray

from ..geometry import LEFT_EYE_CONTOUR, RIGHT_EYE_CONTOUR
from . import face_mesh_connections as mesh_connections

IntArray = NDArray[np.int32]

# Ordered rings (MediaPipe indices) walking around each opening.
INNER_LIPS_RING: tuple[int, ...] = (
    78,
    191,
    80,
    81,
    82,
    13,
    312,
    311,
    310,
    415,
    308,
    324,
    318,
    402,
    317,
    14,
    87,
    178,
    88,
    95,
)
OUTER_LIPS_RING: tuple[int, ...] = (
    61,
    146,
    91,
    181,
    84,
    17,
    314,
    405,
    321,
    375,
    291,
    409,
    270,
    269,
    267,
    0,
    37,
    39,
    40,
    185,
)
"""The lips' outer contour, in order (with :data:`INNER_LIPS_RING`, MediaPipe's FACEMESH_LIPS)."""
RIGHT_EYE_RING: tuple[int, ...] = RIGHT_EYE_CONTOUR
LEFT_EYE_RING: tuple[int, ...] = LEFT_EYE_CONTOUR
RIGHT_IRIS: tuple[int, ...] = (468, 469, 470, 471, 472)
LEFT_IRIS: tuple[int, ...] = (473, 474, 475, 476, 477)
MOUTH_CENTRE_PAIR = (13, 14)
"""Upper and lower inner-lip midpoints: their distance is the mouth opening."""


def _edges(connections: frozenset[tuple[int, int]]) -> set[tuple[int, int]]:
    return {(min(a, b), max(a, b)) for a, b in connections}


@functools.lru_cache(maxsize=1)
def mesh_triangles() -> IntArray:
    """(T, 3) vertex indices of the tessellation's triangles (468 surface points)."""
    edges = _edges(mesh_connections.FACEMESH_TESSELATION)
    neighbours: dict[int, set[int]] = defaultdict(set)
    for a, b in edges:
        neighbours[a].add(b)
        neighbours[b].add(a)
    triangles: set[tuple[int, int, int]] = set()
    for a, b in edges:
        for c in neighbours[a] & neighbours[b]:
            triangles.add(tuple(sorted((a, b, c))))  # type: ignore[arg-type]
    return np.array(sorted(triangles), dtype=np.int32)


def _fan(ring: tuple[int, ...], centre: int) -> list[tuple[int, int, int]]:
    return [(ring[i], ring[(i + 1) % len(ring)], centre) for i in range(len(ring))]


@functools.lru_cache(maxsize=1)
def opening_triangles() -> dict[str, IntArray]:
    """Fans that close the eye and mouth openings: {'right_eye', 'left_eye', 'mouth'} -> (T, 3).

    Eye fans use the iris centre (468/473) as hub; the mouth fan uses a virtual hub appended at index 478
    (the midpoint of the inner-lip midpoints), see :func:`with_mouth_hub`.
    """
    return {
        "right_eye": np.array(_fan(RIGHT_EYE_RING, 468), dtype=np.int32),
        "left_eye": np.array(_fan(LEFT_EYE_RING, 473), dtype=np.int32),
        "mouth": np.array(_fan(INNER_LIPS_RING, 478), dtype=np.int32),
    }


def with_mouth_hub(landmarks: NDArray[np.float32]) -> NDArray[np.float32]:
    """The 478 landmarks plus a 479th point at the mouth opening's centre (hub of the mouth fan)."""
    hub = landmarks[list(MOUTH_CENTRE_PAIR)].mean(axis=0, keepdims=True)
    return np.concatenate([landmarks, hub], axis=0).astype(np.float32)


@functools.lru_cache(maxsize=1)
@functools.lru_cache(maxsize=1)
def feature_indices() -> tuple[IntArray, ...]:
    """The landmark indices of each of the face's own dark features, sorted: the eyebrows, the eyes and
    the lips (each a connection set of MediaPipe's)."""
    regions = (
        mesh_connections.FACEMESH_LEFT_EYEBROW,
        mesh_connections.FACEMESH_RIGHT_EYEBROW,
        mesh_connections.FACEMESH_LEFT_EYE,
        mesh_connections.FACEMESH_RIGHT_EYE,
        mesh_connections.FACEMESH_LIPS,
    )
    return tuple(np.array(sorted({i for edge in region for i in edge}), dtype=np.int32) for region in regions)


def face_oval_indices() -> IntArray:
    """Vertex indices on the face's outer contour (MediaPipe FACEMESH_FACE_OVAL)."""
    return np.array(sorted({i for edge in mesh_connections.FACEMESH_FACE_OVAL for i in edge}), dtype=np.int32)
