"""The mirrored fill of the source's occluded forehead (core/mesh/mirror_fill.py, issue #19).

The mirror map is checked against the mesh's own left/right pairs on a frontal and on a turned face; the
fill is checked to keep the skin's grain where the other side of the forehead is clean (the push-pull fill
alone left a flat cap, whose edge showed as a line on every target).
"""

import cv2
import numpy as np
import pytest

from faceswap_desktop.core.mesh import visibility
from faceswap_desktop.core.mesh.mirror_fill import mirror_map, mirror_pairs


@pytest.mark.parametrize("photo", ["identity/obama/obama.jpg", "identity/biden/biden.jpg"])
def test_the_mirror_map_takes_each_landmark_to_its_pair(analysed, photo: str) -> None:
    image, faces = analysed(photo)
    face = faces[0]
    landmarks = face.landmarks_478
    box = (slice(0, image.shape[0]), slice(0, image.shape[1]))
    map_x, map_y = mirror_map(landmarks, box, face.size)
    errors, round_trip = [], []
    for left, right in mirror_pairs():
        x, y = np.round(landmarks[left, :2]).astype(int)
        mapped = np.array([map_x[y, x], map_y[y, x]])
        errors.append(np.linalg.norm(mapped - landmarks[right, :2]) / face.size)
        back = np.round(mapped).astype(int)
        again = np.array([map_x[back[1], back[0]], map_y[back[1], back[0]]])
        round_trip.append(np.linalg.norm(again - landmarks[left, :2]) / face.size)
    # Biden's head is turned (a global reflection misses his pairs by up to 0.11 face sizes).
    assert np.median(errors) < 0.01 and max(errors) < 0.03, (np.median(errors), max(errors))
    assert max(round_trip) < 0.03


def _detail(image: np.ndarray, mask: np.ndarray) -> float:
    """Fine-detail energy (luma minus its 1 px Gaussian) inside ``mask``."""
    luma = cv2.cvtColor(image, cv2.COLOR_BGR2GRAY).astype(np.float32)
    return float(np.abs(luma - cv2.GaussianBlur(luma, (0, 0), 1.0))[mask > 0].mean())


def test_a_one_sided_occluder_is_filled_with_the_other_sides_grain(analysed, monkeypatch) -> None:
    """A mask over one side of obama's forehead (inside the oval, over clean skin, so the fill can be
    compared with what it replaced): the mirrored fill keeps the skin's grain there (0.71 of it; the
    smooth fill alone 0.08) and the smooth fill's tone (within 1.5 levels)."""
    image, faces = analysed("identity/obama/obama.jpg")
    face = faces[0]
    landmarks, size = face.landmarks_478, face.size
    mask = np.zeros(image.shape[:2], np.uint8)
    centre = np.round((landmarks[69, :2] * 2 + landmarks[151, :2]) / 3).astype(int)
    cv2.circle(mask, (int(centre[0]), int(centre[1])), int(size * 0.06), 1, -1)
    inner = cv2.erode(mask, np.ones((5, 5), np.uint8))
    skin = _detail(image, inner)
    monkeypatch.setattr(visibility, "FILL", "pushpull")
    smooth = visibility.fill_occluded(image, mask, landmarks, size)
    monkeypatch.setattr(visibility, "FILL", "mirror")
    mirrored = visibility.fill_occluded(image, mask, landmarks, size)
    assert _detail(smooth, inner) < 0.5 * skin, (_detail(smooth, inner), skin)
    assert _detail(mirrored, inner) > 0.6 * skin, (_detail(mirrored, inner), skin)
    # The grain only: the tone is the smooth fill's (the skin under the mask may be lit differently from
    # the skin around it, which no fill can know).
    filled, smooth_tone = cv2.mean(mirrored, inner)[:3], cv2.mean(smooth, inner)[:3]
    assert np.abs(np.subtract(filled, smooth_tone)).max() < 2, (filled, smooth_tone)
