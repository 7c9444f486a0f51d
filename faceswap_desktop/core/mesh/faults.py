"""Automated fault checks of one swapped face (issue #19): faults the seam measure does not see.

Each check compares the result with the untouched target (and, where it matters, the source photo) on
an upright crop of the face, scaled so the face is at most :data:`CANVAS_FACE` pixels (so limits read the
same on every photo size), using the target's 478-point mesh to find the regions:

- **forehead spots**: dark spots above the brows that the target does not have at that place (a strand of
  the source's hair, the source's hairline carried onto the target's forehead);
- **forehead blots** (measured, not a flag: see :data:`LIGHT_SPOT_LIMIT`): the same for *light* spots (a
  blond strand or fringe), less the light area the source's own forehead shows;
- **eye edges**: more edge lines across the eyes than either the target's or the source's own eyes show
  (a ghosted, doubled eyelid or iris);
- **tone**: the face's skin tone (mid-forehead, each cheek) against the target's own under the same light
  (a pale face on a darker neck, a grey cast);
- **softness**: the face's fine-detail energy against the target's face (a small source upscaled into a
  sharp photo).

Numpy/OpenCV only: the benchmark runs them over every pair, and tests use them on adversarial inputs.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

import cv2
import numpy as np
from numpy.typing import NDArray

from ..types import FloatArray, Image
from . import face_mesh_connections as mesh_connections
from .mesh_topology import LEFT_EYE_RING, RIGHT_EYE_RING, mesh_triangles, opening_triangles
from .skin_extension import oval_ring, skin_likelihood, skin_reference
from .warp import Roi

CANVAS_FACE = 384.0
"""Largest face size (px) of the checks' crop; smaller faces are not upscaled."""

SPOT_DARKNESS = 20.0
"""LAB lightness levels (0-255) under the local forehead tone at which a pixel counts as a dark spot."""

SPOT_AREA_LIMIT = 0.003
"""New dark area above the brows, in face-size squared, above which the forehead check flags (a 3 px
strand 80 px long on a 256 px face is ~0.004; a mole of 5x5 px ~0.0004)."""

LIGHT_SPOT_LIGHTNESS = 12.0
"""LAB lightness levels over the local forehead skin tone at which a pixel counts as a light spot: a blond
strand on a light forehead is only 10-20 levels lighter (deepface_p04's fringe on the validation pairs)."""

LIGHT_SPOT_LIMIT = 0.003
"""New light area above the brows, in face-size squared, beyond the source's own, that counts as a light
blot (the same area as :data:`SPOT_AREA_LIMIT`). Measured on every pair but *not* a flag: on the
validation pairs it fired on 19 of 99 for the source's own forehead highlights and wrinkles carried onto a
smoother or darker target (biden, obama, the grey Tom Hanks photo), and did not fire on deepface_p04's
blond fringe, whose strand is only 10-20 levels lighter than the skin beside it (docs/likeness.md). The
adversarial test (a painted blond strand) uses it."""

EYE_EXTRA_EDGES_LIMIT = 0.2
"""Self-similarity of an eye's edges at a shift (a correlation) above the most that the target's or the
source's own eye shows (:func:`eye_extra_edges`)."""

TONE_LIMIT = 8.0
"""Delta E (CIE76) of a skin zone's mean colour against the target's at which the tone check flags."""

SOFTNESS_LIMIT = 0.5
"""Fine-detail energy of the face over the target's below which the face is softer than its photo."""

_BROWS = (mesh_connections.FACEMESH_LEFT_EYEBROW, mesh_connections.FACEMESH_RIGHT_EYEBROW)
_FEATURES = (
    *_BROWS,
    mesh_connections.FACEMESH_LEFT_EYE,
    mesh_connections.FACEMESH_RIGHT_EYE,
    mesh_connections.FACEMESH_LIPS,
)
_BROW_TOPS = (105, 334, 66, 296, 107, 336)
_TONE_ZONES = ((151, 9), (50,), (280,))
"""Mid-forehead, right cheek, left cheek: skin on every face (no beard, no brows), each judged alone so a
source lit from the other side shows as a mismatch of one cheek."""


@dataclass(frozen=True)
class FaultReport:
    """The measures of one swapped face and which of them are over their limits."""

    forehead_spots: float
    """New dark area above the brows, in face-size squared."""
    forehead_light: float
    """New light area above the brows beyond the source's own, in face-size squared."""
    eye_extra_edges: float
    """How much more the eyes' edges repeat at a shift than the target's or the source's (worse eye)."""
    tone: float
    """Largest delta E of a skin zone (forehead, either cheek) against the target's."""
    softness: float
    """Fine-detail energy of the face's skin over the target's (1: as sharp)."""
    flags: tuple[str, ...] = field(default=())

    def describe(self) -> str:
        """The flagged faults in words (empty when none)."""
        words = {
            "forehead_spots": f"new dark spots on the forehead ({self.forehead_spots:.4f} of the face)",
            "eye_edges": f"doubled edges around the eyes (echo +{self.eye_extra_edges:.2f})",
            "tone": f"skin tone off the target's by {self.tone:.1f} delta E",
            "softness": f"face softer than the photo ({self.softness:.2f} of its detail)",
        }
        return "; ".join(words[name] for name in self.flags)


@dataclass(frozen=True)
class _Canvas:
    """An upright crop of a face: the image, its landmarks in the crop, the face size in the crop."""

    image: Image
    landmarks: FloatArray
    size: float
    matrix: NDArray[np.float64]
    inside: NDArray[np.bool_]
    """Which of the crop's pixels come from the photo (False: the border replicated past its edge)."""


def _upright(
    image: Image, landmarks: FloatArray, face_size: float, matrix: NDArray[np.float64] | None = None
) -> _Canvas:
    """The face rotated so its eyes are level, scaled to at most :data:`CANVAS_FACE`; ``matrix``: reuse
    another image's crop (the result and the target share the target's)."""
    points = landmarks[:, :2].astype(np.float64)
    scale = min(1.0, CANVAS_FACE / max(face_size, 1.0))
    side = int(round(2.4 * face_size * scale))
    if matrix is None:
        right = points[list(RIGHT_EYE_RING)].mean(0)
        left = points[list(LEFT_EYE_RING)].mean(0)
        eyes = left - right if left[0] >= right[0] else right - left
        angle = float(np.degrees(np.arctan2(eyes[1], eyes[0])))
        centre = points[:468].mean(0)
        matrix = cv2.getRotationMatrix2D((float(centre[0]), float(centre[1])), angle, scale)
        matrix[:, 2] += side / 2 - centre
    crop = cv2.warpAffine(image, matrix, (side, side), flags=cv2.INTER_AREA, borderMode=cv2.BORDER_REPLICATE)
    moved = points @ matrix[:, :2].T + matrix[:, 2]
    ones = np.ones(image.shape[:2], dtype=np.uint8)
    inside = cv2.warpAffine(ones, matrix, (side, side), flags=cv2.INTER_NEAREST, borderValue=0) > 0
    return _Canvas(crop, moved.astype(np.float32), face_size * scale, matrix, inside)


def _hull(points: FloatArray, shape: tuple[int, int]) -> NDArray[np.uint8]:
    mask = np.zeros(shape, dtype=np.uint8)
    cv2.fillConvexPoly(mask, cv2.convexHull(np.round(points).astype(np.int32)), 1)
    return mask


def _indices(connections: frozenset[tuple[int, int]]) -> list[int]:
    return sorted({i for edge in connections for i in edge})


def _features(canvas: _Canvas, grow: float) -> NDArray[np.uint8]:
    shape = canvas.image.shape[:2]
    mask = np.zeros(shape, dtype=np.uint8)
    for region in _FEATURES:
        mask |= _hull(canvas.landmarks[_indices(region)], shape)
    size = max(int(round(grow)), 1) * 2 + 1
    return cv2.dilate(mask, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (size, size)))


def _lightness(image: Image) -> FloatArray:
    return cv2.cvtColor(image, cv2.COLOR_BGR2LAB)[..., 0].astype(np.float32)


def _forehead_zone(canvas: _Canvas) -> NDArray[np.uint8]:
    """Above the brows, up to 0.25 face sizes past the oval's top, between the temples, inside the photo
    (past its edge the crop holds the edge's pixels replicated: a swapped face that reaches the edge
    repeats its own pixels there as streaks, which are no spot; misc/occlusion_obama_partial_face.jpg,
    as for the tone zones)."""
    points = canvas.landmarks
    shape = canvas.image.shape[:2]
    oval = points[oval_ring()]
    brow_y = float(points[list(_BROW_TOPS), 1].min())
    lifted = oval.copy()
    lifted[:, 1] -= 0.25 * canvas.size
    zone = _hull(np.concatenate([oval, lifted]), shape)
    ys = np.arange(shape[0], dtype=np.float32)[:, None]
    zone &= (ys < brow_y - 0.03 * canvas.size).astype(np.uint8)
    xs = np.arange(shape[1], dtype=np.float32)[None, :]
    left, right = float(oval[:, 0].min()), float(oval[:, 0].max())
    zone &= ((xs > left) & (xs < right)).astype(np.uint8)
    brows = np.zeros(shape, dtype=np.uint8)
    for region in _BROWS:
        brows |= _hull(points[_indices(region)], shape)
    grow = int(round(0.04 * canvas.size)) * 2 + 1
    brows = cv2.dilate(brows, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (grow, grow)))
    return zone & (1 - brows) & canvas.inside.astype(np.uint8)


def _local_mean(values: FloatArray, zone: NDArray[np.uint8], sigma: float) -> FloatArray:
    weight = cv2.GaussianBlur(zone.astype(np.float32), (0, 0), sigma) + 1e-4
    return cv2.GaussianBlur(values * zone, (0, 0), sigma) / weight


def _spot_masks(canvas: _Canvas, zone: NDArray[np.uint8], sign: float, darkness: float) -> NDArray[np.bool_]:
    """Pixels of ``zone`` darker (``sign`` -1) or lighter (+1) than the local forehead tone by
    ``darkness``."""
    lightness = _lightness(canvas.image)
    offset = (lightness - _local_mean(lightness, zone, 0.08 * canvas.size)) * sign
    return offset > darkness


def _skin_part(canvas: _Canvas, zone: NDArray[np.uint8]) -> NDArray[np.uint8]:
    """The pixels of ``zone`` that show the face's skin (skin likelihood over 0.3, see
    :func:`~.skin_extension.skin_likelihood`): the target's own hair at the top of the forehead zone is
    left out, so it neither pulls the local forehead tone down nor hides a light strand beside it."""
    shape = canvas.image.shape[:2]
    roi = Roi(0, 0, shape[1], shape[0])
    likelihood = skin_likelihood(
        canvas.image, skin_reference(canvas.landmarks, roi, canvas.size), canvas.size
    )
    return zone & (likelihood > 0.3).astype(np.uint8)


def _new_spots(
    result: _Canvas, target: _Canvas, sign: float, zone: NDArray[np.uint8], offset: float
) -> float:
    """Area (face-size squared) of ``zone`` where the result is darker (``sign`` -1) or lighter (+1) than
    its local forehead tone by ``offset`` and the target is not (allowing a small shift)."""
    if zone.sum() < 16:
        return 0.0
    spots = _spot_masks(result, zone, sign, offset) & (zone > 0)
    own = _spot_masks(target, zone, sign, 0.6 * offset).astype(np.uint8)
    grow = int(round(0.02 * target.size)) * 2 + 1
    own = cv2.dilate(own, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (grow, grow)))
    new = (spots & (own == 0)).astype(np.uint8)
    new = cv2.morphologyEx(new, cv2.MORPH_OPEN, np.ones((2, 2), np.uint8))
    return float(new.sum()) / target.size**2


def forehead_spots(result: _Canvas, target: _Canvas) -> float:
    """New dark area above the brows (face-size squared): pixels darker than the local forehead tone by
    :data:`SPOT_DARKNESS` where the target is not dark (its hair, brows or moles, allowing a small shift).
    """
    return _new_spots(result, target, -1.0, _forehead_zone(target), SPOT_DARKNESS)


def forehead_light(result: _Canvas, target: _Canvas, source: _Canvas | None) -> float:
    """New light area above the brows (face-size squared), as :func:`forehead_spots` for lighter pixels,
    less the light area of the source's own forehead skin, inside its face oval (its highlights may come
    along with it; its hair above the oval may not): a blond strand or fringe of the source, which the
    dark check does not see."""
    new = _new_spots(result, target, 1.0, _skin_part(target, _forehead_zone(target)), LIGHT_SPOT_LIGHTNESS)
    if source is None or new == 0.0:
        return new
    zone = _forehead_zone(source) & _hull(source.landmarks[oval_ring()], source.image.shape[:2])
    if zone.sum() < 16:
        return new
    spots = (_spot_masks(source, zone, 1.0, LIGHT_SPOT_LIGHTNESS) & (zone > 0)).astype(np.uint8)
    spots = cv2.morphologyEx(spots, cv2.MORPH_OPEN, np.ones((2, 2), np.uint8))
    return max(new - float(spots.sum()) / source.size**2, 0.0)


def _eye_window(canvas: _Canvas, ring: tuple[int, ...]) -> tuple[slice, slice, float] | None:
    """The rows and columns of the eye's region that :func:`_echo` reads (0.45 eye widths above and
    below its centre, 0.1 beside its corners) and the eye's width; None for an eye under 8 px."""
    points = canvas.landmarks[list(ring)]
    x0, x1 = float(points[:, 0].min()), float(points[:, 0].max())
    width = max(x1 - x0, 6.0)
    cy = float(points[:, 1].mean())
    height, full = canvas.image.shape[:2]
    top, bottom = max(int(round(cy - 0.45 * width)), 0), min(int(round(cy + 0.45 * width)), height)
    left, right = max(int(round(x0 - 0.1 * width)), 0), min(int(round(x1 + 0.1 * width)), full)
    if bottom - top < 8 or right - left < 8:
        return None
    return slice(top, bottom), slice(left, right), width


def _echo(canvas: _Canvas, window: tuple[slice, slice, float]) -> float:
    """How strongly the eye's edges repeat themselves at a shift: the largest normalised correlation of
    the eye region's gradient with itself shifted by 0.12-0.5 of the eye's width (down or across), in
    ``window`` (:func:`_eye_window`).

    A ghosted eye (two copies blended at an offset) repeats every edge with the same sign; a single eye's
    upper and lower lid edges have opposite signs, so they do not count.
    """
    rows, cols, width = window
    luma = cv2.GaussianBlur(_lightness(canvas.image), (0, 0), max(width / 60.0, 0.7))
    best = 0.0
    for dx, dy in ((0, 1), (1, 0)):
        gradient = cv2.Sobel(luma, cv2.CV_32F, dx, dy, ksize=3)[rows, cols].astype(np.float64)
        length = gradient.shape[0] if dy else gradient.shape[1]
        for shift in range(max(int(0.12 * width), 2), min(int(0.5 * width), length - 2) + 1):
            a = gradient[:-shift] if dy else gradient[:, :-shift]
            b = gradient[shift:] if dy else gradient[:, shift:]
            norm = float(np.sqrt((a * a).sum() * (b * b).sum())) + 1e-6
            best = max(best, float((a * b).sum()) / norm)
    return best


def _placed_source(source: _Canvas, target: _Canvas, ring: tuple[int, ...]) -> _Canvas:
    """The source's eye region as the swap places it: the source crop warped triangle by triangle of
    the face mesh (eye openings closed by fans to the iris centre) onto the target's mesh, over the
    target's eye region (the rest of the crop is the target's). Brows, lids and eye then sit where the
    swap puts them, whatever the two faces' eye openings and brow heights."""
    image = target.image.copy()
    window = _eye_window(target, ring)
    if window is None:
        return dataclasses.replace(target, image=image)
    rows, cols, width = window
    # Grown by the gradient's and the blur's reach, so the region's edges read placed pixels only.
    grow = int(0.1 * width) + 4
    height, full = image.shape[:2]
    rows = slice(max(rows.start - grow, 0), min(rows.stop + grow, height))
    cols = slice(max(cols.start - grow, 0), min(cols.stop + grow, full))
    fans = opening_triangles()
    triangles = np.concatenate([mesh_triangles(), fans["right_eye"], fans["left_eye"]])
    corners = target.landmarks[triangles]
    box_low, box_high = corners.min(axis=1), corners.max(axis=1)
    near = (
        (box_high[:, 0] >= cols.start)
        & (box_low[:, 0] < cols.stop)
        & (box_high[:, 1] >= rows.start)
        & (box_low[:, 1] < rows.stop)
    )
    region = image[rows, cols]
    size = (cols.stop - cols.start, rows.stop - rows.start)
    offset = np.array([cols.start, rows.start], dtype=np.float32)
    for triangle in triangles[near]:
        src = source.landmarks[triangle].astype(np.float32)
        dst = (target.landmarks[triangle] - offset).astype(np.float32)
        (ax, ay), (bx, by) = src[1] - src[0], src[2] - src[0]
        if abs(float(ax * by - ay * bx)) < 1e-3:  # degenerate (numpy 2 deprecates 2-d np.cross)
            continue
        matrix = cv2.getAffineTransform(src, dst)
        warped = cv2.warpAffine(
            source.image, matrix, size, flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE
        )
        inside = np.zeros(region.shape[:2], dtype=np.uint8)
        cv2.fillConvexPoly(inside, np.round(dst * 16).astype(np.int32), 1, cv2.LINE_8, 4)
        region[inside > 0] = warped[inside > 0]
    return dataclasses.replace(target, image=image)


def eye_extra_edges(result: _Canvas, target: _Canvas, source: _Canvas | None) -> float:
    """How much more the eyes' edges repeat at a shift (:func:`_echo`) than in the target's or the
    source's eye (the worse eye): a doubled, ghosted eyelid or iris. The source's eye is measured as the
    swap places it (:func:`_placed_source`): its brow and lid lines at the target's eye opening and brow
    height, not at its own, so the lines of a narrowed source eye that the swap brings closer to the brow
    over an open target eye are compared with themselves at the spacing they get."""
    worst = 0.0
    for ring in (RIGHT_EYE_RING, LEFT_EYE_RING):
        window = _eye_window(target, ring)
        if window is None:
            continue
        reference = _echo(target, window)
        if source is not None:
            reference = max(reference, _echo(_placed_source(source, target, ring), window))
        worst = max(worst, _echo(result, window) - reference)
    return worst


def _skin_zones(canvas: _Canvas) -> list[NDArray[np.uint8]]:
    """Mid-forehead and each cheek: disks on the mesh, inside the oval, off the features, inside the
    photo (a face cut by the photo's edge has no skin past it: its replicated border pixels would be
    compared, as on misc/occlusion_obama_partial_face2.jpg, whose left cheek leaves the frame)."""
    shape = canvas.image.shape[:2]
    features = _features(canvas, 0.03 * canvas.size)
    oval = _hull(canvas.landmarks[oval_ring()], shape)
    grow = int(round(0.05 * canvas.size)) * 2 + 1
    inside = cv2.erode(oval, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (grow, grow)))
    radius = max(int(round(0.07 * canvas.size)), 2)
    zones = []
    for group in _TONE_ZONES:
        zone = np.zeros(shape, dtype=np.uint8)
        for index in group:
            x, y = canvas.landmarks[index]
            cv2.circle(zone, (int(round(x)), int(round(y))), radius, 1, -1)
        zones.append(zone & inside & (1 - features) & canvas.inside.astype(np.uint8))
    return zones


def _lab(image: Image) -> FloatArray:
    lab = cv2.cvtColor(image, cv2.COLOR_BGR2LAB).astype(np.float32)
    lab[..., 0] *= 100.0 / 255.0
    lab[..., 1:] -= 128.0
    return lab


def tone(result: _Canvas, target: _Canvas) -> float:
    """Largest delta E of a skin zone's mean (forehead, each cheek) against the same zone of the target."""
    lab_result, lab_target = _lab(result.image), _lab(target.image)
    worst = 0.0
    for zone in _skin_zones(target):
        if zone.sum() < 16:
            continue
        selected = zone > 0
        worst = max(worst, float(np.linalg.norm(lab_result[selected].mean(0) - lab_target[selected].mean(0))))
    return worst


def softness(result: _Canvas, target: _Canvas) -> float:
    """Fine-detail energy (luma minus its 1 px Gaussian) of the face's skin, result over target."""
    zones = _skin_zones(target)
    selected = np.zeros(zones[0].shape, dtype=bool)
    for zone in zones:
        selected |= zone > 0
    if selected.sum() < 16:
        return 1.0

    def energy(image: Image) -> float:
        luma = cv2.cvtColor(image, cv2.COLOR_BGR2GRAY).astype(np.float32)
        detail = np.abs(luma - cv2.GaussianBlur(luma, (0, 0), 1.0))
        return float(detail[selected].mean())

    return energy(result.image) / max(energy(target.image), 1e-3)


def check_swap(
    result: Image,
    target: Image,
    target_landmarks: FloatArray,
    target_size: float,
    source: Image | None = None,
    source_landmarks: FloatArray | None = None,
    source_size: float | None = None,
) -> FaultReport:
    """Every fault check of one swapped face (``result`` and ``target`` the whole frames; the target's
    478 landmarks place the face in both). With the source photo and its landmarks the eye check also
    allows the source's own eye edges."""
    target_canvas = _upright(target, target_landmarks, target_size)
    result_canvas = _upright(result, target_landmarks, target_size, target_canvas.matrix)
    source_canvas = None
    if source is not None and source_landmarks is not None:
        source_canvas = _upright(source, source_landmarks, source_size or target_size)
    report = FaultReport(
        forehead_spots=forehead_spots(result_canvas, target_canvas),
        forehead_light=forehead_light(result_canvas, target_canvas, source_canvas),
        eye_extra_edges=eye_extra_edges(result_canvas, target_canvas, source_canvas),
        tone=tone(result_canvas, target_canvas),
        softness=softness(result_canvas, target_canvas),
    )
    flags = []
    if report.forehead_spots > SPOT_AREA_LIMIT:
        flags.append("forehead_spots")
    if report.eye_extra_edges > EYE_EXTRA_EDGES_LIMIT:
        flags.append("eye_edges")
    if report.tone > TONE_LIMIT:
        flags.append("tone")
    if report.softness < SOFTNESS_LIMIT:
        flags.append("softness")
    return dataclasses.replace(report, flags=tuple(flags))
