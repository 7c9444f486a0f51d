"""Realism checks of a swap result: how visible the edge of the swapped region is."""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np
from numpy.typing import NDArray

from ..geometry import head_pose_proxies
from ..types import Face, Image

SEAM_LIMIT = 1.25
"""Above this seam ratio the swap's edge is visibly sharper than the picture around it."""


def frontal_weight(face: Face) -> float:
    """1 for a frontal face, falling to 0 at |yaw proxy| >= 0.35 (three-quarter view and beyond).

    Shape transfer aligns the meshes in 3D; on strongly turned faces MediaPipe's far-side depth is a
    guess and moving those vertices creates visible folds, so the effect fades out with yaw.
    """
    turned, _tilted = turn_and_tilt(face)
    return float(np.clip((0.35 - turned) / 0.2, 0.0, 1.0))


def _gradient(image: Image) -> NDArray[np.float32]:
    grey = cv2.cvtColor(image, cv2.COLOR_BGR2GRAY).astype(np.float32)
    return np.hypot(cv2.Sobel(grey, cv2.CV_32F, 1, 0), cv2.Sobel(grey, cv2.CV_32F, 0, 1))


def changed_region(result: Image, target: Image, threshold: int = 6) -> NDArray[np.uint8]:
    """The largest connected region where the result differs from the target (a {0,1} mask)."""
    changed = (np.abs(result.astype(np.int16) - target).max(axis=2) > threshold).astype(np.uint8)
    changed = cv2.morphologyEx(changed, cv2.MORPH_OPEN, np.ones((5, 5), np.uint8))
    count, labels, stats, _ = cv2.connectedComponentsWithStats(changed)
    if count <= 1:
        return np.zeros_like(changed)
    region = (labels == 1 + int(np.argmax(stats[1:, cv2.CC_STAT_AREA]))).astype(np.uint8)
    return cv2.morphologyEx(region, cv2.MORPH_CLOSE, np.ones((15, 15), np.uint8))


def seam_ratio(
    result: Image, target: Image, ring_px: int = 3, region: NDArray[np.uint8] | None = None
) -> float:
    """Mean gradient magnitude of the result on a thin ring around the changed region, over the target's
    on the same ring: about 1 when the swap's edge is invisible, higher when a seam shows. ``region``:
    the :func:`changed_region` when the caller has it already."""
    region = changed_region(result, target) if region is None else region
    if not region.any():
        return 1.0
    kernel = np.ones((2 * ring_px + 1, 2 * ring_px + 1), np.uint8)
    ring = (cv2.dilate(region, kernel) - cv2.erode(region, kernel)) > 0
    return float(_gradient(result)[ring].mean() / max(float(_gradient(target)[ring].mean()), 1e-6))


COLOUR_STEP_LIMIT = 6.0
"""Mean LAB difference (delta E, CIE76) across the swap's edge above which a tone step is visible."""


def colour_step(
    result: Image, target: Image, band_px: int = 6, region: NDArray[np.uint8] | None = None
) -> float:
    """Colour difference between thin bands just inside and just outside the changed region's edge.

    Feathering hides a sharp edge from :func:`seam_ratio`, but not a change of skin tone or source
    background showing at the boundary; this measures that, as a mean CIE76 delta E. ``region`` as in
    :func:`seam_ratio`.
    """
    region = changed_region(result, target) if region is None else region
    if not region.any():
        return 0.0
    kernel = np.ones((2 * band_px + 1, 2 * band_px + 1), np.uint8)
    inner = (region - cv2.erode(region, kernel)) > 0
    outer = (cv2.dilate(region, kernel) - region) > 0
    lab = cv2.cvtColor(result, cv2.COLOR_BGR2LAB).astype(np.float32)
    lab[..., 0] *= 100.0 / 255.0
    lab[..., 1:] -= 128.0
    return float(np.linalg.norm(lab[inner].mean(0) - lab[outer].mean(0)))


TURNED_LIMIT = 0.35
"""|Yaw proxy| (see :func:`~faceswap_desktop.core.geometry.head_pose_proxies`) from which a target head is
turned too far for the offline engine to swap cleanly: the shape transfer has faded out by then, and the
mesh's far side (a guess of MediaPipe's) smears the source's texture (issue #19: profiles and
three-quarter views got smeared eyes). The swap still runs; the result says so."""

PITCH_NEUTRAL, TILT_LIMIT = 0.15, 0.25
"""The pitch proxy of a level head (0.01-0.31 on the shared frontal photos, median ~0.15) and how far from
it a raised or lowered head is too tilted for a clean swap (misc/pose_lower_face: 0.41, pose_rise: -0.15;
both smear or stretch the face in docs/likeness/pairs/)."""


@dataclass(frozen=True)
class EdgeCheck:
    """The realism measures of one swapped face, taken on a crop around it (see :func:`edge_check`)."""

    seam: float
    colour_step: float
    turned: float = 0.0
    """The target head's |yaw proxy| (0: frontal; 0 when the face was not given)."""
    tilted: float = 0.0
    """The target head's |pitch proxy - PITCH_NEUTRAL| (0 when the face was not given)."""

    @property
    def posed(self) -> bool:
        """True when the head is turned or tilted too far for a clean swap."""
        return self.turned >= TURNED_LIMIT or self.tilted >= TILT_LIMIT

    @property
    def visible(self) -> bool:
        """True when the swap's edge shows (the same bound 'Maximise likeness' refuses to cross), or the
        head is turned too far for a clean swap (:data:`TURNED_LIMIT`)."""
        return self.seam > SEAM_LIMIT or self.colour_step > COLOUR_STEP_LIMIT or self.posed

    def describe(self) -> str:
        """Which measure is over its limit, in words (empty when none is)."""
        parts = []
        if self.seam > SEAM_LIMIT:
            parts.append(
                f"its edge is {self.seam:.2f}x as sharp as the picture around it (limit {SEAM_LIMIT})"
            )
        if self.colour_step > COLOUR_STEP_LIMIT:
            parts.append(
                f"a tone step of {self.colour_step:.1f} delta E at its edge (limit {COLOUR_STEP_LIMIT})"
            )
        if self.turned >= TURNED_LIMIT:
            parts.append(
                f"the head is turned too far for a clean swap (yaw {self.turned:.2f}, limit {TURNED_LIMIT}):"
                " the far side of the face may smear"
            )
        if self.tilted >= TILT_LIMIT:
            parts.append(
                f"the head is raised or lowered too far for a clean swap (pitch {self.tilted:.2f} from level,"
                f" limit {TILT_LIMIT}): the face may stretch"
            )
        return "; ".join(parts)


def pose_warning(face: Face) -> str:
    """Why the offline engine cannot swap ``face`` cleanly, from its head pose alone (empty when it can):
    :data:`TURNED_LIMIT` and :data:`TILT_LIMIT`, worded as :meth:`EdgeCheck.describe` words them."""
    return EdgeCheck(1.0, 0.0, *turn_and_tilt(face)).describe()


def turn_and_tilt(face: Face) -> tuple[float, float]:
    """How far the head is turned, ``|yaw proxy|``, and raised or lowered, ``|pitch proxy - PITCH_NEUTRAL|``
    (:attr:`EdgeCheck.turned` and :attr:`EdgeCheck.tilted`; the frontal and level weights fade with them)."""
    _roll, yaw, pitch = head_pose_proxies(face.keypoints_5)
    return abs(yaw), abs(pitch - PITCH_NEUTRAL)


def edge_check(
    result: Image,
    target: Image,
    box: tuple[float, float, float, float],
    margin: float = 0.35,
    face: Face | None = None,
) -> EdgeCheck:
    """:func:`seam_ratio` and :func:`colour_step` on a crop around one face ``box`` (x0, y0, x1, y1),
    grown by ``margin`` of the face's size on each side: a group photo's faces are judged one by one.
    With the target ``face``, how far its head is turned too (:attr:`EdgeCheck.turned`)."""
    turned = tilted = 0.0
    if face is not None:
        turned, tilted = turn_and_tilt(face)
    height, width = target.shape[:2]
    x0, y0, x1, y1 = box
    grow = margin * max(x1 - x0, y1 - y0)
    left, top = max(int(x0 - grow), 0), max(int(y0 - grow), 0)
    right, bottom = min(int(x1 + grow), width), min(int(y1 + grow), height)
    if right - left < 8 or bottom - top < 8:
        return EdgeCheck(1.0, 0.0, turned, tilted)
    crop_result, crop_target = result[top:bottom, left:right], target[top:bottom, left:right]
    # At full resolution: the limits were set on full-size images, and both measures shift when scaled
    # (a 512 px crop moved biden2's default-settings colour step from 1.9 to 6.8, over its limit).
    region = changed_region(crop_result, crop_target)  # once for both measures
    return EdgeCheck(
        seam_ratio(crop_result, crop_target, region=region),
        colour_step(crop_result, crop_target, region=region),
        turned,
        tilted,
    )
