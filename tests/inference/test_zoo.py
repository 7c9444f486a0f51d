"""Registry id -> verified file -> cached session -> wrapper, including precision-variant choice."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import numpy as np
import pytest

from faceswap_desktop.core.errors import ModelMissing
from faceswap_desktop.core.roles import SourcePhoto
from faceswap_desktop.core.settings import SwapSettings
from faceswap_desktop.core.types import Face, Image
from faceswap_desktop.inference import zoo
from faceswap_desktop.inference.providers import CPU, CUDA
from faceswap_desktop.inference.registry import ModelRegistry, ModelSpec, load_registry
from faceswap_desktop.inference.sessions import SessionCache
from faceswap_desktop.inference.store import ModelStore

from .conftest import SCRFD_MODEL
from .swapper_contract import FixedRecognizer
from .zoo_fakes import inswapper_fp16_graph, inswapper_graph

EMAP = np.random.default_rng(11).normal(size=(512, 512)).astype(np.float32)


def test_real_scrfd_through_the_packaged_registry(tmp_path: Path, obama: tuple[Image, Face]) -> None:
    store = ModelStore(load_registry(), root=tmp_path / "models")
    sessions = SessionCache("cpu")
    with pytest.raises(ModelMissing, match=re.escape("models download scrfd_2.5g_bnkps")):
        zoo.scrfd_detector(store, sessions)
    store.import_file("scrfd_2.5g_bnkps", SCRFD_MODEL)  # byte-identical to the release asset
    detector = zoo.scrfd_detector(store, sessions)
    image, face = obama
    found = detector.detect_faces(image)
    assert len(found) == 1 and np.allclose(found[0].keypoints_5, face.keypoints_5)


def _spec(model_id: str, path: Path, precision: str, variant_of: str | None) -> ModelSpec:
    return ModelSpec(
        id=model_id, role="swapper", file=path.name, urls=("https://example.org/x",),
        sha256=hashlib.sha256(path.read_bytes()).hexdigest(), licence="test", input_size=128,
        mean=(0.0, 0.0, 0.0), std=(255.0, 255.0, 255.0), color_order="RGB", layout="",
        precision=precision, variant_of=variant_of,  # type: ignore[arg-type]
    )  # fmt: skip


def test_inswapper_variant_follows_the_provider_and_what_is_installed(
    tmp_path: Path, obama_small: tuple[Image, Face]
) -> None:
    fp32 = inswapper_graph(tmp_path / "inswapper_128.onnx", EMAP)
    fp16 = inswapper_fp16_graph(tmp_path / "inswapper_128.fp16.onnx", EMAP)
    registry = ModelRegistry(
        {
            "inswapper_128": _spec("inswapper_128", fp32, "fp32", None),
            "inswapper_128_fp16": _spec("inswapper_128_fp16", fp16, "fp16", "inswapper_128"),
        }
    )
    store = ModelStore(registry, root=tmp_path / "models")
    gpu = SessionCache(CUDA, available=[CPU])  # asks for CUDA (prefers fp16), runs on the CPU fallback
    cpu = SessionCache("cpu")
    store.import_file("inswapper_128_fp16", fp16)
    assert zoo.installed_variant(store, cpu, "inswapper_128") == "inswapper_128_fp16"  # the one installed
    store.import_file("inswapper_128", fp32)
    assert zoo.installed_variant(store, cpu, "inswapper_128_fp16") == "inswapper_128"
    assert zoo.installed_variant(store, gpu, "inswapper_128") == "inswapper_128_fp16"

    frame, face = obama_small
    swapper = zoo.inswapper(store, gpu, FixedRecognizer([np.ones(512)]))
    assert swapper.name == "inswapper_128_fp16"
    out = swapper.swap(frame, face, swapper.prepare_source([SourcePhoto(frame, face)]), SwapSettings())
    diff = np.abs(out.frame.astype(np.int16) - frame.astype(np.int16))
    assert float(diff[out.mask > 0.5].mean()) < 4.0  # fp16 I/O and fp16 emap round-trip like fp32
