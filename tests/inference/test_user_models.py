"""User models: ``models import PATH`` by sha256, ``models add`` with the role's contract checked, stored
with their own sha256 and verified on load, ``models remove``; synthetic graphs with the real
signatures, and the real SCRFD file from ../shared."""

from __future__ import annotations

import argparse
import io
import json
import os
import shutil
from pathlib import Path

import numpy as np
import pytest

from faceswap_desktop.cli.models_cmd import add_models_parser, run_models_command
from faceswap_desktop.core.errors import ModelIntegrityError
from faceswap_desktop.inference.registry import load_registry
from faceswap_desktop.inference.store import ModelStatus, ModelStore
from faceswap_desktop.inference.user_models import USER_LICENCE

from .conftest import SCRFD_MODEL
from .zoo_fakes import channel_mean_encoder_graph, image_graph, inswapper_graph, simswap_graph

EMAP = np.random.default_rng(5).normal(size=(512, 512)).astype(np.float32)


def _run(store: ModelStore, *argv: str) -> tuple[int, str, str]:
    parser = argparse.ArgumentParser(prog="faceswap-desktop")
    add_models_parser(parser.add_subparsers(dest="command"))
    out, err = io.StringIO(), io.StringIO()
    code = run_models_command(parser.parse_args(["models", *argv]), store=store, stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


@pytest.fixture
def store(tmp_path: Path) -> ModelStore:
    return ModelStore(load_registry(), root=tmp_path / "models")


def _stored_files(store: ModelStore) -> list[str]:
    return sorted(p.name for p in store.root.iterdir()) if store.root.exists() else []


def test_import_recognises_a_renamed_known_file_by_its_sha256(tmp_path: Path, store: ModelStore) -> None:
    renamed = tmp_path / "my detector (copy).onnx"
    shutil.copyfile(SCRFD_MODEL, renamed)
    code, out, err = _run(store, "import", str(renamed))
    assert code == 0, err
    assert out.startswith("scrfd_2.5g_bnkps: ok")
    assert store.status("scrfd_2.5g_bnkps") is ModelStatus.OK
    assert renamed.read_bytes() == SCRFD_MODEL.read_bytes()  # the original is untouched
    # The ID PATH form still works, and an unknown file is refused with what to do instead.
    assert _run(store, "import", "scrfd_2.5g_bnkps", str(renamed))[0] == 0
    stranger = inswapper_graph(tmp_path / "mine.onnx", EMAP)
    code, _, err = _run(store, "import", str(stranger))
    assert code == 2 and "not a known model file" in err and "models add" in err


def test_add_validates_stores_lists_verifies_and_removes(tmp_path: Path, store: ModelStore) -> None:
    source = inswapper_graph(tmp_path / "Fine Tuned Inswapper.onnx", EMAP, "constant")
    code, out, err = _run(store, "add", str(source), "--role", "swapper")
    assert code == 0, err
    assert out.startswith("fine_tuned_inswapper: ok") and "inswapper-style" in out
    spec = store.registry.get("fine_tuned_inswapper")
    assert spec.user and spec.role == "swapper" and spec.requires_recognizer == "w600k_r50"
    assert spec.licence == USER_LICENCE
    assert spec.sha256 == __import__("hashlib").sha256(source.read_bytes()).hexdigest()
    # A fresh store (another process) sees it, with the same status as the pinned models get.
    again = ModelStore(load_registry(), root=store.root)
    assert again.status("fine_tuned_inswapper") is ModelStatus.OK
    _, listing, _ = _run(again, "list")
    line = next(row for row in listing.splitlines() if row.startswith("fine_tuned_inswapper"))
    assert "swapper" in line and f"ok ({USER_LICENCE})" in line
    # Verified on load: a changed file is refused and quarantined, like any model.
    installed = again.path("fine_tuned_inswapper")
    assert again.path_for_loading("fine_tuned_inswapper") == installed
    mtime = installed.stat().st_mtime_ns
    installed.write_bytes(installed.read_bytes()[:-1] + b"\0")
    os.utime(installed, ns=(mtime, mtime + 1_000_000_000))
    with pytest.raises(ModelIntegrityError, match="fine_tuned_inswapper"):
        again.path_for_loading("fine_tuned_inswapper")
    code, _, err = _run(again, "import", str(source))
    assert code == 2 and "already registered as your model 'fine_tuned_inswapper'" in err
    code, out, _ = _run(again, "remove", "fine_tuned_inswapper")
    assert code == 0 and "removed" in out
    assert "fine_tuned_inswapper" not in again.registry.models
    assert json.loads((store.root / "user_models.json").read_text()) == []
    assert _run(again, "remove", "scrfd_2.5g_bnkps")[0] == 2  # packaged models cannot be removed


@pytest.mark.parametrize(
    ("role", "make", "reason"),
    [
        (
            "swapper",
            lambda p: image_graph(p, "target", "output", [1, 3, 112, 112], [1, 3, 112, 112]),
            "a 4-D image input and a 2-D identity input",
        ),
        ("swapper", lambda p: simswap_graph(p, size=256), "expected [1,3,128,128]"),
        ("swapper", lambda p: _inswapper_without_emap(p), "no emap"),
        ("recognizer", lambda p: image_graph(p, "x", "y", [1, 3, 96, 96], [1, 3, 96, 96]), "[N,3,112,112]"),
        ("detector", lambda p: image_graph(p, "x", "y", [1, 3, 640, 640], [1, 3, 640, 640]), "9 outputs"),
        ("restorer", lambda p: image_graph(p, "x", "y", [1, 3, 256, 256], [1, 3, 256, 256]), "[1,3,512,512]"),
        (
            "masker",
            lambda p: image_graph(p, "x", "y", [1, 3, 128, 128], [1, 1, 128, 128], np.ones((1, 1, 128, 128))),
            "masker",
        ),
    ],
)
def test_a_graph_that_does_not_fit_its_role_is_refused_with_the_reason(
    tmp_path: Path, store: ModelStore, role: str, make: object, reason: str
) -> None:
    source = make(tmp_path / "wrong.onnx")  # type: ignore[operator]
    code, out, err = _run(store, "add", str(source), "--role", role, "--name", "wrong")
    assert code == 2 and reason in err, err
    assert out == "" and "wrong" not in store.registry.models
    assert [f for f in _stored_files(store) if "wrong" in f] == []  # nothing half-installed


def _inswapper_without_emap(path: Path) -> Path:
    """The inswapper signature (target [1,3,128,128], source [1,512]) but no 512x512 initializer."""
    import onnx
    from onnx import TensorProto, helper

    nodes = [
        helper.make_node("ReduceSum", ["source"], ["total"], keepdims=1),
        helper.make_node("Add", ["target", "total"], ["output"]),
    ]
    io_ = helper.make_tensor_value_info
    graph = helper.make_graph(
        nodes,
        "no_emap",
        [io_("target", TensorProto.FLOAT, [1, 3, 128, 128]), io_("source", TensorProto.FLOAT, [1, 512])],
        [io_("output", TensorProto.FLOAT, [1, 3, 128, 128])],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 8
    onnx.save(model, str(path))
    return path


def test_names_that_are_taken_and_packaged_files_are_refused(tmp_path: Path, store: ModelStore) -> None:
    source = inswapper_graph(tmp_path / "a.onnx", EMAP)
    assert _run(store, "add", str(source), "--role", "swapper", "--name", "inswapper")[0] == 2
    assert _run(store, "add", str(source), "--role", "swapper", "--name", "w600k_r50")[0] == 2
    assert _run(store, "add", str(source), "--role", "swapper", "--name", "Bad Name")[0] == 2
    code, _, err = _run(store, "add", str(SCRFD_MODEL), "--role", "detector", "--name", "mine")
    assert code == 2 and "models import" in err
    assert _run(store, "add", str(source), "--role", "swapper", "--name", "mine")[0] == 0
    assert _run(store, "add", str(source), "--role", "swapper", "--name", "mine")[0] == 2  # taken now


def test_every_role_accepts_a_graph_with_its_real_signature(tmp_path: Path, store: ModelStore) -> None:
    encoder = channel_mean_encoder_graph(tmp_path / "enc.onnx", np.ones(509, np.float32))
    cases = [
        ("recognizer", encoder, "arcface"),
        ("swapper", simswap_graph(tmp_path / "sim.onnx"), "simswap"),
        (
            "masker",
            image_graph(
                tmp_path / "occ.onnx",
                "img",
                "out",
                [1, 3, 256, 256],
                [1, 1, 256, 256],
                np.ones((1, 1, 256, 256)),
            ),
            "occluder",
        ),
        (
            "masker",
            image_graph(
                tmp_path / "fp.onnx",
                "x",
                "y",
                [1, 3, 512, 512],
                [1, 19, 512, 512],
                np.ones((1, 19, 512, 512)),
            ),
            "faceparser",
        ),
        (
            "restorer",
            image_graph(tmp_path / "gf.onnx", "x", "y", [1, 3, 512, 512], [1, 3, 512, 512]),
            "gfpgan",
        ),
    ]
    for number, (role, path, kind) in enumerate(cases):
        code, out, err = _run(store, "add", str(path), "--role", role, "--name", f"m{number}")
        assert code == 0, err
        assert f"{kind}" in out
    # A swapper may name the recognizer that conditions it (here the user recognizer m0).
    swapper = inswapper_graph(tmp_path / "sw.onnx", EMAP)
    code, _, err = _run(store, "add", str(swapper), "--role", "swapper", "--name", "sw", "--recognizer", "m0")
    assert code == 0, err
    assert store.registry.get("sw").requires_recognizer == "m0"
    assert (
        _run(store, "add", str(swapper), "--role", "swapper", "--name", "sw2", "--recognizer", "nope")[0] == 2
    )
