"""Alignment geometry: ArcFace template, similarity transforms, keypoints and head-pose proxies."""

from __future__ import annotations

import math

import cv2
import numpy as np

from .types import FloatArray, Image

ARCFACE_TEMPLATE_112: FloatArray = np.array(
    [[38.2946, 51.6963], [73.5318, 51.5014], [56.0252, 71.7366], [41.5493, 92.3655], [70.7299, 92.2041]],
    dtype=np.float32,
)
"""InsightFace's 5-point template for a 112x112 crop (subject's right eye first)."""

# MediaPipe FaceMesh indices behind the 5 ArcFace keypoints. Eye keypoints are the centres of the eyelid
# contours (not the irises): they do not move with gaze, so alignment and pose proxies stay steady when
# the eyes look around. 33..133 is the subject's right eye (image left on a frontal face).
RIGHT_EYE_CONTOUR: tuple[int, ...] = (
    33,
    246,
    161,
    160,
    159,
    158,
    157,
    173,
    133,
    155,
    154,
    153,
    145,
    144,
    163,
    7,
)
LEFT_EYE_CONTOUR: tuple[int, ...] = (
    362,
    398,
    384,
    385,
    386,
    387,
    388,
    466,
    263,
    249,
    390,
    373,
    374,
    380,
    381,
    382,
)
NOSE_TIP, MOUTH_RIGHT, MOUTH_LEFT = 1, 61, 291


def arcface_template(size: int) -> FloatArray:
    """The ArcFace template for a square crop of ``size`` px.

    112 is the native size; 128 (inswapper) keeps the 112 scale shifted by 8 px in x, as InsightFace does;
    other sizes scale the 112 template uniformly.
    """
    if size % 128 == 0:
        scale = size / 128.0
        return (ARCFACE_TEMPLATE_112 + np.array([8.0, 0.0], dtype=np.float32)) * scale
    return ARCFACE_TEMPLATE_112 * (size / 112.0)


def keypoints_from_mesh(landmarks_478: FloatArray) -> FloatArray:
    """The 5 ArcFace keypoints from 478 FaceMesh landmarks (pixels)."""
    points = landmarks_478[:, :2]
    return np.stack(
        [
            points[list(RIGHT_EYE_CONTOUR)].mean(0),
            points[list(LEFT_EYE_CONTOUR)].mean(0),
            points[NOSE_TIP],
            points[MOUTH_RIGHT],
            points[MOUTH_LEFT],
        ]
    ).astype(np.float32)


def estimate_similarity(src: FloatArray, dst: FloatArray) -> FloatArray:
    """Least-squares similarity transform (rotation, uniform scale, translation) mapping src to dst.

    Umeyama's closed form; returns a 2x3 float32 matrix. Exact for noise-free points, unlike the RANSAC
    estimators in OpenCV which can drop a keypoint.
    """
    src64 = np.asarray(src, dtype=np.float64)
    dst64 = np.asarray(dst, dtype=np.float64)
    mean_src, mean_dst = src64.mean(0), dst64.mean(0)
    src_c, dst_c = src64 - mean_src, dst64 - mean_dst
    cov = dst_c.T @ src_c / len(src64)
    u, s, vt = np.linalg.svd(cov)
    d = np.ones(2)
    if np.linalg.det(u) * np.linalg.det(vt) < 0:
        d[1] = -1.0
    rot = u @ np.diag(d) @ vt
    var_src = (src_c**2).sum() / len(src64)
    scale = float((s * d).sum() / var_src) if var_src > 0 else 1.0
    trans = mean_dst - scale * rot @ mean_src
    matrix = np.zeros((2, 3), dtype=np.float32)
    matrix[:, :2] = scale * rot
    matrix[:, 2] = trans
    return matrix


def align_face(image: Image, keypoints_5: FloatArray, size: int) -> tuple[Image, FloatArray]:
    """Warp the face to the ArcFace template at ``size`` px; returns the crop and its 2x3 matrix."""
    matrix = estimate_similarity(keypoints_5, arcface_template(size))
    crop = cv2.warpAffine(
        image, matrix, (size, size), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE
    )
    return crop, matrix


def transform_points(points: FloatArray, matrix: FloatArray) -> FloatArray:
    """Apply a 2x3 affine matrix to (N, 2) points."""
    pts = np.asarray(points, dtype=np.float32)[:, :2]
    return (pts @ matrix[:, :2].T + matrix[:, 2]).astype(np.float32)


def head_pose_proxies(keypoints_5: FloatArray) -> tuple[float, float, float]:
    """(roll in degrees, yaw proxy, pitch proxy) from 5 keypoints.

    Roll is the eye line's angle. In the roll-corrected frame, yaw is the nose's horizontal offset from the
    eyes' midpoint over the inter-ocular distance; pitch is the nose's height between the eye line and the
    mouth line (0.5 is neutral-ish) minus 0.5. Both are about 0 for a frontal face.
    """
    kps = np.asarray(keypoints_5, dtype=np.float64)
    right_eye, left_eye, nose, mouth_r, mouth_l = kps
    dx, dy = left_eye - right_eye
    roll = math.degrees(math.atan2(dy, dx))
    cos_r, sin_r = math.cos(-math.radians(roll)), math.sin(-math.radians(roll))
    rot = np.array([[cos_r, -sin_r], [sin_r, cos_r]])
    eyes_mid = (right_eye + left_eye) / 2
    local = (kps - eyes_mid) @ rot.T
    eye_dist = max(float(np.linalg.norm(left_eye - right_eye)), 1e-6)
    yaw = float(local[2, 0] / eye_dist)
    mouth_y = float((local[3, 1] + local[4, 1]) / 2)
    pitch = float(local[2, 1] / mouth_y - 0.5) if abs(mouth_y) > 1e-6 else 0.0
    _ = (mouth_r, mouth_l, nose)
    return roll, yaw, pitch


def box_intersection(a: tuple[float, float, float, float], b: tuple[float, float, float, float]) -> float:
    """The area two (x0, y0, x1, y1) boxes share (0 when they do not overlap)."""
    ix = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    iy = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    return ix * iy


def box_iou(a: tuple[float, float, float, float], b: tuple[float, float, float, float]) -> float:
    """Intersection over union of two (x0, y0, x1, y1) boxes."""
    inter = box_intersection(a, b)
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / union if union > 0 else 0.0
