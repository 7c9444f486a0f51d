"""The clothing cue of the cast (``core/video/appearance.py``) and how clustering uses it."""

from __future__ import annotations

import numpy as np

from faceswap_desktop.core.video.appearance import (
    DESCRIPTOR_LENGTH,
    MIN_PAIRS_SEEN_TOGETHER,
    bhattacharyya,
    clothing_bar,
    clothing_histogram,
    clothing_region,
)
from faceswap_desktop.core.video.clustering import ClothingRule, cluster_tracks

from .cast_cues import cues


def unit(*values: float) -> np.ndarray:
    vector = np.array(values, np.float32)
    return vector / np.linalg.norm(vector)


def person(shirt_bgr: tuple[int, int, int], light: float = 1.0) -> np.ndarray:
    """A 200 px frame: a face box at (80, 20)-(120, 60) over a striped shirt of one colour, lit by
    ``light``."""
    image = np.full((200, 200, 3), 30, np.uint8)
    image[80:200, 40:160] = shirt_bgr
    image[80:200:10, 40:160] = (235, 235, 235)  # stripes: a spread of light and dark
    image[20:60, 80:120] = (150, 170, 200)
    return np.clip(image.astype(np.float32) * light, 0, 255).astype(np.uint8)


FACE = (80.0, 20.0, 120.0, 60.0)


def test_the_clothing_region_is_under_the_face_and_clipped_to_the_frame() -> None:
    assert clothing_region(FACE, 200, 200) == (60, 68, 140, 120)
    assert clothing_region((80.0, 150.0, 120.0, 199.0), 200, 200) is None  # no room under the face


def test_the_same_shirt_in_other_light_overlaps_more_than_another_shirt() -> None:
    blue = clothing_histogram(person((180, 60, 20)), FACE)
    darker_blue = clothing_histogram(person((180, 60, 20), light=0.6), FACE)
    red = clothing_histogram(person((20, 40, 190)), FACE)
    assert blue is not None and darker_blue is not None and red is not None
    assert blue.shape == (DESCRIPTOR_LENGTH,) and abs(float(blue.sum()) - 1) < 1e-5
    assert abs(bhattacharyya(blue, blue) - 1) < 1e-5
    assert bhattacharyya(blue, darker_blue) > 0.95 > 0.7 > bhattacharyya(blue, red)


def test_the_bar_is_the_most_alike_clothing_of_two_tracks_seen_together() -> None:
    a, b, c = (np.eye(4, dtype=np.float32)[i] for i in range(3))
    mix = np.array([0.5, 0.5, 0, 0], np.float32)  # overlaps a and b by 0.71, c by 0
    # Tracks 0-3 share frame 0 (6 pairs), tracks 4-5 frame 1 (a and b again: overlap 0); track 6 (a copy
    # of track 2, alone in frame 2) is nobody's pair.
    clothing = [a, b, mix, c, a, b, mix]
    together = [{0}, {0}, {0}, {0}, {1}, {1}, {2}]
    assert clothing_bar(clothing, together) == bhattacharyya(a, mix) > 0.7
    # Too few pairs seen together: nothing says how alike different people's clothes look.
    assert MIN_PAIRS_SEEN_TOGETHER > 2 and clothing_bar([a, b, c], [{0}, {0}, {1}]) is None


def test_nearly_similar_faces_join_only_when_their_clothing_agrees_beyond_the_bar() -> None:
    alice = unit(1, 0, 0)
    # Each ~0.97 with alice (under the 0.99 of faces alone), ~0.94 with each other.
    nearly, also = unit(1, 0.25, 0), unit(1, 0, 0.25)
    blue, red = np.array([0.9, 0.1, 0, 0], np.float32), np.array([0.1, 0.1, 0.8, 0], np.float32)
    embeddings, frames = [[alice], [nearly], [also]], [{0}, {10}, {20}]
    faces_alone = cluster_tracks(cues(embeddings, frames), 0.99)
    assert len(set(faces_alone)) == 3
    rule = ClothingRule(min_face=0.95, min_clothing=0.9)
    labels = cluster_tracks(cues(embeddings, frames, [blue, blue, red]), 0.99, rule)
    assert labels[0] == labels[1] != labels[2]  # the red shirt stays apart, whatever the face
    # A face under the rule's floor never joins, and a track without clothing counts as no overlap.
    all_blue = cues(embeddings, frames, [blue, blue, blue])
    assert len(set(cluster_tracks(all_blue, 0.99, ClothingRule(0.98, 0.9)))) == 3
    assert len(set(cluster_tracks(cues(embeddings, frames, [blue, None, None]), 0.99, rule))) == 3
