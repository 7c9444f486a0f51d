"""The ``models`` CLI sub-commands against a store in tmp_path and a local HTTP server."""

from __future__ import annotations

import argparse
import hashlib
import io
import os
from pathlib import Path

import numpy as np

from faceswap_desktop.cli.models_cmd import add_models_parser, run_models_command
from faceswap_desktop.inference.download import DownloadPolicy
from faceswap_desktop.inference.registry import ModelRegistry, ModelSpec, load_registry
from faceswap_desktop.inference.store import ModelStore

from .zoo_fakes import LocalServer, Script

CONTENT = np.random.default_rng(3).bytes(50_000)
POLICY = DownloadPolicy(connect_timeout=2.0, stall_timeout=0.3, retries=1, backoff_initial=0.01)


def _parse(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="faceswap-desktop")
    add_models_parser(parser.add_subparsers(dest="command"))
    return parser.parse_args(["models", *argv])


def _run(store: ModelStore, *argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = run_models_command(_parse(*argv), store=store, stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


def _toy_store(tmp_path: Path, url: str = "https://example.org/toy.onnx") -> ModelStore:
    spec = ModelSpec(
        id="toy", role="masker", file="toy.onnx", urls=(url,), sha256=hashlib.sha256(CONTENT).hexdigest(),
        licence="test", input_size=8, mean=(0.0, 0.0, 0.0), std=(1.0, 1.0, 1.0), color_order="RGB",
        layout="", size=len(CONTENT),
    )  # fmt: skip
    return ModelStore(ModelRegistry({"toy": spec}), root=tmp_path / "models", policy=POLICY)


def test_list_shows_every_registry_model_with_role_size_and_status(tmp_path: Path) -> None:
    store = ModelStore(load_registry(), root=tmp_path / "models")
    code, out, _ = _run(store, "list")
    lines = out.splitlines()
    assert code == 0 and lines[0].split() == ["ID", "ROLE", "SIZE", "STATUS"]
    assert len(lines) == 1 + len(store.registry)
    row = next(line for line in lines if line.startswith("inswapper_128 "))
    assert row.split() == ["inswapper_128", "swapper", "554.3", "MB", "missing"]


def test_download_then_verify(tmp_path: Path) -> None:
    with LocalServer(Script(CONTENT)) as server:
        store = _toy_store(tmp_path, server.url)
        code, out, err = _run(store, "download", "toy")
    assert code == 0 and out.startswith("toy: ok") and "toy: 0.1 / 0.1 MB (100%)" in err
    assert _run(store, "verify") == (0, "toy: ok\n", "")
    assert "ok" in _run(store, "list")[1].splitlines()[1]


def test_errors_are_one_line_with_the_error_exit_code(tmp_path: Path) -> None:
    store = _toy_store(tmp_path)
    code, _, err = _run(store, "download", "nope")
    assert code == 2 and err.startswith("error: unknown model 'nope'") and err.count("\n") == 1
    code, out, err = _run(store, "verify", "toy")
    assert code == 4 and out == "toy: missing\n" and "faceswap-desktop models download toy" in err


def test_import_good_and_bad(tmp_path: Path) -> None:
    store = _toy_store(tmp_path)
    bad = tmp_path / "bad.onnx"
    bad.write_bytes(b"nope")
    code, _, err = _run(store, "import", "toy", str(bad))
    assert code == 4 and "size is 4 bytes" in err
    good = tmp_path / "good.onnx"
    good.write_bytes(CONTENT)
    assert _run(store, "import", "toy", str(good))[0] == 0
    installed = store.path("toy")
    mtime_ns = installed.stat().st_mtime_ns
    installed.write_bytes(CONTENT[::-1])  # corrupted after install
    os.utime(installed, ns=(mtime_ns, mtime_ns + 1_000_000_000))  # coarse-mtime filesystems too
    code, out, err = _run(store, "verify")
    assert code == 4 and out == "toy: corrupt\n" and "toy" in err
