"""Several source photos merged into the mesh engine's texture (issue #6, docs/likeness.md)."""

import cv2
import numpy as np
import pytest

from faceswap_desktop.core.mesh import texture_merge
from faceswap_desktop.core.mesh.mesh_engine import MeshSwapper
from faceswap_desktop.core.mesh.mesh_topology import face_oval_indices
from faceswap_desktop.core.mesh.texture_merge import merge_textures
from faceswap_desktop.core.roles import SourcePhoto
from faceswap_desktop.core.settings import SwapSettings


@pytest.fixture(scope="module")
def photos(analysed):
    """deepface_p03's photos 0 and 2 (photo 1 is the identity benchmark's held-out one)."""
    return [SourcePhoto(image, faces[0]) for image, faces in map(analysed, _P03)]


_P03 = ("identity/deepface_p03/img47.jpg", "identity/deepface_p03/img9.jpg")


def _luma(image: np.ndarray) -> np.ndarray:
    return cv2.cvtColor(image, cv2.COLOR_BGR2GRAY).astype(np.float32)


def test_without_other_photos_the_texture_is_returned_as_is(photos) -> None:
    prepared = MeshSwapper().prepare_source(photos[:1])
    assert merge_textures(prepared.texture, prepared.landmarks, [], photos[0].face.size) is prepared.texture


def test_a_photo_merged_with_itself_stays_the_same(photos, monkeypatch) -> None:
    """The other photo is warped onto the texture's mesh: the same photo must land on itself (a warp off
    by a few pixels would double the features and change the texture here). The source visibility mask's
    fill (which changes the texture photo, not the others) is left out: the photo as it is."""
    import faceswap_desktop.core.mesh.mesh_engine as engine

    monkeypatch.setattr(engine, "occluded_skin", lambda texture, *_: np.zeros(texture.shape[:2], np.uint8))
    prepared = MeshSwapper().prepare_source(photos[:1])
    photo = photos[0]
    assert photo.face.landmarks_478 is not None
    merged = merge_textures(
        prepared.texture, prepared.landmarks, [(photo.image, photo.face.landmarks_478)], photo.face.size
    )
    difference = np.abs(merged.astype(np.int16) - prepared.texture.astype(np.int16))
    assert difference.mean() < 0.5
    assert np.percentile(difference, 99.9) <= 6


def test_a_second_photo_changes_the_face_and_nothing_outside_the_mesh(photos) -> None:
    single = MeshSwapper().prepare_source(photos[:1])
    merged = MeshSwapper().prepare_source(photos)
    assert merged.chosen_index == 0 and merged.texture.shape == single.texture.shape
    oval = np.zeros(single.texture.shape[:2], np.uint8)
    outline = np.round(single.landmarks[face_oval_indices(), :2]).astype(np.int32)
    cv2.fillPoly(oval, [cv2.convexHull(outline)], 255)
    inner = cv2.erode(oval, np.ones((41, 41), np.uint8)) > 0
    change = np.abs(_luma(merged.texture) - _luma(single.texture))
    assert change[inner].mean() > 2.0, "the second photo must take part"
    assert change[oval == 0].max() == 0, "outside the mesh the texture is the texture photo's"


def test_something_covering_the_skin_in_another_photo_is_left_out(photos, monkeypatch) -> None:
    """A strand of hair over one photo's forehead (seen: deepface_p02's img42 carried a dark patch onto
    the merged forehead) gives way to the texture photo, where the photos disagree far more than their
    shading does."""
    prepared = MeshSwapper().prepare_source(photos[:1])
    photo = photos[0]
    assert photo.face.landmarks_478 is not None
    covered = photo.image.copy()
    cheek = photo.face.landmarks_478[205, :2]  # the subject's right cheek
    radius = int(photo.face.size * 0.08)
    cv2.circle(covered, (int(cheek[0]), int(cheek[1])), radius, (20, 20, 20), -1)
    patch = np.zeros(prepared.texture.shape[:2], np.uint8)
    cv2.circle(patch, tuple(int(v) for v in prepared.landmarks[205, :2]), radius // 2, 255, -1)

    def darkening() -> float:
        merged = merge_textures(
            prepared.texture, prepared.landmarks, [(covered, photo.face.landmarks_478)], photo.face.size
        )
        return float((_luma(prepared.texture) - _luma(merged))[patch > 0].mean())

    assert darkening() < 3.0
    monkeypatch.setattr(texture_merge, "REJECT_START", 1e6)
    monkeypatch.setattr(texture_merge, "REJECT_END", 2e6)
    assert darkening() > 20.0, "without the disagreement test the covered skin would come through"


def test_a_swap_from_two_photos_runs_and_differs_from_one(photos, analysed) -> None:
    frame, faces = analysed("identity/obama/obama.jpg")
    swapper, settings = MeshSwapper(), SwapSettings()
    one = swapper.swap(frame, faces[0], swapper.prepare_source(photos[:1]), settings).frame
    two = swapper.swap(frame, faces[0], swapper.prepare_source(photos), settings).frame
    assert np.abs(one.astype(np.int16) - two).mean() > 0.05
