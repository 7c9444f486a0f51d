from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from faceswap_desktop.inference.providers import (
    CPU,
    CUDA,
    DIRECTML,
    choose_provider,
    preference_order,
    select_variant,
)
from faceswap_desktop.inference.registry import load_registry
from faceswap_desktop.inference.sessions import SerializedSession, SessionCache, create_session

from .conftest import SCRFD_MODEL


def test_auto_prefers_the_platform_gpu_then_cpu() -> None:
    assert choose_provider("auto", [CPU, DIRECTML], "win32") == DIRECTML
    assert choose_provider("auto", [CPU, "TensorrtExecutionProvider", CUDA], "linux") == CUDA
    assert choose_provider("auto", [CPU, "CoreMLExecutionProvider"], "darwin") == "CoreMLExecutionProvider"
    assert choose_provider("auto", ["AzureExecutionProvider", CPU], "linux") == CPU
    assert preference_order("linux")[-1] == CPU


def test_override_accepts_aliases_and_full_names() -> None:
    assert choose_provider("cuda", [CPU]) == CUDA
    assert choose_provider("DML", [CPU]) == DIRECTML
    assert choose_provider("CPUExecutionProvider", [CPU, CUDA]) == CPU


def test_fp16_variants_on_gpu_fp32_on_cpu() -> None:
    registry = load_registry()
    assert select_variant(registry, "inswapper_128", CUDA).id == "inswapper_128_fp16"
    assert select_variant(registry, "inswapper_128_fp16", DIRECTML).id == "inswapper_128_fp16"
    assert select_variant(registry, "inswapper_128_fp16", CPU).id == "inswapper_128"
    assert select_variant(registry, "w600k_r50", CUDA).id == "w600k_r50"  # one variant only


def test_unavailable_provider_falls_back_to_cpu_and_says_so(caplog: pytest.LogCaptureFixture) -> None:
    cache = SessionCache("FakeExecutionProvider", available=[CPU])
    with caplog.at_level(logging.WARNING):
        loaded = cache.get(SCRFD_MODEL)
    assert loaded.info.requested == "FakeExecutionProvider"
    assert loaded.info.provider == CPU and loaded.info.fell_back
    assert "FakeExecutionProvider" in loaded.info.reason
    assert "falling back to CPU" in caplog.text
    outputs = loaded.session.run(None, {"input.1": np.zeros((1, 3, 64, 64), np.float32)})
    assert len(outputs) == 9  # the CPU session really works


def test_provider_that_fails_to_create_a_session_falls_back_to_cpu() -> None:
    calls: list[list[str]] = []

    def factory(path: str, options: Any, providers: list[str]) -> Any:
        calls.append(providers)
        if providers[0] != CPU:
            raise RuntimeError("CUDA driver too old")  # what a broken GPU stack looks like
        import onnxruntime as ort

        return ort.InferenceSession(path, sess_options=options, providers=providers)

    loaded = create_session(SCRFD_MODEL, CUDA, [CUDA, CPU], factory)
    assert calls == [[CUDA, CPU], [CPU]]
    assert loaded.info.fell_back and loaded.info.provider == CPU
    assert "CUDA driver too old" in loaded.info.reason


@pytest.mark.filterwarnings("ignore:Specified provider:UserWarning")
def test_ort_silently_placing_the_model_elsewhere_is_reported() -> None:
    # Listed as available, but ORT cannot use it: it warns and runs on CPU; we report that.
    loaded = create_session(SCRFD_MODEL, "FakeExecutionProvider", ["FakeExecutionProvider", CPU])
    assert loaded.info.provider == CPU and loaded.info.fell_back


class _FakeDml:
    def __init__(self) -> None:
        self.active = 0
        self.max_active = 0

    def get_providers(self) -> list[str]:
        return [DIRECTML, CPU]

    def get_inputs(self) -> list[Any]:
        return []

    def get_outputs(self) -> list[Any]:
        return []

    def run(self, names: Any, feeds: Any) -> list[Any]:
        import time

        self.active += 1
        self.max_active = max(self.max_active, self.active)
        time.sleep(0.01)
        self.active -= 1
        return [1]


def test_directml_sessions_run_one_call_at_a_time() -> None:
    from concurrent.futures import ThreadPoolExecutor

    fake = _FakeDml()
    loaded = create_session(Path("m.onnx"), DIRECTML, [DIRECTML, CPU], lambda *_: fake)
    assert isinstance(loaded.session, SerializedSession) and not loaded.info.fell_back
    with ThreadPoolExecutor(4) as pool:
        list(pool.map(lambda _: loaded.session.run(None, {}), range(12)))
    assert fake.max_active == 1


def test_cache_returns_one_session_per_model_and_provider() -> None:
    created: list[str] = []

    def factory(path: str, options: Any, providers: list[str]) -> Any:
        import onnxruntime as ort

        created.append(providers[0])
        return ort.InferenceSession(path, sess_options=options, providers=providers)

    cache = SessionCache("cpu", available=[CPU], factory=factory)
    first = cache.session(SCRFD_MODEL)
    assert cache.session(SCRFD_MODEL) is first
    assert created == [CPU]
    assert [info.provider for info in cache.infos()] == [CPU]
    cache.clear()
    assert cache.session(SCRFD_MODEL) is not first
