"""Keyframed settings: linear ints, stepped choices and switches, holds outside the keyframes."""

from __future__ import annotations

import pytest

from faceswap_desktop.app.keyframes import KeyframeTrack, interpolate_settings
from faceswap_desktop.core.settings import SwapSettings

A = SwapSettings(strength=0, mask_padding=-20, blend_mode="alpha", keep_target_mouth=True)
B = SwapSettings(strength=100, mask_padding=20, blend_mode="poisson", keep_target_mouth=False)


def test_empty_track_gives_its_base_everywhere() -> None:
    base = SwapSettings(strength=40)
    track = KeyframeTrack(base)
    assert not track and track.frames == ()
    assert track.settings_at(0) == base and track.settings_at(10_000) == base


def test_a_keyframe_pair_interpolates_ints_and_steps_the_rest() -> None:
    track = KeyframeTrack().with_key(30, B).with_key(10, A)
    assert track.frames == (10, 30)
    middle = track.settings_at(20)
    assert (middle.strength, middle.mask_padding) == (50, 0)
    assert middle.blend_mode == "alpha" and middle.keep_target_mouth is True  # stepped: still A's
    quarter = track.settings_at(15)
    assert (quarter.strength, quarter.mask_padding) == (25, -10)
    assert track.settings_at(29).blend_mode == "alpha"
    assert track.settings_at(30) == B
    assert track.settings_at(10) == A
    assert track.settings_at(0) == A and track.settings_at(99) == B  # holds outside


def test_interpolation_rounds_and_stays_in_range() -> None:
    third = interpolate_settings(A, B, 1 / 3)
    assert third.strength == 33
    assert interpolate_settings(A, B, 7.0) == B.replace(blend_mode="poisson", keep_target_mouth=False)
    assert interpolate_settings(A, B, -1.0) == A


def test_edits_replace_and_remove_keyframes() -> None:
    track = KeyframeTrack().with_key(5, A).with_key(5, B)
    assert track.keys == ((5, B),)
    assert not track.without_key(5)
    assert track.without_key(6) == track
    three = track.with_key(0, A).with_key(9, A)
    assert three.neighbours(5) == (0, 9)
    assert three.neighbours(0) == (None, 5)
    with pytest.raises(ValueError):
        track.with_key(-1, A)
