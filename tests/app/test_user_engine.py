"""A user model registered with ``models add`` is a component like a built-in one: a user swapper is an
engine (``swap --engine NAME``), conditioned by the recognizer it names and never judged by it."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from faceswap_desktop.app.components import ComponentChoice
from faceswap_desktop.app.context import create_context
from faceswap_desktop.app.photo import PhotoSwapRequest, run_photo_swap
from faceswap_desktop.inference.registry import load_registry
from faceswap_desktop.inference.store import ModelStore
from faceswap_desktop.inference.user_models import add_user_model
from tests.inference.zoo_fakes import channel_mean_encoder_graph, inswapper_graph

EMAP = np.random.default_rng(9).normal(size=(512, 512)).astype(np.float32)


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    data = tmp_path / "data"
    monkeypatch.setenv("FACESWAP_DATA_DIR", str(data))
    store = ModelStore(load_registry())  # the default root: $FACESWAP_DATA_DIR/models
    encoder = channel_mean_encoder_graph(tmp_path / "enc.onnx", np.full(509, 0.01, np.float32))
    add_user_model(store, encoder, "recognizer", "my_encoder")
    swapper = inswapper_graph(tmp_path / "sw.onnx", EMAP, "constant", colour_rgb=(1.0, 0.0, 1.0))
    add_user_model(store, swapper, "swapper", "my_swapper", recognizer="my_encoder")
    return data


def test_a_user_swapper_swaps_a_real_photo_through_the_cli_request(
    data_dir: Path, tmp_path: Path, media: Path
) -> None:
    context = create_context("cpu")
    assert "my_swapper" in context.swappers.ids() and "my_encoder" in context.recognizers.ids()
    assert ComponentChoice(engine="my_swapper").required_models()[:2] == ["my_swapper", "my_encoder"]
    # Its own encoder conditions it: asked to judge it, the context scores with dlib instead.
    assert context.independent_judge("my_swapper", "my_encoder") == "dlib"
    target = media / "identity" / "biden" / "biden2.jpg"
    request = PhotoSwapRequest(
        sources=(media / "identity" / "obama" / "obama.jpg",),
        target=target,
        output=tmp_path / "out.png",
        engine="my_swapper",
        judge=None,
    )
    result = run_photo_swap(context, request)
    out, before = cv2.imread(str(result.output)), cv2.imread(str(target))
    magenta = (out[:, :, 0] > 240) & (out[:, :, 1] < 15) & (out[:, :, 2] > 240)
    assert magenta.sum() > 0.05 * out.shape[0] * out.shape[1]  # the user model painted the face
    assert np.array_equal(out[:20, :20], before[:20, :20])  # and nothing far from it


def test_user_detector_restorer_and_masker_are_components(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, media: Path
) -> None:
    import onnx

    from tests.inference.conftest import SCRFD_MODEL
    from tests.inference.zoo_fakes import image_graph

    monkeypatch.setenv("FACESWAP_DATA_DIR", str(tmp_path / "data"))
    store = ModelStore(load_registry())
    retrained = onnx.load(str(SCRFD_MODEL))  # the real SCRFD weights in a file with another sha256
    retrained.doc_string = "my own export"
    onnx.save(retrained, str(tmp_path / "my_scrfd.onnx"))
    add_user_model(store, tmp_path / "my_scrfd.onnx", "detector", "my_scrfd")
    identity = image_graph(tmp_path / "r.onnx", "x", "y", [1, 3, 512, 512], [1, 3, 512, 512])
    add_user_model(store, identity, "restorer", "my_restorer")
    visible = image_graph(
        tmp_path / "m.onnx", "img", "out", [1, 3, 256, 256], [1, 1, 256, 256], np.ones((1, 1, 256, 256))
    )
    add_user_model(store, visible, "masker", "my_masker")
    context = create_context("cpu")
    image = cv2.imread(str(media / "identity" / "obama" / "obama.jpg"))
    faces = context.detector("my_scrfd").detect_faces(image)
    assert len(faces) == 1 and faces[0].detector == "scrfd"
    assert context.enhancer("my_restorer").name == "my_restorer"
    mask = context.masker("my_masker").face_mask(image, faces[0])
    assert mask.shape == image.shape[:2] and mask.max() > 0.9  # "all visible" inside the face crop
