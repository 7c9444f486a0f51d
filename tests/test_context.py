"""The application context: registries by id, judge independence, component caching."""

import threading

import pytest

from faceswap_desktop.app.context import create_context
from faceswap_desktop.core.errors import UnknownComponent


def test_every_role_lists_its_ids() -> None:
    context = create_context()
    assert {"mesh", "inswapper"} <= set(context.swappers.ids())
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
