"""The mesh engine on real faces: where it changes pixels, strength, mouth handling, source choice."""

import dataclasses
import subprocess
import sys

import cv2
import numpy as np
import pytest

from faceswap_desktop.core.mesh.mesh_engine import (
    MeshSwapper,
    choose_texture_photo,
    mouth_is_open,
    pose_score,
)
from faceswap_desktop.core.mesh.mesh_topology import INNER_LIPS_RING, OUTER_LIPS_RING
from faceswap_desktop.core.roles import SourcePhoto
from faceswap_desktop.core.settings import SwapSettings


@pytest.fixture(scope="module")
def obama_source(analysed):
    image, faces = analysed("identity/obama/obama.jpg")
    return MeshSwapper().prepare_source([SourcePhoto(image, faces[0])])


def test_swap_changes_the_face_and_nothing_far_from_it(analysed, obama_source) -> None:
    frame, faces = analysed("identity/biden/biden2.jpg")
    original = frame.copy()
    out = MeshSwapper().swap(frame, faces[0], obama_source, SwapSettings())
    assert np.array_equal(frame, original), "inputs are never mutated"
    changed = np.abs(out.frame.astype(int) - frame).max(2) > 0
    x0, y0, x1, y1 = out.region
    outside = changed.copy()
    outside[y0:y1, x0:x1] = False
    assert not outside.any()
    fx0, fy0, fx1, fy1 = (int(v) for v in faces[0].box)
    inner = changed[
        fy0 + (fy1 - fy0) // 4 : fy1 - (fy1 - fy0) // 4, fx0 + (fx1 - fx0) // 4 : fx1 - (fx1 - fx0) // 4
    ]
    assert inner.mean() > 0.9
    assert out.full_mask().shape == frame.shape[:2]


def test_zero_strength_returns_the_target_unchanged(analysed, obama_source) -> None:
    frame, faces = analysed("identity/biden/biden2.jpg")
    out = MeshSwapper().swap(frame, faces[0], obama_source, SwapSettings(strength=0, shape_transfer=0))
    assert np.array_equal(out.frame, frame)


def test_strength_scales_the_change(analysed, obama_source) -> None:
    frame, faces = analysed("identity/biden/biden2.jpg")
    swapper = MeshSwapper()
    diffs = [
        np.abs(
            swapper.swap(
                frame, faces[0], obama_source, SwapSettings(strength=s, shape_transfer=0)
            ).frame.astype(int)
            - frame
        ).mean()
        for s in (25, 50, 100)
    ]
    assert diffs[0] < diffs[1] < diffs[2]
    assert diffs[1] == pytest.approx(diffs[2] / 2, rel=0.1)


def test_open_target_mouth_is_kept(analysed, obama_source) -> None:
    frame, faces = analysed("identity/obama/obama2.jpg")  # speaking, mouth open
    landmarks = faces[0].landmarks_478
    assert mouth_is_open(landmarks)
    inner = landmarks[[13, 14]].mean(0).astype(int)
    settings = SwapSettings(shape_transfer=0)
    kept = MeshSwapper().swap(frame, faces[0], obama_source, settings).frame
    replaced = (
        MeshSwapper().swap(frame, faces[0], obama_source, settings.replace(keep_target_mouth=False)).frame
    )
    y, x = inner[1], inner[0]
    patch = (slice(y - 2, y + 3), slice(x - 2, x + 3))
    assert (
        np.abs(kept[patch].astype(int) - frame[patch]).mean()
        < np.abs(replaced[patch].astype(int) - frame[patch]).mean()
    )


def _lip_chroma(image: np.ndarray, landmarks: np.ndarray) -> np.ndarray:
    """Mean LAB (a, b) between the outer and inner lip contours."""
    mask = np.zeros(image.shape[:2], np.uint8)
    cv2.fillPoly(mask, [landmarks[list(OUTER_LIPS_RING), :2].astype(np.int32)], 255)
    cv2.fillPoly(mask, [landmarks[list(INNER_LIPS_RING), :2].astype(np.int32)], 0)
    return np.array(cv2.mean(cv2.cvtColor(image, cv2.COLOR_BGR2LAB), mask)[1:3])


def test_source_lips_replace_a_red_lipped_targets(analysed) -> None:
    """Strips row 1 (docs/likeness.md): an open-smiling source onto a closed, red-lipped mouth showed the
    target's lipstick, stretched into a mouth the shape transfer had opened. The lips must be the source's."""
    source_image, source_faces = analysed("identity/alex_lacamoire/alex_lacamoire1.jpg")
    frame, faces = analysed("identity/deepface_p02/img26.jpg")
    prepared = MeshSwapper().prepare_source([SourcePhoto(source_image, source_faces[0])])
    out = MeshSwapper().swap(frame, faces[0], prepared, SwapSettings()).frame
    target_lips = faces[0].landmarks_478
    source = _lip_chroma(source_image, source_faces[0].landmarks_478)
    target = _lip_chroma(frame, target_lips)
    result = _lip_chroma(out, target_lips)
    assert np.linalg.norm(source - target) > 25, "the target's lips must be far redder than the source's"
    assert np.linalg.norm(result - source) < np.linalg.norm(result - target)


def test_an_open_source_mouth_is_filled_with_lips_for_a_closed_target_mouth(analysed) -> None:
    """Strips row 1: the open smile's teeth were squeezed into a pale jagged line between the target's
    closed lips. The prepared source carries a copy with the mouth opening filled from the lips, and a
    closed target mouth is swapped from it."""
    source_image, source_faces = analysed("identity/alex_lacamoire/alex_lacamoire1.jpg")
    frame, faces = analysed("identity/deepface_p02/img26.jpg")
    prepared = MeshSwapper().prepare_source([SourcePhoto(source_image, source_faces[0])])
    assert prepared.closed_mouth_texture is not None
    inner = np.zeros(prepared.texture.shape[:2], np.uint8)
    cv2.fillPoly(inner, [prepared.landmarks[list(INNER_LIPS_RING), :2].astype(np.int32)], 255)
    lips = np.zeros_like(inner)
    cv2.fillPoly(lips, [prepared.landmarks[list(OUTER_LIPS_RING), :2].astype(np.int32)], 255)
    lips[inner > 0] = 0

    def lab(image: np.ndarray, mask: np.ndarray) -> np.ndarray:
        return np.array(cv2.mean(cv2.cvtColor(image, cv2.COLOR_BGR2LAB), mask)[:3])

    teeth, lip_colour = lab(prepared.texture, inner), lab(prepared.texture, lips)
    filled = lab(prepared.closed_mouth_texture, inner)
    assert np.linalg.norm(filled - lip_colour) < np.linalg.norm(filled - teeth) / 3
    swapper, settings = MeshSwapper(), SwapSettings()
    used = swapper.swap(frame, faces[0], prepared, settings).frame
    from_filled = dataclasses.replace(prepared, texture=prepared.closed_mouth_texture)
    assert np.array_equal(used, swapper.swap(frame, faces[0], from_filled, settings).frame)
    unfilled = dataclasses.replace(prepared, closed_mouth_texture=None)
    assert not np.array_equal(used, swapper.swap(frame, faces[0], unfilled, settings).frame)


def test_a_closed_source_mouth_needs_no_filled_copy(analysed) -> None:
    image, faces = analysed("identity/deepface_p02/img26.jpg")
    assert MeshSwapper().prepare_source([SourcePhoto(image, faces[0])]).closed_mouth_texture is None


def test_a_made_up_target_does_not_turn_brown_irises_blue(analysed) -> None:
    """Strips row 1: the LAB transfer doubled the source's colour spread toward the made-up target's,
    and Alex Lacamoire's brown irises came out vivid blue (iris b* 16 under the source's; 8 with the cap)."""
    source_image, source_faces = analysed("identity/alex_lacamoire/alex_lacamoire1.jpg")
    frame, faces = analysed("identity/deepface_p02/img26.jpg")
    prepared = MeshSwapper().prepare_source([SourcePhoto(source_image, source_faces[0])])
    out = MeshSwapper().swap(frame, faces[0], prepared, SwapSettings()).frame

    def iris_b(image: np.ndarray, landmarks: np.ndarray) -> float:
        mask = np.zeros(image.shape[:2], np.uint8)
        for centre, edge in ((468, 469), (473, 474)):
            radius = max(int(np.linalg.norm(landmarks[centre, :2] - landmarks[edge, :2]) * 0.7), 1)
            cv2.circle(mask, tuple(int(v) for v in landmarks[centre, :2]), radius, 255, -1)
        return float(cv2.mean(cv2.cvtColor(image, cv2.COLOR_BGR2LAB), mask)[2])

    assert iris_b(out, faces[0].landmarks_478) > iris_b(source_image, source_faces[0].landmarks_478) - 12


def _forehead_lab(image: np.ndarray, landmarks: np.ndarray, face_size: float) -> np.ndarray:
    """Mean LAB over five forehead patches (middle, above each brow, towards each temple)."""
    mask = np.zeros(image.shape[:2], np.uint8)
    for index in (151, 108, 337, 69, 299):
        centre = tuple(int(v) for v in landmarks[index, :2])
        cv2.circle(mask, centre, int(face_size * 0.05), 255, -1)
    return np.array(cv2.mean(cv2.cvtColor(image, cv2.COLOR_BGR2LAB), mask)[:3])


def test_a_sources_red_forehead_takes_the_targets_hue(analysed) -> None:
    """Strips row 2 (docs/likeness.md): deepface_p05's forehead is redder than his cheeks and the swap
    carried that patch up to the target's hairline. The forehead's redness (LAB a*) must now be close to
    the target's forehead's (4.6 units redder before the forehead hue matching, 0.8 with it)."""
    source_image, source_faces = analysed("identity/deepface_p05/img16.jpg")
    frame, faces = analysed("identity/deepface_p07/img29.jpg")
    prepared = MeshSwapper().prepare_source([SourcePhoto(source_image, source_faces[0])])
    out = MeshSwapper().swap(frame, faces[0], prepared, SwapSettings()).frame
    landmarks, size = faces[0].landmarks_478, faces[0].size
    redness = _forehead_lab(out, landmarks, size)[1] - _forehead_lab(frame, landmarks, size)[1]
    assert abs(redness) < 2.5


def test_texture_comes_from_the_best_posed_photo(analysed) -> None:
    frontal = SourcePhoto(*_first(analysed("identity/obama/obama.jpg")))
    turned = SourcePhoto(*_first(analysed("misc/pose_left_face.jpeg")))
    assert pose_score(turned.face) > pose_score(frontal.face)
    assert choose_texture_photo([turned, frontal]) == 1
    assert MeshSwapper().prepare_source([turned, frontal]).chosen_index == 1


def _first(pair):
    image, faces = pair
    return image, faces[0]


@pytest.mark.parametrize("zoom", [1.0, 1.5, 2.6])
def test_resize_upsampling_matches_the_warp_affine_formula_on_a_real_swap(
    analysed, analyser, obama_source, monkeypatch, zoom: float
) -> None:
    # WorkGrid.upsample (cv2.resize, 2x2 means for even steps) against the warpAffine formula it replaced,
    # on a real face at several work-grid steps (liquify 2-6, texture 1-3): the same maps to a few
    # hundredths of a pixel, the same swapped frame to well under a grey level on average.
    import cv2

    from faceswap_desktop.core.mesh import warp

    frame, _faces = analysed("identity/biden/biden2.jpg")
    frame = cv2.resize(frame, None, fx=zoom, fy=zoom, interpolation=cv2.INTER_CUBIC)
    face = analyser.detect_faces(frame)[0]
    fast, reference = warp.WorkGrid.upsample, warp.WorkGrid.upsample_exact
    gaps: list[float] = []

    def both(grid: warp.WorkGrid, values: np.ndarray, cells=None) -> np.ndarray:  # type: ignore[no-untyped-def]
        # (With cells, as the liquify asks: that window of each.)
        rows, cols = grid.window(cells)
        new, old = fast(grid, values, cells), reference(grid, values)[rows, cols]
        gap = np.abs(new - old)
        # Coordinate maps in pixels (the reference's own 1/32 quantisation: up to ~step / 64 px);
        # the blend mask in [0, 1].
        mean_limit, max_limit = (0.015 * grid.step, 0.1 * grid.step) if values.ndim == 3 else (0.005, 0.1)
        gaps.append(float(gap.max()))
        assert new.shape == old.shape and gap.mean() < mean_limit and gap.max() < max_limit, gap.max()
        return old

    monkeypatch.setattr(warp.WorkGrid, "upsample", both)
    old_frame = MeshSwapper().swap(frame, face, obama_source, SwapSettings()).frame
    monkeypatch.setattr(warp.WorkGrid, "upsample", fast)
    new_frame = MeshSwapper().swap(frame, face, obama_source, SwapSettings()).frame
    difference = np.abs(new_frame.astype(np.int16) - old_frame)
    changed = np.abs(old_frame.astype(np.int16) - frame).max(axis=2) > 0
    assert gaps and difference[changed].mean() < 1.5 and difference.mean() < 0.5, difference[changed].mean()
    assert np.percentile(difference[changed], 99) <= 12


WARM_UP_CHECK = """
import time, cv2, numpy as np
from faceswap_desktop.core.mesh import mesh_engine, shape
warm = {warm}
if warm:
    mesh_engine.warm_up()
assert (shape._offset_operator.cache_info().currsize == 1) == warm
started = time.process_time()
cv2.cvtColor(np.zeros((64, 64, 3), np.uint8), cv2.COLOR_BGR2LAB)
print((time.process_time() - started) * 1000)
"""


def test_warm_up_does_the_first_use_work_of_a_fresh_process() -> None:
    """A fresh process's first 8-bit LAB conversion builds OpenCV's tables (~130 ms of CPU): after
    ``warm_up`` it is already done, as are the shape transfer's operators (CPU time, so load-proof)."""
    cost = {
        warm: float(
            subprocess.run(
                [sys.executable, "-c", WARM_UP_CHECK.format(warm=warm)],
                capture_output=True,
                text=True,
                check=True,
            ).stdout.split()[-1]
        )
        for warm in (False, True)
    }
    assert cost[False] > 30.0 and cost[True] < 10.0, cost


@pytest.mark.parametrize(
    "settings",
    [
        SwapSettings(),
        SwapSettings(strength=60, color_transfer="lab_mean"),
        # No feather: the mask's support ends where the swap's pixels do, so a box cut too small shows.
        SwapSettings(eyes="target", mask_feather=0),
    ],
)
def test_colour_tone_and_blend_on_the_shown_box_give_the_whole_regions_result(
    analysed, obama_source, monkeypatch, settings
) -> None:
    # The alpha blend's colour transfer, tone and blend run on the box of the mask's support (and the
    # tone's samples) only: the frame and mask must be exactly those of running them on the whole region.
    import faceswap_desktop.core.mesh.mesh_engine as engine

    frame, faces = analysed("identity/biden/biden2.jpg")
    boxes = []
    real = engine._shown_region

    def recorded(mask, *args):
        box = real(mask, *args)
        boxes.append((box, mask.shape))
        return box

    monkeypatch.setattr(engine, "_shown_region", recorded)
    cut = MeshSwapper().swap(frame, faces[0], obama_source, settings)
    monkeypatch.setattr(
        engine, "_shown_region", lambda mask, *_: (slice(0, mask.shape[0]), slice(0, mask.shape[1]))
    )
    whole = MeshSwapper().swap(frame, faces[0], obama_source, settings)
    (rows, cols), (height, width) = boxes[0]
    assert (rows.stop - rows.start) * (cols.stop - cols.start) < 0.9 * height * width, "a real cut"
    assert np.array_equal(cut.frame, whole.frame)
    assert np.array_equal(cut.mask, whole.mask)


@pytest.mark.parametrize("step", [2, 3, 4])
def test_the_liquify_remaps_only_where_its_map_moves_and_gives_the_whole_remap(analysed, step) -> None:
    # The liquify upsamples and remaps only the window of grid cells its triangles cover: elsewhere its
    # map is the identity and the frame's own pixels (which its output holds) are the remap's result. The
    # whole region must be exactly the whole map's remap, the held edge rows and columns included.
    from faceswap_desktop.core.mesh import mesh_engine as engine
    from faceswap_desktop.core.mesh.mesh_topology import (
        face_oval_indices,
        mesh_triangles,
        opening_triangles,
        with_mouth_hub,
    )
    from faceswap_desktop.core.mesh.shape import outer_ring_triangles
    from faceswap_desktop.core.mesh.warp import (
        WorkGrid,
        rasterise_piecewise_affine,
        remap,
        roi_around,
        similarity_maps,
    )

    frame, faces = analysed("identity/biden/biden2.jpg")
    face = faces[0]
    original = with_mouth_hub(face.landmarks_478)
    centre = original[:, :2].mean(0)
    moved = original.copy()
    moved[:, :2] = centre + (original[:, :2] - centre) * np.array([1.06, 0.97], dtype=np.float32)
    anchors = engine._anchor_ring(np.concatenate([original, moved]), face.size)
    height, width = frame.shape[:2]
    outer = roi_around(np.concatenate([moved[:, :2], anchors]), face.size * 0.05, width, height)
    grid = WorkGrid(outer, step)
    out = frame[outer.slices].copy()
    engine._liquify(frame, original, moved, anchors, grid, out)

    to_frame = np.array([[step, 0, outer.x0], [0, step, outer.y0]], dtype=np.float32)
    map_x, map_y = similarity_maps(to_frame, grid.grid_roi)
    openings = opening_triangles()
    ring = outer_ring_triangles(moved[:, :2], face_oval_indices(), anchors)
    triangles = np.concatenate(
        [mesh_triangles(), openings["mouth"], openings["right_eye"], openings["left_eye"], ring]
    )
    covered = rasterise_piecewise_affine(
        grid.to_grid(np.concatenate([moved[:, :2], anchors])),
        np.concatenate([original[:, :2], anchors]).astype(np.float32),
        triangles,
        grid.grid_roi,
        map_x,
        map_y,
    )
    expected = remap(frame, grid.upsample_map(map_x, map_y))
    assert not covered.all(), "a real window: some cells are left out"
    assert not np.array_equal(expected, frame[outer.slices]), "the liquify moves pixels"
    assert np.array_equal(out, expected)


def test_mask_padding_grows_the_mask_and_negative_padding_shrinks_it(analysed, obama_source) -> None:
    frame, faces = analysed("identity/biden/biden2.jpg")
    swapper = MeshSwapper()
    areas = {}
    masks = {}
    for padding in (-10, 0, 10):
        settings = SwapSettings(mask_padding=padding, mask_feather=0)
        masks[padding] = swapper.swap(frame, faces[0], obama_source, settings).full_mask() > 0.5
        areas[padding] = int(masks[padding].sum())
    assert areas[-10] < areas[0] * 0.9 and areas[10] > areas[0] * 1.1, areas
    # nested, up to the rasterised edge (138 of 214k pixels measured)
    assert (masks[-10] & ~masks[0]).sum() < 0.005 * areas[0]
    assert (masks[0] & ~masks[10]).sum() < 0.005 * areas[0]
