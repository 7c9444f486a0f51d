"""Fault checks (core/mesh/faults.py) and the adversarial cases of issue #19.

The checks are first shown to fire on faults made by hand (a strand on the forehead, ghosted eyes, a
pale face, a blurred face) and to stay quiet on an untouched face; then the engine is given adversarial
inputs: a strand of hair painted on the source's forehead must not reach the result, and sunglasses drawn
on the target must stay on top, whole.
"""

import cv2
import numpy as np
import pytest

from faceswap_desktop.core.mesh import faults, skin_extension, visibility
from faceswap_desktop.core.mesh.mesh_engine import MeshSwapper
from faceswap_desktop.core.roles import SourcePhoto
from faceswap_desktop.core.settings import SwapSettings

TARGET = "identity/deepface_p07/img29.jpg"
SOURCE = "identity/obama/obama.jpg"
BLOND = (140, 215, 240)
"""A light blond strand (BGR): lighter than the skin, which the dark-spot check does not see."""


def _strand(
    image: np.ndarray, landmarks: np.ndarray, size: float, colour: tuple[int, int, int] = (25, 40, 60)
) -> np.ndarray:
    """A strand of hair (dark brown unless ``colour`` says otherwise) curling down the forehead from the
    hairline to above the right brow."""
    painted = image.copy()
    top, brow = landmarks[10, :2], landmarks[105, :2]
    t = np.linspace(0.0, 1.0, 24)[:, None]
    path = top * (1 - t) + brow * t + np.sin(t * np.pi) * np.array([0.08 * size, 0.0])
    path[:, 1] -= 0.12 * size * (1 - t[:, 0])
    points = np.round(path * 16).astype(np.int32)
    thickness = max(int(round(size * 0.015)), 2)
    cv2.polylines(painted, [points], False, colour, thickness, cv2.LINE_AA, shift=4)
    return painted


def _check(result, target_image, face, source=None, source_face=None) -> faults.FaultReport:  # type: ignore[no-untyped-def]
    return faults.check_swap(
        result,
        target_image,
        face.landmarks_478,
        face.size,
        source,
        None if source_face is None else source_face.landmarks_478,
        None if source_face is None else source_face.size,
    )


def test_an_untouched_face_raises_no_fault(analysed) -> None:
    image, faces = analysed(TARGET)
    report = _check(image, image, faces[0])
    assert report.flags == ()
    assert report.tone < 0.5 and abs(report.softness - 1.0) < 1e-6


def test_each_check_fires_on_its_fault(analysed) -> None:
    image, faces = analysed(TARGET)
    face = faces[0]
    landmarks = face.landmarks_478
    assert "forehead_spots" in _check(_strand(image, landmarks, face.size), image, face).flags
    # The light blots are measured, not flagged (docs/likeness.md): the painted strand is over the limit.
    assert _check(_strand(image, landmarks, face.size, BLOND), image, face).forehead_light > (
        faults.LIGHT_SPOT_LIMIT
    )
    # Ghosted eyes: the eye region blended with itself shifted down by a third of the eye's width.
    ghost = image.copy()
    for centre, corner in ((468, 33), (473, 263)):
        width = float(np.linalg.norm(landmarks[centre, :2] - landmarks[corner, :2])) * 2
        x, y = np.round(landmarks[centre, :2]).astype(int)
        half = int(width * 0.8)
        shift = int(width / 3)
        box = image[y - half : y + half, x - half : x + half].astype(np.float32)
        below = image[y - half - shift : y + half - shift, x - half : x + half].astype(np.float32)
        ghost[y - half : y + half, x - half : x + half] = np.clip(0.5 * box + 0.5 * below, 0, 255)
    assert "eye_edges" in _check(ghost, image, face).flags
    lab = cv2.cvtColor(image, cv2.COLOR_BGR2LAB)
    lab[..., 0] = np.clip(lab[..., 0].astype(np.int16) + 40, 0, 255).astype(np.uint8)
    assert "tone" in _check(cv2.cvtColor(lab, cv2.COLOR_LAB2BGR), image, face).flags
    assert "softness" in _check(cv2.GaussianBlur(image, (0, 0), 2.5), image, face).flags


def test_the_forehead_check_ignores_the_border_past_a_cut_photo(analysed) -> None:
    """A face cut by the photo's edge: the check's crop replicates the edge's pixels past it, so a result
    that changes the photo's last columns repeated them there as dark streaks, flagged as forehead spots
    (deepface_p01 -> misc/occlusion_obama_partial_face.jpg, 0.0031). Only pixels of the photo count."""
    image, faces = analysed("misc/occlusion_obama_partial_face.jpg")
    face = max(faces, key=lambda f: f.size)
    landmarks = face.landmarks_478
    assert landmarks[:, 0].min() < 0.02 * face.size, "the face is cut by the photo's left edge"
    top = int(max(landmarks[10, 1] - 0.3 * face.size, 0))
    bottom = int(landmarks[105, 1])

    def darkened(columns: slice) -> faults.FaultReport:
        """The photo with two columns 40 levels darker over the forehead's rows (a line 2 px wide)."""
        result = image.copy()
        part = result[top:bottom, columns].astype(np.int16)
        result[top:bottom, columns] = (part - 40).clip(0, 255).astype(np.uint8)
        return _check(result, image, face)

    at_edge, inside = darkened(slice(0, 2)), darkened(slice(6, 8))
    assert inside.forehead_spots > 0, "the line itself is seen"
    # The same line at the photo's edge counts as much as inside it: its replicas past the edge do not.
    assert at_edge.forehead_spots <= 1.2 * inside.forehead_spots, (at_edge, inside)


@pytest.fixture(scope="module")
def target(analysed):  # type: ignore[no-untyped-def]
    image, faces = analysed(TARGET)
    return image, faces[0]


def test_a_strand_on_the_source_forehead_is_not_carried_into_the_result(analyser, analysed, target) -> None:
    clean_report, report = _strand_swaps(analyser, analysed, target)
    assert "forehead_spots" not in report.flags, report
    # Nor as a fainter smudge: the forehead's new dark area stays that of the clean source's swap.
    assert report.forehead_spots <= clean_report.forehead_spots + 0.2 * faults.SPOT_AREA_LIMIT, (
        clean_report,
        report,
    )


def _hairline_edge_spots(analysed) -> float:  # type: ignore[no-untyped-def]
    """The new dark forehead area of deepface_p05 -> alex_lacamoire (both photo 0, of the tuning half A).
    deepface_p05's low hairline has a soft, brown edge that passes the skin extension's skin test; the
    band carries it as a brown arc onto alex_lacamoire's higher forehead (the same on deepface_p07 and Tom
    Hanks, and deepface_p04's fringe on half B's deepface_p02 and obama)."""
    source_image, source_faces = analysed("identity/deepface_p05/img16.jpg")
    image, faces = analysed("identity/alex_lacamoire/alex_lacamoire1.jpg")
    swapper = MeshSwapper()
    prepared = swapper.prepare_source([SourcePhoto(source_image, source_faces[0])])
    result = swapper.swap(image, faces[0], prepared, SwapSettings()).frame
    return _check(result, image, faces[0]).forehead_spots


def test_the_dark_stop_keeps_a_sources_hairline_edge_off_a_higher_forehead(analysed, monkeypatch) -> None:
    """With ``skin_extension.SOURCE_DARK_LEVELS`` the band stops at the source's pixels much darker than
    its skin: the arc is gone. Without it the fault is there (0.0038 > 0.003), so the test can fail."""
    monkeypatch.setattr(skin_extension, "SOURCE_DARK_LEVELS", 25.0)
    assert _hairline_edge_spots(analysed) < 0.2 * faults.SPOT_AREA_LIMIT
    monkeypatch.setattr(skin_extension, "SOURCE_DARK_LEVELS", 0.0)
    assert _hairline_edge_spots(analysed) > faults.SPOT_AREA_LIMIT


def test_a_sources_hairline_edge_is_not_carried_onto_a_higher_forehead(analysed) -> None:
    """With the defaults (the dark stop on) the arc does not reach the result (docs/likeness.md
    "Forehead spots")."""
    assert _hairline_edge_spots(analysed) < 0.2 * faults.SPOT_AREA_LIMIT


def _strand_swaps(analyser, analysed, target, colour=None):  # type: ignore[no-untyped-def]
    """The fault reports of obama -> deepface_p07 from the clean source and from the source with a
    strand painted on its forehead (dark, or ``colour``)."""
    source_image, source_faces = analysed(SOURCE)
    face = source_faces[0]
    extra = () if colour is None else (colour,)
    painted = _strand(source_image, face.landmarks_478, face.size, *extra)
    painted_face = analyser.detect_faces(painted)[0]
    image, target_face = target
    swapper = MeshSwapper()
    clean = swapper.swap(
        image, target_face, swapper.prepare_source([SourcePhoto(source_image, face)]), SwapSettings()
    ).frame
    result = swapper.swap(
        image, target_face, swapper.prepare_source([SourcePhoto(painted, painted_face)]), SwapSettings()
    ).frame
    return _check(clean, image, target_face), _check(result, image, target_face)


def _assert_no_blond_strand(clean_report: faults.FaultReport, report: faults.FaultReport) -> None:
    assert report.forehead_light <= faults.LIGHT_SPOT_LIMIT, report
    assert report.forehead_light <= clean_report.forehead_light + 0.2 * faults.LIGHT_SPOT_LIMIT, (
        clean_report,
        report,
    )


def _realism3_mask(monkeypatch, fill: str = "pushpull") -> None:  # type: ignore[no-untyped-def]
    """The visibility mask's light and hue seeds, growth guard and push-pull (or mirrored) fill (not the
    defaults)."""
    monkeypatch.setattr(visibility, "LIGHT_SEEDS", True)
    monkeypatch.setattr(visibility, "HUE_SEEDS", True)
    monkeypatch.setattr(visibility, "GROW_LIKELIHOOD", 0.3)
    monkeypatch.setattr(visibility, "FILL", fill)
    monkeypatch.setattr(visibility, "TEMPLES_BELOW_EYES", -0.08)


@pytest.mark.parametrize("fill", ["pushpull", "mirror"])
def test_the_light_occluder_mask_keeps_a_blond_strand_out_of_the_result(
    analyser, analysed, target, monkeypatch, fill: str
) -> None:
    """The light counterpart of the test above (issue #19: deepface_p04's blond fringe crossed every
    target's forehead), with the visibility mask's switches of branches realism3/realism4 on."""
    _realism3_mask(monkeypatch, fill)
    _assert_no_blond_strand(*_strand_swaps(analyser, analysed, target, BLOND))


def test_a_blond_strand_on_the_source_forehead_is_not_carried_into_the_result(
    analyser, analysed, target, monkeypatch
) -> None:
    """With the defaults (the light joins of ``visibility.LIGHT_JOIN_LIKELIHOOD``) the painted blond
    strand stays out of the result; with the light joins off it reaches it (light area 0.0017 against
    0.0008 from the clean source), so the test can fail."""
    _assert_no_blond_strand(*_strand_swaps(analyser, analysed, target, BLOND))
    monkeypatch.setattr(visibility, "LIGHT_JOIN_LIKELIHOOD", 0.0)
    with pytest.raises(AssertionError):
        _assert_no_blond_strand(*_strand_swaps(analyser, analysed, target, BLOND))


def _sunglasses(image: np.ndarray, landmarks: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Dark sunglasses (two lenses, a bridge, both arms to the sides of the face) and their mask."""
    mask = np.zeros(image.shape[:2], dtype=np.uint8)
    eye_distance = float(np.linalg.norm(landmarks[468, :2] - landmarks[473, :2]))
    axes = (int(eye_distance * 0.38), int(eye_distance * 0.28))
    for centre in (468, 473):
        x, y = np.round(landmarks[centre, :2]).astype(int)
        cv2.ellipse(mask, (int(x), int(y)), axes, 0, 0, 360, 255, -1)
    thickness = max(int(eye_distance * 0.06), 2)
    right, left = np.round(landmarks[468, :2]).astype(int), np.round(landmarks[473, :2]).astype(int)
    cv2.line(mask, tuple(right), tuple(left), 255, thickness)
    for eye, side in ((468, 234), (473, 454)):
        start = np.round(landmarks[eye, :2]).astype(int)
        end = np.round(landmarks[side, :2]).astype(int)
        cv2.line(mask, tuple(start), tuple(end), 255, thickness)
    glasses = image.copy()
    glasses[mask > 0] = (18, 18, 22)
    return glasses, mask


def test_sunglasses_on_the_target_stay_on_top_whole(analyser, analysed, target) -> None:
    source_image, source_faces = analysed(SOURCE)
    image, target_face = target
    glasses, mask = _sunglasses(image, target_face.landmarks_478)
    faces = analyser.detect_faces(glasses)
    assert faces, "the face with sunglasses is still found"
    swapper = MeshSwapper()
    prepared = swapper.prepare_source([SourcePhoto(source_image, source_faces[0])])
    result = swapper.swap(glasses, faces[0], prepared, SwapSettings()).frame
    inside = cv2.erode(mask, np.ones((5, 5), np.uint8)) > 0
    kept = np.abs(result.astype(np.int16) - glasses).max(axis=2)[inside] <= 20
    assert kept.mean() >= 0.95, f"only {kept.mean():.2f} of the sunglasses kept"
    # ...and the face around them is still swapped.
    changed = np.abs(result.astype(np.int16) - glasses).max(axis=2) > 12
    assert changed[~(mask > 0)].sum() > 0.1 * target_face.size**2


def test_a_turned_or_lowered_head_is_reported_as_not_clean(analysed) -> None:
    """Profiles smear and lowered heads stretch under the offline engine: the per-face check says so."""
    from faceswap_desktop.core.mesh.quality import edge_check

    frontal, frontal_faces = analysed(TARGET)
    assert not edge_check(frontal, frontal, frontal_faces[0].box, face=frontal_faces[0]).visible
    profile, faces = analysed("misc/pose_left_face.jpeg")
    check = edge_check(profile, profile, faces[0].box, face=faces[0])
    assert check.visible and "turned" in check.describe()
    lowered, faces = analysed("misc/pose_lower_face.jpeg")
    check = edge_check(lowered, lowered, faces[0].box, face=faces[0])
    assert check.visible and "lowered" in check.describe()


def test_the_pose_warning_names_only_posed_heads(analysed) -> None:
    from faceswap_desktop.core.mesh.quality import pose_warning

    assert pose_warning(analysed(TARGET)[1][0]) == ""
    assert "turned" in pose_warning(analysed("misc/pose_right_face.png")[1][0])
