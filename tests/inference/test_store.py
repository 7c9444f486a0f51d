"""Model store against a local HTTP server on 127.0.0.1: resume, 200-on-Range, wrong content, stalls,
hash mismatch, imports, and the verification cache."""

from __future__ import annotations

import hashlib
import os
import time
from pathlib import Path

import numpy as np
import pytest

from faceswap_desktop.core.errors import Cancelled, ModelIntegrityError, ModelMissing
from faceswap_desktop.inference import store as store_module
from faceswap_desktop.inference.download import CancelToken, DownloadPolicy, DownloadProgress
from faceswap_desktop.inference.registry import ModelRegistry, ModelSpec
from faceswap_desktop.inference.store import ModelDownloadError, ModelStatus, ModelStore, default_data_dir

from .zoo_fakes import LocalServer, Script, image_graph

FAST = DownloadPolicy(
    connect_timeout=2.0, stall_timeout=0.3, retries=2, backoff_initial=0.01, chunk_size=4096
)
CONTENT = np.random.default_rng(1).bytes(100_000)


def _spec(content: bytes, urls: list[str], size: bool = True, file: str = "model.onnx") -> ModelSpec:
    return ModelSpec(
        id="toy",
        role="detector",
        file=file,
        urls=tuple(urls),
        sha256=hashlib.sha256(content).hexdigest(),
        licence="test",
        input_size=8,
        mean=(0.0, 0.0, 0.0),
        std=(1.0, 1.0, 1.0),
        color_order="RGB",
        layout="",
        size=len(content) if size else None,
    )


def _store(tmp_path: Path, spec: ModelSpec, policy: DownloadPolicy = FAST) -> ModelStore:
    return ModelStore(ModelRegistry({spec.id: spec}), root=tmp_path / "models", policy=policy)


def test_data_dir_env_override(tmp_path: Path) -> None:
    assert default_data_dir({"FACESWAP_DATA_DIR": str(tmp_path)}) == tmp_path
    assert default_data_dir({}).name == "faceswap-desktop"


def test_plain_download_installs_atomically_with_progress(tmp_path: Path) -> None:
    with LocalServer(Script(CONTENT)) as server:
        store = _store(tmp_path, _spec(CONTENT, [server.url]))
        seen: list[DownloadProgress] = []
        path = store.download("toy", progress=seen.append)
    assert path.read_bytes() == CONTENT
    assert not list(store.root.glob("*.part"))
    assert seen[-1].received == seen[-1].total == len(CONTENT)
    assert store.status("toy") is ModelStatus.OK


@pytest.mark.parametrize("size_known", [True, False])
def test_interrupted_download_resumes_with_range(tmp_path: Path, size_known: bool) -> None:
    script = Script(CONTENT, faults=["drop:30000"])
    with LocalServer(script) as server:
        store = _store(tmp_path, _spec(CONTENT, [server.url], size=size_known))
        path = store.download("toy")
    assert path.read_bytes() == CONTENT
    assert script.requests == [None, "bytes=30000-"]


def test_resume_across_runs_uses_the_part_file(tmp_path: Path) -> None:
    script = Script(CONTENT)
    with LocalServer(script) as server:
        store = _store(tmp_path, _spec(CONTENT, [server.url]))
        store.root.mkdir(parents=True)
        (store.root / "model.onnx.part").write_bytes(CONTENT[:12345])
        store.download("toy")
    assert script.requests == ["bytes=12345-"]
    assert store.path("toy").read_bytes() == CONTENT


def test_server_answering_200_to_a_range_request_restarts_from_zero(tmp_path: Path) -> None:
    script = Script(CONTENT, faults=["drop:40000", "ignore_range"])
    with LocalServer(script) as server:
        store = _store(tmp_path, _spec(CONTENT, [server.url]))
        path = store.download("toy")
    assert script.requests == [None, "bytes=40000-"]
    assert path.read_bytes() == CONTENT  # not 40000 stale bytes + the whole file


def test_stall_fires_the_timeout_then_a_retry_succeeds(tmp_path: Path) -> None:
    script = Script(CONTENT, faults=["stall:5000"])
    with LocalServer(script) as server:
        store = _store(tmp_path, _spec(CONTENT, [server.url]))
        started = time.monotonic()
        path = store.download("toy")
    assert path.read_bytes() == CONTENT
    assert script.requests == [None, "bytes=5000-"]
    assert time.monotonic() - started < 5  # the stall timeout (0.3 s) fired, not the server's 10 s hang


def test_a_server_that_always_stalls_fails_cleanly_and_keeps_the_part(tmp_path: Path) -> None:
    script = Script(CONTENT, default="stall:1000")
    with LocalServer(script) as server:
        store = _store(tmp_path, _spec(CONTENT, [server.url]))
        with pytest.raises(ModelDownloadError, match="toy") as caught:
            store.download("toy")
    assert caught.value.exit_code == 4
    # Each retry resumed after the bytes already received; they stay in the .part for a later resume.
    assert script.requests == [None, "bytes=1000-", "bytes=2000-"]
    assert store.status("toy") is ModelStatus.MISSING
    assert (store.root / "model.onnx.part").read_bytes() == CONTENT[:3000]


def test_wrong_content_of_the_right_size_is_quarantined_and_never_loaded(tmp_path: Path) -> None:
    wrong = bytes(reversed(CONTENT))
    with LocalServer(Script(wrong)) as server:
        store = _store(tmp_path, _spec(CONTENT, [server.url]))
        with pytest.raises(ModelIntegrityError, match="sha256"):
            store.download("toy")
    assert not store.path("toy").exists()
    quarantined = list(store.quarantine_dir.iterdir())
    assert len(quarantined) == 1 and quarantined[0].read_bytes() == wrong
    with pytest.raises(ModelMissing):
        store.path_for_loading("toy")


def test_wrong_size_is_refused_and_the_next_mirror_is_used(tmp_path: Path) -> None:
    with LocalServer(Script(b"<html>not a model</html>")) as bad, LocalServer(Script(CONTENT)) as good:
        store = _store(tmp_path, _spec(CONTENT, [bad.url, good.url]))
        assert store.download("toy").read_bytes() == CONTENT


def test_cancel_stops_the_download(tmp_path: Path) -> None:
    token = CancelToken()

    def cancel_midway(progress: DownloadProgress) -> None:
        if progress.received > 20_000:
            token.cancel()

    with LocalServer(Script(CONTENT)) as server:
        store = _store(tmp_path, _spec(CONTENT, [server.url]))
        with pytest.raises(Cancelled):
            store.download("toy", progress=cancel_midway, cancel=token)
    assert store.status("toy") is ModelStatus.MISSING


def test_insecure_urls_are_refused(tmp_path: Path) -> None:
    store = _store(tmp_path, _spec(CONTENT, ["http://example.org/model.onnx"]))
    with pytest.raises(ModelDownloadError, match="insecure"):
        store.download("toy")


def test_import_good_and_bad_files(tmp_path: Path) -> None:
    store = _store(tmp_path, _spec(CONTENT, ["https://example.org/m.onnx"]))
    bad = tmp_path / "bad.onnx"
    bad.write_bytes(CONTENT[:-1] + b"\x00")
    with pytest.raises(ModelIntegrityError):
        store.import_file("toy", bad)
    assert bad.exists() and store.status("toy") is ModelStatus.MISSING
    assert len(list(store.quarantine_dir.iterdir())) == 1
    good = tmp_path / "good.onnx"
    good.write_bytes(CONTENT)
    assert store.import_file("toy", good).read_bytes() == CONTENT
    assert good.exists() and store.verify("toy") is ModelStatus.OK


def test_missing_model_message_names_the_download_command(tmp_path: Path) -> None:
    store = _store(tmp_path, _spec(CONTENT, ["https://example.org/m.onnx"]))
    with pytest.raises(ModelMissing, match=r"faceswap-desktop models download toy"):
        store.path_for_loading("toy")


def _install_real_onnx(tmp_path: Path) -> tuple[ModelStore, bytes]:
    model = image_graph(tmp_path / "src.onnx", "x", "y", [1, 3, 4, 4], [1, 3, 4, 4])
    content = model.read_bytes()
    store = _store(tmp_path, _spec(content, ["https://example.org/m.onnx"]))
    store.import_file("toy", model)
    return store, content


def test_verification_is_cached_by_size_and_mtime(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    store, content = _install_real_onnx(tmp_path)
    calls: list[Path] = []
    real = store_module.sha256_file
    monkeypatch.setattr(store_module, "sha256_file", lambda p: calls.append(p) or real(p))
    fresh = ModelStore(store.registry, root=store.root, policy=FAST)  # cache persisted on disk
    fresh.path_for_loading("toy")
    fresh.path_for_loading("toy")
    assert calls == []
    path = fresh.path("toy")
    tampered = bytearray(content)
    tampered[-1] ^= 0xFF
    path.write_bytes(bytes(tampered))
    os.utime(path, ns=(time.time_ns(), time.time_ns() + 10_000_000))
    with pytest.raises(ModelIntegrityError, match="quarantine"):
        fresh.path_for_loading("toy")
    assert len(calls) == 1 and not path.exists()


def test_verify_rehashes_and_quarantines_a_corrupt_file(tmp_path: Path) -> None:
    store, content = _install_real_onnx(tmp_path)
    path = store.path("toy")
    stat = path.stat()
    path.write_bytes(content[:-1] + bytes([content[-1] ^ 1]))
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))  # same size and mtime: the cache is fooled
    assert store.status("toy") is ModelStatus.OK
    assert store.verify("toy") is ModelStatus.CORRUPT
    assert store.status("toy") is ModelStatus.MISSING


def test_external_data_outside_the_store_is_refused(tmp_path: Path) -> None:
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    tensor = numpy_helper.from_array(np.ones((4,), np.float32), "w")
    tensor.data_location = TensorProto.EXTERNAL
    tensor.ClearField("raw_data")
    entry = tensor.external_data.add()
    entry.key, entry.value = "location", "../../secret.bin"
    graph = helper.make_graph(
        [helper.make_node("Identity", ["w"], ["y"])],
        "g",
        [],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [4])],
        [tensor],
    )
    source = tmp_path / "ext.onnx"
    onnx.save(helper.make_model(graph), str(source))
    content = source.read_bytes()
    store = _store(tmp_path, _spec(content, ["https://example.org/m.onnx"]))
    store.import_file("toy", source)
    with pytest.raises(ModelIntegrityError, match="outside the model store"):
        store.path_for_loading("toy")
