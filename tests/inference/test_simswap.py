"""simswap_512_unoff contract tests on synthetic graphs with the real tensor names and shapes.

The expected values here are written from the public contract in docs/models.md (ArcFace template numbers,
ImageNet statistics, L2 normalisation), not read back from the wrapper, so a wrapper that drifts from the
contract fails.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import re
from pathlib import Path

import cv2
import numpy as np
import onnxruntime as ort
import pytest

from faceswap_desktop.core.errors import BadInput, ModelIntegrityError, ModelMissing
from faceswap_desktop.core.roles import SourcePhoto, Swapper
from faceswap_desktop.core.settings import SwapSettings
from faceswap_desktop.core.types import Face, FloatArray, Image
from faceswap_desktop.inference import zoo
from faceswap_desktop.inference.registry import ModelRegistry, load_registry
from faceswap_desktop.inference.sessions import SessionCache
from faceswap_desktop.inference.simswap import ENCODER_NAME, SimSwapSource, SimSwapSwapper
from faceswap_desktop.inference.store import ModelStore

from .conftest import MEDIA
from .swapper_contract import (
    FixedRecognizer,
    check_constant_colour_only_inside_the_mask,
    check_identity_model_gives_back_the_frame,
)
from .zoo_fakes import RecordingSession, channel_mean_encoder_graph, simswap_graph

RNG = np.random.default_rng(23)

ARCFACE_112 = np.array(
    [[38.2946, 51.6963], [73.5318, 51.5014], [56.0252, 71.7366], [41.5493, 92.3655], [70.7299, 92.2041]]
)
# VisoMaster's "arcface128" template at 512: the 112 template shifted 8 px in x (128 layout), times 4.
ARCFACE_128_AT_512 = (ARCFACE_112 + [8.0, 0.0]) * 4.0
# FaceFusion's arcface_112_v1 at 512 and the FFHQ template: the alternatives docs/models.md rejects.
FACEFUSION_V1_AT_512 = (
    np.array([[39.73, 51.138], [72.27, 51.138], [56.0, 68.493], [42.463, 87.01], [69.537, 87.01]]) * 512 / 112
)
FFHQ_512 = np.array(
    [[192.98, 239.95], [318.90, 240.19], [256.63, 314.02], [201.26, 371.41], [313.09, 371.15]]
)
IMAGENET_MEAN = np.array([0.485, 0.456, 0.406])
IMAGENET_STD = np.array([0.229, 0.224, 0.225])


def _swapper(
    tmp_path: Path, mode: str = "identity", recognizer: object | None = None, **kwargs: object
) -> SimSwapSwapper:
    path = simswap_graph(tmp_path / f"simswap_{mode}.onnx", mode, **kwargs)  # type: ignore[arg-type]
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    rec = recognizer or FixedRecognizer([RNG.normal(size=512)])
    return SimSwapSwapper(session, rec)  # type: ignore[arg-type]


def _prepared(swapper: SimSwapSwapper, frame: Image, face: Face) -> SimSwapSource:
    return swapper.prepare_source([SourcePhoto(frame, face)])


def _face_at(keypoints: FloatArray) -> Face:
    x0, y0 = keypoints.min(0) - 20
    x1, y1 = keypoints.max(0) + 20
    return Face((float(x0), float(y0), float(x1), float(y1)), 1.0, keypoints.astype(np.float32), None, "test")


def _placed_template(angle_deg: float, scale: float, offset: tuple[float, float]) -> FloatArray:
    """The 112 ArcFace template rotated, scaled and moved into a frame: a face with known keypoints."""
    a = np.radians(angle_deg)
    rot = np.array([[np.cos(a), -np.sin(a)], [np.sin(a), np.cos(a)]])
    centred = ARCFACE_112 - ARCFACE_112.mean(0)
    return (centred @ rot.T * scale + np.array(offset)).astype(np.float32)


def _registry_with(files: dict[str, Path]) -> ModelRegistry:
    """The packaged registry with the sha256 of some entries replaced by those of local fake files."""
    registry = load_registry()
    models = dict(registry.models)
    for model_id, path in files.items():
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        models[model_id] = dataclasses.replace(registry.get(model_id), sha256=digest, size=None)
    return ModelRegistry(models)


# -- the swap round trip ---------------------------------------------------------------------------


def test_is_a_swapper(tmp_path: Path) -> None:
    assert isinstance(_swapper(tmp_path), Swapper)


def test_identity_model_gives_back_the_target_frame(tmp_path: Path, obama_small: tuple[Image, Face]) -> None:
    frame, face = obama_small
    swapper = _swapper(tmp_path, "identity")
    # align -> 512 crop -> inverse warp loses almost nothing
    check_identity_model_gives_back_the_frame(swapper, _prepared(swapper, frame, face), frame, face, 2.0)


def test_identity_round_trip_on_the_full_size_photo(tmp_path: Path, obama: tuple[Image, Face]) -> None:
    frame, face = obama
    swapper = _swapper(tmp_path, "identity")
    out = swapper.swap(frame, face, _prepared(swapper, frame, face), SwapSettings())
    diff = np.abs(out.frame.astype(np.int16) - frame.astype(np.int16))
    # The 512 crop upsamples this face (~1.35 crop px per frame px), so nothing is lost to downsampling;
    # what remains is two bilinear resamplings of a sharp photo (about 2 grey levels on average here).
    assert float(diff[out.mask > 0.5].mean()) < 3.0


def test_constant_colour_changes_only_pixels_inside_the_mask(
    tmp_path: Path, obama_small: tuple[Image, Face]
) -> None:
    frame, face = obama_small
    swapper = _swapper(tmp_path, "constant", colour_rgb=(1.0, 0.5, 0.0))
    check_constant_colour_only_inside_the_mask(swapper, _prepared(swapper, frame, face), frame, face)


def test_strength_zero_leaves_the_frame(tmp_path: Path, obama_small: tuple[Image, Face]) -> None:
    frame, face = obama_small
    swapper = _swapper(tmp_path, "constant")
    out = swapper.swap(frame, face, _prepared(swapper, frame, face), SwapSettings(strength=0))
    np.testing.assert_array_equal(out.frame, frame)


# -- what is fed to the graph ------------------------------------------------------------------------


def _recording(tmp_path: Path, recognizer: object) -> tuple[SimSwapSwapper, RecordingSession]:
    path = simswap_graph(tmp_path / "simswap_rec.onnx", "identity")
    session = RecordingSession(ort.InferenceSession(str(path), providers=["CPUExecutionProvider"]))
    return SimSwapSwapper(session, recognizer), session  # type: ignore[arg-type]


def test_target_crop_follows_the_arcface_128_template_at_512(tmp_path: Path) -> None:
    keypoints = _placed_template(angle_deg=12.0, scale=2.3, offset=(300.0, 220.0))
    frame = np.zeros((480, 640, 3), np.uint8)
    for x, y in keypoints:
        cv2.circle(frame, (round(float(x)), round(float(y))), 3, (255, 255, 255), -1, cv2.LINE_AA)
    face = _face_at(keypoints)
    swapper, session = _recording(tmp_path, FixedRecognizer([RNG.normal(size=512)]))
    swapper.swap(frame, face, _prepared(swapper, frame, face), SwapSettings())
    target = session.feeds[-1]["input"]
    assert target.shape == (1, 3, 512, 512) and target.dtype == np.float32
    brightness = target[0].mean(0)

    def blob_centre(point: np.ndarray) -> tuple[float, float] | None:
        x, y = np.round(point).astype(int)
        window = brightness[y - 12 : y + 13, x - 12 : x + 13]
        if window.max() < 0.5:
            return None
        ys, xs = np.nonzero(window > 0.5 * window.max())
        return float(x - 12 + xs.mean()), float(y - 12 + ys.mean())

    for expected in ARCFACE_128_AT_512:
        centre = blob_centre(expected)
        assert centre is not None and np.hypot(*(np.array(centre) - expected)) < 1.5
    # The rejected templates put the eyes elsewhere: no dot there.
    assert blob_centre(FACEFUSION_V1_AT_512[0]) is None and blob_centre(FFHQ_512[0]) is None


def test_target_is_rgb_divided_by_255(tmp_path: Path) -> None:
    bgr = (40, 150, 220)
    frame = np.full((400, 400, 3), bgr, np.uint8)
    face = _face_at(_placed_template(0.0, 1.8, (200.0, 200.0)))
    swapper, session = _recording(tmp_path, FixedRecognizer([RNG.normal(size=512)]))
    swapper.swap(frame, face, _prepared(swapper, frame, face), SwapSettings())
    target = session.feeds[-1]["input"][0]
    np.testing.assert_allclose(target.reshape(3, -1).mean(1), np.array(bgr[::-1]) / 255.0, atol=1e-6)
    assert float(target.min()) >= 0.0 and float(target.max()) <= 1.0


def test_identity_input_is_the_unit_encoder_embedding(tmp_path: Path) -> None:
    """Through the zoo with the packaged registry entries (only their hashes replaced): the encoder gets a
    112 px RGB crop as x/255 with ImageNet mean/std, and the generator gets its output scaled to unit
    length. The fake encoder outputs the channel means of what it was fed, then a fixed tail."""
    tail = RNG.normal(size=509) * 0.05
    swapper_file = simswap_graph(tmp_path / "simswap_512_unoff.onnx", "identity")
    encoder_file = channel_mean_encoder_graph(tmp_path / "simswap_arcface_model.onnx", tail)
    registry = _registry_with({"simswap_512_unoff": swapper_file, "simswap_arcface_model": encoder_file})
    store = ModelStore(registry, root=tmp_path / "models")
    store.import_file("simswap_512_unoff", swapper_file)
    store.import_file("simswap_arcface_model", encoder_file)
    sessions = SessionCache("cpu")
    encoder = zoo.simswap_encoder(store, sessions)  # the registry entry's normalisation, as the app uses it
    recording = RecordingSession(sessions.session(store.path_for_loading("simswap_512_unoff")))
    swapper = SimSwapSwapper(recording, encoder)

    bgr = (40, 150, 220)  # a flat colour: every aligned crop pixel is exactly this colour
    frame = np.full((400, 400, 3), bgr, np.uint8)
    face = _face_at(_placed_template(-7.0, 1.6, (190.0, 210.0)))
    prepared = swapper.prepare_source([SourcePhoto(frame, face)])
    swapper.swap(frame, face, prepared, SwapSettings())

    rgb = np.array(bgr[::-1]) / 255.0
    embedding = np.concatenate([(rgb - IMAGENET_MEAN) / IMAGENET_STD, tail])
    expected = embedding / np.linalg.norm(embedding)
    fed = recording.feeds[-1]["onnx::Gemm_1"]
    assert fed.shape == (1, 512) and fed.dtype == np.float32
    np.testing.assert_allclose(fed[0], expected, atol=1e-5)
    np.testing.assert_allclose(prepared.embedding, expected, atol=1e-5)


def test_source_photos_are_averaged_on_the_unit_sphere(
    tmp_path: Path, obama_small: tuple[Image, Face]
) -> None:
    frame, face = obama_small
    a, b = RNG.normal(size=512), RNG.normal(size=512)
    swapper, session = _recording(tmp_path, FixedRecognizer([a * 10.0, b * 0.1]))
    prepared = swapper.prepare_source([SourcePhoto(frame, face), SourcePhoto(frame, face)])
    mean = a / np.linalg.norm(a) + b / np.linalg.norm(b)
    np.testing.assert_allclose(prepared.latent[0], mean / np.linalg.norm(mean), atol=1e-5)
    assert prepared.photo_count == 2
    swapper.swap(frame, face, prepared, SwapSettings())
    np.testing.assert_allclose(session.feeds[-1]["onnx::Gemm_1"][0], mean / np.linalg.norm(mean), atol=1e-5)
    with pytest.raises(BadInput):
        swapper.prepare_source([])


def test_a_recognizer_of_another_size_is_refused(tmp_path: Path, obama_small: tuple[Image, Face]) -> None:
    frame, face = obama_small
    swapper = _swapper(tmp_path, recognizer=FixedRecognizer([RNG.normal(size=128)]))
    with pytest.raises(BadInput, match="simswap_arcface_model"):
        swapper.prepare_source([SourcePhoto(frame, face)])


# -- graph signatures --------------------------------------------------------------------------------


def test_facefusion_style_tensor_names_work_too(tmp_path: Path, obama_small: tuple[Image, Face]) -> None:
    frame, face = obama_small
    swapper = _swapper(tmp_path, "identity", names=("target", "source", "result"))
    out = swapper.swap(frame, face, _prepared(swapper, frame, face), SwapSettings())
    diff = np.abs(out.frame.astype(np.int16) - frame.astype(np.int16))
    assert float(diff[out.mask > 0.5].mean()) < 2.0


def test_graphs_that_break_the_contract_are_refused(tmp_path: Path) -> None:
    small = simswap_graph(tmp_path / "s256.onnx", size=256)
    with pytest.raises(ModelIntegrityError, match=r"\[1,3,512,512\]"):
        SimSwapSwapper(ort.InferenceSession(str(small)), FixedRecognizer([]))  # type: ignore[arg-type]
    inswapper_like = channel_mean_encoder_graph(tmp_path / "enc.onnx", np.zeros(509))
    with pytest.raises(ModelIntegrityError, match="4-D image input and a 2-D identity input"):
        SimSwapSwapper(ort.InferenceSession(str(inswapper_like)), FixedRecognizer([]))  # type: ignore[arg-type]


# -- zoo: missing models are named, swapper first ----------------------------------------------------


def test_missing_models_are_named_swapper_first(tmp_path: Path) -> None:
    swapper_file = simswap_graph(tmp_path / "simswap_512_unoff.onnx", "identity")
    encoder_file = channel_mean_encoder_graph(tmp_path / "simswap_arcface_model.onnx", np.ones(509))
    registry = _registry_with({"simswap_512_unoff": swapper_file, "simswap_arcface_model": encoder_file})
    store = ModelStore(registry, root=tmp_path / "models")
    sessions = SessionCache("cpu")
    with pytest.raises(ModelMissing, match=re.escape("models download simswap_512_unoff")):
        zoo.simswap(store, sessions)
    store.import_file("simswap_512_unoff", swapper_file)
    with pytest.raises(ModelMissing, match=re.escape("models download simswap_arcface_model")):
        zoo.simswap(store, sessions)
    store.import_file("simswap_arcface_model", encoder_file)
    assert zoo.simswap(store, sessions).recognizer_name == ENCODER_NAME


def test_the_packaged_registry_refuses_a_fake_file(tmp_path: Path) -> None:
    """Without a hash override the fake graph is not the real model: import is refused, nothing loads."""
    fake = simswap_graph(tmp_path / "simswap_512_unoff.onnx", "identity")
    store = ModelStore(load_registry(), root=tmp_path / "models")
    with pytest.raises(ModelIntegrityError):
        store.import_file("simswap_512_unoff", fake)
    with pytest.raises(ModelMissing):
        zoo.simswap(store, SessionCache("cpu"))


# -- the CLI -----------------------------------------------------------------------------------------


@pytest.fixture
def fakes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[ModelRegistry, Path, Path]:
    """An empty data folder and the app's registry with the two SimSwap hashes overridden by those of
    fake graphs; returns (registry, swapper file, encoder file)."""
    folder = tmp_path / "fakes"
    folder.mkdir()
    swapper_file = simswap_graph(folder / "simswap_512_unoff.onnx", "identity")
    encoder_file = channel_mean_encoder_graph(folder / "simswap_arcface_model.onnx", np.ones(509))
    registry = _registry_with({"simswap_512_unoff": swapper_file, "simswap_arcface_model": encoder_file})
    monkeypatch.setenv("FACESWAP_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setattr("faceswap_desktop.app.models.load_registry", lambda: registry)
    return registry, swapper_file, encoder_file


@pytest.mark.slow
def test_cli_engine_simswap_with_installed_models(
    fakes: tuple[ModelRegistry, Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from faceswap_desktop.cli import main

    registry, swapper_file, encoder_file = fakes
    store = ModelStore(registry, root=tmp_path / "data" / "models")  # where the CLI's store looks
    store.import_file("simswap_512_unoff", swapper_file)
    store.import_file("simswap_arcface_model", encoder_file)
    target = MEDIA / "identity" / "biden" / "biden2.jpg"
    out = tmp_path / "out.png"
    code = main(
        ["swap", "--source", str(MEDIA / "identity/obama/obama.jpg"), "--target", str(target),
         "--output", str(out), "--engine", "simswap", "--judge", "dlib", "--json"]
    )  # fmt: skip
    captured = capsys.readouterr()
    assert code == 0, captured.err
    summary = json.loads(captured.out)
    assert summary["engine"] == "simswap" and summary["faces_swapped"] == 1
    # Scored by the requested judge, not by the encoder that conditioned the swap.
    assert summary["faces"][0]["similarity"]["model"] == "dlib ResNet-34 (128-d)"
    result, original = cv2.imread(str(out)), cv2.imread(str(target))
    assert result.shape == original.shape
    # The identity fake gives the target back: inside the face box only resampling differs.
    x0, y0, x1, y1 = (round(v) for v in summary["faces"][0]["box"])
    diff = np.abs(result.astype(np.int16) - original.astype(np.int16))
    assert float(diff[y0:y1, x0:x1].mean()) < 3.0  # 1.5 measured; BGR fed as RGB gives ~43


@pytest.mark.slow
def test_cli_engine_simswap_names_the_missing_download(
    fakes: tuple[ModelRegistry, Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from faceswap_desktop.cli import main

    out = tmp_path / "out.png"
    code = main(
        ["swap", "--source", str(MEDIA / "identity/obama/obama.jpg"),
         "--target", str(MEDIA / "identity/biden/biden2.jpg"), "--output", str(out), "--engine", "simswap"]
    )  # fmt: skip
    captured = capsys.readouterr()
    assert code == 4
    assert "faceswap-desktop models download simswap_512_unoff" in captured.err
    assert not out.exists()
