"""The application context: registries by id, judge independence, component caching."""

import threading

import pytest

from faceswap_desktop.app.components import COMPONENT_MODELS
from faceswap_desktop.app.context import create_context
from faceswap_desktop.app.models import conditioning_models
from faceswap_desktop.core.errors import UnknownComponent


def test_every_role_lists_its_ids() -> None:
    context = create_context()
    assert {"mesh", "inswapper", "simswap"} <= set(context.swappers.ids())
    assert {"dlib", "arcface", "mobilefacenet"} <= set(context.recognizers.ids())
    assert {"mediapipe", "scrfd", "scrfd_10g"} <= set(context.detectors.ids())
    assert "gfpgan" in context.enhancers.ids() and "occluder" in context.maskers.ids()


def test_unknown_ids_are_errors() -> None:
    with pytest.raises(UnknownComponent, match="unknown engine 'simswap9'"):
        create_context().swapper("simswap9")


def test_a_swap_is_never_judged_by_its_own_encoder() -> None:
    context = create_context()
    assert context.independent_judge("inswapper", "arcface") == "dlib"
    assert context.independent_judge("mesh", "arcface") == "arcface"
    assert context.independent_judge("inswapper", None) is None


def test_a_simswap_swap_is_never_judged_by_simswaps_encoder(monkeypatch: pytest.MonkeyPatch) -> None:
    context = create_context()
    # The conditioning encoders come from the registry's requires_recognizer of each engine's swapper.
    assert conditioning_models("simswap") == {"simswap_arcface_model"}
    assert conditioning_models("inswapper") == {"w600k_r50"}
    assert conditioning_models("mesh") == set()
    # SimSwap's encoder is not offered as a judge at all...
    for judge in context.recognizers.ids():
        assert "simswap_arcface_model" not in COMPONENT_MODELS.get(("judge", judge), ())
    # ...ArcFace w600k (another network) may judge SimSwap, but not inswapper, which it conditions...
    assert context.independent_judge("simswap", "arcface") == "arcface"
    assert context.independent_judge("inswapper", "arcface") == "dlib"
    # ...and a judge that loaded SimSwap's encoder, under any id, would be replaced for simswap only.
    monkeypatch.setitem(COMPONENT_MODELS, ("judge", "mobilefacenet"), ("simswap_arcface_model",))
    assert context.independent_judge("simswap", "mobilefacenet") == "dlib"
    assert context.independent_judge("mesh", "mobilefacenet") == "mobilefacenet"
    assert context.independent_judge("simswap", "dlib") == "dlib"


def test_components_are_created_once_even_from_several_threads() -> None:
    context = create_context()
    created = []
    context.swappers.register("counting", lambda: created.append(1) or object())
    threads = [threading.Thread(target=context.swapper, args=("counting",)) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=10)
    assert created == [1]
