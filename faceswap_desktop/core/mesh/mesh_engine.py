"""The offline "mesh" swap engine: the source's face texture warped onto the target's 478-point mesh.

Geometry comes from the target (so its pose and expression are kept); texture comes from the source and
is colour-matched to the target's skin, then blended in. Everything outside MediaPipe is numpy/OpenCV.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass, field

import cv2
import numpy as np
from numpy.typing import NDArray

from ..errors import NoFaceFound
from ..geometry import estimate_similarity, head_pose_proxies
from ..roles import SourcePhoto, SwapOutput
from ..settings import SwapSettings
from ..types import Face, FloatArray, Image
from . import tone
from .blend import blend_into_frame
from .color import Region, transfer_colour
from .detail_bands import keep_target_texture
from .lighting import facing_weight, vertex_normals
from .masks import feather, grow_or_erode, polygon_mask, ring_mask
from .mesh_topology import (
    INNER_LIPS_RING,
    LEFT_EYE_RING,
    RIGHT_EYE_RING,
    face_oval_indices,
    mesh_triangles,
    opening_triangles,
    with_mouth_hub,
)
from .occluders import target_occluders
from .quality import frontal_weight, turn_and_tilt
from .shape import outer_ring_triangles, transfer_shape
from .shape import warm_up as warm_up_shape
from .skin_extension import (
    RingDirections,
    band_triangles,
    extended_ring,
    extension_coverage,
    oval_ring,
    ring_directions,
)
from .slow_stats import StatsTicket
from .texture_merge import merge_textures
from .visibility import fill_occluded, occluded_skin
from .warp import (
    Roi,
    WorkGrid,
    grid_for_face,
    rasterise_piecewise_affine,
    remap_bgr,
    remap_bgr_window,
    roi_around,
    similarity_maps,
    subsample,
    triangle_areas,
)

STRETCH_FADE_START = 3.0
STRETCH_FADE_END = 6.0
"""A triangle whose area grows this much more than the face's overall scale fades out of the mask."""

TILT_FADE = (0.2, 0.35)
"""The shape transfer fades out as the target head's pitch leaves level (``|pitch proxy -``
:data:`~.quality.PITCH_NEUTRAL` ``|``, 0-0.16 on the shared frontal photos), from the first value to
the second: on a raised or lowered head its liquify moved the head's outline (misc/pose_rise_face's hair
into the forehead, seam 2-4 there) and the nose (deepface_p01 -> misc/pose_lower_face lost the pose)."""

HUBBED_POINTS = 479
"""478 landmarks plus the mouth hub (:func:`with_mouth_hub`); skin-extension points follow these."""

MOUTH_OPEN_RATIO = 0.08
"""Inner-lip gap over mouth width above which the mouth counts as open (teeth/tongue visible)."""

MOUTH_CLOSED_RATIO = 0.04
"""Inner-lip gap over mouth width below which the target's lips count as touching: the source's mouth
interior is then not sampled (see :attr:`MeshSource.closed_mouth_texture`)."""


@dataclass(frozen=True)
class MeshSource:
    """The prepared source: the chosen texture photo (cropped around the face; with several photos, the
    others' textures merged in, see :func:`~.texture_merge.merge_textures`) and its landmarks."""

    texture: Image
    landmarks: FloatArray
    chosen_index: int
    pose_scores: tuple[float, ...]
    closed_mouth_texture: Image | None = None
    """The texture with an open mouth's interior filled from the lips around it (None: the source's
    mouth is closed). Warped onto a closed target mouth, the open source mouth's teeth were squeezed into
    a pale line between the lips: the coarse warp grid's bilinear map runs across the gap between the
    source's upper and lower inner lip (docs/likeness.md, strips row 1)."""
    hubbed: FloatArray = field(init=False, repr=False)
    """``with_mouth_hub(landmarks)`` (read-only: shared by every swap of this source)."""
    ring_directions: RingDirections = field(init=False, repr=False)
    """The skin extension's :func:`~.skin_extension.ring_directions` of ``hubbed``."""
    spread: float = field(init=False, repr=False)
    """:func:`_spread` of ``hubbed``."""
    normals: FloatArray = field(init=False, repr=False)
    """:func:`~.lighting.vertex_normals` of ``landmarks`` (the source's shading came from them)."""
    texture_bgra: Image = field(init=False, repr=False)
    """``texture`` with a fourth (opaque) channel: the texture warp's remap reads it (see
    :func:`~.warp.remap_bgr`; read-only, shared by every swap of this source)."""
    closed_mouth_texture_bgra: Image | None = field(init=False, repr=False)
    """``closed_mouth_texture`` with a fourth channel, as ``texture_bgra``."""

    def __post_init__(self) -> None:
        # Fixed for the source, so computed once here rather than in every swap of a video; derived from
        # ``landmarks`` at construction, so a copy made with ``dataclasses.replace`` gets its own.
        hubbed = with_mouth_hub(self.landmarks)
        hubbed.flags.writeable = False
        object.__setattr__(self, "hubbed", hubbed)
        object.__setattr__(self, "ring_directions", ring_directions(hubbed))
        object.__setattr__(self, "spread", _spread(hubbed))
        normals = vertex_normals(self.landmarks)
        normals.flags.writeable = False
        object.__setattr__(self, "normals", normals)
        object.__setattr__(self, "texture_bgra", _with_alpha(self.texture))
        closed = self.closed_mouth_texture
        object.__setattr__(self, "closed_mouth_texture_bgra", None if closed is None else _with_alpha(closed))


@functools.lru_cache(maxsize=4)
def _texture_triangles(source_eyes: bool, band: bool) -> NDArray[np.int32]:
    """The texture warp's triangles (read-only; fixed by the topology): the mesh's and the mouth's, the
    eyes' with the source's eyes, and the skin extension's band (its points follow the hubbed mesh's)."""
    openings = opening_triangles()
    triangles = [mesh_triangles(), openings["mouth"]]
    if source_eyes:
        triangles += [openings["right_eye"], openings["left_eye"]]
    if band:
        triangles.append(band_triangles(HUBBED_POINTS))
    combined: NDArray[np.int32] = np.concatenate(triangles)
    combined.flags.writeable = False
    return combined


def _with_alpha(image: Image) -> Image:
    """A read-only BGRA copy of a BGR image (what :func:`~.warp.remap_bgr` samples)."""
    bgra: Image = cv2.cvtColor(image, cv2.COLOR_BGR2BGRA)
    bgra.flags.writeable = False
    return bgra


def pose_score(face: Face) -> float:
    """How far from frontal a face is: |yaw| + |pitch| + |roll|/90 (0 is frontal; lower is better)."""
    roll, yaw, pitch = head_pose_proxies(face.keypoints_5)
    return abs(yaw) + abs(pitch) + abs(roll) / 90.0


def choose_texture_photo(photos: Sequence[SourcePhoto]) -> int:
    """The best-posed photo: the lowest :func:`pose_score`; ties (within 0.02) go to the larger face.

    A frontal photo shows both cheeks and both eyes, so the warp never has to sample hidden surface.
    """
    scores = [pose_score(p.face) for p in photos]
    best = min(scores)
    candidates = [i for i, s in enumerate(scores) if s <= best + 0.02]
    return max(candidates, key=lambda i: photos[i].face.size)


def _anchor_ring(points: FloatArray, face_size: float) -> FloatArray:
    """Fixed points on a rectangle around the face: the liquify's displacement falls to zero there."""
    x0, y0 = points[:, 0].min() - face_size * 0.3, points[:, 1].min() - face_size * 0.3
    x1, y1 = points[:, 0].max() + face_size * 0.3, points[:, 1].max() + face_size * 0.3
    t = np.linspace(0.0, 1.0, 6, endpoint=False)
    top = np.stack([x0 + (x1 - x0) * t, np.full_like(t, y0)], 1)
    right = np.stack([np.full_like(t, x1), y0 + (y1 - y0) * t], 1)
    bottom = np.stack([x1 - (x1 - x0) * t, np.full_like(t, y1)], 1)
    left = np.stack([np.full_like(t, x0), y1 - (y1 - y0) * t], 1)
    return np.concatenate([top, right, bottom, left]).astype(np.float32)


def _liquify(
    frame: Image,
    original: FloatArray,
    moved: FloatArray,
    anchors: FloatArray,
    grid: WorkGrid,
    out: Image,
) -> None:
    """Push the face region from ``original`` to ``moved`` geometry: ``out`` (the grid's ROI, holding
    ``frame``'s pixels there; it may be ``frame``'s own ROI: the remap samples a copy of the pixels it
    reads, made before it writes, see :func:`~.warp.remap_bgr_window`) gets the liquified ROI.

    A piecewise-affine warp over the mesh plus a ring of triangles out to fixed anchors, so the
    surroundings (jaw line, hair, background) move with the new face shape and no old contour shows.

    Only the window of the grid cells the triangles cover (and one cell around) is upsampled and
    remapped: elsewhere the map is the identity (``similarity_maps``' exact integer grid, interpolated
    to within float rounding of it, and the remap rounds positions to 1/32 pixel), so the remap would
    return ``frame``'s own pixels, which ``out`` holds (~11 % of the ROI on the benchmark clip: the
    margin outside the anchors). The rows and columns past the grid's last cell, which the upsampling
    holds at the last cell's values, are copied from those as the remap would have sampled them.
    """
    roi = grid.roi
    to_frame = np.array([[grid.step, 0, roi.x0], [0, grid.step, roi.y0]], dtype=np.float32)
    map_x, map_y = similarity_maps(to_frame, grid.grid_roi)
    oval = face_oval_indices()
    ring = outer_ring_triangles(moved[:, :2], oval, anchors)
    openings = opening_triangles()
    triangles = np.concatenate(
        [mesh_triangles(), openings["mouth"], openings["right_eye"], openings["left_eye"], ring]
    )
    dst_points = grid.to_grid(np.concatenate([moved[:, :2], anchors]))
    src_points = np.concatenate([original[:, :2], anchors]).astype(np.float32)
    covered = rasterise_piecewise_affine(dst_points, src_points, triangles, grid.grid_roi, map_x, map_y)
    x, y, w, h = cv2.boundingRect(covered.view(np.uint8))
    if w > 0:
        cells = (max(y - 1, 0), min(y + h + 1, grid.height), max(x - 1, 0), min(x + w + 1, grid.width))
        rows, cols = grid.window(cells)
        remap_bgr_window(frame, grid.upsample_map(map_x, map_y, cells), out[rows, cols])
    last_y, last_x = (grid.height - 1) * grid.step, (grid.width - 1) * grid.step
    out[last_y + 1 :] = out[last_y : last_y + 1]
    out[:, last_x + 1 :] = out[:, last_x : last_x + 1]


KEEP_TARGET_DETAIL = True
"""Add the target's fine detail where the source's is weaker (:func:`~.detail.keep_target_detail`, and on
faces over ~470 px the coarser texture bands of :func:`~.detail_bands.keep_target_texture`).
Validation half B: softness flags 20 -> 5 of 49 pairs, identity ratio 0.688 -> 0.681 (within noise);
the texture bands: B's last 3 softness flags -> 0, ratio 0.670 -> 0.667, A 0.593 -> 0.592."""

FADE_TURNED_AWAY = False
"""Fade the mesh's triangles that turn away from the view, in the target or in the source photo
(:func:`~.lighting.facing_weight`): a turned head shows its own skin there rather than smeared texture.
Off: it lost on both validation halves (A 0.580 -> 0.558, pose 0.92 -> 0.90; B 0.675 -> 0.656; faded
only near edge-on, A 0.578 and pose 0.90), docs/likeness.md."""


def level_weight(face: Face) -> float:
    """1 for a level head, falling to 0 as its pitch leaves level (:data:`TILT_FADE`)."""
    _turned, tilted = turn_and_tilt(face)
    start, end = TILT_FADE
    return float(np.clip((end - tilted) / max(end - start, 1e-6), 0.0, 1.0))


def _shown_region(mask: FloatArray, small_tone_mask: FloatArray, face_size: float) -> Region:
    """The rectangle of the face's region whose swapped pixels an alpha blend with ``mask`` shows, or
    reads on the way: the box of the mask's nonzero pixels (elsewhere the blend returns the background
    to the bit: ``cv2.blendLinear`` with weights 0 and 1 divides by 1 + 1e-5 and rounds back) and of the
    samples :func:`~.tone.match_tone_near_edge` averages (``small_tone_mask``: its mask on its samples,
    see :func:`~.tone.tone_mask_samples`). Colour transfer, tone and blend work on this box only (~3/4 of the
    region on the benchmark clip), with the same result.
    """
    height, width = mask.shape
    x, y, w, h = cv2.boundingRect((mask != 0).view(np.uint8))
    if w == 0:
        return slice(0, height), slice(0, width)
    top, left, bottom, right = y, x, y + h, x + w
    stride = tone.tone_stride(face_size)
    inside = small_tone_mask > 0.5
    sx, sy, sw, sh = cv2.boundingRect(inside.view(np.uint8))
    if sw > 0:
        top, left = min(top, sy * stride), min(left, sx * stride)
        bottom, right = max(bottom, (sy + sh - 1) * stride + 1), max(right, (sx + sw - 1) * stride + 1)
    return slice(top, bottom), slice(left, right)


def _spread(points: FloatArray) -> float:
    """RMS distance of the surface points from their centroid: a face's scale in its own image."""
    surface = points[:468, :2].astype(np.float64)
    return max(float(np.sqrt(((surface - surface.mean(0)) ** 2).sum(1).mean())), 1e-6)


def _mouth_opening(landmarks: FloatArray) -> float:
    """Inner-lip gap over mouth width."""
    gap = float(np.linalg.norm(landmarks[13, :2] - landmarks[14, :2]))
    width = float(np.linalg.norm(landmarks[61, :2] - landmarks[291, :2])) + 1e-6
    return gap / width


def mouth_is_open(landmarks: FloatArray) -> bool:
    """True when the inner lips are apart by more than :data:`MOUTH_OPEN_RATIO` of the mouth width."""
    return _mouth_opening(landmarks) > MOUTH_OPEN_RATIO


def _fill_mouth(texture: Image, landmarks: FloatArray, face_size: float) -> Image:
    """``texture`` with the mouth opening (inner-lip ring, grown by ~1 % of the face) inpainted from the
    lips around it: done once per source, so a closed target mouth shows lips where the lips meet."""
    ring = np.round(landmarks[list(INNER_LIPS_RING), :2]).astype(np.int32)
    hole = np.zeros(texture.shape[:2], dtype=np.uint8)
    cv2.fillPoly(hole, [ring], 255)
    grow = max(int(round(face_size * 0.01)), 1) * 2 + 1
    hole = cv2.dilate(hole, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (grow, grow)))
    filled: Image = cv2.inpaint(texture, hole, max(face_size * 0.02, 3.0), cv2.INPAINT_TELEA)
    return filled


def warm_up() -> None:
    """Do the engine's first-use initialisation now: ~180 ms on the benchmark machine, which the first
    swap of a process otherwise pays inside the export's loop (where it delays the first frame).

    OpenCV builds its 8-bit LAB conversion tables on the first ``COLOR_BGR2LAB`` of the process (~130 ms,
    whatever the image size); the mesh's topology and the shape transfer's operators are cached on first
    use (~50 ms). Idempotent and thread-safe (the caches and OpenCV's table initialisation are).
    """
    pixel = np.zeros((1, 1, 3), dtype=np.uint8)
    cv2.cvtColor(cv2.cvtColor(pixel, cv2.COLOR_BGR2LAB), cv2.COLOR_LAB2BGR)
    mesh_triangles()
    opening_triangles()
    face_oval_indices()
    oval_ring()
    warm_up_shape()


class MeshSwapper:
    """Swapper role implemented with a dense piecewise-affine warp of the 478-point mesh."""

    name = "mesh"
    swaps_in_place = True
    """:meth:`swap` takes ``in_place`` (see :class:`~.roles.Swapper`)."""
    remembers_slow_stats = True
    """:meth:`swap` takes ``memory`` (a video's :class:`~.slow_stats.StatsTicket`)."""

    def warm_up(self) -> None:
        """See :func:`warm_up` (a job calls it, when its engine has one, while its inputs open)."""
        warm_up()

    def prepare_source(self, photos: Sequence[SourcePhoto]) -> MeshSource:
        """Pick the texture photo and crop it around the face (keeps memory small for video jobs); with
        several photos, merge the others' textures into it (:func:`~.texture_merge.merge_textures`)."""
        usable = [p for p in photos if p.face.landmarks_478 is not None]
        if not usable:
            raise NoFaceFound("the mesh engine needs 478 landmarks on a source face")
        index = choose_texture_photo(usable)
        photo = usable[index]
        assert photo.face.landmarks_478 is not None
        landmarks = photo.face.landmarks_478.copy()
        height, width = photo.image.shape[:2]
        roi = roi_around(landmarks, margin=photo.face.size * 0.4, width=width, height=height)
        texture = np.ascontiguousarray(photo.image[roi.slices])
        landmarks[:, 0] -= roi.x0
        landmarks[:, 1] -= roi.y0
        # The source's visibility mask: a strand of hair, a fringe or a hairline's shadow over the upper
        # face is filled from the skin around it, so it is not carried onto every target (issue #19).
        # Before the merge, which keeps the texture photo's pixels where another photo disagrees.
        occluded = occluded_skin(texture, landmarks, photo.face.size)
        texture = fill_occluded(texture, occluded, landmarks, photo.face.size)
        # Several photos of the person: their textures averaged in over the mesh (lighting and expression
        # shading average out; identity ratio 0.756 -> 0.795 on the benchmark's 24 two-photo pairs). The
        # geometry stays the texture photo's: the photos' meshes averaged for the shape transfer lost
        # likeness (0.776 -> 0.764 with photo 0's texture, docs/likeness.md).
        texture = merge_textures(
            texture,
            landmarks,
            [
                (p.image, p.face.landmarks_478)
                for k, p in enumerate(usable)
                if k != index and p.face.landmarks_478 is not None
            ],
            photo.face.size,
        )
        return MeshSource(
            texture=texture,
            landmarks=landmarks,
            chosen_index=index,
            pose_scores=tuple(pose_score(p.face) for p in usable),
            closed_mouth_texture=_fill_mouth(texture, landmarks, photo.face.size)
            if mouth_is_open(landmarks)
            else None,
        )

    def swap(
        self,
        frame: Image,
        target: Face,
        prepared: MeshSource,
        settings: SwapSettings,
        *,
        in_place: bool = False,
        memory: StatsTicket | None = None,
    ) -> SwapOutput:
        """Swap one target face; returns the new frame and the mask of the changed region.

        ``in_place``: draw into ``frame`` itself and return it (a caller that owns the frame and gives
        it up: an export's decoded frame), instead of into a copy of the whole frame.
        ``memory``: in a video, this frame's link to the person's slow statistics (colour transfer,
        lighting fits, beard test: see :mod:`.slow_stats`), which it reuses from an earlier frame or
        measures and passes on; without it (photos, a previewed frame) they are measured, as always.
        """
        try:
            return self._swap(frame, target, prepared, settings, in_place, memory)
        finally:
            if memory is not None:
                memory.finish()

    def _swap(
        self,
        frame: Image,
        target: Face,
        prepared: MeshSource,
        settings: SwapSettings,
        in_place: bool,
        memory: StatsTicket | None,
    ) -> SwapOutput:
        """:meth:`swap`."""
        if target.landmarks_478 is None:
            raise NoFaceFound("the mesh engine needs 478 landmarks on the target face")
        face_size = target.size
        original = with_mouth_hub(target.landmarks_478)
        frontal = frontal_weight(target)  # (the shape transfer's, the relighting's and the skin tone's)
        amount = settings.shape_transfer / 100 * frontal * level_weight(target)
        dst = with_mouth_hub(transfer_shape(target.landmarks_478, prepared.landmarks, amount))
        src = prepared.hubbed
        height, width = frame.shape[:2]
        anchors = _anchor_ring(np.concatenate([original, dst]), face_size) if amount > 0 else None
        margin = face_size * (0.05 + max(settings.mask_padding, 0) / 100.0)
        # The skin extension's band above the oval (see skin_extension), in each face's own scale.
        extension = settings.skin_extension / 100.0 * face_size
        if extension > 0:
            dst = np.concatenate([dst, extended_ring(dst, extension)])
            # The source's ring directions and scale are fixed: kept with the prepared source.
            src_ring = extended_ring(
                src, extension * prepared.spread / _spread(dst), prepared.ring_directions
            )
            src = np.concatenate([src, src_ring])
        # Two regions: the face's own (texture, mask, colour, blend) and, with shape transfer, the larger
        # one the liquify moves (out to the anchors). Keeping per-pixel work to the face's region is most
        # of the speed at 1080p.
        roi = roi_around(dst, margin, width, height)
        outer = (
            roi
            if anchors is None
            else roi_around(np.concatenate([dst[:, :2], anchors]), margin, width, height)
        )
        if roi.width < 4 or roi.height < 4:
            raise NoFaceFound("the target face is outside the frame")

        grid = grid_for_face(roi, face_size)
        # What covers the target's face (glasses, hair, a hand) is found on the untouched target and put
        # back over the result, whole: the liquify and the blend below would move or half-replace it.
        occluders = target_occluders(
            subsample(frame[roi.slices], grid.step),
            grid.to_grid(original),
            face_size / grid.step,
            memory.recall_skin_model() if memory is not None else None,
            memory,
        )
        covered = frame[roi.slices].copy() if occluders.any() else None
        out = frame if in_place else frame.copy()
        if anchors is not None:
            # The liquify's displacement is smoother still than the texture warp: a coarser grid is enough.
            liquify_grid = WorkGrid(outer, grid.step * 2)
            moved = dst[:HUBBED_POINTS]
            # (In place too: the remap reads its own copy of the pixels it samples, see _liquify.)
            _liquify(frame, original, moved, anchors, liquify_grid, out[outer.slices])
        background = out[roi.slices]
        texture = prepared.texture_bgra
        if prepared.closed_mouth_texture_bgra is not None and _mouth_opening(dst) < MOUTH_CLOSED_RATIO:
            texture = prepared.closed_mouth_texture_bgra
        warped, reliability = self._warp_texture(texture, src, dst, grid, settings)
        # A video's frame reuses an earlier frame's slow statistics, or measures (and passes on) its own.
        remembered = memory.recall() if memory is not None else None
        ticket = memory if memory is not None and remembered is None and memory.measures else None
        coverage = None
        if extension > 0:
            step = grid.step
            # Strided views, not copies: the coverage subsamples them again (~64 cells across the face)
            # and reads nothing else of them, so one copy at the combined stride is enough.
            coverage = extension_coverage(
                background[::step, ::step],
                warped[::step, ::step],
                grid.to_grid(dst[:HUBBED_POINTS]),
                grid.to_grid(dst[HUBBED_POINTS:]),
                grid.grid_roi,
                face_size / step,
                remembered,
                ticket,
            )
        grid_mask = self._face_mask(
            grid.to_grid(dst), grid.grid_roi, face_size / grid.step, settings, coverage
        )
        tone_mask = grid_mask * reliability
        mask = grid.upsample(tone_mask)
        # Only the low-frequency transfer weights by the mask; the others threshold it at 0.5 themselves
        # (on a subsample), so they take it as is: no ROI-sized binary copy per frame.
        colour_mask = (mask > 0.5).astype(np.float32) if settings.color_transfer == "lowfreq" else mask
        small_tone_mask = tone.tone_mask_samples(tone_mask, mask.shape, face_size)
        # An alpha blend shows the swapped pixels only where the mask is nonzero: the colour, the tone and
        # the blend itself work on that box (Poisson and multi-band blends read around it: all of it).
        region = _shown_region(mask, small_tone_mask, face_size) if settings.blend_mode == "alpha" else None
        # ``warped`` is this call's own and read only through ``coloured`` from here: the LAB transfers
        # and the tone write into it rather than into ROI-sized copies.
        coloured = transfer_colour(
            settings.color_transfer,
            warped,
            background,
            colour_mask,
            face_size,
            region,
            in_place=True,
            remembered=remembered,
            ticket=ticket,
        )
        if settings.color_transfer != "none":
            coloured = tone.match_tone_near_edge(
                coloured,
                background,
                tone_mask,
                face_size,
                dst[:, :2] - (roi.x0, roi.y0),
                region,
                small_tone_mask,
                in_place=region is not None,
                normals=(prepared.normals, vertex_normals(target.landmarks_478))
                if tone.RELIGHT and face_size >= tone.RELIGHT_MIN_FACE
                else None,
                relight_weight=frontal,
                skin_share=(
                    tone.skin_tone_share(target, width, height, frontal) if tone.SKIN_WEIGHTED_TONE else 0.0
                ),
                remembered=remembered,
                ticket=ticket,
            )
        shown = region if region is not None else (slice(None), slice(None))
        # The target's own pixels, for its fine detail (below): ``background`` is about to be drawn over.
        target_pixels = background.copy() if KEEP_TARGET_DETAIL else None
        # ``background`` is a view of ``out``: the box is read before it is written.
        out[roi.slices][shown] = blend_into_frame(
            settings.blend_mode, coloured[shown], background[shown], mask[shown], settings.strength / 100.0
        )
        if target_pixels is not None:
            # Where the source has less fine texture than the target (a small or soft source photo), the
            # target's own grain and pores make up the difference (issue #19's softness check). On the
            # blended region as a whole, so it reads the same pixels whatever box the blend worked on.
            keep_target_texture(
                out[roi.slices],
                target_pixels,
                dst[:, :2] - (roi.x0, roi.y0),
                face_size,
                mask * (settings.strength / 100.0),
            )
        if covered is not None:
            cover_full = grid.upsample(occluders)
            # Only the occluders' box is composited: outside it the cover is 0 and the face unchanged.
            x, y, w, h = cv2.boundingRect((cover_full > 0).view(np.uint8))
            box = (slice(y, y + h), slice(x, x + w))
            cover = cover_full[box][..., None]
            shown_face = out[roi.slices][box]
            shown_face[:] = np.clip(
                covered[box] * cover + shown_face.astype(np.float32) * (1.0 - cover) + 0.5, 0, 255
            ).astype(np.uint8)
            mask = mask * (1.0 - cover_full)
        # The mask is the swapped face's blend weight over the face's region; with shape transfer the
        # liquify may also move pixels elsewhere in ``outer`` (never outside it): the region returned.
        weight = np.zeros((outer.height, outer.width), dtype=np.float32)
        inner = weight[roi.y0 - outer.y0 : roi.y1 - outer.y0, roi.x0 - outer.x0 : roi.x1 - outer.x0]
        np.multiply(mask, settings.strength / 100.0, out=inner)  # (the product, without a temporary)
        return SwapOutput(frame=out, mask=weight, region=(outer.x0, outer.y0, outer.x1, outer.y1))

    @staticmethod
    def _warp_texture(
        texture: Image, src: FloatArray, dst: FloatArray, grid: WorkGrid, settings: SwapSettings
    ) -> tuple[Image, FloatArray]:
        """The source texture (BGRA: ``MeshSource.texture_bgra``) in the target's geometry (ROI-sized,
        BGR) and a grid-sized reliability map.

        Reliability fades to 0 on triangles the warp must stretch far more than the face as a whole
        (surface the source photo sees edge-on): showing the target there beats smeared texture.
        """
        # Outside the mesh (padding ring) fall back to one similarity transform fitted on all points, so
        # the texture stays continuous where the piecewise warp stops.
        dst_grid = grid.to_grid(dst)
        similarity = estimate_similarity(dst_grid, src[:, :2])
        roi = grid.grid_roi
        map_x, map_y = similarity_maps(similarity, roi)
        all_triangles = _texture_triangles(settings.eyes == "source", len(dst) > HUBBED_POINTS)
        scale2 = float(np.linalg.det(similarity[:, :2].astype(np.float64)))  # grid->source area ratio
        stretch = (
            triangle_areas(dst_grid, all_triangles) * scale2 / (triangle_areas(src, all_triangles) + 1e-3)
        )
        tri_reliability = np.clip(
            (STRETCH_FADE_END - stretch) / (STRETCH_FADE_END - STRETCH_FADE_START), 0, 1
        )
        if FADE_TURNED_AWAY:
            surface = mesh_triangles()
            count = len(surface)
            tri_reliability[:count] *= np.minimum(facing_weight(dst, surface), facing_weight(src, surface))
        reliability = np.ones((roi.height, roi.width), dtype=np.float32)
        rasterise_piecewise_affine(
            dst_grid,
            src,
            all_triangles,
            roi,
            map_x,
            map_y,
            depth=dst[:, 2],
            triangle_values=tri_reliability.astype(np.float32),
            values_out=reliability,
        )
        reliability = cv2.GaussianBlur(reliability, (0, 0), 2.0)
        return remap_bgr(texture, grid.upsample_map(map_x, map_y)), reliability

    @staticmethod
    def _face_mask(
        dst: FloatArray,
        roi: Roi,
        face_size: float,
        settings: SwapSettings,
        coverage: FloatArray | None = None,
    ) -> FloatArray:
        """The blend mask on the grid: ``coverage`` (the skin extension's) or the oval, then padding,
        holes and feather."""
        mask = polygon_mask(dst[face_oval_indices()], roi) if coverage is None else coverage
        mask = grow_or_erode(mask, settings.mask_padding / 100.0 * face_size)
        # Most frames have no hole (source eyes, closed mouth): no hole mask is made then. A hole mask
        # that comes out empty changes nothing either (1 - 0 leaves the mask as it is).
        holes: FloatArray | None = None
        rings = []
        if settings.eyes == "target":
            grow = face_size * 0.012
            rings += [(RIGHT_EYE_RING, grow), (LEFT_EYE_RING, grow)]
        if settings.keep_target_mouth and mouth_is_open(dst):
            rings.append((INNER_LIPS_RING, face_size * 0.005))
        for ring, ring_grow in rings:
            hole = ring_mask(dst[list(ring)], roi, ring_grow)
            holes = hole if holes is None else np.maximum(holes, hole)
        if holes is not None and holes.any():
            # Holes get a small feather of their own so the target's eyes/mouth blend without a ring.
            soft_holes = cv2.GaussianBlur(holes, (0, 0), max(face_size * 0.006, 0.5))
            mask = mask * (1.0 - np.clip(soft_holes * 1.5, 0.0, 1.0))
        return feather(mask, settings.mask_feather / 100.0 * face_size * 0.5)
