"""Execution-provider choice: what ONNX Runtime offers here, what we prefer, and fp16/fp32 variants."""

from __future__ import annotations

import sys
from collections.abc import Sequence

import onnxruntime as ort

from .registry import ModelRegistry, ModelSpec

CPU = "CPUExecutionProvider"
CUDA = "CUDAExecutionProvider"
TENSORRT = "TensorrtExecutionProvider"
DIRECTML = "DmlExecutionProvider"
COREML = "CoreMLExecutionProvider"

AUTO = "auto"

# Short names accepted by the provider setting and the CLI, beside the full ONNX Runtime names.
PROVIDER_ALIASES: dict[str, str] = {
    "cpu": CPU,
    "cuda": CUDA,
    "tensorrt": TENSORRT,
    "trt": TENSORRT,
    "directml": DIRECTML,
    "dml": DIRECTML,
    "coreml": COREML,
}

# Providers whose fp16 kernels are fast; on CPU fp16 graphs are slower than fp32 (cast overhead).
FP16_PROVIDERS = frozenset({CUDA, TENSORRT, DIRECTML, COREML})


def available_providers() -> list[str]:
    """The providers this ONNX Runtime build offers (onnxruntime-gpu adds CUDA/TensorRT)."""
    return list(ort.get_available_providers())


def preference_order(platform: str = sys.platform) -> list[str]:
    """Our preference on this OS, best first; CPU always last."""
    if platform == "win32":
        return [DIRECTML, CUDA, TENSORRT, CPU]
    if platform == "darwin":
        return [COREML, CPU]
    # CUDA before TensorRT: TensorRT builds engines for minutes on first use of each model.
    return [CUDA, TENSORRT, CPU]


def normalise_provider_name(name: str) -> str:
    """``auto``, an alias (``cuda``, ``dml``...) or a full provider name, as the full name."""
    stripped = name.strip()
    if stripped.lower() == AUTO:
        return AUTO
    return PROVIDER_ALIASES.get(stripped.lower(), stripped)


def choose_provider(
    setting: str = AUTO, available: Sequence[str] | None = None, platform: str = sys.platform
) -> str:
    """The provider to request: the override if given (even if unavailable, so that the session
    layer reports the fallback), else the best available one by :func:`preference_order`."""
    requested = normalise_provider_name(setting)
    if requested != AUTO:
        return requested
    offered = list(available) if available is not None else available_providers()
    for provider in preference_order(platform):
        if provider in offered:
            return provider
    return CPU


def preferred_precision(provider: str) -> str:
    """``fp16`` on GPU providers with fast half precision, ``fp32`` elsewhere."""
    return "fp16" if provider in FP16_PROVIDERS else "fp32"


def select_variant(registry: ModelRegistry, model_id: str, provider: str) -> ModelSpec:
    """The precision variant of ``model_id``'s family that suits ``provider``.

    ``inswapper_128`` and ``inswapper_128_fp16`` are one family: on CUDA/DirectML/CoreML this returns
    the fp16 entry, on CPU the fp32 one; a family with one entry returns it whatever the provider.
    """
    variants = registry.variants(model_id)
    wanted = preferred_precision(provider)
    for spec in variants:
        if spec.precision == wanted:
            return spec
    return registry.get(model_id)
