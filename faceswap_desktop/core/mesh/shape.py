"""Shape transfer: move the target's face geometry toward the source person's proportions.

The source mesh is aligned to the target mesh in 3D (similarity: rotation, scale, translation), so the
per-vertex difference is the difference in *shape* seen in the target's pose. That difference is
low-pass filtered on the lips before use: proportions (face width, jaw line, nose, eye spacing, eye
shape) survive, while the lips' expression differences are local and mostly removed; the mouth's and the
eyes' openings are then set to the target's exactly (facing vertex pairs share one offset), so the
target's expression stays.
"""

from __future__ import annotations

import functools

import cv2
import numpy as np
from numpy.typing import NDArray

from ..types import FloatArray
from . import face_mesh_connections as mesh_connections

SMOOTHING_ITERATIONS = 12
"""Rounds of neighbour averaging that replace the expression vertices' (the lips') own offsets."""

FINAL_SMOOTHING_ITERATIONS = 0
"""Rounds of smoothing of the whole offset field afterwards (was SMOOTHING_ITERATIONS // 3 = 4).

Measured on the identity benchmark (docs/likeness.md): 0 keeps the finer proportions (nose width, eye
spacing, jaw detail) and raised the identity ratio by 0.008-0.009 in three configurations, at the same
pose-kept rate; the expression stays because the expression vertices are still smoothed above."""

POSE_ITERATIONS = 3
"""Steps of :func:`pose_keeping_correction` (the proxies are nearly linear at this scale)."""

INNER_LIP_PAIRS: tuple[tuple[int, int], ...] = (
    (13, 14),
    (82, 87),
    (81, 178),
    (80, 88),
    (191, 95),
    (312, 317),
    (311, 402),
    (310, 318),
    (415, 324),
)
"""Facing upper/lower inner-lip vertices (MediaPipe indices): their gap is how far the mouth is open."""

EYELID_PAIRS: tuple[tuple[int, int], ...] = (
    (246, 7),
    (161, 163),
    (160, 144),
    (159, 145),
    (158, 153),
    (157, 154),
    (173, 155),
    (466, 249),
    (388, 390),
    (387, 373),
    (386, 374),
    (385, 380),
    (384, 381),
    (398, 382),
)
"""Facing upper/lower eyelid vertices of the right and left eye: their gap is how far the eye is open."""

# The lips move with expression (smile, pout): their shape offset is replaced by their neighbours'
# average. The eyelids are not smoothed any more: their shape (width, corners' tilt, lid curve) is part
# of a person's look, and only their opening is expression, which EYELID_PAIRS keeps (docs/likeness.md:
# identity ratio 0.751 -> 0.760 with the eyelids' own offsets and the pairs, 0.753 without the pairs).
_EXPRESSION_REGIONS = (mesh_connections.FACEMESH_LIPS,)


@functools.lru_cache(maxsize=1)
def _adjacency() -> tuple[NDArray[np.int32], NDArray[np.int32]]:
    """(rows, cols) of the symmetric vertex adjacency of the 468-point tessellation."""
    edges = np.array(sorted(mesh_connections.FACEMESH_TESSELATION), dtype=np.int32)
    rows = np.concatenate([edges[:, 0], edges[:, 1]])
    cols = np.concatenate([edges[:, 1], edges[:, 0]])
    return rows, cols


@functools.lru_cache(maxsize=1)
def _expression_vertices() -> NDArray[np.int32]:
    return np.array(
        sorted({i for region in _EXPRESSION_REGIONS for edge in region for i in edge}), dtype=np.int32
    )


def similarity_3d(src: FloatArray, dst: FloatArray) -> tuple[float, NDArray[np.float64], NDArray[np.float64]]:
    """Umeyama similarity (scale, rotation 3x3, translation) mapping ``src`` onto ``dst`` (N, 3)."""
    src64, dst64 = src.astype(np.float64), dst.astype(np.float64)
    mu_s, mu_d = src64.mean(0), dst64.mean(0)
    sc, dc = src64 - mu_s, dst64 - mu_d
    u, s, vt = np.linalg.svd(dc.T @ sc / len(src64))
    d = np.ones(3)
    if np.linalg.det(u) * np.linalg.det(vt) < 0:
        d[-1] = -1.0
    rot = u @ np.diag(d) @ vt
    scale = float((s * d).sum() / max((sc**2).sum() / len(src64), 1e-12))
    return scale, rot, mu_d - scale * rot @ mu_s


@functools.lru_cache(maxsize=4)
def _smoothing_operator(iterations: int) -> NDArray[np.float64]:
    """(468, 468) matrix applying ``iterations`` rounds of x <- (x + mean of neighbours) / 2.

    The step's power by squaring through :func:`_apply` (OpenCV's single-threaded gemm), not
    ``np.linalg.matrix_power``: its BLAS threads took 0.3-0.6 s of an export's start-up on a loaded
    2-core machine, against ~0.07-0.13 s this way (same matrix to 1e-16)."""
    rows, cols = _adjacency()
    count = 468
    adjacency = np.zeros((count, count))
    adjacency[rows, cols] = 1.0
    degree = np.maximum(adjacency.sum(1, keepdims=True), 1.0)
    step = 0.5 * np.eye(count) + 0.5 * adjacency / degree
    operator, power, remaining = np.eye(count), step, iterations
    while remaining:
        if remaining & 1:
            operator = _apply(power, operator)
        remaining >>= 1
        if remaining:
            power = _apply(power, power)
    return operator


def _apply(operator: NDArray[np.float64], values: NDArray[np.float64]) -> NDArray[np.float64]:
    """``operator @ values`` through OpenCV's single-threaded gemm rather than numpy's BLAS.

    A (468, 468) product is large enough for OpenBLAS to wake its worker threads, which then spin
    for tens of milliseconds after returning: once per video frame, that kept a whole second core busy
    doing nothing (measured: a swap cost 2x its wall time in CPU) and starved the export's decoder and
    encoder threads.
    """
    result: NDArray[np.float64] = cv2.gemm(operator, np.ascontiguousarray(values), 1.0, None, 0.0)
    return result


def smooth_on_mesh(values: NDArray[np.float64], iterations: int) -> NDArray[np.float64]:
    """Repeated neighbour averaging over the tessellation graph (a Laplacian low-pass)."""
    return _apply(_smoothing_operator(iterations), values.astype(np.float64))


@functools.lru_cache(maxsize=1)
def _offset_operator() -> NDArray[np.float64]:
    """The linear map :func:`transfer_shape` applies to the raw offsets, as one (468, 468) matrix.

    Expression vertices take their heavily smoothed value, then every vertex gets
    ``FINAL_SMOOTHING_ITERATIONS`` rounds (0: none): ``S_final @ (keep + swap @ S12)`` with ``keep``/``swap``
    the diagonal selectors of the other and the expression vertices. One product per frame.
    """
    expression = np.zeros(468)
    expression[_expression_vertices()] = 1.0
    mixed = np.diag(1.0 - expression) + expression[:, None] * _smoothing_operator(SMOOTHING_ITERATIONS)
    operator = (
        mixed
        if FINAL_SMOOTHING_ITERATIONS == 0
        else _apply(_smoothing_operator(FINAL_SMOOTHING_ITERATIONS), mixed)
    )
    # The smoothing still leaves the upper and lower inner lip with different offsets where the source's
    # mouth is open and the target's closed (the lip bodies between them keep their own offsets): the
    # mouth opened, and the keep-target-mouth hole then showed the target's lips stretched into it (red
    # lipstick where the source's lips belong, docs/likeness.md, strips row 1). Each facing pair takes
    # their mean offset, so the opening is exactly the target's; the mouth still moves and widens. The
    # eyelids likewise keep the target's opening (a squint or a wide stare is expression).
    pairs = np.eye(468)
    for upper, lower in INNER_LIP_PAIRS + EYELID_PAIRS:
        pairs[[upper, lower]] = 0.0
        pairs[np.ix_([upper, lower], [upper, lower])] = 0.5
    return _apply(pairs, operator)  # OpenCV's single-threaded gemm: see _apply


def warm_up() -> None:
    """Build the cached operators :func:`transfer_shape` uses (~35 ms once per process), so a job can do
    it while it waits for its decoder rather than in its first frame."""
    _offset_operator()


def transfer_shape(target: FloatArray, source: FloatArray, amount: float) -> FloatArray:
    """Target landmarks (478, 3) moved by ``amount`` (0-1) toward the source's shape, in the target's pose."""
    if amount <= 0:
        return target
    surface = slice(0, 468)
    scale, rot, trans = similarity_3d(source[surface], target[surface])
    aligned = (scale * source[surface].astype(np.float64) @ rot.T) + trans
    # Expression vertices take their smoothed neighbourhood's offset instead of their own (linear: one
    # precomputed operator, see _offset_operator).
    offset = _apply(_offset_operator(), aligned - target[surface].astype(np.float64))
    points = target[surface, :2].astype(np.float64)
    offset[:, :2] -= _keypoint_anchoring(points, pose_keeping_correction(points, offset[:, :2]))
    moved = target.astype(np.float64).copy()
    moved[surface, :2] += amount * offset[:, :2]
    # Iris points follow their eye's surface motion so the gaze stays inside the eye.
    for iris, ring_vertex in ((slice(468, 473), 159), (slice(473, 478), 386)):
        moved[iris, :2] += amount * offset[ring_vertex, :2]
    return moved.astype(np.float32)


@functools.lru_cache(maxsize=1)
def _keypoint_groups() -> tuple[NDArray[np.intp], ...]:
    """The vertices of the 5 pose keypoints: the eye contours, the nose tip, the mouth corners."""
    from ..geometry import LEFT_EYE_CONTOUR, MOUTH_LEFT, MOUTH_RIGHT, NOSE_TIP, RIGHT_EYE_CONTOUR

    groups = [list(RIGHT_EYE_CONTOUR), list(LEFT_EYE_CONTOUR), [NOSE_TIP], [MOUTH_RIGHT], [MOUTH_LEFT]]
    return tuple(np.array(group, dtype=np.intp) for group in groups)


def _keypoint_means(values: NDArray[np.float64]) -> NDArray[np.float64]:
    """(5, 2): the mean of ``values`` over each keypoint's vertices (:func:`_keypoint_groups`).

    As ``sum(0) / n``: what ``mean(0)`` computes (the same reduction, then the division), without its
    Python-level overhead (14 calls per video frame); a one-vertex group's mean is its value, to the bit.
    """
    return np.stack([values[group].sum(0) / len(group) for group in _keypoint_groups()])


def _keypoint_anchoring(points: NDArray[np.float64], offset: NDArray[np.float64]) -> NDArray[np.float64]:
    """A smooth correction field (Gaussian RBF) that cancels the offset at the 5 pose keypoints.

    The eye centres, nose tip and mouth corners stay where the target has them, so the head pose (and the
    pose proxies computed from them) is kept exactly; the face outline and the features' shapes still move.
    """
    centres = _keypoint_means(points)
    centre_offsets = _keypoint_means(offset)
    sigma = float(np.linalg.norm(centres[0] - centres[1])) * 0.8

    def kernel(a: NDArray[np.float64], b: NDArray[np.float64]) -> NDArray[np.float64]:
        d2 = ((a[:, None, :] - b[None, :, :]) ** 2).sum(-1)
        return np.exp(-d2 / (2 * sigma**2))

    # OpenCV's LU, not np.linalg.solve: LAPACK's solver wakes OpenBLAS's spinning threads (see _apply).
    _ok, weights = cv2.solve(kernel(centres, centres) + 1e-6 * np.eye(5), centre_offsets, flags=cv2.DECOMP_LU)
    return kernel(points, centres) @ weights


def pose_keeping_correction(points: NDArray[np.float64], offset: NDArray[np.float64]) -> NDArray[np.float64]:
    """The smallest change of the 5 pose keypoints' offsets that keeps the target's head-pose proxies.

    Returns a (468, 2) field that is zero except on the keypoints' vertices (eye contours, nose tip,
    mouth corners), which carry that change; :func:`_keypoint_anchoring` spreads it smoothly.

    Cancelling a fixed share of the offset at the keypoints (half, before) trades likeness for pose
    blindly: the proportions between eyes, nose and mouth are part of identity, yet the pose proxies
    (roll, yaw, pitch from :func:`~faceswap_desktop.core.geometry.head_pose_proxies`) see some of them.
    Here only the 3 directions (of the 10 keypoint coordinates) that change the proxies are cancelled,
    by least squares. Measured on the identity benchmark (docs/likeness.md): identity ratio 0.723 vs
    0.719 for the half cancellation with 29/30 poses kept for both; with the skin extension 0.755 with
    30/30 kept vs 0.754 with 28/30. The proxies of the mesh itself are kept exactly; what the re-detected
    result shows still varies a little with the new texture.
    """
    groups = _keypoint_groups()
    keypoints = _keypoint_means(points)
    moved = keypoints + _keypoint_means(offset)

    wanted = _pose_proxies(keypoints.reshape(1, 10))[0]
    step = 1e-3 * float(np.linalg.norm(keypoints[0] - keypoints[1])) + 1e-9
    current = moved.reshape(-1)
    # Central-difference Jacobian (3 x 10) of the proxies, all 20 evaluations in one vectorised call; the
    # proxies are smooth and the change small, so one Jacobian serves every step (a chord method).
    shifts = step * np.eye(10)
    values = _pose_proxies(np.concatenate([current + shifts, current - shifts]))
    jacobian = (_angle_wrapped(values[:10] - values[10:]) / (2 * step)).T
    normal = jacobian @ jacobian.T
    for _ in range(POSE_ITERATIONS):
        # Minimum-norm step onto proxies == wanted; OpenCV's solver, not LAPACK (see _keypoint_anchoring).
        # The right-hand side as a column: OpenCV 5 reads a 1-D array as a row (4.x took a column).
        residual = _angle_wrapped(_pose_proxies(current.reshape(1, 10)) - wanted)[0][:, None]
        _ok, multipliers = cv2.solve(normal, residual, flags=cv2.DECOMP_SVD)
        current = current - (jacobian.T @ multipliers).reshape(-1)
    correction = moved - current.reshape(5, 2)
    field = np.zeros_like(offset)
    for group, change in zip(groups, correction, strict=True):
        field[group] = change
    return field


def _angle_wrapped(differences: NDArray[np.float64]) -> NDArray[np.float64]:
    """Differences of :func:`_pose_proxies` rows with the roll's (column 0, radians) taken the short way
    round: an upside-down face's roll is near +-pi, where a small change jumps by 2 pi (issue #19: the
    correction then threw the liquify across the whole photo)."""
    out = differences.copy()
    roll = out[:, 0]
    # Only where it jumped: every other difference is left to the bit.
    out[:, 0] = np.where(np.abs(roll) > np.pi, (roll + np.pi) % (2 * np.pi) - np.pi, roll)
    return out


def _pose_proxies(keypoints: NDArray[np.float64]) -> NDArray[np.float64]:
    """(roll in radians, yaw, pitch) of each row of (B, 10) flattened 5-point keypoints, in float64.

    :func:`~faceswap_desktop.core.geometry.head_pose_proxies` vectorised over a batch (it ran 24 times
    per video frame here, ~1 ms of Python): the same formulas, so it agrees to rounding (tested).
    """
    kps = keypoints.reshape(-1, 5, 2)
    right_eye, left_eye = kps[:, 0], kps[:, 1]
    dx, dy = (left_eye - right_eye).T
    roll = np.radians(np.degrees(np.arctan2(dy, dx)))
    cos_r, sin_r = np.cos(-roll), np.sin(-roll)
    centred = kps[:, 2:] - ((right_eye + left_eye) / 2)[:, None, :]
    # (kps - eyes_mid) @ rot.T with rot = [[cos, -sin], [sin, cos]], for the nose and mouth corners.
    local_x = cos_r[:, None] * centred[..., 0] - sin_r[:, None] * centred[..., 1]
    local_y = sin_r[:, None] * centred[..., 0] + cos_r[:, None] * centred[..., 1]
    eye_dist = np.maximum(np.sqrt(dx * dx + dy * dy), 1e-6)
    yaw = local_x[:, 0] / eye_dist
    mouth_y = (local_y[:, 1] + local_y[:, 2]) / 2
    usable = np.abs(mouth_y) > 1e-6
    pitch = np.where(usable, local_y[:, 0] / np.where(usable, mouth_y, 1.0) - 0.5, 0.0)
    return np.stack([roll, yaw, pitch], axis=1)


def outer_ring_triangles(
    points: FloatArray, hull_indices: NDArray[np.int32], anchors: FloatArray
) -> NDArray[np.int32]:
    """Triangles between a face's hull vertices and fixed anchor points around it.

    Indices refer to ``np.concatenate([points, anchors])``. Used to liquify the target's surroundings
    consistently with the moved face, so the old jaw line does not show beside the new one.
    """
    hull_pts = points[hull_indices, :2].astype(np.float32)
    all_pts = np.concatenate([hull_pts, anchors[:, :2]]).astype(np.float32)
    x0, y0 = all_pts.min(0) - 2
    x1, y1 = all_pts.max(0) + 2
    subdiv = cv2.Subdiv2D((int(x0), int(y0), int(np.ceil(x1 - x0)) + 1, int(np.ceil(y1 - y0)) + 1))
    subdiv.insert(all_pts)  # in order, as one insert per point
    tri_list = np.asarray(subdiv.getTriangleList(), dtype=np.float64).reshape(-1, 3, 2)
    # Each triangle corner back to its point: Subdiv2D returns the inserted coordinates, so a match is
    # within rounding; corners matching no point are Subdiv2D's virtual outer vertices. Vectorised (this
    # ran once per video frame as a Python loop over ~100 triangles, ~4 ms).
    keys = np.round(all_pts.astype(np.float64), 2)
    corners = np.round(tri_list.reshape(-1, 2), 2)
    # x and y compared separately (np.all over a 2-long axis was most of this function's time).
    same = (corners[:, None, 0] == keys[None, :, 0]) & (corners[:, None, 1] == keys[None, :, 1])
    # The last equal point wins, as a dict built from the points would keep it.
    last = len(keys) - 1 - np.argmax(same[:, ::-1], axis=1)
    index = np.where(same.any(axis=1), last, -1).reshape(-1, 3)
    real = np.all(index >= 0, axis=1)
    centroids = tri_list.mean(axis=1)
    outside = ~_inside_convex(cv2.convexHull(hull_pts).reshape(-1, 2).astype(np.float64), centroids)
    local = index[real & outside].astype(np.int32).reshape(-1, 3)
    # Map hull-local indices back to ``points`` indices; anchors follow after ``len(points)``.
    mapping = np.concatenate([hull_indices, len(points) + np.arange(len(anchors))]).astype(np.int32)
    return mapping[local]


def _inside_convex(hull: NDArray[np.float64], points: NDArray[np.float64]) -> NDArray[np.bool_]:
    """Strictly inside the convex polygon ``hull`` (vertices in order, either orientation), per point.

    What ``cv2.pointPolygonTest(hull, point, False) > 0`` says, for all points at once (a list of those
    calls, ~200 per video frame, was half of :func:`outer_ring_triangles`' time): a point is inside when
    it lies on the same side of every edge; on an edge counts as outside, as there.
    """
    edges = np.roll(hull, -1, axis=0) - hull
    relative = points[:, None, :] - hull[None, :, :]
    cross = edges[None, :, 0] * relative[..., 1] - edges[None, :, 1] * relative[..., 0]
    inside: NDArray[np.bool_] = np.all(cross > 0, axis=1) | np.all(cross < 0, axis=1)
    return inside
