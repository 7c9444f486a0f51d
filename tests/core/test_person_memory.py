"""A video's slow statistics (colour transfer, lighting fits, hairline reach) measured on some frames and
reused between them (core/mesh/slow_stats.py, core/video/person_memory.py)."""

from __future__ import annotations

import dataclasses
import threading

import numpy as np
import pytest

from faceswap_desktop.core.mesh.mesh_engine import MeshSwapper
from faceswap_desktop.core.mesh.occluders import target_occluders
from faceswap_desktop.core.mesh.skin_extension import (
    lab_float,
    skin_likelihood,
    skin_likelihood_model,
    skin_reference,
)
from faceswap_desktop.core.mesh.slow_stats import StatsTicket
from faceswap_desktop.core.mesh.warp import Roi
from faceswap_desktop.core.roles import SourcePhoto
from faceswap_desktop.core.settings import SwapSettings
from faceswap_desktop.core.types import Face, Image
from faceswap_desktop.core.video import person_memory
from faceswap_desktop.core.video.person_memory import REFRESH_EVERY, PersonMemory


@pytest.fixture(scope="module")
def scene(analysed):  # type: ignore[no-untyped-def]
    """A target (obama) with its face, and biden prepared as the source."""
    target, faces = analysed("identity/obama/obama.jpg")
    source, source_faces = analysed("identity/biden/biden2.jpg")
    prepared = MeshSwapper().prepare_source([SourcePhoto(source, source_faces[0])])
    return target, faces[0], prepared


def test_the_memory_measures_periodically_and_at_once_on_a_change(scene) -> None:  # type: ignore[no-untyped-def]
    target, face, _ = scene
    settings = SwapSettings()
    memory = PersonMemory()
    plan = [memory.ticket(target, face, settings).measures for _ in range(2 * REFRESH_EVERY)]
    assert plan == ([True] + [False] * (REFRESH_EVERY - 1)) * 2
    darker = (target * 0.8).astype(np.uint8)
    assert memory.ticket(darker, face, settings).measures  # the light under the face moved
    assert not memory.ticket(darker, face, settings).measures
    assert memory.ticket(darker, face, dataclasses.replace(settings, mask_feather=3)).measures
    larger = dataclasses.replace(face, box=face.box, keypoints_5=face.keypoints_5 * 1.2)
    assert memory.ticket(darker, larger, dataclasses.replace(settings, mask_feather=3)).measures
    memory.reset()
    assert memory.ticket(darker, face, settings).measures
    assert memory.changes == 2


def test_reusing_a_frames_own_statistics_gives_its_plain_swap(scene) -> None:  # type: ignore[no-untyped-def]
    """The reuse path applies remembered statistics exactly as the measuring path applies fresh ones."""
    target, face, prepared = scene
    swapper = MeshSwapper()
    for settings in (SwapSettings(), SwapSettings(color_transfer="lab_mean", skin_extension=0)):
        plain = swapper.swap(target, face, prepared, settings).frame
        measuring = StatsTicket.measuring()
        measured = swapper.swap(target, face, prepared, settings, memory=measuring).frame
        assert measuring.slot is not None
        reused = swapper.swap(
            target, face, prepared, settings, memory=StatsTicket.reusing(measuring.slot)
        ).frame
        np.testing.assert_array_equal(measured, plain)
        np.testing.assert_array_equal(reused, plain)
        known = measuring.slot.wait()
        assert known is not None and known.colour_known and known.shading_known
        assert known.reach_known == (settings.skin_extension > 0)
        assert known.spreads_known and known.spreads is not None
        assert measuring.slot.wait_model() is not None  # the occluder search's skin model


def test_the_skin_model_is_published_before_the_swap_ends(scene) -> None:  # type: ignore[no-untyped-def]
    """A reusing frame waits for its measuring frame's occluder skin model only until the search has
    measured it (the swap's first step), not for the whole swap; a reused model of the same frame gives
    the same occluder test, and the model is that frame's skin (a darker frame's is darker)."""
    target, face, _ = scene
    image, landmarks, size = target, face.landmarks_478, face.size
    assert landmarks is not None
    measuring = StatsTicket.measuring()
    assert measuring.slot is not None
    plain = target_occluders(image, landmarks, size)
    np.testing.assert_array_equal(target_occluders(image, landmarks, size, None, measuring), plain)
    model = measuring.slot.wait_model()  # (published, though the ticket is not finished)
    assert model is not None
    reusing = StatsTicket.reusing(measuring.slot)
    reused = reusing.recall_skin_model()
    np.testing.assert_array_equal(target_occluders(image, landmarks, size, reused), plain)
    reference = skin_reference(landmarks, Roi(0, 0, image.shape[1], image.shape[0]), size)
    lab = lab_float(image)
    likelihood, _same = skin_likelihood_model(image, reference, size, lab, reused)
    np.testing.assert_array_equal(likelihood, skin_likelihood(image, reference, size, lab))
    dark = (image * 0.7).astype(np.uint8)
    dark_likelihood, dark_model = skin_likelihood_model(dark, reference, size, lab_float(dark))
    np.testing.assert_array_equal(dark_likelihood, skin_likelihood(dark, reference, size))
    assert model is not None and dark_model is not None
    assert dark_model.mean[0] < model.mean[0] - 20
    # The bright frame's model on the dark frame: a different (stale) test, which the light check avoids.
    stale, _ = skin_likelihood_model(dark, reference, size, lab_float(dark), model)
    assert not np.array_equal(stale, dark_likelihood)


def test_a_failed_measuring_frame_never_leaves_its_reusers_waiting(scene) -> None:  # type: ignore[no-untyped-def]
    target, face, prepared = scene
    measuring = StatsTicket.measuring()
    assert measuring.slot is not None
    outcome: list[Image] = []
    reuser = threading.Thread(
        target=lambda: outcome.append(
            MeshSwapper()
            .swap(target, face, prepared, SwapSettings(), memory=StatsTicket.reusing(measuring.slot))
            .frame  # type: ignore[arg-type]
        )
    )
    reuser.start()
    no_landmarks = dataclasses.replace(face, landmarks_478=None)
    with pytest.raises(Exception, match="478 landmarks"):
        MeshSwapper().swap(target, no_landmarks, prepared, SwapSettings(), memory=measuring)
    reuser.join(timeout=30)
    assert not reuser.is_alive() and len(outcome) == 1
    # It measured for itself: the plain swap.
    np.testing.assert_array_equal(
        outcome[0], MeshSwapper().swap(target, face, prepared, SwapSettings()).frame
    )


def _swap_clip(frames: list[Image], face: Face, prepared, memory: PersonMemory | None) -> list[Image]:  # type: ignore[no-untyped-def]
    swapper, settings, out = MeshSwapper(), SwapSettings(), []
    for frame in frames:
        ticket = memory.ticket(frame, face, settings) if memory is not None else None
        out.append(swapper.swap(frame, face, prepared, settings, memory=ticket).frame)
    return out


def test_the_tone_follows_a_lighting_step_without_lag(scene, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """A clip whose light drops by a third after two frames: the swapped face changes on the very frame
    the light does, exactly as the per-frame swap's; without the light check it would keep the bright
    frame's colour statistics until the next periodic measurement (measured below: ~5 levels off on
    average over the face's box, ~23 at the 99th percentile), so this test fails without the check."""
    target, face, prepared = scene
    dark = np.clip(target.astype(np.float32) * 0.66, 0, 255).astype(np.uint8)
    frames = [target, target, dark, dark]
    x0, y0, x1, y1 = (int(v) for v in face.box)

    def off(images: list[Image], reference: list[Image]) -> list[float]:
        return [
            float(np.abs(a[y0:y1, x0:x1].astype(np.int16) - b[y0:y1, x0:x1].astype(np.int16)).mean())
            for a, b in zip(images, reference, strict=True)
        ]

    every_frame = _swap_clip(frames, face, prepared, None)
    assert off(every_frame[2:], every_frame[:2])[0] > 20  # the step is large on the swapped face itself
    assert max(off(_swap_clip(frames, face, prepared, PersonMemory()), every_frame)) < 0.5
    monkeypatch.setattr(person_memory, "LIGHT_CHANGE", 1e9)
    lagging = off(_swap_clip(frames, face, prepared, PersonMemory()), every_frame)
    assert min(lagging[2:]) > 2.0  # the stale tone the check prevents
